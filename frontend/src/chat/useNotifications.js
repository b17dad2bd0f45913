import { useCallback, useEffect, useRef, useState } from 'react';
import { notificationFor, notificationPermission, shouldNotify } from '../state/notify.js';

const REMEMBERED = 500; // ids of notified messages kept, so a message shown twice notifies once

const tabVisible = () => document.visibilityState !== 'hidden';

/**
 * Desktop notifications of live `message` events (rules: state/notify.js). The permission is
 * asked only by `request()`, to be called from a user gesture (a button). Clicking a
 * notification focuses the window and opens its room (`onOpen(roomId)`).
 * ctx: {me, rooms, openRoomId, muted} as of the last render.
 */
export function useNotifications({ socket, me, rooms, openRoomId, muted, onOpen }) {
  const [permission, setPermission] = useState(notificationPermission);
  const ctx = useRef(null);
  ctx.current = { me, rooms, openRoomId, muted, onOpen };
  const notified = useRef(new Set());

  useEffect(() => {
    if (!socket) return undefined;
    const onMessage = (message) => {
      const c = ctx.current;
      const rule = { message, me: c.me, openRoomId: c.openRoomId, visible: tabVisible(), muted: c.muted };
      if (!shouldNotify({ ...rule, permission: notificationPermission() })) return;
      const seen = notified.current;
      if (message.id != null) {
        if (seen.has(message.id)) return;
        seen.add(message.id);
        if (seen.size > REMEMBERED) seen.delete(seen.values().next().value);
      }
      show(message, c.rooms.find((r) => r.roomId === message.roomId)?.name, (roomId) => ctx.current.onOpen(roomId));
    };
    socket.on('message', onMessage);
    return () => socket.off('message', onMessage);
  }, [socket]);

  // the permission can change in the browser's settings while the app runs
  useEffect(() => {
    const update = () => setPermission(notificationPermission());
    document.addEventListener('visibilitychange', update);
    window.addEventListener('focus', update);
    return () => {
      document.removeEventListener('visibilitychange', update);
      window.removeEventListener('focus', update);
    };
  }, []);

  const request = useCallback(async () => {
    const N = window.Notification;
    if (typeof N?.requestPermission !== 'function') return;
    try {
      const answer = await N.requestPermission();
      setPermission(typeof answer === 'string' ? answer : notificationPermission());
    } catch {
      setPermission(notificationPermission());
    }
  }, []);

  return { permission, request };
}

function show(message, roomName, open) {
  const { title, options } = notificationFor(message, roomName);
  let n;
  try {
    n = new window.Notification(title, options);
  } catch {
    return; // e.g. Chrome on Android only shows them from a service worker
  }
  n.onclick = (e) => {
    e?.preventDefault?.();
    window.focus();
    open(message.roomId);
    n.close();
  };
}
