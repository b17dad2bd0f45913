// When a live `message` becomes a desktop notification (Notification API), and what it says.

/** Notification.permission, or 'unsupported' when the browser has no Notification API. */
export function notificationPermission(win = typeof window === 'undefined' ? undefined : window) {
  const N = win?.Notification;
  return typeof N === 'function' && typeof N.permission === 'string' ? N.permission : 'unsupported';
}

/**
 * Whether `message` deserves a notification: the user granted the permission, someone else
 * sent it, its room is not muted, and the user is not looking at it (the tab is hidden, or
 * another room is open).
 *   message: {roomId, sender, ...}   me: username   openRoomId: room on screen or null
 *   visible: tab visible (Page Visibility API)   muted: Set of room ids   permission: see above
 */
export function shouldNotify({ message, me, openRoomId, visible, muted, permission }) {
  if (permission !== 'granted') return false;
  if (!message || typeof message !== 'object' || message.roomId == null) return false;
  if (typeof message.sender !== 'string' || !message.sender || message.sender === me) return false;
  if (muted?.has(message.roomId)) return false;
  return !visible || message.roomId !== openRoomId;
}

const BODY_MAX = 180; // characters of the message shown in the notification

/** Collapse whitespace and cut to `max` characters (by code point) with an ellipsis. */
export function shortText(text, max) {
  const flat = String(text ?? '').replace(/\s+/g, ' ').trim();
  const chars = Array.from(flat);
  return chars.length > max ? `${chars.slice(0, max - 1).join('').trimEnd()}…` : flat;
}

/**
 * The notification of `message` in the room named `roomName`: title "bob in General", the
 * message as its body, tagged per room (a newer message of a room replaces the older one).
 */
export function notificationFor(message, roomName) {
  return {
    title: `${message.sender} in ${roomName || 'a room'}`,
    options: {
      body: shortText(message.content, BODY_MAX),
      tag: `minitalk-room-${message.roomId}`,
      renotify: true,
      data: { roomId: message.roomId, id: message.id ?? null },
    },
  };
}
