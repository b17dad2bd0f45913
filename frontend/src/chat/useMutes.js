import { useCallback, useEffect, useMemo, useState } from 'react';
import { localStore } from '../lib/storage.js';
import { loadMutes, mutesKey, parseMutes, saveMutes, setMuted } from '../state/mutes.js';

/**
 * The user's muted rooms (state/mutes.js), persisted in localStorage and followed across tabs
 * (a `storage` event from another tab of the same user updates this one).
 */
export function useMutes(me) {
  const [muted, setMutedSet] = useState(() => loadMutes(localStore(), me));

  useEffect(() => {
    setMutedSet(loadMutes(localStore(), me));
    const onStorage = (e) => {
      if (e.key === mutesKey(me)) setMutedSet(parseMutes(e.newValue));
      else if (e.key === null) setMutedSet(loadMutes(localStore(), me)); // storage cleared
    };
    window.addEventListener('storage', onStorage);
    return () => window.removeEventListener('storage', onStorage);
  }, [me]);

  /** Mute (`on` true) or unmute a room; without `on`, toggle it. */
  const toggleMute = useCallback(
    (roomId, on) => {
      setMutedSet((prev) => {
        const next = setMuted(prev, roomId, on ?? !prev.has(roomId));
        if (next !== prev) saveMutes(localStore(), me, next);
        return next;
      });
    },
    [me],
  );

  return useMemo(() => ({ muted, toggleMute }), [muted, toggleMute]);
}
