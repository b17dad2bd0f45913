import { useCallback, useEffect } from 'react';

export const CHANGE_ACK_TIMEOUT_MS = 10000;

/**
 * Edits, deletes and reactions (issue 16): `message_edited`, `message_deleted` and `reaction`
 * events in, `edit_message` / `delete_message` / `react` out. Each action resolves to
 * {ok:true} or {ok:false, error} (the server's words, or "No answer from the server") and never
 * throws; what the user typed stays with the caller until {ok:true}.
 */
export function useMessageChanges({ socket, dispatch, me }) {
  const apply = useCallback(
    (roomId, change) => dispatch({ type: 'change', roomId, change }),
    [dispatch],
  );

  const request = useCallback(
    (event, payload) =>
      new Promise((resolve) => {
        if (!socket?.connected) {
          resolve({ ok: false, error: 'Not connected — try again when the connection is back' });
          return;
        }
        socket.timeout(CHANGE_ACK_TIMEOUT_MS).emit(event, payload, (err, ack) => {
          if (err) resolve({ ok: false, error: 'No answer from the server' });
          else if (ack && ack.ok) resolve(ack);
          else resolve({ ok: false, error: ack?.error || 'Refused by the server' });
        });
      }),
    [socket],
  );

  const editMessage = useCallback(
    async (roomId, id, content) => {
      const ack = await request('edit_message', { roomId, id, content });
      if (ack.ok) apply(roomId, { kind: 'edit', id, content, seq: ack.seq, editedAt: ack.editedAt });
      return ack;
    },
    [request, apply],
  );

  const deleteMessage = useCallback(
    async (roomId, id) => {
      const ack = await request('delete_message', { roomId, id });
      if (ack.ok) apply(roomId, { kind: 'delete', id, seq: ack.seq });
      return ack;
    },
    [request, apply],
  );

  const react = useCallback(
    async (roomId, id, emoji, on) => {
      const ack = await request('react', { roomId, id, emoji, on });
      if (ack.ok) apply(roomId, { kind: 'reaction', id, emoji, on, username: me, seq: null });
      return ack;
    },
    [request, apply, me],
  );

  useEffect(() => {
    if (!socket) return undefined;
    const on = (kind) => (ev) => {
      if (ev && ev.roomId != null && ev.id != null) apply(ev.roomId, { ...ev, kind });
    };
    const handlers = {
      message_edited: on('edit'),
      message_deleted: on('delete'),
      reaction: on('reaction'),
    };
    for (const [event, fn] of Object.entries(handlers)) socket.on(event, fn);
    return () => {
      for (const [event, fn] of Object.entries(handlers)) socket.off(event, fn);
    };
  }, [socket, apply]);

  return { editMessage, deleteMessage, react };
}
