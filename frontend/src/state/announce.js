// What the polite live region says about new messages: only live messages of the open room
// from someone else (the rest is told by badges, the title and notifications).

const SPOKEN_MAX = 300; // characters of a message read out

/** "bob: see you at 8" for a live `message` in the open room from someone else, else null. */
export function announcementFor(message, { me, openRoomId }) {
  if (!message || typeof message !== 'object' || message.roomId == null) return null;
  if (message.roomId !== openRoomId || !message.sender || message.sender === me) return null;
  const chars = Array.from(String(message.content ?? '').replace(/\s+/g, ' ').trim());
  const text = chars.length > SPOKEN_MAX ? `${chars.slice(0, SPOKEN_MAX).join('')}…` : chars.join('');
  return { id: message.id ?? `${message.roomId}:${message.seq}`, text: `${message.sender}: ${text}` };
}

/** Keep the newest `keep` announcements, each once (a message may arrive twice). */
export function addAnnouncement(list, item, keep = 3) {
  if (!item || list.some((a) => a.id === item.id)) return list;
  return [...list, item].slice(-keep);
}

/** Forget an announcement (its message was deleted, or it was read out long ago). */
export function dropAnnouncement(list, id) {
  return list.some((a) => a.id === id) ? list.filter((a) => a.id !== id) : list;
}
