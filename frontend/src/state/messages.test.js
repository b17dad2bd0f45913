import { describe, it, expect } from 'vitest';
import {
  emptyRoom,
  mergeMessages,
  receiveLive,
  historyLoaded,
  olderLoaded,
  catchUpPage,
  markLive,
  caughtUp,
  markStale,
  catchUpCursor,
  oldestSeq,
  addPending,
  ackSent,
  markFailed,
  markRetrying,
  messagesReducer,
} from './messages.js';

const msg = (seq, extra = {}) => ({
  type: 'message',
  id: `m${seq}`,
  seq,
  roomId: 'r1',
  sender: 'bob',
  content: `hello ${seq}`,
  timestamp: `2024-01-01T00:00:${String(seq % 60).padStart(2, '0')}Z`,
  ...extra,
});
const seqs = (room) => room.entries.map((e) => e.seq);
const pending = (clientMsgId, content = 'hi') => ({
  clientMsgId,
  roomId: 'r1',
  sender: 'alice',
  content,
  timestamp: '2024-01-01T00:01:00Z',
});

describe('merge by seq', () => {
  it('orders stored messages by seq whatever the input order', () => {
    const room = mergeMessages(emptyRoom(), [msg(3), msg(1), msg(2)]);
    expect(seqs(room)).toEqual([1, 2, 3]);
    expect(room.entries.every((e) => e.status === 'sent')).toBe(true);
  });

  it('puts an older page before what is already held', () => {
    let room = historyLoaded(emptyRoom(), [msg(10), msg(11)], 2);
    expect(room.hasMoreOlder).toBe(true);
    expect(oldestSeq(room)).toBe(10);
    room = olderLoaded(room, [msg(8), msg(9)], 50);
    expect(seqs(room)).toEqual([8, 9, 10, 11]);
    expect(room.hasMoreOlder).toBe(false);
    expect(oldestSeq(room)).toBe(8);
  });

  it('accepts seq sent as a numeric string', () => {
    const room = mergeMessages(emptyRoom(), [msg('12'), msg(3)]);
    expect(seqs(room)).toEqual([3, 12]);
  });

  it('keeps seq gaps (the stream sequence is shared between rooms)', () => {
    const room = mergeMessages(emptyRoom(), [msg(5), msg(40), msg(7)]);
    expect(seqs(room)).toEqual([5, 7, 40]);
  });
});

describe('dedupe', () => {
  it('shows a message once when history and a live event both carry it', () => {
    let room = historyLoaded(emptyRoom(), [msg(1), msg(2)], 50);
    room = receiveLive(room, msg(2));
    room = mergeMessages(room, [msg(1), msg(2), msg(3)]);
    expect(seqs(room)).toEqual([1, 2, 3]);
  });

  it('dedupes by id even when seq is missing on one copy', () => {
    let room = mergeMessages(emptyRoom(), [msg(4)]);
    room = mergeMessages(room, [{ ...msg(4), seq: undefined }]);
    expect(room.entries).toHaveLength(1);
    expect(room.entries[0].seq).toBe(4);
  });

  it('dedupes by seq when ids differ in shape', () => {
    let room = mergeMessages(emptyRoom(), [msg(4)]);
    room = mergeMessages(room, [{ ...msg(4), id: undefined }]);
    expect(room.entries).toHaveLength(1);
  });

  it('own message: pending entry replaced by the echoed message event carrying clientMsgId', () => {
    let room = historyLoaded(emptyRoom(), [msg(1)], 50);
    room = addPending(room, pending('c1'));
    room = receiveLive(room, msg(2, { sender: 'alice', content: 'hi', clientMsgId: 'c1' }));
    expect(room.entries).toHaveLength(2);
    expect(room.entries[1]).toMatchObject({ key: 'c1', id: 'm2', seq: 2, status: 'sent' });
    // the ack arriving afterwards changes nothing
    const after = ackSent(room, 'c1', { ok: true, id: 'm2', seq: 2, timestamp: 't' });
    expect(after.entries).toHaveLength(2);
    expect(after.entries[1].status).toBe('sent');
  });

  it('own message: echo without clientMsgId before the ack is merged by the ack id', () => {
    let room = historyLoaded(emptyRoom(), [], 50);
    room = addPending(room, pending('c1'));
    room = receiveLive(room, msg(7, { sender: 'alice', content: 'hi' }));
    expect(room.entries).toHaveLength(2);
    room = ackSent(room, 'c1', { ok: true, id: 'm7', seq: 7, timestamp: 't' });
    expect(room.entries).toHaveLength(1);
    expect(room.entries[0]).toMatchObject({ id: 'm7', seq: 7, status: 'sent', clientMsgId: 'c1' });
  });

  it('own message: ack first, then the echo does not add a second copy', () => {
    let room = historyLoaded(emptyRoom(), [], 50);
    room = addPending(room, pending('c1'));
    room = ackSent(room, 'c1', { ok: true, id: 'm7', seq: 7, timestamp: 't' });
    room = receiveLive(room, msg(7, { sender: 'alice', content: 'hi' }));
    expect(room.entries).toHaveLength(1);
    expect(room.entries[0]).toMatchObject({ key: 'c1', seq: 7, status: 'sent' });
  });

  it('adding the same pending clientMsgId twice keeps one entry', () => {
    let room = addPending(emptyRoom(), pending('c1'));
    room = addPending(room, pending('c1'));
    expect(room.entries).toHaveLength(1);
  });
});

