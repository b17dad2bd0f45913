import styled from 'styled-components';
import { Link } from 'react-router-dom';
import { formatTime } from '../lib/time.js';
import { previewText } from '../state/roomSummary.js';
import { VisuallyHidden } from '../styles/ui.js';

const List = styled.ul`
  list-style: none;
  margin: 0;
  padding: 0;
`;

const Item = styled.li`
  border-bottom: 1px solid ${(p) => p.theme.border};
  a {
    display: grid;
    grid-template-columns: 1fr auto;
    column-gap: 8px;
    row-gap: 2px;
    padding: 10px 12px;
    color: inherit;
    text-decoration: none;
  }
  a:hover { background: ${(p) => p.theme.bg}; }
  a[aria-current='page'] { background: ${(p) => p.theme.own}; }
  a:focus-visible { outline: 3px solid ${(p) => p.theme.focus}; outline-offset: -3px; }
  .name { min-width: 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; font-weight: 600; }
  .when { font-size: 0.75rem; color: ${(p) => p.theme.muted}; align-self: center; }
  .meta {
    min-width: 0; font-size: 0.85rem; color: ${(p) => p.theme.muted};
    overflow: hidden; text-overflow: ellipsis; white-space: nowrap;
  }
  &[data-unread='true'] .name { font-weight: 800; }
  &[data-unread='true'] .meta { color: ${(p) => p.theme.text}; }
`;

const Badge = styled.span`
  justify-self: end;
  align-self: center;
  min-width: 22px;
  height: 22px;
  padding: 0 7px;
  border-radius: 11px;
  background: ${(p) => p.theme.badge};
  color: ${(p) => p.theme.badgeText};
  font-size: 0.78rem;
  font-weight: 700;
  line-height: 22px;
  text-align: center;
`;

const Empty = styled.p`
  padding: 12px;
  color: ${(p) => p.theme.muted};
`;

const unreadLabel = (n) => `${n} unread message${n === 1 ? '' : 's'}`;
const membersText = (n) => `${n} member${n === 1 ? '' : 's'}`;

function RoomRow({ room, current, viewing, me }) {
  const unread = room.unread > 0 && !viewing ? room.unread : 0; // the room on screen is being read
  const preview = previewText(room.lastMessage, me);
  return (
    <Item data-testid="room-item" data-room-id={room.roomId} data-unread={unread > 0 ? 'true' : 'false'}>
      <Link to={`/rooms/${encodeURIComponent(room.roomId)}`} aria-current={current ? 'page' : undefined}>
        <span className="name">{room.name}</span>
        {room.lastMessage ? (
          <time className="when" dateTime={String(room.lastMessage.timestamp ?? '')}>
            {formatTime(room.lastMessage.timestamp)}
          </time>
        ) : (
          <span />
        )}
        <span className="meta" data-testid={preview ? 'room-preview' : undefined} title={preview || undefined}>
          {preview || membersText(room.participants.length)}
        </span>
        {unread > 0 ? (
          <Badge data-testid="unread-badge" data-count={unread} title={unreadLabel(unread)}>
            <span aria-hidden="true">{unread > 99 ? '99+' : unread}</span>
            <VisuallyHidden>{unreadLabel(unread)}</VisuallyHidden>
          </Badge>
        ) : (
          <span />
        )}
      </Link>
    </Item>
  );
}

/** `visible`: the tab is in view, so the open room counts as read (no badge). */
export function RoomList({ rooms, currentRoomId, loaded, me, visible = true }) {
  if (loaded && rooms.length === 0) return <Empty>No rooms yet. Create one above.</Empty>;
  return (
    <nav aria-label="Rooms">
      <List data-testid="room-list">
        {rooms.map((room) => (
          <RoomRow
            key={room.roomId}
            room={room}
            current={room.roomId === currentRoomId}
            viewing={visible && room.roomId === currentRoomId}
            me={me}
          />
        ))}
      </List>
    </nav>
  );
}
