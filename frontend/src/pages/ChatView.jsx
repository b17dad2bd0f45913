import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import styled from 'styled-components';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { useChat } from '../chat/ChatContext.jsx';
import { Composer } from '../components/Composer.jsx';
import { MessageList } from '../components/MessageList.jsx';
import { RoomHeader } from '../components/RoomHeader.jsx';
import { TypingIndicator } from '../components/TypingIndicator.jsx';
import { lastEditable } from '../state/messageChanges.js';
import { nextMarker } from '../state/newMessages.js';
import { ErrorText } from '../styles/ui.js';

const Notice = styled.div`
  padding: 24px;
  color: ${(p) => p.theme.muted};
`;

export function ChatView() {
  const { roomId } = useParams();
  const navigate = useNavigate();
  const { me, rooms, loaded, invite, leave, messages, typing, presence, receipts, visible, setActiveRoomId } =
    useChat();
  const room = rooms.find((r) => r.roomId === roomId);
  const { openRoom, send, retry, loadOlder, editMessage, deleteMessage, react } = messages;
  const loadPresence = presence.load;
  const loadReceipts = receipts.load;

  // where the user stopped reading, fixed while the room stays open (state/newMessages.js)
  const [marker, setMarker] = useState(null);
  const nextMark = room ? nextMarker(marker, { roomId, room, visible }) : marker;
  if (nextMark !== marker) setMarker(nextMark);

  useEffect(() => {
    if (!room) return;
    openRoom(roomId);
    loadPresence(roomId);
    loadReceipts(roomId);
  }, [room ? roomId : null, openRoom, loadPresence, loadReceipts]); // eslint-disable-line react-hooks/exhaustive-deps

  useEffect(() => {
    setActiveRoomId(roomId);
    return () => setActiveRoomId(null);
  }, [roomId, setActiveRoomId]);

  const onSend = useCallback((content) => send(roomId, content), [send, roomId]);
  const onRetry = useCallback((clientMsgId) => retry(roomId, clientMsgId), [retry, roomId]);
  const onLoadOlder = useCallback(() => loadOlder(roomId), [loadOlder, roomId]);

  // the message being edited (one at a time); the composer gets the focus back when it is done
  const [editingId, setEditingId] = useState(null);
  useEffect(() => setEditingId(null), [roomId]);
  const entriesRef = useRef([]);
  entriesRef.current = messages.rooms[roomId]?.entries ?? [];
  const stopEditing = useCallback(() => {
    setEditingId(null);
    document.getElementById('message-input')?.focus();
  }, []);
  const onEditLast = useCallback(() => {
    const last = lastEditable(entriesRef.current, me);
    if (last) setEditingId(last.id);
    return Boolean(last);
  }, [me]);
  const changes = useMemo(
    () => ({
      onStartEdit: setEditingId,
      onStopEdit: stopEditing,
      onEdit: async (id, content) => {
        const ack = await editMessage(roomId, id, content);
        if (ack.ok) stopEditing();
        return ack;
      },
      onDelete: (id) => deleteMessage(roomId, id),
      onReact: (id, emoji, on) => react(roomId, id, emoji, on),
    }),
    [roomId, editMessage, deleteMessage, react, stopEditing],
  );

  if (!room) {
    return (
      <Notice>
        {loaded ? (
          <>
            <p>This room is not in your list (you may have left it).</p>
            <Link to="/">Back to your rooms</Link>
          </>
        ) : (
          <p>Loading room…</p>
        )}
      </Notice>
    );
  }

  const state = messages.rooms[roomId];
  const error = messages.roomErrors[roomId];
  return (
    <>
      <RoomHeader
        key={roomId}
        room={room}
        me={me}
        presence={presence.presence}
        onInvite={(names) => invite(roomId, names)}
        onLeave={async () => {
          await leave(roomId);
          navigate('/', { replace: true });
        }}
      />
      {error && (
        <ErrorText role="alert" style={{ padding: '0 12px' }}>
          {error}
        </ErrorText>
      )}
      <MessageList
        key={`list-${roomId}`}
        room={state}
        me={me}
        markerAfterSeq={marker?.roomId === roomId ? marker.afterSeq : null}
        receipts={receipts.receipts[roomId]}
        loadingOlder={Boolean(messages.loadingOlder[roomId])}
        onLoadOlder={onLoadOlder}
        onRetry={onRetry}
        roomCreator={room.createdBy ?? null}
        editingId={editingId}
        changes={changes}
      />
      <TypingIndicator typing={typing.typing} roomId={roomId} />
      <Composer
        key={`composer-${roomId}`}
        roomId={roomId}
        onSend={onSend}
        emitTyping={typing.emitTyping}
        onEditLast={onEditLast}
      />
    </>
  );
}

export function NoRoomSelected() {
  return (
    <Notice>
      <p>Pick a room on the left, or create one.</p>
    </Notice>
  );
}
