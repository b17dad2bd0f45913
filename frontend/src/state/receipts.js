// Pure read receipts: { [roomId]: { [username]: lastReadSeq } }, from
// GET /api/chatrooms/:roomId/receipts and live `receipt` {roomId, username, lastReadSeq}.

const toSeq = (v) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : null);

/** The REST list [{username, lastReadSeq}]; positions only move forward. */
export function setReceipts(state, roomId, list) {
  if (roomId == null || !Array.isArray(list)) return state;
  let room = { ...(state[roomId] || {}) };
  for (const r of list) room = forward(room, r?.username, r?.lastReadSeq);
  return { ...state, [roomId]: room };
}

function forward(room, username, lastReadSeq) {
  const seq = toSeq(lastReadSeq);
  if (typeof username !== 'string' || seq === null) return room;
  if ((room[username] ?? -1) >= seq) return room;
  return { ...room, [username]: seq };
}

export function applyReceipt(state, event) {
  if (!event || event.roomId == null) return state;
  const room = state[event.roomId] || {};
  const next = forward(room, event.username, event.lastReadSeq);
  return next === room ? state : { ...state, [event.roomId]: next };
}

/** Who (other than me and the sender) has read a message, by name; `room`: one room's receipts. */
export function seenBy(room, message, me) {
  if (!room || !message || typeof message.seq !== 'number') return [];
  return Object.entries(room)
    .filter(([name, seq]) => name !== me && name !== message.sender && seq >= message.seq)
    .map(([name]) => name)
    .sort((a, b) => a.localeCompare(b));
}

/** "Seen by bob", "Seen by bob and carol", "Seen by bob, carol and 3 others". */
export function seenByText(names) {
  if (!names.length) return '';
  if (names.length === 1) return `Seen by ${names[0]}`;
  if (names.length <= 3) return `Seen by ${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
  return `Seen by ${names.slice(0, 2).join(', ')} and ${names.length - 2} others`;
}
