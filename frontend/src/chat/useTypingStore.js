import { useCallback, useEffect, useState } from 'react';
import { applyTyping, expireTyping } from '../state/typing.js';

/** Who is typing where; entries expire when the stop event never comes. */
export function useTypingStore({ socket, me }) {
  const [typing, setTyping] = useState({});

  useEffect(() => {
    if (!socket) return undefined;
    const onTyping = (ev) => setTyping((s) => applyTyping(s, ev || {}, me, Date.now()));
    socket.on('typing', onTyping);
    const timer = setInterval(() => setTyping((s) => expireTyping(s, Date.now())), 1000);
    return () => {
      socket.off('typing', onTyping);
      clearInterval(timer);
    };
  }, [socket, me]);

  const emitTyping = useCallback(
    (roomId, isTyping) => {
      if (socket?.connected) socket.emit('typing', { roomId, isTyping });
    },
    [socket],
  );

  return { typing, emitTyping };
}
