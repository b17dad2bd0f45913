// Pure room-list state: [{roomId, name, participants, createdBy, createdAt,
//   lastReadSeq, unread, lastMessage, lastActivityAt}] ordered by last activity, newest first
// (see roomSummary.js; the summary fields are null when the server does not send them).

import { applyPreviewChange, applyMessage, applyRead, byActivity, summaryOf } from './roomSummary.js';

/** "alice, bob ,,alice" -> ["alice", "bob"] */
export function parseParticipants(text) {
  const seen = new Set();
  const out = [];
  for (const raw of String(text ?? '').split(',')) {
    const name = raw.trim();
    if (name && !seen.has(name)) {
      seen.add(name);
      out.push(name);
    }
  }
  return out;
}

function normalize(room) {
  return {
    ...room,
    roomId: room.roomId,
    name: room.name ?? room.roomId,
    participants: Array.isArray(room.participants) ? room.participants : [],
    ...summaryOf(room),
  };
}

// a room new to the list, on a server with read positions, starts read and without messages
const FRESH = { lastReadSeq: 0, unread: 0 };

export function setRooms(_rooms, list) {
  if (!Array.isArray(list)) return [];
  const seen = new Map();
  for (const r of list) if (r && r.roomId != null) seen.set(r.roomId, normalize(r));
  return [...seen.values()].sort(byActivity);
}

/**
 * Add or update a room; missing fields keep their old value. `readPositions`: the server
 * tracks them, so a room new to the list starts with nothing unread (not "unknown").
 */
export function upsertRoom(rooms, room, readPositions = false) {
  if (!room || room.roomId == null) return rooms;
  const i = rooms.findIndex((r) => r.roomId === room.roomId);
  if (i === -1) return [...rooms, normalize(readPositions ? { ...FRESH, ...room } : room)].sort(byActivity);
  const merged = { ...rooms[i] };
  for (const [k, v] of Object.entries(room)) if (v !== undefined) merged[k] = v;
  const next = rooms.slice();
  next[i] = normalize(merged);
  return next.sort(byActivity);
}

function updateRoom(rooms, roomId, fn) {
  const i = rooms.findIndex((r) => r.roomId === roomId);
  if (i === -1) return rooms;
  const updated = fn(rooms[i]);
  if (updated === rooms[i]) return rooms;
  const next = rooms.slice();
  next[i] = updated;
  return next.sort(byActivity);
}

/** A live `message` {roomId, seq, sender, ...}: preview, activity and unread of its room. */
export function applyLiveMessage(rooms, message, { me, viewing }) {
  if (!message || message.roomId == null) return rooms;
  return updateRoom(rooms, message.roomId, (r) => applyMessage(r, message, { me, viewing }));
}

/** `read` {roomId, lastReadSeq} (or a mark_read ack): the user read up to there. */
export function applyReadEvent(rooms, event) {
  if (!event || event.roomId == null) return rooms;
  return updateRoom(rooms, event.roomId, (r) => applyRead(r, event.lastReadSeq));
}

export function removeRoom(rooms, roomId) {
  return rooms.some((r) => r.roomId === roomId) ? rooms.filter((r) => r.roomId !== roomId) : rooms;
}

export function removeParticipant(rooms, roomId, username) {
  return rooms.map((r) =>
    r.roomId === roomId ? { ...r, participants: r.participants.filter((p) => p !== username) } : r,
  );
}

/**
 * Server `room_left` {roomId, username?}: when it names another user only that member goes;
 * otherwise (it is about me) the room leaves my list.
 */
export function applyRoomLeft(rooms, event, me) {
  if (!event || event.roomId == null) return rooms;
  if (event.username && event.username !== me) return removeParticipant(rooms, event.roomId, event.username);
  return removeRoom(rooms, event.roomId);
}

export function roomsReducer(state, action) {
  switch (action.type) {
    case 'set':
      return setRooms(state, action.rooms);
    case 'upsert':
      return upsertRoom(state, action.room, action.readPositions);
    case 'message':
      return applyLiveMessage(state, action.message, action);
    case 'read':
      return applyReadEvent(state, action.event);
    case 'change':
      return action.change?.roomId == null
        ? state
        : updateRoom(state, action.change.roomId, (r) => applyPreviewChange(r, action.change));
    case 'left':
      return applyRoomLeft(state, action.event, action.me);
    case 'remove':
      return removeRoom(state, action.roomId);
    case 'reset':
      return [];
    default:
      return state;
  }
}
