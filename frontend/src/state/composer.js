// Composer rules: which key does what, and the message length limit.

/**
 * The longest message the server takes, in characters (Unicode code points, as Python's len()
 * counts them): `max_message_chars` of services/realtime (MINITALK_REALTIME_MAX_MESSAGE_CHARS,
 * default 4000). A build for a server with another limit sets VITE_MAX_MESSAGE_CHARS.
 */
export const MAX_MESSAGE_CHARS = limitFrom(import.meta.env?.VITE_MAX_MESSAGE_CHARS) ?? 4000;

/** The counter shows from this share of the limit on. */
export const NEAR_SHARE = 0.9;

function limitFrom(value) {
  const n = Number(value);
  return Number.isInteger(n) && n > 0 ? n : null;
}

/** Characters of `text` as the server counts them (code points: an emoji is one, not two). */
export function charCount(text) {
  let n = 0;
  for (const _ of text) n += 1;
  return n;
}

const fmt = (n) => n.toLocaleString('en-US');

/**
 * The limit as the composer shows it, for the text as it would be sent (trimmed):
 * {count, max, near, over, label: "3,950 / 4,000", overBy}.
 */
export function limitState(text, max = MAX_MESSAGE_CHARS) {
  const count = charCount(text.trim());
  const over = count > max;
  return {
    count,
    max,
    over,
    overBy: over ? count - max : 0,
    near: count >= Math.floor(max * NEAR_SHARE),
    label: `${fmt(count)} / ${fmt(max)}`,
  };
}

/** The alert under the composer while the text is too long (the same words until it fits). */
export function overLimitText(state) {
  return `Too long to send: the limit is ${fmt(state.max)} characters.`;
}

/** How far over the limit, next to the counter: "120 characters over". */
export function overByText(state) {
  const n = state.overBy;
  return `${fmt(n)} character${n === 1 ? '' : 's'} over`;
}

/**
 * What a key press in the composer does: 'send' (Enter), 'edit-last' (Up in an empty composer),
 * or null (let the textarea have it: Shift+Enter is a new line, Enter while an input method is
 * composing confirms the composition).
 */
export function composerKey(event, text) {
  const { key, shiftKey, altKey, ctrlKey, metaKey, isComposing } = event;
  if (isComposing || event.keyCode === 229) return null;
  if (key === 'Enter') return shiftKey ? null : 'send';
  if (key === 'ArrowUp' && text === '' && !shiftKey && !altKey && !ctrlKey && !metaKey) return 'edit-last';
  return null;
}
