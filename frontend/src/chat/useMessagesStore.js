import { useCallback, useEffect, useRef, useState } from 'react';
import * as api from '../api/endpoints.js';
import { errorMessage } from '../api/errors.js';
import { newClientMsgId } from '../lib/id.js';
import { useStore } from '../lib/useStore.js';
import { catchUp, CATCH_UP_LIMIT } from '../state/catchUp.js';
import { catchUpCursor, caughtUp, findByClientMsgId, messagesReducer, oldestSeq } from '../state/messages.js';
import { useMessageChanges } from './useMessageChanges.js';

export const HISTORY_LIMIT = 50;
export const ACK_TIMEOUT_MS = 10000;
/** A catch-up whose history is behind what came live asks again this often, this many times. */
export const HISTORY_BEHIND_RETRY_MS = 300;
export const HISTORY_BEHIND_TRIES = 20;
// a send refused with a retryAfterMs is sent again by itself this many times
export const AUTO_RETRIES = 3;
const MAX_RETRY_WAIT_MS = 10000;

/** How long a refusal asks to wait before the same send is tried again (0: not to be retried). */
export function retryWait(ack) {
  const wait = ack?.retryAfterMs;
  if (typeof wait !== 'number' || !(wait > 0)) return 0;
  return Math.min(wait, MAX_RETRY_WAIT_MS) + Math.floor(Math.random() * 50); // spread the retries
}

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
            const pages = (after) =>
              catchUp({
                after,
                limit: CATCH_UP_LIMIT,
                fetchPage: (p) => api.fetchMessages(roomId, p),
                onPage: (messages) => dispatch({ type: 'catchUpPage', roomId, messages }),
              });
            await pages(cursor);
            for (let tries = 1; ; tries += 1) {
              dispatch({ type: 'markLive', roomId });
              const now = ref.current[roomId];
              // history still behind the first live message: ask again (the persister stores
              // what realtime delivered a moment later); after the last try the room stays
              // stale, its cursor before the gap, and the next reconnect catches up from there
              if (!now || caughtUp(now) || tries >= HISTORY_BEHIND_TRIES) break;
              await new Promise((resolve) => setTimeout(resolve, HISTORY_BEHIND_RETRY_MS));
              await pages(catchUpCursor(now));
            }
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
      // a refusal that says when to try again (the server busy, a rate limit) is sent again
      // by itself after that wait, same clientMsgId, up to AUTO_RETRIES times: the message
      // stays "sending" meanwhile and is marked failed only after the last one
      const attempt = (retries) => {
        if (!socket) {
          dispatch({ type: 'failed', roomId, clientMsgId, error: 'Not connected' });
          return;
        }
        socket.timeout(ACK_TIMEOUT_MS).emit('send_message', { roomId, content, clientMsgId }, (err, ack) => {
          if (err) {
            dispatch({ type: 'failed', roomId, clientMsgId, error: 'No answer from the server' });
            return;
          }
          if (ack && ack.ok) {
            dispatch({ type: 'ack', roomId, clientMsgId, ack });
            return;
          }
          const wait = retries < AUTO_RETRIES ? retryWait(ack) : 0;
          if (wait > 0) setTimeout(() => attempt(retries + 1), wait);
          else dispatch({ type: 'failed', roomId, clientMsgId, error: ack?.error || 'Not sent' });
        });
      };
      attempt(0);
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
