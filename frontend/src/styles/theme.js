// Colour tokens of the two themes. The app follows the system setting (prefers-color-scheme,
// see usePrefersDark.js). Every text/background pair used by the components has a contrast of
// at least 4.5:1 (WCAG AA), and focus rings, presence dots and control borders at least 3:1
// against what they sit on: theme.test.js computes them for both themes.

const shared = {
  narrow: '640px', // phone width and below: one pane at a time
  // colour emoji first: some text fonts have black-and-white glyphs for a few of them
  emojiFont: "'Noto Color Emoji', 'Apple Color Emoji', 'Segoe UI Emoji', sans-serif",
};

export const lightTheme = {
  ...shared,
  scheme: 'light',
  bg: '#f4f5f7', // page, hovered rows
  surface: '#ffffff', // header, sidebar, composer, messages of others
  border: '#d5d8de', // separators (decorative)
  control: '#767f8f', // borders of text fields (they must be seen: 3:1)
  text: '#1d2330',
  muted: '#5b6472',
  primary: '#2456d6', // links, primary buttons
  primaryText: '#ffffff', // on primary and danger buttons
  danger: '#b3261e',
  warnBg: '#fff4ce',
  warnText: '#5c4300',
  warnBorder: '#e6d28a',
  own: '#e3ecff', // my messages, the open room in the list
  pressed: '#d4e1ff', // toggle buttons that are on (reactions, mute)
  focus: '#b45309',
  unread: '#b93c0c',
  badge: '#b93c0c',
  badgeText: '#ffffff',
  badgeMuted: '#5b6472', // the unread badge of a muted room (dimmed: grey, still readable)
  badgeMutedText: '#ffffff',
  online: '#15803d',
  offline: '#767f8f',
  shadow: 'rgba(20, 30, 50, 0.16)',
};

export const darkTheme = {
  ...shared,
  scheme: 'dark',
  bg: '#0f141b',
  surface: '#1a212b',
  border: '#3a4452',
  control: '#7d8796',
  text: '#e6e9ef',
  muted: '#a3adbb',
  primary: '#8ab4ff',
  primaryText: '#0b1220',
  danger: '#ff8a80',
  warnBg: '#3d3200',
  warnText: '#ffe08a',
  warnBorder: '#6b5a12',
  own: '#1e2f4f',
  pressed: '#26406e',
  focus: '#ffb454',
  unread: '#ffa36b',
  badge: '#ffa36b',
  badgeText: '#1a0e05',
  badgeMuted: '#4a5363',
  badgeMutedText: '#ffffff',
  online: '#4ade80',
  offline: '#8a93a3',
  shadow: 'rgba(0, 0, 0, 0.5)',
};

/** The light theme (kept under its old name for the components and tests that import it). */
export const theme = lightTheme;

export const themeFor = (dark) => (dark ? darkTheme : lightTheme);
