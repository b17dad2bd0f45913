import { useCallback, useEffect, useRef, useState } from 'react';
import * as api from '../api/endpoints.js';
import { errorMessage } from '../api/errors.js';
import { roomsReducer } from '../state/rooms.js';
import { listHasReadPositions } from '../state/roomSummary.js';
import { useStore } from '../lib/useStore.js';

/**
 * Room list: REST actions plus the room_joined / room_left socket events, and each room's
 * summary (unread, last message, activity) kept live from `message` and `read` events.
 * `isViewing(roomId)`: the user is looking at that room now (open, tab visible).
 */
export function useRoomsStore({ socket, me, onRoomGone, onRoomJoined, isViewing }) {
  const [rooms, dispatch, roomsRef] = useStore(roomsReducer, []);
  const [loaded, setLoaded] = useState(false);
  const [error, setError] = useState(null);
  const readPositions = useRef(false); // the server sends unread counts (not an old server)
  const listSeen = useRef(false); // a non-empty list told whether it does (an empty one cannot)
  // rooms this tab learnt of (room_joined, its own create) that no list from the server has
  // held yet: a list asked for before the room existed (the server's list can also lag a
  // moment behind its room_joined) must not drop it again when it arrives
  const unlisted = useRef(new Map());

  const refresh = useCallback(async () => {
    try {
      const list = await api.listRooms();
      readPositions.current = listHasReadPositions(list);
      listSeen.current = Array.isArray(list) && list.length > 0;
      dispatch({ type: 'set', rooms: list });
      const listed = new Set((Array.isArray(list) ? list : []).map((r) => r?.roomId));
      for (const [roomId, room] of unlisted.current) {
        if (listed.has(roomId)) unlisted.current.delete(roomId);
        else dispatch({ type: 'upsert', room, readPositions: readPositions.current });
      }
      setError(null);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setLoaded(true);
    }
  }, [dispatch]);

  useEffect(() => {
    if (me) refresh();
  }, [me, refresh]);

  useEffect(() => {
    if (!socket) return undefined;
    const onJoined = (room) => {
      if (!room || room.roomId == null) return;
      unlisted.current.set(room.roomId, room);
      dispatch({ type: 'upsert', room, readPositions: readPositions.current });
      // the first room of a user whose list was empty: only the server's list says whether it
      // keeps read positions (else that room would never be marked read until a reconnect)
      if (!listSeen.current) refresh();
      onRoomJoined?.(room.roomId);
    };
    const onMessage = (message) => {
      if (!message || message.roomId == null) return;
      dispatch({ type: 'message', message, me, viewing: Boolean(isViewing?.(message.roomId)) });
    };
    const onRead = (event) => dispatch({ type: 'read', event });
    const onEdited = (ev) => dispatch({ type: 'change', change: { ...ev, kind: 'edit' } });
    const onDeleted = (ev) => dispatch({ type: 'change', change: { ...ev, kind: 'delete' } });
    const onLeft = (event) => {
      if (!event || event.roomId == null) return;
      dispatch({ type: 'left', event, me });
      if (!event.username || event.username === me) {
        unlisted.current.delete(event.roomId);
        onRoomGone?.(event.roomId);
      }
    };
    socket.on('room_joined', onJoined);
    socket.on('room_left', onLeft);
    socket.on('connect', refresh);
    socket.on('message', onMessage);
    socket.on('read', onRead);
    socket.on('message_edited', onEdited);
    socket.on('message_deleted', onDeleted);
    return () => {
      socket.off('message_edited', onEdited);
      socket.off('message_deleted', onDeleted);
      socket.off('message', onMessage);
      socket.off('read', onRead);
      socket.off('room_joined', onJoined);
      socket.off('room_left', onLeft);
      socket.off('connect', refresh);
    };
  }, [socket, me, dispatch, refresh, onRoomGone, onRoomJoined, isViewing]);

  /** The user read up to lastReadSeq (own mark_read ack, own receipt). */
  const markedRead = useCallback((event) => dispatch({ type: 'read', event }), [dispatch]);

  const create = useCallback(
    async (name, participants) => {
      const room = await api.createRoom(name, participants);
      const mine = { createdBy: me, ...room };
      if (room && room.roomId != null) unlisted.current.set(room.roomId, mine);
      dispatch({ type: 'upsert', room: mine, readPositions: readPositions.current });
      return room;
    },
    [dispatch, me],
  );

  const invite = useCallback(
    async (roomId, participants) => {
      const res = await api.inviteToRoom(roomId, participants);
      const current = roomsRef.current.find((r) => r.roomId === roomId);
      const merged = Array.isArray(res?.participants)
        ? res.participants
        : [...new Set([...(current?.participants || []), ...participants])];
      dispatch({ type: 'upsert', room: { roomId, participants: merged } });
      return res;
    },
    [dispatch, roomsRef],
  );

  const leave = useCallback(
    async (roomId) => {
      await api.leaveRoom(roomId);
      unlisted.current.delete(roomId);
      dispatch({ type: 'remove', roomId });
      onRoomGone?.(roomId);
    },
    [dispatch, onRoomGone],
  );

  return { rooms, loaded, error, refresh, create, invite, leave, markedRead };
}
