// @vitest-environment jsdom
import { describe, it, expect, vi, beforeEach, afterEach } from 'vitest';
import { act, cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { MemoryRouter } from 'react-router-dom';
import { FakeSocket } from './test/fakeSocket.js';
import { AllRows } from './test/virtuoso.jsx';
import './test/matchers.js';

const h = vi.hoisted(() => ({ socket: null, ioArgs: null }));

vi.mock('socket.io-client', () => ({
  io: (opts) => {
    h.ioArgs = opts;
    return h.socket;
  },
}));

vi.mock('./api/endpoints.js', () => import('./test/endpointsMock.js'));

const api = await import('./api/endpoints.js');
const { App } = await import('./App.jsx');

const msg = (seq, extra = {}) => ({
  type: 'message',
  id: `m${seq}`,
  seq,
  roomId: 'r1',
  sender: 'bob',
  content: `hello ${seq}`,
  timestamp: '2024-05-01T10:00:00Z',
  ...extra,
});

function renderAt(path) {
  return render(
    <MemoryRouter initialEntries={[path]} future={{ v7_startTransition: true, v7_relativeSplatPath: true }}>
      <App />
    </MemoryRouter>,
    { wrapper: AllRows },
  );
}

const messages = () => screen.queryAllByTestId('message');

beforeEach(() => {
  h.socket = new FakeSocket();
  localStorage.clear();
  vi.clearAllMocks();
  api.listRooms.mockResolvedValue([{ roomId: 'r1', name: 'General', participants: ['alice', 'bob'] }]);
  api.fetchMessages.mockResolvedValue([]);
  api.fetchPresence.mockRejectedValue({ response: { status: 404 } }); // an old server
  api.fetchReceipts.mockRejectedValue({ response: { status: 404 } });
});

afterEach(() => cleanup());

function loginAs(username = 'alice') {
  localStorage.setItem('token', 'tok');
  localStorage.setItem('username', username);
}

describe('auth pages', () => {
  it('shows the API error in words and stores the session on success', async () => {
    api.login.mockRejectedValueOnce({ response: { status: 401, data: { error: 'Invalid username or password' } } });
    api.login.mockResolvedValueOnce({ token: 'jwt', username: 'alice' });
    renderAt('/login');
    fireEvent.change(screen.getByLabelText('Username'), { target: { value: 'alice' } });
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'pw' } });
    fireEvent.click(screen.getByRole('button', { name: 'Log in' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('Invalid username or password');

    fireEvent.click(screen.getByRole('button', { name: 'Log in' }));
    expect(await screen.findByRole('button', { name: 'Log out' })).toBeTruthy();
    expect(localStorage.getItem('token')).toBe('jwt');
    // the socket is made by an effect after the chat page renders: wait for it
    await waitFor(() =>
      expect(h.ioArgs).toEqual({ auth: { token: 'jwt' }, transports: ['websocket', 'polling'] }),
    );

    api.logout.mockResolvedValueOnce({ message: 'Logged out' });
    fireEvent.click(screen.getByRole('button', { name: 'Log out' }));
    expect(await screen.findByRole('button', { name: 'Log in' })).toBeTruthy();
    expect(localStorage.getItem('token')).toBeNull();
    expect(api.logout).toHaveBeenCalledTimes(1); // the token is revoked on the server
  });

  it('sign up shows a conflict error', async () => {
    api.signup.mockRejectedValueOnce({ response: { status: 409, data: { error: 'Username already taken' } } });
    renderAt('/signup');
    fireEvent.change(screen.getByLabelText('Username'), { target: { value: 'alice' } });
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'pw' } });
    fireEvent.click(screen.getByRole('button', { name: 'Sign up' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('Username already taken');
  });
});

describe('a dead token', () => {
  it.each(['token expired', 'token revoked'])('a socket refused with "%s" ends the session', async (reason) => {
    loginAs();
    renderAt('/');
    await screen.findByText('General');
    act(() => h.socket.serverEmit('connect_error', new Error(reason)));
    expect(await screen.findByRole('button', { name: 'Log in' })).toBeTruthy();
    expect(localStorage.getItem('token')).toBeNull();
    expect(api.logout).not.toHaveBeenCalled(); // nothing left to revoke
  });
});

describe('rooms', () => {
  it('lists rooms, creates one, follows room_joined / room_left', async () => {
    loginAs();
    api.createRoom.mockResolvedValue({ roomId: 'r2', name: 'Project', participants: ['alice', 'carol'] });
    renderAt('/');
    await screen.findByText('General');
    expect(screen.getAllByTestId('room-item')).toHaveLength(1);

    fireEvent.change(screen.getByLabelText('Room name'), { target: { value: 'Project' } });
    fireEvent.change(screen.getByLabelText('Participants'), { target: { value: 'carol, ' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create room' }));
    await waitFor(() => expect(screen.getAllByTestId('room-item')).toHaveLength(2));
    expect(api.createRoom).toHaveBeenCalledWith('Project', ['carol']);

    act(() => h.socket.serverEmit('room_joined', { roomId: 'r3', name: 'Zeta', participants: ['dan', 'alice'] }));
    expect(screen.getAllByTestId('room-item').map((el) => el.textContent)).toEqual([
      expect.stringContaining('General'),
      expect.stringContaining('Project'),
      expect.stringContaining('Zeta'),
    ]);
    act(() => h.socket.serverEmit('room_left', { roomId: 'r3' }));
    expect(screen.getAllByTestId('room-item')).toHaveLength(2);
  });

  it('asks the list again when the first room arrives for a user who had none', async () => {
    loginAs();
    api.listRooms.mockResolvedValueOnce([]);
    renderAt('/');
    await screen.findByText(/create one/i);
    const calls = api.listRooms.mock.calls.length;
    api.listRooms.mockResolvedValue([{ roomId: 'r3', name: 'Zeta', participants: ['dan', 'alice'], lastReadSeq: 0, unread: 0 }]);
    act(() => h.socket.serverEmit('room_joined', { roomId: 'r3', name: 'Zeta', participants: ['dan', 'alice'] }));
    await waitFor(() => expect(api.listRooms.mock.calls.length).toBe(calls + 1));
    act(() => h.socket.serverEmit('room_joined', { roomId: 'r3', name: 'Zeta', participants: ['dan', 'alice'] }));
    expect(api.listRooms.mock.calls.length).toBe(calls + 1); // known now: not again
  });

  it('keeps a room that came by room_joined while an older list was on its way', async () => {
    loginAs();
    api.listRooms.mockResolvedValueOnce([]);
    renderAt('/');
    await screen.findByText(/create one/i);
    // the first room: the list is asked again, and answers only after the second room came
    let answer;
    api.listRooms.mockReturnValueOnce(new Promise((resolve) => (answer = resolve)));
    act(() => h.socket.serverEmit('room_joined', { roomId: 'p1', name: 'Plans', participants: ['dan', 'alice'] }));
    act(() => h.socket.serverEmit('room_joined', { roomId: 'p2', name: 'Random', participants: ['dan', 'alice'] }));
    await screen.findByText('Random');
    await act(async () => answer([{ roomId: 'p1', name: 'Plans', participants: ['dan', 'alice'] }]));
    expect(screen.queryByText('Plans')).not.toBeNull();
    expect(screen.queryByText('Random')).not.toBeNull(); // not dropped by the older list
    // once a list holds it, a later list decides alone
    api.listRooms.mockResolvedValue([{ roomId: 'p1', name: 'Plans', participants: ['dan', 'alice'] }, { roomId: 'p2', name: 'Random', participants: ['dan', 'alice'] }]);
    act(() => h.socket.connect());
    await waitFor(() => expect(api.listRooms.mock.calls.length).toBeGreaterThan(2));
    api.listRooms.mockResolvedValue([{ roomId: 'p1', name: 'Plans', participants: ['dan', 'alice'] }]);
    act(() => h.socket.connect());
    await waitFor(() => expect(screen.queryByText('Random')).toBeNull());
  });

  it('refetches the room list on (re)connect', async () => {
    loginAs();
    renderAt('/');
    await screen.findByText('General');
    const calls = api.listRooms.mock.calls.length;
    api.listRooms.mockResolvedValue([
      { roomId: 'r1', name: 'General', participants: ['alice'] },
      { roomId: 'r9', name: 'Missed', participants: ['alice'] },
    ]);
    act(() => h.socket.connect());
    await screen.findByText('Missed');
    expect(api.listRooms.mock.calls.length).toBe(calls + 1);
  });
});

describe('chat view', () => {
  it('loads history, shows live messages once, sends with ack, fails and retries', async () => {
    loginAs();
    api.fetchMessages.mockResolvedValueOnce([msg(1), msg(2)]);
    renderAt('/rooms/r1');
    await waitFor(() => expect(messages()).toHaveLength(2));
    expect(api.fetchMessages).toHaveBeenCalledWith('r1', { limit: 50 });
    h.socket.connected = true;
    expect(messages()[0]).toHaveAttribute('data-seq', '1');
    expect(messages()[0]).toHaveTextContent('bob');

    act(() => h.socket.serverEmit('message', msg(4)));
    act(() => h.socket.serverEmit('message', msg(3)));
    act(() => h.socket.serverEmit('message', msg(4)));
    expect(messages().map((m) => m.getAttribute('data-seq'))).toEqual(['1', '2', '3', '4']);

    // send: sending -> sent, the echo carrying clientMsgId does not duplicate
    const input = screen.getByLabelText('Message');
    fireEvent.change(input, { target: { value: 'hi all' } });
    expect(h.socket.sentOf('typing')[0].payload).toEqual({ roomId: 'r1', isTyping: true });
    fireEvent.keyDown(input, { key: 'Enter' });
    const [first] = h.socket.sentOf('send_message');
    expect(first.payload).toMatchObject({ roomId: 'r1', content: 'hi all' });
    const { clientMsgId } = first.payload;
    expect(messages()[4]).toHaveAttribute('data-status', 'sending');
    expect(messages()[4]).toHaveTextContent('hi all');
    act(() => first.cb(null, { ok: true, id: 'm5', seq: 5, timestamp: '2024-05-01T10:01:00Z' }));
    act(() => h.socket.serverEmit('message', msg(5, { sender: 'alice', content: 'hi all', clientMsgId })));
    expect(messages()).toHaveLength(5);
    expect(messages()[4]).toHaveAttribute('data-status', 'sent');
    expect(messages()[4]).toHaveAttribute('data-seq', '5');
    expect(h.socket.sentOf('typing').at(-1).payload).toEqual({ roomId: 'r1', isTyping: false });

    // failure then retry with the same clientMsgId
    fireEvent.change(input, { target: { value: 'again' } });
    fireEvent.click(screen.getByRole('button', { name: 'Send' }));
    const second = h.socket.sentOf('send_message')[1];
    act(() => second.cb(null, { ok: false, error: 'rate limited, try again' }));
    const failed = messages()[5];
    expect(failed).toHaveAttribute('data-status', 'failed');
    expect(failed).toHaveTextContent('failed — retry');
    fireEvent.click(within(failed).getByRole('button', { name: 'retry' }));
    const third = h.socket.sentOf('send_message')[2];
    expect(third.payload.clientMsgId).toBe(second.payload.clientMsgId);
    expect(messages()[5]).toHaveAttribute('data-status', 'sending');
    act(() => third.cb(null, { ok: true, id: 'm6', seq: 6, timestamp: 't' }));
    expect(messages()[5]).toHaveAttribute('data-status', 'sent');

    // a timeout marks it failed too
    fireEvent.change(input, { target: { value: 'late' } });
    fireEvent.click(screen.getByRole('button', { name: 'Send' }));
    act(() => h.socket.sentOf('send_message')[3].cb(new Error('operation has timed out')));
    expect(messages()[6]).toHaveAttribute('data-status', 'failed');
  });

  it('sends again by itself, same clientMsgId, when the server says busy and when to retry', async () => {
    loginAs();
    renderAt('/rooms/r1');
    await screen.findByLabelText('Message');
    h.socket.connected = true;
    const input = screen.getByLabelText('Message');
    const busy = { ok: false, error: 'server busy, try again', retryAfterMs: 20 };

    fireEvent.change(input, { target: { value: 'under load' } });
    fireEvent.keyDown(input, { key: 'Enter' });
    const [first] = h.socket.sentOf('send_message');
    act(() => first.cb(null, busy));
    expect(messages()[0]).toHaveAttribute('data-status', 'sending'); // not failed: waiting
    await waitFor(() => expect(h.socket.sentOf('send_message')).toHaveLength(2));
    const second = h.socket.sentOf('send_message')[1];
    expect(second.payload).toEqual(first.payload); // the same clientMsgId: stored once
    act(() => second.cb(null, { ok: true, id: 'm1', seq: 1, timestamp: 't' }));
    expect(messages()[0]).toHaveAttribute('data-status', 'sent');

    // busy every time: after AUTO_RETRIES more tries it is failed (its retry button stays)
    fireEvent.change(input, { target: { value: 'still busy' } });
    fireEvent.keyDown(input, { key: 'Enter' });
    for (let n = 0; n < 4; n += 1) {
      await waitFor(() => expect(h.socket.sentOf('send_message')).toHaveLength(3 + n));
      act(() => h.socket.sentOf('send_message')[2 + n].cb(null, busy));
    }
    await waitFor(() => expect(messages()[1]).toHaveAttribute('data-status', 'failed'));
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(h.socket.sentOf('send_message')).toHaveLength(6); // and no more
  });

  it('shows the banner while disconnected and catches up after reconnect without duplicates', async () => {
    loginAs();
    api.fetchMessages.mockResolvedValueOnce([msg(1), msg(2)]);
    renderAt('/rooms/r1');
    act(() => h.socket.connect());
    await waitFor(() => expect(messages()).toHaveLength(2));
    expect(screen.queryByTestId('connection-banner')).toBeNull();

    act(() => h.socket.drop());
    expect(screen.getByTestId('connection-banner')).toHaveTextContent('Disconnected');
    expect(screen.getByRole('status')).toHaveTextContent('Reconnecting');
    act(() => h.socket.managerEmit('reconnect_attempt', 2));
    expect(screen.getByTestId('connection-banner')).toHaveTextContent('attempt 2');

    api.fetchMessages.mockReset();
    const full = Array.from({ length: 50 }, (_, i) => msg(3 + i));
    api.fetchMessages.mockImplementation(async (roomId, { after }) =>
      after === 2 ? full : after === 52 ? [msg(53)] : [],
    );
    act(() => h.socket.connect());
    // a live message that arrives before catch-up finishes does not move the cursor
    act(() => h.socket.serverEmit('message', msg(53)));
    await waitFor(() => expect(messages()).toHaveLength(53));
    expect(screen.queryByTestId('connection-banner')).toBeNull();
    expect(api.fetchMessages.mock.calls.map((c) => c[1])).toEqual([
      { after: 2, limit: 50 },
      { after: 52, limit: 50 },
      { limit: 50 }, // the newest page again: edits, deletes and reactions made while away
    ]);
    const seqs = messages().map((m) => Number(m.getAttribute('data-seq')));
    expect(seqs).toEqual(Array.from({ length: 53 }, (_, i) => i + 1));
    expect(h.socket.sentOf('join_room').at(-1).payload).toEqual({ roomId: 'r1' });
  });

  it('asks history again after a reconnect until it holds the first message that came live', async () => {
    loginAs();
    api.fetchMessages.mockResolvedValueOnce([msg(1), msg(2)]);
    renderAt('/rooms/r1');
    act(() => h.socket.connect());
    await waitFor(() => expect(messages()).toHaveLength(2));
    act(() => h.socket.drop());

    api.fetchMessages.mockReset();
    let behind = true; // the first catch-up finds history without 3 and 4, stored before the join
    api.fetchMessages.mockImplementation(async (roomId, { after }) => {
      if (after !== 2) return [];
      if (behind) {
        behind = false;
        return [];
      }
      return [msg(3), msg(4)];
    });
    act(() => h.socket.connect());
    act(() => h.socket.serverEmit('message', msg(4))); // live on the new connection
    await waitFor(() => expect(messages()).toHaveLength(4));
    expect(api.fetchMessages.mock.calls.map((c) => c[1])).toEqual([
      { after: 2, limit: 50 },
      { after: 2, limit: 50 }, // history was behind the live 4: asked again, 3 not skipped
      { limit: 50 },
    ]);
    expect(messages().map((m) => Number(m.getAttribute('data-seq')))).toEqual([1, 2, 3, 4]);
  });

  it('invites and leaves', async () => {
    loginAs();
    api.inviteToRoom.mockResolvedValue({ message: 'ok', participants: ['alice', 'bob', 'carol'] });
    api.leaveRoom.mockRejectedValueOnce({ response: { status: 403, data: { error: 'Not a member' } } });
    api.leaveRoom.mockResolvedValueOnce({ message: 'left' });
    renderAt('/rooms/r1');
    await screen.findByTestId('room-title');
    fireEvent.change(screen.getByLabelText('Invite users'), { target: { value: 'carol' } });
    fireEvent.click(screen.getByRole('button', { name: 'Invite' }));
    await waitFor(() => expect(screen.getByTestId('room-participants')).toHaveTextContent('carol'));
    expect(api.inviteToRoom).toHaveBeenCalledWith('r1', ['carol']);

    fireEvent.click(screen.getByRole('button', { name: 'Leave room' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('Not a member');
    fireEvent.click(screen.getByRole('button', { name: 'Leave room' }));
    await waitFor(() => expect(screen.queryAllByTestId('room-item')).toHaveLength(0));
    expect(screen.getByText(/Pick a room/)).toBeTruthy();
  });

  it('keeps the usernames typed while an invitation was on its way', async () => {
    loginAs();
    let done;
    api.inviteToRoom.mockReturnValueOnce(new Promise((resolve) => { done = resolve; }));
    renderAt('/rooms/r1');
    await screen.findByTestId('room-title');
    const field = screen.getByLabelText('Invite users');
    fireEvent.change(field, { target: { value: 'carol' } });
    fireEvent.click(screen.getByRole('button', { name: 'Invite' }));
    await waitFor(() => expect(api.inviteToRoom).toHaveBeenCalledWith('r1', ['carol']));
    fireEvent.change(field, { target: { value: 'dave' } }); // the next one, typed meanwhile
    await act(async () => done({ message: 'ok', participants: ['alice', 'bob', 'carol'] }));
    expect(screen.getByLabelText('Invite users').value).toBe('dave');
  });
});

describe('presence and read positions', () => {
  const at = (minute) => `2026-12-04T10:${String(minute).padStart(2, '0')}:00.000000Z`;
  const withReads = (roomId, name, extra) => ({
    roomId,
    name,
    participants: ['alice', 'bob'],
    lastReadSeq: 0,
    unread: 0,
    lastMessage: null,
    lastActivityAt: at(0),
    ...extra,
  });
  const badge = (roomId) =>
    screen.getAllByTestId('room-item').find((el) => el.getAttribute('data-room-id') === roomId).querySelector('[data-testid="unread-badge"]');
  const roomOrder = () => screen.getAllByTestId('room-item').map((el) => el.getAttribute('data-room-id'));
  let hidden = false;

  beforeEach(() => {
    hidden = false;
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => (hidden ? 'hidden' : 'visible') });
    api.listRooms.mockResolvedValue([
      withReads('r2', 'Lunch', { lastActivityAt: at(1) }),
      withReads('r1', 'General', { lastReadSeq: 1, unread: 2, lastMessage: msg(3, { timestamp: at(3) }), lastActivityAt: at(3) }),
    ]);
  });

  const setHidden = (value) => {
    hidden = value;
    act(() => document.dispatchEvent(new Event('visibilitychange')));
  };

  it('badges, previews and orders rooms, and counts live messages in rooms not open', async () => {
    loginAs();
    renderAt('/');
    await screen.findByText('General');
    expect(roomOrder()).toEqual(['r1', 'r2']);
    expect(badge('r1')).toHaveAttribute('data-count', '2');
    expect(badge('r1')).toHaveTextContent('2 unread messages');
    expect(badge('r2')).toBeNull();
    expect(screen.getByTestId('room-preview')).toHaveTextContent('bob: hello 3');
    expect(document.title).toBe('(2) MiniTalk');

    act(() => h.socket.serverEmit('message', msg(1, { roomId: 'r2', content: 'pizza?', timestamp: at(5) })));
    act(() => h.socket.serverEmit('message', msg(1, { roomId: 'r2', content: 'pizza?', timestamp: at(5) })));
    expect(roomOrder()).toEqual(['r2', 'r1']);
    expect(badge('r2')).toHaveAttribute('data-count', '1');
    // my other tab read it
    act(() => h.socket.serverEmit('read', { roomId: 'r2', lastReadSeq: 1 }));
    expect(badge('r2')).toBeNull();
  });

  it('opening a room shows the new-messages line, marks it read once, and clears the badge', async () => {
    loginAs();
    api.fetchMessages.mockResolvedValueOnce([msg(1, { sender: 'alice' }), msg(2), msg(3)]);
    renderAt('/rooms/r1');
    act(() => h.socket.connect());
    await waitFor(() => expect(messages()).toHaveLength(3));
    const line = screen.getByTestId('new-messages-marker');
    expect(line.nextElementSibling).toHaveAttribute('data-seq', '2');
    await waitFor(() => expect(h.socket.sentOf('mark_read')).toHaveLength(1));
    const [mark] = h.socket.sentOf('mark_read');
    expect(mark.payload).toEqual({ roomId: 'r1', seq: 3 });

    // more messages while the ack is pending: nothing more is sent, the open room gets no badge
    act(() => h.socket.serverEmit('message', msg(4)));
    act(() => h.socket.serverEmit('message', msg(5)));
    expect(h.socket.sentOf('mark_read')).toHaveLength(1);
    act(() => mark.cb(null, { ok: true, roomId: 'r1', lastReadSeq: 3 }));
    expect(badge('r1')).toBeNull();
    expect(screen.getByTestId('new-messages-marker').nextElementSibling).toHaveAttribute('data-seq', '2'); // stays put
    // the next one carries the newest seq, after the 1 s pause
    await waitFor(() => expect(h.socket.sentOf('mark_read')).toHaveLength(2), { timeout: 3000 });
    expect(h.socket.sentOf('mark_read')[1].payload).toEqual({ roomId: 'r1', seq: 5 });
  });

  it('a hidden tab marks nothing read and counts; coming back marks it read', async () => {
    loginAs();
    api.fetchMessages.mockResolvedValueOnce([msg(1), msg(2), msg(3)]);
    renderAt('/rooms/r1');
    act(() => h.socket.connect());
    await waitFor(() => expect(h.socket.sentOf('mark_read')).toHaveLength(1));
    act(() => h.socket.sentOf('mark_read')[0].cb(null, { ok: true, roomId: 'r1', lastReadSeq: 3 }));
    setHidden(true);
    act(() => h.socket.serverEmit('message', msg(4)));
    expect(badge('r1')).toHaveAttribute('data-count', '1');
    await new Promise((r) => setTimeout(r, 1200));
    expect(h.socket.sentOf('mark_read')).toHaveLength(1);
    setHidden(false);
    expect(screen.getByTestId('new-messages-marker').nextElementSibling).toHaveAttribute('data-seq', '4');
    await waitFor(() => expect(h.socket.sentOf('mark_read')).toHaveLength(2));
    expect(h.socket.sentOf('mark_read')[1].payload).toEqual({ roomId: 'r1', seq: 4 });
  });

  it('shows who is online with a labelled dot, follows changes, and who has seen the last message', async () => {
    loginAs();
    api.listRooms.mockResolvedValue([withReads('r1', 'General', { participants: ['alice', 'bob', 'carol'] })]);
    api.fetchMessages.mockResolvedValueOnce([msg(1, { sender: 'alice' })]);
    api.fetchReceipts.mockResolvedValueOnce([{ username: 'carol', lastReadSeq: 1 }]);
    renderAt('/rooms/r1');
    act(() => h.socket.connect());
    await waitFor(() => expect(messages()).toHaveLength(1));
    expect(screen.getByTestId('room-participants')).toHaveTextContent('Members: alice (you), bob, carol');
    expect(screen.queryAllByTestId('presence-dot')).toHaveLength(0); // unknown yet
    act(() => h.socket.serverEmit('presence', { roomId: 'r1', online: ['alice', 'carol'] }));
    const member = (name) => screen.getAllByTestId('member').find((el) => el.getAttribute('data-username') === name);
    expect(member('carol')).toHaveAttribute('data-online', 'true');
    expect(within(member('carol')).getByRole('img', { name: 'online' })).toBeTruthy();
    expect(within(member('bob')).getByRole('img', { name: 'offline' })).toBeTruthy();
    expect(screen.getByTestId('room-online')).toHaveTextContent('2 of 3 online');
    act(() => h.socket.serverEmit('presence_changed', { roomId: 'r1', username: 'bob', online: true }));
    expect(member('bob')).toHaveAttribute('data-online', 'true');
    act(() => h.socket.serverEmit('presence_changed', { roomId: 'r1', username: 'carol', online: false }));
    expect(member('carol')).toHaveAttribute('data-online', 'false');

    await waitFor(() => expect(screen.getByTestId('seen-by')).toHaveTextContent('Seen by carol'));
    act(() => h.socket.serverEmit('receipt', { roomId: 'r1', username: 'bob', lastReadSeq: 1 }));
    expect(screen.getByTestId('seen-by')).toHaveTextContent('Seen by bob and carol');

    act(() => h.socket.drop());
    expect(screen.queryAllByTestId('presence-dot')).toHaveLength(0); // no stale dots while offline
  });

  it('an old server (no new fields, no presence): no badge, no mark_read, nothing breaks', async () => {
    loginAs();
    api.listRooms.mockResolvedValue([{ roomId: 'r1', name: 'General', participants: ['alice', 'bob'] }]);
    api.fetchMessages.mockResolvedValueOnce([msg(1), msg(2)]);
    renderAt('/rooms/r1');
    act(() => h.socket.connect());
    await waitFor(() => expect(messages()).toHaveLength(2));
    act(() => h.socket.serverEmit('message', msg(3)));
    expect(screen.queryByTestId('unread-badge')).toBeNull();
    expect(screen.queryByTestId('new-messages-marker')).toBeNull();
    expect(screen.queryByTestId('room-online')).toBeNull();
    expect(screen.getByTestId('room-preview')).toHaveTextContent('bob: hello 3'); // learnt live
    await new Promise((r) => setTimeout(r, 50));
    expect(h.socket.sentOf('mark_read')).toHaveLength(0);
  });
});
