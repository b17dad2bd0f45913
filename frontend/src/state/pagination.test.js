import { describe, expect, it } from 'vitest';
import { addPending, emptyRoom, historyLoaded, olderLoaded, oldestSeq, reachedStart, receiveLive } from './messages.js';
import { conversationRows, prependedCount } from './conversation.js';

// Scroll-back through a room's whole history, page by page (state/messages.js), and what the
// virtualized list derives from it (state/conversation.js).
const msg = (seq, extra = {}) => ({
  id: `m${seq}`,
  seq,
  roomId: 'r1',
  sender: seq % 3 === 0 ? 'carol' : 'bob',
  content: `hello ${seq}`,
  timestamp: new Date(Date.UTC(2024, 0, 1) + seq * 60_000).toISOString(),
  ...extra,
});
const range = (from, to) => Array.from({ length: to - from + 1 }, (_, i) => msg(from + i));
const seqs = (room) => room.entries.map((e) => e.seq);
const LIMIT = 50;

// what the server answers to ?limit=&before= for a room holding seq 1..total
const page = (total, before) => range(Math.max(1, (before ?? total + 1) - LIMIT), (before ?? total + 1) - 1);

describe('pagination merge (older pages)', () => {
  it('pages back to the first message, in order, then stops', () => {
    let room = historyLoaded(emptyRoom(), page(130), LIMIT);
    expect(seqs(room)[0]).toBe(81);
    expect(reachedStart(room)).toBe(false);
    const loads = [];
    while (room.hasMoreOlder) {
      loads.push(oldestSeq(room));
      room = olderLoaded(room, page(130, oldestSeq(room)), LIMIT);
    }
    expect(loads).toEqual([81, 31]);
    // the third page (seq 1..30) was short: the start is reached, with nothing missing
    expect(seqs(room)).toEqual(range(1, 130).map((m) => m.seq));
    expect(reachedStart(room)).toBe(true);
  });

  it('a room of exactly one page asks once more and gets an empty page', () => {
    let room = historyLoaded(emptyRoom(), page(50), LIMIT);
    expect(reachedStart(room)).toBe(false);
    room = olderLoaded(room, page(50, oldestSeq(room)), LIMIT);
    expect(seqs(room)).toHaveLength(50);
    expect(reachedStart(room)).toBe(true);
  });

  it('an empty room has reached its start once loaded', () => {
    expect(reachedStart(emptyRoom())).toBe(false);
    expect(reachedStart(historyLoaded(emptyRoom(), [], LIMIT))).toBe(true);
  });

  it('an older page overlapping what is held is deduped', () => {
    let room = historyLoaded(emptyRoom(), range(51, 100), LIMIT);
    room = olderLoaded(room, range(11, 60), LIMIT);
    expect(seqs(room)).toEqual(range(11, 100).map((m) => m.seq));
    expect(new Set(room.entries.map((e) => e.key)).size).toBe(90);
  });

  it('a full page bringing nothing older stops the scroll-back instead of looping', () => {
    let room = historyLoaded(emptyRoom(), range(51, 100), LIMIT);
    room = olderLoaded(room, range(51, 100), LIMIT); // a server that ignored ?before=
    expect(seqs(room)).toHaveLength(50);
    expect(room.hasMoreOlder).toBe(false);
  });

  it('live messages and pending sends stay after the older page', () => {
    let room = historyLoaded(emptyRoom(), range(51, 100), LIMIT);
    room = addPending(room, { clientMsgId: 'c1', roomId: 'r1', sender: 'alice', content: 'hi', timestamp: '' });
    room = receiveLive(room, msg(101));
    room = olderLoaded(room, range(1, 50), LIMIT);
    expect(seqs(room).slice(-2)).toEqual([101, null]);
    expect(seqs(room)[0]).toBe(1);
  });
});

describe('prependedCount (Virtuoso firstItemIndex)', () => {
  it('counts the rows put before the former first row', () => {
    let room = historyLoaded(emptyRoom(), range(51, 100), LIMIT);
    const before = conversationRows(room.entries);
    room = olderLoaded(room, range(1, 50), LIMIT);
    const after = conversationRows(room.entries);
    expect(prependedCount(after, before[0].key)).toBe(50);
    expect(after[50].key).toBe(before[0].key);
  });

  it('is 0 when nothing was prepended, for an appended message, or with no former row', () => {
    const room = historyLoaded(emptyRoom(), range(1, 10), LIMIT);
    const rows = conversationRows(room.entries);
    expect(prependedCount(rows, rows[0].key)).toBe(0);
    expect(prependedCount(conversationRows(receiveLive(room, msg(11)).entries), rows[0].key)).toBe(0);
    expect(prependedCount(rows, null)).toBe(0);
    expect(prependedCount(rows, 'gone')).toBe(0);
  });
});
