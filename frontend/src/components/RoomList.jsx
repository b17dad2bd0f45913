import styled from 'styled-components';
import { Link } from 'react-router-dom';

const List = styled.ul`
  list-style: none;
  margin: 0;
  padding: 0;
`;

const Item = styled.li`
  border-bottom: 1px solid ${(p) => p.theme.border};
  a {
    display: block;
    padding: 10px 12px;
    color: inherit;
    text-decoration: none;
  }
  a:hover { background: ${(p) => p.theme.bg}; }
  a[aria-current='page'] { background: ${(p) => p.theme.own}; font-weight: 600; }
  a:focus-visible { outline: 3px solid ${(p) => p.theme.focus}; outline-offset: -3px; }
  .name { display: block; overflow-wrap: anywhere; }
  .meta { display: block; font-size: 0.8rem; color: ${(p) => p.theme.muted}; font-weight: 400; }
`;

const Empty = styled.p`
  padding: 12px;
  color: ${(p) => p.theme.muted};
`;

export function RoomList({ rooms, currentRoomId, loaded }) {
  if (loaded && rooms.length === 0) return <Empty>No rooms yet. Create one above.</Empty>;
  return (
    <nav aria-label="Rooms">
      <List data-testid="room-list">
        {rooms.map((room) => (
          <Item key={room.roomId} data-testid="room-item" data-room-id={room.roomId}>
            <Link
              to={`/rooms/${encodeURIComponent(room.roomId)}`}
              aria-current={room.roomId === currentRoomId ? 'page' : undefined}
            >
              <span className="name">{room.name}</span>
              <span className="meta">
                {room.participants.length} member{room.participants.length === 1 ? '' : 's'}
              </span>
            </Link>
          </Item>
        ))}
      </List>
    </nav>
  );
}
