// Pure typing-indicator state: { [roomId]: { [username]: expiresAtMs } }

export const TYPING_TTL_MS = 5000;

export function applyTyping(state, { roomId, username, isTyping }, me, now, ttl = TYPING_TTL_MS) {
  if (!roomId || !username || username === me) return state;
  const room = { ...(state[roomId] || {}) };
  if (isTyping) room[username] = now + ttl;
  else if (username in room) delete room[username];
  else return state;
  return { ...state, [roomId]: room };
}

/** Drop entries whose stop event never came. Returns the same object when nothing expired. */
export function expireTyping(state, now) {
  let changed = false;
  const next = {};
  for (const [roomId, users] of Object.entries(state)) {
    const kept = {};
    for (const [u, until] of Object.entries(users)) {
      if (until > now) kept[u] = until;
      else changed = true;
    }
    next[roomId] = kept;
  }
  return changed ? next : state;
}

export function typingUsers(state, roomId, now) {
  const users = state[roomId] || {};
  return Object.keys(users)
    .filter((u) => users[u] > now)
    .sort();
}

export function typingText(users) {
  if (users.length === 0) return '';
  if (users.length === 1) return `${users[0]} is typing…`;
  if (users.length === 2) return `${users[0]} and ${users[1]} are typing…`;
  return `${users.length} people are typing…`;
}
