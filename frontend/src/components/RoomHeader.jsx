import { useEffect, useRef, useState } from 'react';
import styled, { useTheme } from 'styled-components';
import { useNavigate } from 'react-router-dom';
import { errorMessage } from '../api/errors.js';
import { useChat } from '../chat/ChatContext.jsx';
import { isOnline, onlineCount } from '../state/presence.js';
import { parseParticipants } from '../state/rooms.js';
import { PresenceDot } from './PresenceDot.jsx';
import { Button, ErrorText, Input, Label, Row } from '../styles/ui.js';

const Wrap = styled.div`
  padding: 8px 12px;
  background: ${(p) => p.theme.surface};
  border-bottom: 1px solid ${(p) => p.theme.border};
  .top { display: flex; flex-wrap: wrap; align-items: center; gap: 8px; }
  h2 { flex: 1; min-width: 8rem; margin: 0; font-size: 1.1rem; overflow-wrap: anywhere; }
  h2:focus { outline: none; } /* focused by script on a phone (never by Tab): no ring */
  .back { display: none; }
  @media (max-width: ${(p) => p.theme.narrow}) { .back { display: inline-block; } }
  .mute[aria-pressed='true'] { background: ${(p) => p.theme.pressed}; border-color: ${(p) => p.theme.primary}; }
  .icon { font-family: ${(p) => p.theme.emojiFont}; margin-right: 6px; }
  @media (max-width: ${(p) => p.theme.narrow}) {
    padding: 6px 10px;
    .top button { min-height: 36px; padding: 0 10px; }
    .members { margin: 2px 0 4px; }
  }
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

const phoneWidth = (theme) =>
  typeof window !== 'undefined' && window.matchMedia?.(`(max-width: ${theme.narrow})`).matches;

/**
 * On a phone the room list (where the link was) is gone once a room opens: the focus goes to
 * the room's heading, so keyboard and screen reader users land in the room.
 */
function useFocusOnOpen(ref, theme) {
  useEffect(() => {
    const active = document.activeElement;
    const lost = !active || active === document.body || active.getClientRects().length === 0;
    if (lost && phoneWidth(theme)) ref.current?.focus();
  }, [ref, theme]);
}

export function RoomHeader({ room, me, presence = {}, onInvite, onLeave }) {
  const { mutes } = useChat();
  const theme = useTheme();
  const navigate = useNavigate();
  const heading = useRef(null);
  useFocusOnOpen(heading, theme);
  const muted = mutes.muted.has(room.roomId);
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
    const sent = invitees;
    run(async () => {
      await onInvite(names);
      setInvitees((now) => (now === sent ? '' : now)); // not what was typed meanwhile
    });
  };

  return (
    <Wrap>
      <div className="top">
        <Button
          type="button"
          $variant="ghost"
          className="back"
          data-testid="back-to-rooms"
          onClick={() => navigate('/', { state: { focusRoomId: room.roomId } })}
        >
          <span aria-hidden="true">← </span>Back to rooms
        </Button>
        <h2 data-testid="room-title" ref={heading} tabIndex={-1}>
          {room.name}
        </h2>
        <OnlineSummary room={room} presence={presence} me={me} />
        <Button
          type="button"
          $variant="ghost"
          className="mute"
          aria-pressed={muted}
          data-testid="mute-toggle"
          title={muted ? 'Muted: no notifications, not counted in the tab title' : 'Mute this room'}
          onClick={() => mutes.toggleMute(room.roomId)}
        >
          <span className="icon" aria-hidden="true">
            {muted ? '🔕' : '🔔'}
          </span>
          Mute
        </Button>
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
