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
  &[data-muted='true'][data-unread='true'] .name { font-weight: 600; }
  &[data-muted='true'][data-unread='true'] .meta { color: ${(p) => p.theme.muted}; }
  .muted-icon { margin-left: 6px; font-weight: 400; font-family: ${(p) => p.theme.emojiFont}; font-size: 0.8rem; }
`;

const Badge = styled.span`
  justify-self: end;
  align-self: center;
  min-width: 22px;
  height: 22px;
  padding: 0 7px;
  border-radius: 11px;
  background: ${(p) => (p.$muted ? p.theme.badgeMuted : p.theme.badge)};
  color: ${(p) => (p.$muted ? p.theme.badgeMutedText : p.theme.badgeText)};
  font-size: 0.78rem;
  font-weight: 700;
  line-height: 22px;
  text-align: center;
`;

const Empty = styled.p`
  padding: 0 12px 12px;
  margin: 0;
  color: ${(p) => p.theme.muted};
`;

const Heading = styled.h2`
  font-size: 1rem;
  margin: 0;
  padding: 12px 12px 8px;
`;

const unreadLabel = (n, muted) => `${n} unread message${n === 1 ? '' : 's'}${muted ? ' (muted)' : ''}`;
const membersText = (n) => `${n} member${n === 1 ? '' : 's'}`;

function RoomRow({ room, current, viewing, me, muted }) {
  const unread = room.unread > 0 && !viewing ? room.unread : 0; // the room on screen is being read
  const preview = previewText(room.lastMessage, me);
  return (
    <Item
      data-testid="room-item"
      data-room-id={room.roomId}
      data-unread={unread > 0 ? 'true' : 'false'}
      data-muted={muted ? 'true' : undefined}
    >
      <Link to={`/rooms/${encodeURIComponent(room.roomId)}`} aria-current={current ? 'page' : undefined}>
        <span className="name">
          {room.name}
          {muted && (
            <span className="muted-icon" title="Muted" data-testid="muted-icon">
              <span aria-hidden="true">🔕</span>
              <VisuallyHidden> (muted)</VisuallyHidden>
            </span>
          )}
        </span>
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
          <Badge data-testid="unread-badge" data-count={unread} title={unreadLabel(unread, muted)} $muted={muted}>
            <span aria-hidden="true">{unread > 99 ? '99+' : unread}</span>
            <VisuallyHidden>{unreadLabel(unread, muted)}</VisuallyHidden>
          </Badge>
        ) : (
          <span />
        )}
      </Link>
    </Item>
  );
}

/**
 * `visible`: the tab is in view, so the open room counts as read (no badge).
 * `muted`: Set of muted room ids (their badge is grey, "(muted)" for screen readers).
 */
export function RoomList({ rooms, currentRoomId, loaded, me, visible = true, muted = EMPTY }) {
  return (
    <nav aria-labelledby="room-list-title">
      <Heading id="room-list-title">Rooms</Heading>
      {loaded && rooms.length === 0 ? (
        <Empty>No rooms yet. Create one above.</Empty>
      ) : (
        <List data-testid="room-list">
          {rooms.map((room) => (
            <RoomRow
              key={room.roomId}
              room={room}
              current={room.roomId === currentRoomId}
              viewing={visible && room.roomId === currentRoomId}
              me={me}
              muted={muted.has(room.roomId)}
            />
          ))}
        </List>
      )}
    </nav>
  );
}

const EMPTY = new Set();
