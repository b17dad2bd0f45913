// Pure presence state: { [roomId]: sorted usernames online }. A room missing from the state is
// "unknown" (no snapshot yet, a disconnected socket, or a server without presence): no dots.

const sortedUnique = (names) =>
  [...new Set(names.filter((n) => typeof n === 'string' && n !== ''))].sort((a, b) => a.localeCompare(b));

/** `presence` {roomId, online:[...]} (socket) or the REST snapshot: replaces the room's set. */
export function applySnapshot(state, event) {
  if (!event || event.roomId == null || !Array.isArray(event.online)) return state;
  return { ...state, [event.roomId]: sortedUnique(event.online) };
}

/**
 * `presence_changed` {roomId, username, online}. Ignored for a room without a snapshot: one
 * change does not tell who else is online (the snapshot follows on join).
 */
export function applyChange(state, event) {
  if (!event || event.roomId == null || typeof event.username !== 'string') return state;
  const current = state[event.roomId];
  if (!current) return state;
  const has = current.includes(event.username);
  if (event.online === true && !has) return { ...state, [event.roomId]: sortedUnique([...current, event.username]) };
  if (event.online === false && has) return { ...state, [event.roomId]: current.filter((n) => n !== event.username) };
  return state;
}

/** true / false, or null when the room's presence is unknown. I am online while I look. */
export function isOnline(state, roomId, username, me) {
  const online = state[roomId];
  if (!online) return null;
  return username === me || online.includes(username);
}

/** How many of the room's members are online (null when unknown). */
export function onlineCount(state, roomId, members, me) {
  if (!state[roomId]) return null;
  return members.filter((m) => isOnline(state, roomId, m, me)).length;
}

export function presenceReducer(state, action) {
  switch (action.type) {
    case 'snapshot':
      return applySnapshot(state, action.event);
    case 'snapshotIfUnknown':
      return state[action.event?.roomId] ? state : applySnapshot(state, action.event);
    case 'changed':
      return applyChange(state, action.event);
    case 'forget': // socket lost: what we knew is no longer kept up to date
      return Object.keys(state).length ? {} : state;
    default:
      return state;
  }
}