describe('pending -> sent', () => {
  it('shows at once as sending, turns sent on ack and takes its place by seq', () => {
    let room = historyLoaded(emptyRoom(), [msg(1)], 50);
    room = addPending(room, pending('c1', 'mine'));
    expect(room.entries[1]).toMatchObject({ status: 'sending', seq: null, content: 'mine' });
    room = ackSent(room, 'c1', { ok: true, id: 'm5', seq: 5, timestamp: '2024-01-01T00:02:00Z' });
    expect(room.entries[1]).toMatchObject({
      status: 'sent',
      id: 'm5',
      seq: 5,
      timestamp: '2024-01-01T00:02:00Z',
    });
  });

  it('pending entries stay after every stored message until acked', () => {
    let room = historyLoaded(emptyRoom(), [msg(1)], 50);
    room = addPending(room, pending('c1'));
    room = receiveLive(room, msg(2));
    expect(room.entries.map((e) => e.key)).toEqual(['m1', 'm2', 'c1']);
  });
});

describe('pending -> failed -> retry -> sent', () => {
  it('goes through every state keeping the same clientMsgId', () => {
    let room = historyLoaded(emptyRoom(), [], 50);
    room = addPending(room, pending('c9'));
    room = markFailed(room, 'c9', 'timeout');
    expect(room.entries[0]).toMatchObject({ status: 'failed', error: 'timeout', clientMsgId: 'c9' });
    room = markRetrying(room, 'c9');
    expect(room.entries[0]).toMatchObject({ status: 'sending', error: null, clientMsgId: 'c9' });
    room = ackSent(room, 'c9', { ok: true, id: 'm3', seq: 3, timestamp: 't' });
    expect(room.entries).toHaveLength(1);
    expect(room.entries[0]).toMatchObject({ status: 'sent', seq: 3, clientMsgId: 'c9', key: 'c9' });
  });

  it('a timeout after the message was stored does not mark it failed', () => {
    let room = addPending(emptyRoom(), pending('c1'));
    room = ackSent(room, 'c1', { ok: true, id: 'm1', seq: 1 });
    room = markFailed(room, 'c1', 'timeout');
    expect(room.entries[0].status).toBe('sent');
  });

  it('a late ack or echo turns a failed message sent', () => {
    let room = addPending(emptyRoom(), pending('c1'));
    room = markFailed(room, 'c1', 'timeout');
    room = receiveLive(room, msg(4, { sender: 'alice', clientMsgId: 'c1' }));
    expect(room.entries).toHaveLength(1);
    expect(room.entries[0]).toMatchObject({ status: 'sent', seq: 4 });
  });

  it('retry only applies to failed entries', () => {
    let room = addPending(emptyRoom(), pending('c1'));
    expect(markRetrying(room, 'c1')).toBe(room);
    expect(markRetrying(room, 'nope')).toBe(room);
  });
});

