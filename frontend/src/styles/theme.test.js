import { describe, expect, it } from 'vitest';
import { contrastRatio } from './contrast.js';
import { darkTheme, lightTheme } from './theme.js';

// [foreground, background] token pairs as the components use them.
const BACKGROUNDS = ['bg', 'surface', 'own'];
const TEXT = [
  ...['text', 'muted', 'primary', 'danger', 'unread'].flatMap((fg) => BACKGROUNDS.map((bg) => [fg, bg])),
  ['text', 'pressed'],
  ['muted', 'pressed'],
  ['primaryText', 'primary'],
  ['primaryText', 'danger'],
  ['warnText', 'warnBg'],
  ['badgeText', 'badge'],
  ['badgeMutedText', 'badgeMuted'],
];
const NON_TEXT = [
  ...['focus', 'online', 'offline', 'control'].flatMap((fg) => ['bg', 'surface'].map((bg) => [fg, bg])),
  ['focus', 'own'],
];

describe.each([
  ['light', lightTheme],
  ['dark', darkTheme],
])('%s theme', (_, theme) => {
  it.each(TEXT)('text %s on %s passes AA (4.5:1)', (fg, bg) => {
    expect(contrastRatio(theme[fg], theme[bg])).toBeGreaterThanOrEqual(4.5);
  });
  it.each(NON_TEXT)('%s on %s is seen (3:1)', (fg, bg) => {
    expect(contrastRatio(theme[fg], theme[bg])).toBeGreaterThanOrEqual(3);
  });
  it('has the same tokens as the other theme', () => {
    expect(Object.keys(theme).sort()).toEqual(Object.keys(lightTheme).sort());
  });
});

describe('contrastRatio', () => {
  it('is 21 for black on white and 1 for a colour on itself', () => {
    expect(contrastRatio('#000000', '#ffffff')).toBeCloseTo(21, 5);
    expect(contrastRatio('#2456d6', '#2456d6')).toBe(1);
  });
  it('refuses what is not #rrggbb', () => {
    expect(() => contrastRatio('red', '#ffffff')).toThrow(/#rrggbb/);
  });
});
