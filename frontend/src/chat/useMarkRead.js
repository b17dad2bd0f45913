import { useEffect, useRef, useState } from 'react';
import { initialMarkRead, markAcked, markFailed, markSent, nextMarkRead, serverMoved } from '../state/markRead.js';

export const MARK_READ_ACK_TIMEOUT_MS = 10000;

/**
 * Marks the open room read up to its newest message while it is on screen (state/markRead.js
 * decides when). `target`: newest seq shown; `serverSeq`: the room list's lastReadSeq (null on
 * a server without read positions: nothing is sent). onRead({roomId, lastReadSeq}) on each ack.
 */
export function useMarkRead({ socket, connected, roomId, viewing, target, serverSeq, onRead }) {
  const current = useRef({ roomId: null, state: initialMarkRead() });
  const [tick, setTick] = useState(0); // an ack or a wait ended: decide again
  if (current.current.roomId !== roomId) current.current = { roomId, state: initialMarkRead(serverSeq ?? 0) };

  useEffect(() => {
    const slot = current.current;
    slot.state = serverMoved(slot.state, serverSeq);
    if (!socket || !connected || !roomId) return undefined;
    const step = nextMarkRead(slot.state, { target, viewing, serverSeq, now: Date.now() });
    if (!step) return undefined;
    if (step.waitMs !== undefined) {
      const timer = setTimeout(() => setTick((t) => t + 1), step.waitMs);
      return () => clearTimeout(timer);
    }
    slot.state = markSent(slot.state, step.send, Date.now());
    socket.timeout(MARK_READ_ACK_TIMEOUT_MS).emit('mark_read', { roomId, seq: step.send }, (err, ack) => {
      if (!err && ack?.ok) {
        const lastReadSeq = typeof ack.lastReadSeq === 'number' ? ack.lastReadSeq : step.send;
        slot.state = markAcked(slot.state, lastReadSeq);
        onRead?.({ roomId, lastReadSeq });
      } else {
        slot.state = markFailed(slot.state, ack?.retryAfterMs);
      }
      setTick((t) => t + 1);
    });
    return undefined;
  }, [socket, connected, roomId, viewing, target, serverSeq, tick, onRead]);
}
