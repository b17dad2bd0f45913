import { useEffect, useRef, useState } from 'react';
import { addAnnouncement, announcementFor, dropAnnouncement } from '../state/announce.js';

/** How long an announcement stays in the live region (it is read out when it is added). */
export const ANNOUNCE_MS = 5000;

/**
 * The texts of the polite live region: live messages of the open room from others
 * (state/announce.js). Each leaves after ANNOUNCE_MS, at once when its message is deleted, and
 * all when another room opens.
 */
export function useAnnouncer({ socket, me, openRoomId }) {
  const [list, setList] = useState([]);
  const ctx = useRef(null);
  ctx.current = { me, openRoomId };

  useEffect(() => setList([]), [openRoomId]);

  useEffect(() => {
    if (!socket) return undefined;
    const timers = new Set();
    const onMessage = (message) => {
      const item = announcementFor(message, ctx.current);
      if (!item) return;
      setList((l) => addAnnouncement(l, item));
      const timer = setTimeout(() => {
        timers.delete(timer);
        setList((l) => dropAnnouncement(l, item.id));
      }, ANNOUNCE_MS);
      timers.add(timer);
    };
    const onDeleted = (ev) => {
      if (ev && ev.id != null) setList((l) => dropAnnouncement(l, ev.id));
    };
    socket.on('message', onMessage);
    socket.on('message_deleted', onDeleted);
    return () => {
      socket.off('message', onMessage);
      socket.off('message_deleted', onDeleted);
      for (const t of timers) clearTimeout(t);
    };
  }, [socket]);

  return list;
}
