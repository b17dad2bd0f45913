import { useState } from 'react';
import styled from 'styled-components';
import { errorMessage } from '../api/errors.js';
import { parseParticipants } from '../state/rooms.js';
import { Button, ErrorText, Field, Input, Label } from '../styles/ui.js';

const Form = styled.form`
  padding: 12px;
  border-bottom: 1px solid ${(p) => p.theme.border};
  h2 { font-size: 1rem; margin: 0 0 8px; }
`;

/**
 * A room's name and participants; cleared once the room is created, unless they were changed
 * while it was being created (then they are the next room, kept).
 */
export function CreateRoomForm({ onCreate }) {
  const [name, setName] = useState('');
  const [participants, setParticipants] = useState('');
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e) => {
    e.preventDefault();
    if (!name.trim()) {
      setError('Enter a room name');
      return;
    }
    setBusy(true);
    setError(null);
    const sent = { name, participants };
    try {
      await onCreate(name.trim(), parseParticipants(participants));
      // clear what was sent, not what was typed while it was on its way (the next room's name)
      setName((now) => (now === sent.name ? '' : now));
      setParticipants((now) => (now === sent.participants ? '' : now));
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Form onSubmit={submit} noValidate aria-labelledby="create-room-title">
      <h2 id="create-room-title">New room</h2>
      <Field>
        <Label htmlFor="room-name">Room name</Label>
        <Input id="room-name" value={name} onChange={(e) => setName(e.target.value)} autoComplete="off" />
      </Field>
      <Field>
        <Label htmlFor="room-participants">Participants</Label>
        <Input
          id="room-participants"
          value={participants}
          onChange={(e) => setParticipants(e.target.value)}
          placeholder="alice, bob"
          autoComplete="off"
          autoCapitalize="none"
          aria-describedby="room-participants-hint"
        />
        <small id="room-participants-hint" className="visually-hidden">
          Usernames separated by commas
        </small>
      </Field>
      {error && (
        <ErrorText role="alert" data-testid="create-room-error">
          {error}
        </ErrorText>
      )}
      <Button type="submit" disabled={busy}>
        Create room
      </Button>
    </Form>
  );
}
