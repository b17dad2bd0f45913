// Composer drafts: one per user and room, kept in localStorage across room switches and
// reloads, removed once sent (or emptied). `storage` is a Web Storage (localStorage) or null;
// a storage that refuses (private mode, quota) only loses the draft, never the typing.

/** The localStorage key of a draft: `minitalk:draft:<user>:<roomId>` (both URI-encoded). */
export function draftKey(user, roomId) {
  return `minitalk:draft:${encodeURIComponent(user)}:${encodeURIComponent(roomId)}`;
}

/** The saved draft of that room, '' when there is none. */
export function loadDraft(storage, user, roomId) {
  if (!storage || !user || roomId == null) return '';
  try {
    const text = storage.getItem(draftKey(user, roomId));
    return typeof text === 'string' ? text : '';
  } catch {
    return '';
  }
}

/** Keep `text` as that room's draft ('' removes it). Returns whether the storage took it. */
export function saveDraft(storage, user, roomId, text) {
  if (!storage || !user || roomId == null) return false;
  try {
    if (text) storage.setItem(draftKey(user, roomId), text);
    else storage.removeItem(draftKey(user, roomId));
    return true;
  } catch {
    return false;
  }
}

/** The draft was sent. */
export function clearDraft(storage, user, roomId) {
  return saveDraft(storage, user, roomId, '');
}
