import { useCallback, useEffect } from 'react';
import styled from 'styled-components';
import { Outlet, useLocation, useMatch, useNavigate } from 'react-router-dom';
import { useAuth } from '../auth/AuthContext.jsx';
import { useChat } from '../chat/ChatContext.jsx';
import { ConnectionBanner } from '../components/ConnectionBanner.jsx';
import { useAnnouncer } from '../chat/useAnnouncer.js';
import { useNotifications } from '../chat/useNotifications.js';
import { CreateRoomForm } from '../components/CreateRoomForm.jsx';
import { LiveAnnouncer } from '../components/LiveAnnouncer.jsx';
import { NotificationControl } from '../components/NotificationControl.jsx';
import { RoomList } from '../components/RoomList.jsx';
import { titleWithUnread, totalUnread } from '../state/roomSummary.js';
import { Button, ErrorText } from '../styles/ui.js';

const Shell = styled.div`
  height: 100vh;
  height: 100dvh;
  display: flex;
  flex-direction: column;
`;

const Header = styled.header`
  display: flex;
  align-items: center;
  gap: 8px;
  padding: 8px 12px;
  background: ${(p) => p.theme.surface};
  border-bottom: 1px solid ${(p) => p.theme.border};
  h1 { font-size: 1.15rem; margin: 0; flex: 1; }
  .me { color: ${(p) => p.theme.muted}; font-size: 0.9rem; overflow: hidden; text-overflow: ellipsis; }
`;

const Body = styled.div`
  flex: 1;
  min-height: 0;
  display: grid;
  grid-template-columns: 300px 1fr;
  @media (max-width: ${(p) => p.theme.narrow}) {
    grid-template-columns: 1fr;
  }
`;

const Sidebar = styled.aside`
  background: ${(p) => p.theme.surface};
  border-right: 1px solid ${(p) => p.theme.border};
  overflow-y: auto;
  min-height: 0;
  @media (max-width: ${(p) => p.theme.narrow}) {
    display: ${(p) => (p.$hidden ? 'none' : 'block')};
    border-right: 0;
  }
`;

const Main = styled.main`
  min-width: 0;
  min-height: 0;
  display: flex;
  flex-direction: column;
  @media (max-width: ${(p) => p.theme.narrow}) {
    display: ${(p) => (p.$hidden ? 'none' : 'flex')};
  }
`;

export function ChatLayout() {
  const { session, logout } = useAuth();
  const { socket, rooms, loaded, error, create, connection, visible, mutes } = useChat();
  const roomId = useMatch('/rooms/:roomId')?.params.roomId;
  const navigate = useNavigate();
  const unreadTotal = totalUnread(rooms, visible ? roomId : null, mutes.muted);

  useEffect(() => {
    document.title = titleWithUnread(unreadTotal);
    return () => {
      document.title = titleWithUnread(0);
    };
  }, [unreadTotal]);

  // "Back to rooms" (phone): the focus goes back to the room just left, in the list
  const location = useLocation();
  const focusRoomId = location.state?.focusRoomId;
  useEffect(() => {
    if (focusRoomId == null) return;
    const items = document.querySelectorAll('[data-testid="room-item"]');
    const item = [...items].find((el) => el.getAttribute('data-room-id') === String(focusRoomId));
    item?.querySelector('a')?.focus();
  }, [location.key, focusRoomId]);

  const openRoom = useCallback((id) => navigate(`/rooms/${encodeURIComponent(id)}`), [navigate]);
  const notifications = useNotifications({
    socket,
    me: session.username,
    rooms,
    openRoomId: roomId ?? null,
    muted: mutes.muted,
    onOpen: openRoom,
  });
  const announcements = useAnnouncer({ socket, me: session.username, openRoomId: roomId ?? null });

  return (
    <Shell>
      <Header>
        <h1>MiniTalk</h1>
        <span className="me" data-testid="current-user">
          {session.username}
        </span>
        <Button
          type="button"
          $variant="ghost"
          onClick={() => {
            logout();
            navigate('/login', { replace: true });
          }}
        >
          Log out
        </Button>
      </Header>
      <ConnectionBanner status={connection.status} attempt={connection.attempt} />
      <Body>
        <Sidebar $hidden={Boolean(roomId)} aria-label="Your rooms">
          <NotificationControl permission={notifications.permission} onEnable={notifications.request} />
          <CreateRoomForm onCreate={create} />
          {error && <ErrorText role="alert">{error}</ErrorText>}
          <RoomList
            rooms={rooms}
            currentRoomId={roomId}
            loaded={loaded}
            me={session.username}
            visible={visible}
            muted={mutes.muted}
          />
        </Sidebar>
        <Main $hidden={!roomId} aria-label="Conversation">
          <Outlet />
        </Main>
      </Body>
      <LiveAnnouncer items={announcements} />
    </Shell>
  );
}
