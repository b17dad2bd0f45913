// Pure per-room summary for the room list: read position, unread count, last message, activity.
//
// Fields (from GET /api/chatrooms on a server that has read positions, else null):
//   lastReadSeq: number | null   the seq of the last message this user read
//   unread:      number | null   messages after it that others sent; null = server does not say
//   lastMessage: {id, seq, sender, content, timestamp} | null
//   lastActivityAt: timestamp | null
// A null `unread` means "unknown": no badge is shown and nothing is counted.

import { toDate } from '../lib/time.js';

function toCount(value) {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.floor(value) : null;
}

function toLastMessage(value) {
  if (!value || typeof value !== 'object') return null;
  const seq = toCount(value.seq);
  return {
    id: value.id ?? null,
    seq,
    sender: typeof value.sender === 'string' ? value.sender : '',
    content: typeof value.content === 'string' ? value.content : '',
    timestamp: value.timestamp ?? null,
    deleted: value.deleted === true,
  };
}

/** The summary fields of a room as the server sent them (missing -> null). */
export function summaryOf(room) {
  return {
    lastReadSeq: toCount(room.lastReadSeq),
    unread: toCount(room.unread),
    lastMessage: toLastMessage(room.lastMessage),
    lastActivityAt: room.lastActivityAt ?? null,
  };
}

/** Whether a server list carries read positions (a new server) or not (an old one). */
export function listHasReadPositions(list) {
  return Array.isArray(list) && list.some((r) => r && toCount(r.unread) !== null);
}

/** Epoch ms of a room's last activity: its last message, else its creation; null if unknown. */
export function activityTime(room) {
  for (const t of [room.lastActivityAt, room.lastMessage?.timestamp, room.createdAt]) {
    const d = toDate(t);
    if (d) return d.getTime();
  }
  return null;
}

/** Newest activity first; rooms without any known activity last, by name. */
export function byActivity(a, b) {
  const ta = activityTime(a);
  const tb = activityTime(b);
  if (ta !== tb) {
    if (ta === null) return 1;
    if (tb === null) return -1;
    return tb - ta;
  }
  return String(a.name).localeCompare(String(b.name)) || String(a.roomId).localeCompare(String(b.roomId));
}

function later(a, b) {
  const da = toDate(a);
  const db = toDate(b);
  if (!da) return b;
  if (!db) return a;
  return db.getTime() > da.getTime() ? b : a;
}

/**
 * A live `message` for this room. It becomes the preview when it is newer than the one held;
 * it raises `unread` when someone else sent it, it is newer than anything known and the
 * user is not looking at the room (`viewing`); a room looked at has nothing unread.
 */
export function applyMessage(room, message, { me, viewing }) {
  const seq = toCount(message.seq);
  if (seq === null) return room;
  const known = Math.max(room.lastMessage?.seq ?? 0, room.lastReadSeq ?? 0);
  if (room.lastMessage?.seq != null && seq <= room.lastMessage.seq) return room;
  const next = {
    ...room,
    lastMessage: toLastMessage({ ...message, seq }),
    lastActivityAt: later(room.lastActivityAt, message.timestamp),
  };
  if (room.unread === null) return next;
  if (viewing) next.unread = 0; // on screen: everything in it is seen (mark_read follows)
  else if (seq > known && message.sender !== me) next.unread = room.unread + 1;
  return next;
}

/**
 * The user read up to `lastReadSeq` (their `mark_read` ack, or `read` from their other
 * sockets). Read positions only move forward; `unread` can only go down: to 0 when the last
 * message is read, else to at most the number of messages after the position.
 */
export function applyRead(room, lastReadSeq) {
  const seq = toCount(lastReadSeq);
  if (seq === null) return room;
  if (room.lastReadSeq !== null && seq <= room.lastReadSeq) return room;
  const next = { ...room, lastReadSeq: seq };
  if (room.unread !== null) {
    const last = room.lastMessage?.seq ?? null;
    const left = last === null || seq >= last ? 0 : Math.min(room.unread, last - seq);
    next.unread = left;
  }
  return next;
}

/**
 * `message_edited` {id, content} / `message_deleted` {id} about the room's last message: the
 * preview follows (a deleted message's words leave the room list too).
 */
export function applyPreviewChange(room, change) {
  const last = room.lastMessage;
  if (!last || last.id == null || last.id !== change.id || last.deleted) return room;
  if (change.kind === 'delete') return { ...room, lastMessage: { ...last, content: '', deleted: true } };
  if (change.kind === 'edit' && typeof change.content === 'string' && change.content !== last.content) {
    return { ...room, lastMessage: { ...last, content: change.content } };
  }
  return room;
}

/** "bob: see you at 8" for the room list ("bob: message deleted"). */
export function previewText(lastMessage, me) {
  if (!lastMessage) return '';
  const who = lastMessage.sender === me ? 'You' : lastMessage.sender;
  const text = lastMessage.deleted ? 'message deleted' : lastMessage.content.replace(/\s+/g, ' ').trim();
  return who ? `${who}: ${text}` : text;
}

/**
 * Unread messages over all rooms but the one on screen and the muted ones (a Set of room ids),
 * for the tab title; 0 when unknown.
 */
export function totalUnread(rooms, viewingRoomId = null, muted = null) {
  let total = 0;
  for (const r of rooms) {
    if (r.roomId !== viewingRoomId && r.unread > 0 && !muted?.has(r.roomId)) total += r.unread;
  }
  return total;
}

/** "(4) MiniTalk" while something waits unread. */
export function titleWithUnread(total, base = 'MiniTalk') {
  return total > 0 ? `(${total > 99 ? '99+' : total}) ${base}` : base;
}
