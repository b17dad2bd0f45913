import { useCallback, useEffect, useState } from 'react';
import styled from 'styled-components';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { useChat } from '../chat/ChatContext.jsx';
import { Composer } from '../components/Composer.jsx';
import { MessageList } from '../components/MessageList.jsx';
import { RoomHeader } from '../components/RoomHeader.jsx';
import { TypingIndicator } from '../components/TypingIndicator.jsx';
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
  const { openRoom, send, retry, loadOlder } = messages;
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
      />
      <TypingIndicator typing={typing.typing} roomId={roomId} />
      <Composer key={`composer-${roomId}`} roomId={roomId} onSend={onSend} emitTyping={typing.emitTyping} />
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
