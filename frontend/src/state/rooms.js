// Pure room-list state: [{roomId, name, participants, createdBy, createdAt}]

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
  };
}

function byName(a, b) {
  return String(a.name).localeCompare(String(b.name)) || String(a.roomId).localeCompare(String(b.roomId));
}

export function setRooms(_rooms, list) {
  if (!Array.isArray(list)) return [];
  const seen = new Map();
  for (const r of list) if (r && r.roomId != null) seen.set(r.roomId, normalize(r));
  return [...seen.values()].sort(byName);
}

/** Add or update a room; missing fields keep their old value. */
export function upsertRoom(rooms, room) {
  if (!room || room.roomId == null) return rooms;
  const i = rooms.findIndex((r) => r.roomId === room.roomId);
  if (i === -1) return [...rooms, normalize(room)].sort(byName);
  const merged = { ...rooms[i] };
  for (const [k, v] of Object.entries(room)) if (v !== undefined) merged[k] = v;
  const next = rooms.slice();
  next[i] = normalize(merged);
  return next.sort(byName);
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
      return upsertRoom(state, action.room);
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
