import { describe, it, expect } from 'vitest';
import { roomsReducer } from './rooms.js';
import {
  applyMessage,
  applyRead,
  listHasReadPositions,
  previewText,
  summaryOf,
  titleWithUnread,
  totalUnread,
} from './roomSummary.js';

const at = (minute) => `2026-12-04T10:${String(minute).padStart(2, '0')}:00.000000Z`;
const msg = (seq, extra = {}) => ({ id: `m${seq}`, seq, roomId: 'r1', sender: 'bob', content: `hi ${seq}`, timestamp: at(seq), ...extra });
const summary = (extra = {}) => ({ lastReadSeq: 2, unread: 0, lastMessage: msg(2), lastActivityAt: at(2), ...extra });
const opts = { me: 'alice', viewing: false };

describe('summaryOf', () => {
  it('reads the new fields and leaves them null on an old server', () => {
    expect(summaryOf({ roomId: 'r1', name: 'a' })).toEqual({ lastReadSeq: null, unread: null, lastMessage: null, lastActivityAt: null });
    expect(summaryOf({ lastReadSeq: 4, unread: 3, lastMessage: msg(7), lastActivityAt: at(7) })).toMatchObject({
      lastReadSeq: 4,
      unread: 3,
      lastMessage: { id: 'm7', seq: 7, sender: 'bob', content: 'hi 7' },
    });
    expect(summaryOf({ unread: 'x', lastMessage: 'nope' })).toMatchObject({ unread: null, lastMessage: null });
  });

  it('knows a new server from an old one by its unread counts', () => {
    expect(listHasReadPositions([{ roomId: 'r1' }])).toBe(false);
    expect(listHasReadPositions([{ roomId: 'r1', unread: 0 }])).toBe(true);
    expect(listHasReadPositions(null)).toBe(false);
  });
});

describe('unread counting', () => {
  it("counts others' new messages in a room not looked at, once each", () => {
    let r = summary();
    r = applyMessage(r, msg(3), opts);
    r = applyMessage(r, msg(4), opts);
    r = applyMessage(r, msg(4), opts); // the same message again
    r = applyMessage(r, msg(3), opts); // an older one late
    expect(r.unread).toBe(2);
    expect(r.lastMessage).toMatchObject({ seq: 4, content: 'hi 4' });
    expect(r.lastActivityAt).toBe(at(4));
  });

  it('does not count my own messages; a room on screen has nothing unread; the preview moves', () => {
    let r = summary({ unread: 2 });
    r = applyMessage(r, msg(3, { sender: 'alice' }), opts);
    expect(r.unread).toBe(2);
    r = applyMessage(r, msg(4), { me: 'alice', viewing: true });
    expect(r.unread).toBe(0);
    expect(r.lastMessage.seq).toBe(4);
  });

  it('never counts on an old server (unread unknown)', () => {
    const r = applyMessage(summary({ unread: null, lastReadSeq: null }), msg(3), opts);
    expect(r.unread).toBeNull();
    expect(r.lastMessage.seq).toBe(3); // the preview still follows
  });

  it('reading lowers unread: to 0 at the last message, else at most what is after it', () => {
    const r = summary({ lastReadSeq: 2, unread: 5, lastMessage: msg(7) });
    expect(applyRead(r, 7).unread).toBe(0);
    expect(applyRead(r, 5)).toMatchObject({ lastReadSeq: 5, unread: 2 });
    expect(applyRead(r, 3).unread).toBe(4);
    expect(applyRead(r, 1)).toBe(r); // positions only move forward
    expect(applyRead(summary({ unread: null, lastReadSeq: null }), 9).unread).toBeNull();
  });

  it('previews the last message on one line, "You" for mine', () => {
    expect(previewText(msg(1, { content: 'see you\n  at 8' }), 'alice')).toBe('bob: see you at 8');
    expect(previewText(msg(1, { sender: 'alice' }), 'alice')).toBe('You: hi 1');
    expect(previewText(null, 'alice')).toBe('');
  });
});

