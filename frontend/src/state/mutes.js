// Per-room mute, per user, kept in localStorage as a JSON array of room ids under
// `minitalk:muted:<user>`. A muted room raises no desktop notification and its unread count is
// left out of the tab title (its badge is still shown, dimmed).

/** The localStorage key of a user's muted rooms. */
export function mutesKey(user) {
  return `minitalk:muted:${encodeURIComponent(user)}`;
}

/** Parse what the storage holds: anything but an array of strings counts as nothing muted. */
export function parseMutes(raw) {
  if (typeof raw !== 'string' || !raw) return new Set();
  try {
    const list = JSON.parse(raw);
    return new Set(Array.isArray(list) ? list.filter((id) => typeof id === 'string' && id) : []);
  } catch {
    return new Set();
  }
}

export function loadMutes(storage, user) {
  if (!storage || !user) return new Set();
  try {
    return parseMutes(storage.getItem(mutesKey(user)));
  } catch {
    return new Set();
  }
}

/** Returns whether the storage took it (the mute still holds for this tab if not). */
export function saveMutes(storage, user, muted) {
  if (!storage || !user) return false;
  try {
    if (muted.size) storage.setItem(mutesKey(user), JSON.stringify([...muted].sort()));
    else storage.removeItem(mutesKey(user));
    return true;
  } catch {
    return false;
  }
}

/** A new set with `roomId` muted (`on`) or not; the same set when nothing changes. */
export function setMuted(muted, roomId, on) {
  if (muted.has(roomId) === on) return muted;
  const next = new Set(muted);
  if (on) next.add(roomId);
  else next.delete(roomId);
  return next;
}