describe('out-of-order arrival', () => {
  it('live events arriving out of order are shown in seq order', () => {
    let room = historyLoaded(emptyRoom(), [msg(1)], 50);
    room = receiveLive(room, msg(4));
    room = receiveLive(room, msg(2));
    room = receiveLive(room, msg(3));
    expect(seqs(room)).toEqual([1, 2, 3, 4]);
  });

  it('a live event landing before the history page is merged, not duplicated', () => {
    let room = emptyRoom();
    room = receiveLive(room, msg(10));
    room = historyLoaded(room, [msg(8), msg(9), msg(10)], 50);
    expect(seqs(room)).toEqual([8, 9, 10]);
    expect(catchUpCursor(room)).toBe(10);
  });

  it('a catch-up page older than live messages received meanwhile merges in order', () => {
    let room = historyLoaded(emptyRoom(), [msg(1)], 50);
    room = markStale(room);
    room = receiveLive(room, msg(6));
    room = catchUpPage(room, [msg(3), msg(4), msg(5), msg(6)]);
    expect(seqs(room)).toEqual([1, 3, 4, 5, 6]);
  });
});

describe('live from the stream: the ack and the live copies race', () => {
  it('own message arriving live before its ack is shown once, in its place', () => {
    let room = historyLoaded(emptyRoom(), [msg(1)], 50);
    room = addPending(room, pending('c1', 'mine'));
    room = receiveLive(room, msg(3, { sender: 'alice', content: 'mine', clientMsgId: 'c1' }));
    room = receiveLive(room, msg(4));
    room = ackSent(room, 'c1', { ok: true, id: 'm3', seq: 3, timestamp: 't' });
    expect(seqs(room)).toEqual([1, 3, 4]);
    expect(room.entries[1]).toMatchObject({ key: 'c1', id: 'm3', status: 'sent', content: 'mine' });
  });

  it('a lower seq arriving after a higher one is shown once, in its place', () => {
    let room = historyLoaded(emptyRoom(), [msg(1)], 50);
    room = addPending(room, pending('c1', 'mine'));
    room = ackSent(room, 'c1', { ok: true, id: 'm5', seq: 5, timestamp: 't' }); // ack first
    room = receiveLive(room, msg(3)); // then what others stored before it
    room = receiveLive(room, msg(5, { sender: 'alice', content: 'mine', clientMsgId: 'c1' }));
    room = receiveLive(room, msg(3)); // and a second copy changes nothing
    expect(seqs(room)).toEqual([1, 3, 5]);
    expect(room.entries.map((e) => e.key)).toEqual(['m1', 'm3', 'c1']);
  });

  it('an ack does not move the cursor past messages still on their way', () => {
    let room = historyLoaded(emptyRoom(), [msg(1)], 50);
    room = addPending(room, pending('c1', 'mine'));
    room = ackSent(room, 'c1', { ok: true, id: 'm5', seq: 5, timestamp: 't' });
    expect(catchUpCursor(room)).toBe(1); // 2..4 may still come: a reconnect asks after 1
    room = receiveLive(room, msg(3));
    room = receiveLive(room, msg(5, { sender: 'alice', content: 'mine', clientMsgId: 'c1' }));
    expect(catchUpCursor(room)).toBe(5);
  });
});

