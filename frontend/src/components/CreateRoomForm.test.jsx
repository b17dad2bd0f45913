// @vitest-environment jsdom
import { afterEach, describe, expect, it, vi } from 'vitest';
import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { ThemeProvider } from 'styled-components';
import { theme } from '../styles/theme.js';
import { CreateRoomForm } from './CreateRoomForm.jsx';

afterEach(() => cleanup());

function show(onCreate) {
  render(
    <ThemeProvider theme={theme}>
      <CreateRoomForm onCreate={onCreate} />
    </ThemeProvider>,
  );
  return {
    name: screen.getByLabelText('Room name'),
    participants: screen.getByLabelText('Participants'),
    create: screen.getByRole('button', { name: 'Create room' }),
  };
}

function pending() {
  let resolve;
  const promise = new Promise((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe('CreateRoomForm', () => {
  it('clears the fields once the room is created', async () => {
    const onCreate = vi.fn().mockResolvedValue({});
    const f = show(onCreate);
    fireEvent.change(f.name, { target: { value: ' Plans ' } });
    fireEvent.change(f.participants, { target: { value: 'bob, carol' } });
    fireEvent.click(f.create);
    await waitFor(() => expect(f.name.value).toBe(''));
    expect(f.participants.value).toBe('');
    expect(onCreate).toHaveBeenCalledWith('Plans', ['bob', 'carol']);
  });

  it('keeps what was typed while the room was being created', async () => {
    const created = pending();
    const onCreate = vi.fn().mockReturnValue(created.promise);
    const f = show(onCreate);
    fireEvent.change(f.name, { target: { value: 'Plans' } });
    fireEvent.change(f.participants, { target: { value: 'bob' } });
    fireEvent.click(f.create);
    await waitFor(() => expect(f.create.disabled).toBe(true));
    fireEvent.change(f.name, { target: { value: 'Random' } }); // the next room, typed meanwhile
    await act(async () => created.resolve({}));
    expect(f.name.value).toBe('Random');
    expect(f.participants.value).toBe(''); // unchanged since it was sent: cleared
    expect(f.create.disabled).toBe(false);
  });

  it('keeps the fields and says why when the room is refused', async () => {
    const onCreate = vi.fn().mockRejectedValue(new Error('no such user: zed'));
    const f = show(onCreate);
    fireEvent.change(f.name, { target: { value: 'Plans' } });
    fireEvent.change(f.participants, { target: { value: 'zed' } });
    fireEvent.click(f.create);
    expect((await screen.findByTestId('create-room-error')).textContent).toContain('no such user: zed');
    expect(f.name.value).toBe('Plans');
    expect(f.participants.value).toBe('zed');
  });
});
