import { describe, expect, it } from 'vitest';
import { charCount, composerKey, limitState, MAX_MESSAGE_CHARS, overByText, overLimitText } from './composer.js';

const key = (k, mods = {}) => ({ key: k, shiftKey: false, altKey: false, ctrlKey: false, metaKey: false, ...mods });

describe('composerKey', () => {
  it('Enter sends, Shift+Enter is a new line', () => {
    expect(composerKey(key('Enter'), 'hi')).toBe('send');
    expect(composerKey(key('Enter', { shiftKey: true }), 'hi')).toBeNull();
  });

  it('Enter while an input method composes is left to it', () => {
    expect(composerKey(key('Enter', { isComposing: true }), 'にほ')).toBeNull();
    expect(composerKey({ ...key('Enter'), keyCode: 229 }, 'にほ')).toBeNull();
  });

  it('Up edits my last message only in an empty composer, without modifiers', () => {
    expect(composerKey(key('ArrowUp'), '')).toBe('edit-last');
    expect(composerKey(key('ArrowUp'), 'draft')).toBeNull();
    expect(composerKey(key('ArrowUp', { shiftKey: true }), '')).toBeNull();
    expect(composerKey(key('ArrowUp', { ctrlKey: true }), '')).toBeNull();
  });

  it('other keys are typing', () => {
    expect(composerKey(key('a'), '')).toBeNull();
  });
});

describe('limit counter', () => {
  it("is the server's limit", () => {
    expect(MAX_MESSAGE_CHARS).toBe(4000);
  });

  it('counts characters as the server does (an emoji is one)', () => {
    expect(charCount('héllo')).toBe(5);
    expect(charCount('👍🏽')).toBe(2); // thumbs up + skin tone: two code points
    expect(charCount('😀😀')).toBe(2);
    expect('😀😀'.length).toBe(4);
  });

  it('shows from 90% of the limit, formatted', () => {
    expect(limitState('x'.repeat(3599)).near).toBe(false);
    const s = limitState('x'.repeat(3950));
    expect(s).toMatchObject({ near: true, over: false, count: 3950, label: '3,950 / 4,000' });
  });

  it('counts the text as sent (trimmed)', () => {
    expect(limitState(`  ${'x'.repeat(4000)}\n\n`).over).toBe(false);
  });

  it('is over past the limit and says by how much', () => {
    expect(limitState('x'.repeat(4000)).over).toBe(false);
    const s = limitState('x'.repeat(4120));
    expect(s).toMatchObject({ over: true, overBy: 120, label: '4,120 / 4,000' });
    expect(overLimitText(s)).toBe('Too long to send: the limit is 4,000 characters.');
    expect(overByText(s)).toBe('120 characters over');
    expect(overByText(limitState('😀'.repeat(4001)))).toBe('1 character over');
  });

  it('takes another limit', () => {
    expect(limitState('abcdef', 5)).toMatchObject({ over: true, label: '6 / 5' });
  });
});
