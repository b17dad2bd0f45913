import { useState } from 'react';
import styled from 'styled-components';
import { Link } from 'react-router-dom';
import { errorMessage } from '../api/errors.js';
import { isOnline, onlineCount } from '../state/presence.js';
import { parseParticipants } from '../state/rooms.js';
import { PresenceDot } from './PresenceDot.jsx';
import { Button, ErrorText, Input, Label, Row } from '../styles/ui.js';

const Wrap = styled.div`
  padding: 8px 12px;
  background: ${(p) => p.theme.surface};
  border-bottom: 1px solid ${(p) => p.theme.border};
  .top { display: flex; align-items: center; gap: 8px; }
  h2 { flex: 1; margin: 0; font-size: 1.1rem; overflow-wrap: anywhere; }
  .back { display: none; }
  @media (max-width: ${(p) => p.theme.narrow}) { .back { display: inline; } }
  .members { margin: 4px 0 8px; font-size: 0.85rem; color: ${(p) => p.theme.muted}; overflow-wrap: anywhere; }
  .member { display: inline-flex; align-items: center; gap: 4px; white-space: nowrap; }
  .member[data-online='true'] { color: ${(p) => p.theme.text}; }
  .you { color: ${(p) => p.theme.muted}; }
  .online {
    display: inline-flex; align-items: center; gap: 6px; font-size: 0.85rem; white-space: nowrap;
    color: ${(p) => p.theme.muted};
  }
  form { margin-top: 4px; }
`;

function Members({ room, presence, me }) {
  const names = room.participants;
  if (!names.length) return '—';
  return names.map((name, i) => {
    const online = isOnline(presence, room.roomId, name, me);
    return (
      <span key={name}>
        {i > 0 && ', '}
        <span className="member" data-testid="member" data-username={name} data-online={online === null ? undefined : String(online)}>
          {online !== null && <PresenceDot online={online} name={name} />}
          {name}
          {name === me && <span className="you"> (you)</span>}
        </span>
      </span>
    );
  });
}

function OnlineSummary({ room, presence, me }) {
  const count = onlineCount(presence, room.roomId, room.participants, me);
  if (count === null) return null;
  return (
    <span className="online" data-testid="room-online">
      <PresenceDot online={count > (room.participants.includes(me) ? 1 : 0)} />
      {count} of {room.participants.length} online
    </span>
  );
}

export function RoomHeader({ room, me, presence = {}, onInvite, onLeave }) {
  const [invitees, setInvitees] = useState('');
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);

  const run = async (fn) => {
    setBusy(true);
    setError(null);
    try {
      await fn();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  const invite = (e) => {
    e.preventDefault();
    const names = parseParticipants(invitees);
    if (!names.length) {
      setError('Enter at least one username to invite');
      return;
    }
    run(async () => {
      await onInvite(names);
      setInvitees('');
    });
  };

  return (
    <Wrap>
      <div className="top">
        <Link className="back" to="/">
          ← Rooms
        </Link>
        <h2 data-testid="room-title">{room.name}</h2>
        <OnlineSummary room={room} presence={presence} me={me} />
        <Button type="button" $variant="danger" disabled={busy} onClick={() => run(onLeave)}>
          Leave room
        </Button>
      </div>
      <p className="members" data-testid="room-participants">
        Members: <Members room={room} presence={presence} me={me} />
      </p>
      <form onSubmit={invite} noValidate>
        <Row>
          <div>
            <Label htmlFor="invite-input">Invite users</Label>
            <Input
              id="invite-input"
              value={invitees}
              onChange={(e) => setInvitees(e.target.value)}
              placeholder="carol, dave"
              autoComplete="off"
              autoCapitalize="none"
            />
          </div>
          <Button type="submit" disabled={busy}>
            Invite
          </Button>
        </Row>
      </form>
      {error && (
        <ErrorText role="alert" data-testid="room-error">
          {error}
        </ErrorText>
      )}
    </Wrap>
  );
}