describe('ordering by activity', () => {
  const room = (roomId, name, extra = {}) => ({ roomId, name, participants: ['alice'], ...extra });

  it('orders by last activity, newest first; rooms without activity last by name', () => {
    const s = roomsReducer([], {
      type: 'set',
      rooms: [
        room('1', 'quiet'),
        room('2', 'old', { lastActivityAt: at(1) }),
        room('3', 'new', { lastActivityAt: at(9) }),
        room('4', 'created', { createdAt: at(5) }),
        room('5', 'another quiet'),
      ],
    });
    expect(s.map((r) => r.name)).toEqual(['new', 'created', 'old', 'another quiet', 'quiet']);
  });

  it('a live message moves its room to the top and counts in the room list', () => {
    let s = roomsReducer([], {
      type: 'set',
      rooms: [room('r1', 'a', summary({ lastActivityAt: at(2) })), room('r2', 'b', summary({ lastActivityAt: at(5) }))],
    });
    expect(s.map((r) => r.roomId)).toEqual(['r2', 'r1']);
    s = roomsReducer(s, { type: 'message', message: msg(8), me: 'alice', viewing: false });
    expect(s.map((r) => r.roomId)).toEqual(['r1', 'r2']);
    expect(s[0]).toMatchObject({ unread: 1, lastMessage: { seq: 8 } });
    s = roomsReducer(s, { type: 'read', event: { roomId: 'r1', lastReadSeq: 8 } });
    expect(s[0].unread).toBe(0);
    expect(roomsReducer(s, { type: 'message', message: msg(9, { roomId: 'nope' }), me: 'alice' })).toBe(s);
  });

  it('a room joined on a new server starts with nothing unread; on an old one unknown', () => {
    const fresh = roomsReducer([], { type: 'upsert', room: room('r1', 'a'), readPositions: true });
    expect(fresh[0]).toMatchObject({ unread: 0, lastReadSeq: 0 });
    const old = roomsReducer([], { type: 'upsert', room: room('r1', 'a'), readPositions: false });
    expect(old[0]).toMatchObject({ unread: null, lastReadSeq: null });
    // room_joined carries no summary: an update keeps the one held
    const kept = roomsReducer(roomsReducer([], { type: 'set', rooms: [room('r1', 'a', summary({ unread: 3 }))] }), {
      type: 'upsert',
      room: { roomId: 'r1', participants: ['alice', 'bob'] },
    });
    expect(kept[0]).toMatchObject({ unread: 3, lastMessage: { seq: 2 }, participants: ['alice', 'bob'] });
  });
});

describe('tab title', () => {
  it('sums the unread of the rooms not on screen; unknown counts count 0', () => {
    const rooms = [
      { roomId: 'a', unread: 3 },
      { roomId: 'b', unread: null },
      { roomId: 'c', unread: 2 },
    ];
    expect(totalUnread(rooms)).toBe(5);
    expect(totalUnread(rooms, 'a')).toBe(2);
    expect(titleWithUnread(5)).toBe('(5) MiniTalk');
    expect(titleWithUnread(0)).toBe('MiniTalk');
    expect(titleWithUnread(150)).toBe('(99+) MiniTalk');
  });

  it('leaves muted rooms out', () => {
    const rooms = [
      { roomId: 'a', unread: 3 },
      { roomId: 'c', unread: 2 },
      { roomId: 'd', unread: 4 },
    ];
    expect(totalUnread(rooms, null, new Set(['c']))).toBe(7);
    expect(totalUnread(rooms, 'a', new Set(['c']))).toBe(4);
    expect(totalUnread(rooms, 'a', new Set(['c', 'd']))).toBe(0);
    expect(titleWithUnread(totalUnread(rooms, null, new Set(['a', 'c', 'd'])))).toBe('MiniTalk');
  });
});

describe('edits and deletes of the last message (issue 16)', () => {
  const list = () => roomsReducer([], { type: 'set', rooms: [{ roomId: 'r1', name: 'General', participants: [], ...summary() }] });

  it('the preview follows an edit of the last message, not of another one', () => {
    let rooms = roomsReducer(list(), { type: 'change', change: { kind: 'edit', roomId: 'r1', id: 'm1', content: 'x' } });
    expect(previewText(rooms[0].lastMessage, 'alice')).toBe('bob: hi 2');
    rooms = roomsReducer(rooms, { type: 'change', change: { kind: 'edit', roomId: 'r1', id: 'm2', content: 'fixed' } });
    expect(previewText(rooms[0].lastMessage, 'alice')).toBe('bob: fixed');
  });

  it('a deleted last message leaves no words in the room list', () => {
    const rooms = roomsReducer(list(), { type: 'change', change: { kind: 'delete', roomId: 'r1', id: 'm2' } });
    expect(rooms[0].lastMessage.content).toBe('');
    expect(previewText(rooms[0].lastMessage, 'alice')).toBe('bob: message deleted');
    const again = roomsReducer(rooms, { type: 'change', change: { kind: 'edit', roomId: 'r1', id: 'm2', content: 'late' } });
    expect(again).toBe(rooms);
    expect(previewText(summaryOf({ lastMessage: { ...msg(3), content: '', deleted: true } }).lastMessage, 'bob')).toBe(
      'You: message deleted',
    );
  });
});
