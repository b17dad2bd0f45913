import { describe, it, expect } from 'vitest';
import { applyTyping, expireTyping, typingUsers, typingText } from './typing.js';

describe('typing', () => {
  it('tracks others typing, ignores me, expires', () => {
    let s = applyTyping({}, { roomId: 'r', username: 'bob', isTyping: true }, 'alice', 1000);
    s = applyTyping(s, { roomId: 'r', username: 'alice', isTyping: true }, 'alice', 1000);
    s = applyTyping(s, { roomId: 'r', username: 'carol', isTyping: true }, 'alice', 3000);
    expect(typingUsers(s, 'r', 3000)).toEqual(['bob', 'carol']);
    expect(typingText(typingUsers(s, 'r', 3000))).toBe('bob and carol are typing…');
    s = applyTyping(s, { roomId: 'r', username: 'carol', isTyping: false }, 'alice', 3100);
    expect(typingText(typingUsers(s, 'r', 3100))).toBe('bob is typing…');
    s = expireTyping(s, 7000);
    expect(typingUsers(s, 'r', 7000)).toEqual([]);
    expect(expireTyping(s, 8000)).toBe(s);
  });
});