describe('catch-up cursor', () => {
  it('is null before history loaded and 0 for an empty room', () => {
    expect(catchUpCursor(emptyRoom())).toBeNull();
    expect(catchUpCursor(historyLoaded(emptyRoom(), [], 50))).toBe(0);
  });

  it('follows live messages while live', () => {
    let room = historyLoaded(emptyRoom(), [msg(1)], 50);
    room = receiveLive(room, msg(2));
    expect(catchUpCursor(room)).toBe(2);
  });

  it('does not jump over a gap: live messages while stale leave the cursor alone', () => {
    let room = historyLoaded(emptyRoom(), [msg(1), msg(2)], 50);
    room = markStale(room);
    room = receiveLive(room, msg(9)); // delivered right after reconnect, before catch-up
    expect(catchUpCursor(room)).toBe(2);
    room = catchUpPage(room, [msg(3), msg(4)]);
    expect(catchUpCursor(room)).toBe(4);
    room = catchUpPage(room, [msg(5)]);
    room = markLive(room); // history ends at 5 but 9 came live: 6..8 may not be in history yet
    expect(room.live).toBe(false);
    expect(caughtUp(room)).toBe(false);
    expect(catchUpCursor(room)).toBe(5);
    room = catchUpPage(room, [msg(7), msg(9)]); // asked again: the persister stored them
    room = markLive(room);
    expect(catchUpCursor(room)).toBe(9);
    expect(room.live).toBe(true);
    expect(seqs(room)).toEqual([1, 2, 3, 4, 5, 7, 9]);
  });

  it('goes live at the end of a catch-up when nothing came live meanwhile', () => {
    let room = historyLoaded(emptyRoom(), [msg(1)], 50);
    room = markStale(room);
    room = catchUpPage(room, [msg(2), msg(3)]);
    room = markLive(room);
    expect(room.live).toBe(true);
    expect(catchUpCursor(room)).toBe(3);
    room = receiveLive(room, msg(4));
    expect(catchUpCursor(room)).toBe(4);
  });

  it('remembers the lowest seq that came live since the socket was lost, until the next loss', () => {
    let room = historyLoaded(emptyRoom(), [msg(1)], 50);
    room = markStale(room);
    room = receiveLive(room, msg(8));
    room = receiveLive(room, msg(6)); // another process's copy can come out of order
    expect(room.firstLive).toBe(6);
    room = catchUpPage(room, [msg(6)]);
    room = markLive(room);
    expect(room.live).toBe(true);
    expect(catchUpCursor(room)).toBe(8);
    room = markStale(room);
    expect(room.firstLive).toBeNull();
  });
});

describe('messagesReducer', () => {
  it('keeps live events only for opened rooms', () => {
    let s = messagesReducer({}, { type: 'live', roomId: 'r1', message: msg(1) });
    expect(s).toEqual({});
    s = messagesReducer(s, { type: 'open', roomId: 'r1' });
    s = messagesReducer(s, { type: 'history', roomId: 'r1', messages: [msg(1)], limit: 50 });
    s = messagesReducer(s, { type: 'live', roomId: 'r1', message: msg(2) });
    expect(seqs(s.r1)).toEqual([1, 2]);
  });

  it('staleAll marks every room stale and close forgets a room', () => {
    let s = messagesReducer({}, { type: 'open', roomId: 'r1' });
    s = messagesReducer(s, { type: 'history', roomId: 'r1', messages: [], limit: 50 });
    s = messagesReducer(s, { type: 'staleAll' });
    expect(s.r1.live).toBe(false);
    s = messagesReducer(s, { type: 'close', roomId: 'r1' });
    expect(s).toEqual({});
  });

  it('drives the send lifecycle through actions', () => {
    let s = messagesReducer({}, { type: 'open', roomId: 'r1' });
    s = messagesReducer(s, { type: 'pending', roomId: 'r1', entry: pending('c1') });
    s = messagesReducer(s, { type: 'failed', roomId: 'r1', clientMsgId: 'c1', error: 'boom' });
    expect(s.r1.entries[0].status).toBe('failed');
    s = messagesReducer(s, { type: 'retry', roomId: 'r1', clientMsgId: 'c1' });
    s = messagesReducer(s, { type: 'ack', roomId: 'r1', clientMsgId: 'c1', ack: { ok: true, id: 'x', seq: 1 } });
    expect(s.r1.entries[0]).toMatchObject({ status: 'sent', seq: 1 });
  });
});
