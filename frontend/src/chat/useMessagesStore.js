import { useCallback, useEffect, useRef, useState } from 'react';
import * as api from '../api/endpoints.js';
import { errorMessage } from '../api/errors.js';
import { newClientMsgId } from '../lib/id.js';
import { useStore } from '../lib/useStore.js';
import { catchUp, CATCH_UP_LIMIT } from '../state/catchUp.js';
import { catchUpCursor, findByClientMsgId, messagesReducer, oldestSeq } from '../state/messages.js';
import { useMessageChanges } from './useMessageChanges.js';

export const HISTORY_LIMIT = 50;
export const ACK_TIMEOUT_MS = 10000;

/** Messages of every opened room: history, older pages, live events, sends, catch-up. */
export function useMessagesStore({ socket, me }) {
  const [rooms, dispatch, ref] = useStore(messagesReducer, {});
  const [roomErrors, setRoomErrors] = useState({});
  const [loadingOlder, setLoadingOlder] = useState({});
  const busy = useRef(new Map()); // roomId -> {running, again}

  const setError = useCallback(
    (roomId, message) => setRoomErrors((e) => (e[roomId] === message ? e : { ...e, [roomId]: message })),
    [],
  );

  // initial history, or catch-up from the cursor; serialized per room
  const sync = useCallback(
    async (roomId) => {
      const state = busy.current.get(roomId) || { running: false, again: false };
      busy.current.set(roomId, state);
      if (state.running) {
        state.again = true;
        return;
      }
      state.running = true;
      try {
        do {
          state.again = false;
          const room = ref.current[roomId];
          if (!room) break;
          const cursor = catchUpCursor(room);
          if (cursor === null) {
            const page = await api.fetchMessages(roomId, { limit: HISTORY_LIMIT });
            dispatch({ type: 'history', roomId, messages: page, limit: HISTORY_LIMIT });
          } else {
            await catchUp({
              after: cursor,
              limit: CATCH_UP_LIMIT,
              fetchPage: (p) => api.fetchMessages(roomId, p),
              onPage: (messages) => dispatch({ type: 'catchUpPage', roomId, messages }),
            });
            dispatch({ type: 'markLive', roomId });
            // edits, deletes and reactions made while away change messages older than the
            // cursor: the newest page is fetched again (older ones refresh when reloaded)
            const newest = await api.fetchMessages(roomId, { limit: HISTORY_LIMIT });
            dispatch({ type: 'refresh', roomId, messages: newest });
          }
          setError(roomId, null);
        } while (state.again);
      } catch (err) {
        setError(roomId, errorMessage(err));
      } finally {
        state.running = false;
      }
    },
    [dispatch, ref, setError],
  );

  const openRoom = useCallback(
    (roomId) => {
      dispatch({ type: 'open', roomId });
      if (!ref.current[roomId]?.loaded) sync(roomId);
      if (socket?.connected) socket.emit('join_room', { roomId });
    },
    [dispatch, ref, sync, socket],
  );

  const closeRoom = useCallback((roomId) => dispatch({ type: 'close', roomId }), [dispatch]);

  const catchUpRoom = useCallback(
    (roomId) => {
      if (ref.current[roomId]) sync(roomId);
    },
    [ref, sync],
  );

  const loadOlder = useCallback(
    async (roomId) => {
      const room = ref.current[roomId];
      const before = room && oldestSeq(room);
      if (!room?.hasMoreOlder || before === null || loadingOlder[roomId]) return;
      setLoadingOlder((l) => ({ ...l, [roomId]: true }));
      try {
        const page = await api.fetchMessages(roomId, { limit: HISTORY_LIMIT, before });
        dispatch({ type: 'older', roomId, messages: page, limit: HISTORY_LIMIT });
      } catch (err) {
        setError(roomId, errorMessage(err));
      } finally {
        setLoadingOlder((l) => ({ ...l, [roomId]: false }));
      }
    },
    [dispatch, ref, loadingOlder, setError],
  );

  const emitSend = useCallback(
    (roomId, content, clientMsgId) => {
      if (!socket) {
        dispatch({ type: 'failed', roomId, clientMsgId, error: 'Not connected' });
        return;
      }
      socket.timeout(ACK_TIMEOUT_MS).emit('send_message', { roomId, content, clientMsgId }, (err, ack) => {
        if (err) dispatch({ type: 'failed', roomId, clientMsgId, error: 'No answer from the server' });
        else if (ack && ack.ok) dispatch({ type: 'ack', roomId, clientMsgId, ack });
        else dispatch({ type: 'failed', roomId, clientMsgId, error: ack?.error || 'Not sent' });
      });
    },
    [socket, dispatch],
  );

  const send = useCallback(
    (roomId, content) => {
      const clientMsgId = newClientMsgId();
      const entry = { clientMsgId, roomId, sender: me, content, timestamp: new Date().toISOString() };
      dispatch({ type: 'pending', roomId, entry });
      emitSend(roomId, content, clientMsgId);
      return clientMsgId;
    },
    [dispatch, emitSend, me],
  );

  const retry = useCallback(
    (roomId, clientMsgId) => {
      const room = ref.current[roomId];
      const entry = room && findByClientMsgId(room, clientMsgId);
      if (!entry || entry.status !== 'failed') return;
      dispatch({ type: 'retry', roomId, clientMsgId });
      emitSend(roomId, entry.content, clientMsgId); // same clientMsgId: the server drops a duplicate
    },
    [dispatch, emitSend, ref],
  );

  useEffect(() => {
    if (!socket) return undefined;
    const onMessage = (m) => {
      if (m && m.roomId != null) dispatch({ type: 'live', roomId: m.roomId, message: m });
    };
    const onDisconnect = () => dispatch({ type: 'staleAll' });
    const onConnect = () => {
      for (const roomId of Object.keys(ref.current)) {
        socket.emit('join_room', { roomId });
        sync(roomId);
      }
    };
    socket.on('message', onMessage);
    socket.on('disconnect', onDisconnect);
    socket.on('connect', onConnect);
    return () => {
      socket.off('message', onMessage);
      socket.off('disconnect', onDisconnect);
      socket.off('connect', onConnect);
    };
  }, [socket, dispatch, ref, sync]);

  const changes = useMessageChanges({ socket, dispatch, me });

  return { rooms, roomErrors, loadingOlder, openRoom, closeRoom, catchUpRoom, loadOlder, send, retry, ...changes };
}
