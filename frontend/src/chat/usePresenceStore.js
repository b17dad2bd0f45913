import { useCallback, useEffect } from 'react';
import * as api from '../api/endpoints.js';
import { useStore } from '../lib/useStore.js';
import { presenceReducer } from '../state/presence.js';

/** Who is online in each room: `presence` / `presence_changed` events, REST on room open. */
export function usePresenceStore({ socket }) {
  const [presence, dispatch] = useStore(presenceReducer, {});

  useEffect(() => {
    if (!socket) return undefined;
    const onSnapshot = (event) => dispatch({ type: 'snapshot', event });
    const onChanged = (event) => dispatch({ type: 'changed', event });
    const onDisconnect = () => dispatch({ type: 'forget' });
    socket.on('presence', onSnapshot);
    socket.on('presence_changed', onChanged);
    socket.on('disconnect', onDisconnect);
    return () => {
      socket.off('presence', onSnapshot);
      socket.off('presence_changed', onChanged);
      socket.off('disconnect', onDisconnect);
    };
  }, [socket, dispatch]);

  // the socket's snapshot is newer when both arrive, so REST only fills a gap; an old server
  // answers 404 and the room stays "unknown" (no dots)
  const load = useCallback(
    async (roomId) => {
      try {
        const event = await api.fetchPresence(roomId);
        dispatch({ type: 'snapshotIfUnknown', event });
      } catch {
        // unknown stays unknown
      }
    },
    [dispatch],
  );

  return { presence, load };
}
