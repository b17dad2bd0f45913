// @vitest-environment jsdom
// Issue 16 in the UI: the message menu, the inline editor, Up arrow, "(edited)", the deleted
// placeholder, the reaction picker and bar, live events from others, and refusals shown.
import { describe, it, expect, vi, beforeEach, afterEach } from 'vitest';
import { act, cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { MemoryRouter } from 'react-router-dom';
import { FakeSocket } from './test/fakeSocket.js';
import { AllRows } from './test/virtuoso.jsx';
import './test/matchers.js';

const h = vi.hoisted(() => ({ socket: null }));

vi.mock('socket.io-client', () => ({ io: () => h.socket }));

vi.mock('./api/endpoints.js', () => import('./test/endpointsMock.js'));

const api = await import('./api/endpoints.js');
const { App } = await import('./App.jsx');

const msg = (seq, sender, extra = {}) => ({
  id: `m${seq}`,
  seq,
  roomId: 'r1',
  sender,
  content: `hello ${seq}`,
  timestamp: '2024-05-01T10:00:00Z',
  ...extra,
});
const messages = () => screen.queryAllByTestId('message');
const byId = (id) => messages().find((m) => m.getAttribute('data-id') === id);

async function openRoom(history, { creator = 'bob' } = {}) {
  localStorage.setItem('token', 'tok');
  localStorage.setItem('username', 'alice');
  api.listRooms.mockResolvedValue([{ roomId: 'r1', name: 'General', participants: ['alice', 'bob'], createdBy: creator }]);
  api.fetchMessages.mockResolvedValueOnce(history);
  render(
    <MemoryRouter initialEntries={['/rooms/r1']} future={{ v7_startTransition: true, v7_relativeSplatPath: true }}>
      <App />
    </MemoryRouter>,
    { wrapper: AllRows },
  );
  act(() => h.socket.connect());
  await waitFor(() => expect(messages()).toHaveLength(history.length));
}

beforeEach(() => {
  h.socket = new FakeSocket();
  localStorage.clear();
  vi.clearAllMocks();
  api.fetchMessages.mockResolvedValue([]);
  api.fetchPresence.mockRejectedValue({ response: { status: 404 } });
  api.fetchReceipts.mockRejectedValue({ response: { status: 404 } });
});

afterEach(() => cleanup());

describe('edit and delete my messages', () => {
  it('has the menu on my messages only, keyboard reachable', async () => {
    await openRoom([msg(1, 'alice'), msg(2, 'bob')]);
    expect(within(byId('m1')).getByRole('button', { name: 'Message actions' })).toBeTruthy();
    expect(within(byId('m2')).queryByRole('button', { name: 'Message actions' })).toBeNull();
    const button = within(byId('m1')).getByRole('button', { name: 'Message actions' });
    fireEvent.keyDown(button, { key: 'ArrowDown' });
    const menu = within(byId('m1')).getByRole('menu', { name: 'Message actions' });
    const items = within(menu).getAllByRole('menuitem');
    expect(items.map((i) => i.textContent)).toEqual(['Edit', 'Delete']);
    await waitFor(() => expect(document.activeElement).toBe(items[0]));
    fireEvent.keyDown(menu, { key: 'ArrowDown' });
    expect(document.activeElement).toBe(items[1]);
    fireEvent.keyDown(menu, { key: 'Escape' });
    expect(within(byId('m1')).queryByRole('menu')).toBeNull();
    expect(document.activeElement).toBe(button);
  });

  it('edits through the menu: edit_message, then "(edited)" with the new text', async () => {
    await openRoom([msg(1, 'alice')]);
    fireEvent.click(within(byId('m1')).getByRole('button', { name: 'Message actions' }));
    fireEvent.click(screen.getByRole('menuitem', { name: 'Edit' }));
    const editor = screen.getByRole('textbox', { name: 'Edit message' });
    expect(editor.value).toBe('hello 1');
    fireEvent.change(editor, { target: { value: 'hello, fixed' } });
    fireEvent.keyDown(editor, { key: 'Enter' });
    const [sent] = h.socket.sentOf('edit_message');
    expect(sent.payload).toEqual({ roomId: 'r1', id: 'm1', content: 'hello, fixed' });
    await act(async () => sent.cb(null, { ok: true, id: 'm1', seq: 2, editedAt: '2024-05-01T10:05:00Z' }));
    expect(byId('m1')).toHaveTextContent('hello, fixed');
    expect(within(byId('m1')).getByTestId('message-edited')).toHaveTextContent('(edited)');
    expect(screen.queryByRole('textbox', { name: 'Edit message' })).toBeNull();
    expect(document.activeElement).toBe(screen.getByLabelText('Message'));
  });

  it('Up arrow in an empty composer edits my last message; a refusal keeps the text', async () => {
    await openRoom([msg(1, 'alice'), msg(2, 'alice'), msg(3, 'bob')]);
    const composer = screen.getByLabelText('Message');
    fireEvent.change(composer, { target: { value: 'draft' } });
    fireEvent.keyDown(composer, { key: 'ArrowUp' });
    expect(screen.queryByRole('textbox', { name: 'Edit message' })).toBeNull(); // not empty: no edit
    fireEvent.change(composer, { target: { value: '' } });
    fireEvent.keyDown(composer, { key: 'ArrowUp' });
    const editor = within(byId('m2')).getByRole('textbox', { name: 'Edit message' });
    fireEvent.change(editor, { target: { value: 'my words' } });
    fireEvent.click(within(byId('m2')).getByRole('button', { name: 'Save' }));
    const [sent] = h.socket.sentOf('edit_message');
    await act(async () => sent.cb(null, { ok: false, error: 'rate limited, try again' }));
    expect(within(byId('m2')).getByRole('alert')).toHaveTextContent('rate limited, try again');
    expect(within(byId('m2')).getByRole('textbox', { name: 'Edit message' }).value).toBe('my words');
    fireEvent.keyDown(within(byId('m2')).getByRole('textbox', { name: 'Edit message' }), { key: 'Escape' });
    expect(byId('m2')).toHaveTextContent('hello 2');
  });

  it('deletes after a confirmation; others see the placeholder live', async () => {
    await openRoom([msg(1, 'alice'), msg(2, 'bob')]);
    fireEvent.click(within(byId('m1')).getByRole('button', { name: 'Message actions' }));
    fireEvent.click(screen.getByRole('menuitem', { name: 'Delete' }));
    fireEvent.click(within(byId('m1')).getByRole('button', { name: 'Delete message' }));
    const [sent] = h.socket.sentOf('delete_message');
    expect(sent.payload).toEqual({ roomId: 'r1', id: 'm1' });
    await act(async () => sent.cb(null, { ok: true, id: 'm1', seq: 3 }));
    expect(byId('m1')).toHaveAttribute('data-deleted', 'true');
    expect(within(byId('m1')).getByTestId('message-deleted')).toHaveTextContent('message deleted');
    expect(byId('m1')).not.toHaveTextContent('hello 1');
    act(() => h.socket.serverEmit('message_deleted', { roomId: 'r1', id: 'm2', seq: 4 }));
    expect(byId('m2')).toHaveAttribute('data-deleted', 'true');
    expect(messages()).toHaveLength(2); // placeholders keep their place
  });

  it('shows a refused delete and lets the room creator delete others', async () => {
    await openRoom([msg(1, 'bob')], { creator: 'alice' });
    fireEvent.click(within(byId('m1')).getByRole('button', { name: 'Message actions' }));
    expect(screen.queryByRole('menuitem', { name: 'Edit' })).toBeNull();
    fireEvent.click(screen.getByRole('menuitem', { name: 'Delete' }));
    fireEvent.click(within(byId('m1')).getByRole('button', { name: 'Delete message' }));
    await act(async () => h.socket.sentOf('delete_message')[0].cb(null, { ok: false, error: 'not allowed' }));
    expect(within(byId('m1')).getByRole('alert')).toHaveTextContent('not allowed');
    expect(byId('m1')).toHaveTextContent('hello 1');
  });

  it('applies live edits from others, and a timeout is put into words', async () => {
    await openRoom([msg(1, 'bob'), msg(2, 'alice')]);
    act(() => h.socket.serverEmit('message_edited', { roomId: 'r1', id: 'm1', seq: 5, content: 'bob fixed', editedAt: '2024-05-01T10:06:00Z' }));
    act(() => h.socket.serverEmit('message_edited', { roomId: 'r1', id: 'm1', seq: 4, content: 'older', editedAt: '2024-05-01T10:05:00Z' }));
    expect(byId('m1')).toHaveTextContent('bob fixed');
    expect(byId('m1')).toHaveAttribute('data-edited', 'true');
    fireEvent.keyDown(screen.getByLabelText('Message'), { key: 'ArrowUp' });
    fireEvent.change(screen.getByRole('textbox', { name: 'Edit message' }), { target: { value: 'x' } });
    fireEvent.keyDown(screen.getByRole('textbox', { name: 'Edit message' }), { key: 'Enter' });
    await act(async () => h.socket.sentOf('edit_message')[0].cb(new Error('operation has timed out')));
    expect(within(byId('m2')).getByRole('alert')).toHaveTextContent('No answer from the server');
  });
});

describe('reactions', () => {
  it('picks an emoji, shows the bar with counts and names, toggles mine off', async () => {
    await openRoom([msg(1, 'bob', { reactions: { '🎉': ['bob'] } })]);
    const bar = within(byId('m1')).getByTestId('reactions');
    expect(within(bar).getByRole('button', { name: /🎉 1: bob reacted with 🎉/ })).toHaveAttribute('aria-pressed', 'false');
    fireEvent.click(within(byId('m1')).getByRole('button', { name: 'Add reaction' }));
    fireEvent.click(screen.getByRole('menuitem', { name: 'React with thumbs up 👍' }));
    const [sent] = h.socket.sentOf('react');
    expect(sent.payload).toEqual({ roomId: 'r1', id: 'm1', emoji: '👍', on: true });
    await act(async () => sent.cb(null, { ok: true }));
    act(() => h.socket.serverEmit('reaction', { roomId: 'r1', id: 'm1', seq: 3, emoji: '👍', username: 'alice', on: true }));
    act(() => h.socket.serverEmit('reaction', { roomId: 'r1', id: 'm1', seq: 4, emoji: '👍', username: 'bob', on: true }));
    const thumbs = within(byId('m1')).getAllByTestId('reaction').find((r) => r.dataset.emoji === '👍');
    expect(thumbs).toHaveAttribute('data-count', '2');
    expect(thumbs).toHaveAttribute('aria-pressed', 'true');
    expect(thumbs).toHaveAttribute('title', 'you and bob reacted with 👍');

    fireEvent.click(thumbs); // mine: takes it back
    const off = h.socket.sentOf('react')[1];
    expect(off.payload).toEqual({ roomId: 'r1', id: 'm1', emoji: '👍', on: false });
    await act(async () => off.cb(null, { ok: true }));
    const after = within(byId('m1')).getAllByTestId('reaction').find((r) => r.dataset.emoji === '👍');
    expect(after).toHaveAttribute('data-count', '1');
    expect(after).toHaveAttribute('aria-pressed', 'false');
  });

  it('shows a refused reaction', async () => {
    await openRoom([msg(1, 'bob')]);
    fireEvent.click(within(byId('m1')).getByRole('button', { name: 'Add reaction' }));
    fireEvent.click(screen.getByRole('menuitem', { name: 'React with party 🎉' }));
    await act(async () => h.socket.sentOf('react')[0].cb(null, { ok: false, error: 'too many reactions' }));
    expect(within(byId('m1')).getByRole('alert')).toHaveTextContent('too many reactions');
    expect(within(byId('m1')).queryByTestId('reactions')).toBeNull();
  });
});
