import { describe, it, expect } from 'vitest';
import { applyReceipt, seenBy, seenByText, setReceipts } from './receipts.js';

describe('receipts', () => {
  it('keeps the furthest position per member and says who saw a message', () => {
    let s = setReceipts({}, 'r1', [
      { username: 'alice', lastReadSeq: 5 },
      { username: 'bob', lastReadSeq: 3 },
      { username: 'carol', lastReadSeq: 5 },
    ]);
    s = applyReceipt(s, { roomId: 'r1', username: 'bob', lastReadSeq: 5 });
    s = applyReceipt(s, { roomId: 'r1', username: 'carol', lastReadSeq: 1 }); // backwards: ignored
    expect(s.r1).toEqual({ alice: 5, bob: 5, carol: 5 });
    const last = { seq: 5, sender: 'carol' };
    expect(seenBy(s.r1, last, 'alice')).toEqual(['bob']); // not me, not the sender
    expect(seenBy(s.r1, { seq: 6, sender: 'alice' }, 'alice')).toEqual([]);
    expect(seenBy(undefined, last, 'alice')).toEqual([]);
  });

  it('words', () => {
    expect(seenByText([])).toBe('');
    expect(seenByText(['bob'])).toBe('Seen by bob');
    expect(seenByText(['bob', 'carol'])).toBe('Seen by bob and carol');
    expect(seenByText(['a', 'b', 'c', 'd', 'e'])).toBe('Seen by a, b and 3 others');
  });
});
