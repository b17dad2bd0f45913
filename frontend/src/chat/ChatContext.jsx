import { createContext, useContext, useMemo } from 'react';
import { useAuth } from '../auth/AuthContext.jsx';
import { useSocket } from '../socket/useSocket.js';
import { useMessagesStore } from './useMessagesStore.js';
import { useRoomsStore } from './useRoomsStore.js';
import { useTypingStore } from './useTypingStore.js';

const ChatContext = createContext(null);

export function ChatProvider({ children }) {
  const { session, expire } = useAuth();
  const me = session?.username ?? null;
  const { socket, status, attempt } = useSocket(session?.token ?? null, expire);
  const messages = useMessagesStore({ socket, me });
  const roomsStore = useRoomsStore({
    socket,
    me,
    onRoomGone: messages.closeRoom,
    onRoomJoined: messages.catchUpRoom,
  });
  const typing = useTypingStore({ socket, me });

  const value = useMemo(
    () => ({ me, connection: { status, attempt }, ...roomsStore, messages, typing }),
    [me, status, attempt, roomsStore, messages, typing],
  );
  return <ChatContext.Provider value={value}>{children}</ChatContext.Provider>;
}

export function useChat() {
  const ctx = useContext(ChatContext);
  if (!ctx) throw new Error('useChat outside ChatProvider');
  return ctx;
}
