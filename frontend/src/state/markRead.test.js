import { describe, it, expect } from 'vitest';
import { initialMarkRead, markAcked, markFailed, markSent, nextMarkRead, serverMoved } from './markRead.js';

const input = (extra = {}) => ({ target: 5, viewing: true, serverSeq: 2, now: 10000, interval: 1000, ...extra });

describe('mark read', () => {
  it('marks the newest seq while the room is on screen', () => {
    expect(nextMarkRead(initialMarkRead(2), input())).toEqual({ send: 5 });
  });

  it('sends nothing while the tab is hidden, nothing already read, nothing to an old server', () => {
    const s = initialMarkRead(2);
    expect(nextMarkRead(s, input({ viewing: false }))).toBeNull();
    expect(nextMarkRead(s, input({ target: 2 }))).toBeNull();
    expect(nextMarkRead(s, input({ serverSeq: 7 }))).toBeNull();
    expect(nextMarkRead(s, input({ serverSeq: null }))).toBeNull();
    expect(nextMarkRead(s, input({ target: null }))).toBeNull();
  });

  it('coalesces: one in flight, then at most one a second with the newest seq', () => {
    let s = markSent(initialMarkRead(2), 5, 10000);
    // three more messages arrive while the first request waits for its ack
    for (const target of [6, 7, 8]) expect(nextMarkRead(s, input({ target, now: 10100 }))).toBeNull();
    s = markAcked(s, 5);
    expect(s).toMatchObject({ acked: 5, inFlight: null });
    expect(nextMarkRead(s, input({ target: 8, now: 10200 }))).toEqual({ waitMs: 800 });
    expect(nextMarkRead(s, input({ target: 8, now: 11000 }))).toEqual({ send: 8 }); // one request for 6, 7, 8
  });

  it('backs off after failures and after a position short of what was sent', () => {
    let s = markFailed(markSent(initialMarkRead(0), 5, 0));
    expect(nextMarkRead(s, input({ serverSeq: 0, now: 1000 }))).toEqual({ waitMs: 1000 });
    s = markFailed(markSent(s, 5, 2000));
    expect(nextMarkRead(s, input({ serverSeq: 0, now: 2000 }))).toEqual({ waitMs: 4000 });
    s = markAcked(markSent(s, 5, 6000), 4); // clamped by the server
    expect(s).toMatchObject({ acked: 4, failures: 3 });
    expect(nextMarkRead(s, input({ serverSeq: 0, now: 6000 }))).toEqual({ waitMs: 8000 });
    s = markAcked(markSent(s, 5, 14000), 5);
    expect(s.failures).toBe(0);
    expect(nextMarkRead(s, input({ serverSeq: 0, now: 14000 }))).toBeNull();
  });

  it('waits at least what a rate-limited answer asks', () => {
    const s = markFailed(markSent(initialMarkRead(0), 5, 0), 7000);
    expect(nextMarkRead(s, input({ serverSeq: 0, now: 1000 }))).toEqual({ waitMs: 6000 });
    expect(nextMarkRead(s, input({ serverSeq: 0, now: 7000 }))).toEqual({ send: 5 });
  });

  it('a read from another socket of mine counts as done', () => {
    const s = serverMoved(initialMarkRead(2), 5);
    expect(nextMarkRead(s, input({ serverSeq: 2 }))).toBeNull();
    expect(serverMoved(s, 3)).toBe(s);
  });
});
