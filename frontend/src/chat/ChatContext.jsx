import { createContext, useCallback, useContext, useMemo, useRef, useState } from 'react';
import { useAuth } from '../auth/AuthContext.jsx';
import { usePageVisible } from '../lib/usePageVisible.js';
import { useSocket } from '../socket/useSocket.js';
import { CONNECTED } from '../state/connection.js';
import { newestSeq } from '../state/messages.js';
import { useMarkRead } from './useMarkRead.js';
import { useMessagesStore } from './useMessagesStore.js';
import { useMutes } from './useMutes.js';
import { usePresenceStore } from './usePresenceStore.js';
import { useReceiptsStore } from './useReceiptsStore.js';
import { useRoomsStore } from './useRoomsStore.js';
import { useTypingStore } from './useTypingStore.js';

const ChatContext = createContext(null);

export function ChatProvider({ children }) {
  const { session, expire } = useAuth();
  const me = session?.username ?? null;
  const { socket, status, attempt } = useSocket(session?.token ?? null, expire);
  const visible = usePageVisible();
  const [activeRoomId, setActiveRoomId] = useState(null); // the room on screen (ChatView)
  const viewing = useRef({ roomId: null, visible });
  viewing.current = { roomId: activeRoomId, visible };
  const isViewing = useCallback((roomId) => viewing.current.visible && viewing.current.roomId === roomId, []);

  const messages = useMessagesStore({ socket, me });
  const roomsStore = useRoomsStore({
    socket,
    me,
    onRoomGone: messages.closeRoom,
    onRoomJoined: messages.catchUpRoom,
    isViewing,
  });
  const typing = useTypingStore({ socket, me });
  const presence = usePresenceStore({ socket });
  const receipts = useReceiptsStore({ socket, me, onOwnRead: roomsStore.markedRead });
  const mutes = useMutes(me);

  const activeRoom = roomsStore.rooms.find((r) => r.roomId === activeRoomId);
  const activeMessages = messages.rooms[activeRoomId];
  useMarkRead({
    socket,
    connected: status === CONNECTED,
    roomId: activeRoom ? activeRoomId : null,
    viewing: visible,
    target: activeMessages?.loaded ? newestSeq(activeMessages) : null,
    serverSeq: activeRoom?.lastReadSeq ?? null,
    onRead: roomsStore.markedRead,
  });

  const value = useMemo(
    () => ({
      me,
      socket, // for the layout's own listeners (notifications, the live region)
      connection: { status, attempt },
      visible,
      ...roomsStore,
      messages,
      typing,
      presence,
      receipts,
      mutes,
      setActiveRoomId,
    }),
    [me, socket, status, attempt, visible, roomsStore, messages, typing, presence, receipts, mutes],
  );
  return <ChatContext.Provider value={value}>{children}</ChatContext.Provider>;
}

export function useChat() {
  const ctx = useContext(ChatContext);
  if (!ctx) throw new Error('useChat outside ChatProvider');
  return ctx;
}
