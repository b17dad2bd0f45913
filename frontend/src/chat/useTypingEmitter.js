import { useCallback, useEffect, useRef } from 'react';

const REPEAT_MS = 2000; // re-announce while typing goes on
const IDLE_MS = 3000; // stop after this long without a keystroke

/** Emits typing {isTyping:true} at most every 2 s while typing, and {isTyping:false} when idle. */
export function useTypingEmitter(roomId, emitTyping) {
  const last = useRef(0);
  const idle = useRef(null);
  const active = useRef(false);

  const stop = useCallback(() => {
    clearTimeout(idle.current);
    if (active.current) {
      active.current = false;
      last.current = 0;
      emitTyping(roomId, false);
    }
  }, [roomId, emitTyping]);

  const keystroke = useCallback(() => {
    const now = Date.now();
    if (!active.current || now - last.current > REPEAT_MS) {
      active.current = true;
      last.current = now;
      emitTyping(roomId, true);
    }
    clearTimeout(idle.current);
    idle.current = setTimeout(stop, IDLE_MS);
  }, [roomId, emitTyping, stop]);

  useEffect(() => stop, [stop]); // leaving the room stops typing there

  return { keystroke, stop };
}
