// @vitest-environment jsdom
// Issue 17 in the UI: per-room mute (title, badge, persisted), desktop notifications (asked on
// a click, shown by the rules, a click opens the room), the polite live region, the composer
// (Enter / Shift+Enter, drafts per room across switches and reloads, the length limit), the
// "Back to rooms" button and the landmarks.
import { describe, it, expect, vi, beforeEach, afterEach } from 'vitest';
import { act, cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { MemoryRouter } from 'react-router-dom';
import { FakeSocket } from './test/fakeSocket.js';
import './test/matchers.js';

const h = vi.hoisted(() => ({ socket: null }));

vi.mock('socket.io-client', () => ({ io: () => h.socket }));

vi.mock('./api/endpoints.js', () => import('./test/endpointsMock.js'));

const api = await import('./api/endpoints.js');
const { App } = await import('./App.jsx');

const at = (min) => new Date(Date.UTC(2024, 4, 1, 10, min)).toISOString();
const msg = (seq, extra = {}) => ({
  id: `m${seq}`,
  seq,
  roomId: 'r1',
  sender: 'bob',
  content: `hello ${seq}`,
  timestamp: at(seq),
  ...extra,
});
const room = (roomId, name, extra = {}) => ({
  roomId,
  name,
  participants: ['alice', 'bob'],
  lastReadSeq: 0,
  unread: 0,
  lastMessage: null,
  lastActivityAt: at(0),
  ...extra,
});

/** What the browser's Notification API records in these tests (jsdom has none). */
class RecordingNotification {
  static permission = 'default';
  static shown = [];
  static asked = 0;
  static async requestPermission() {
    RecordingNotification.asked += 1;
    RecordingNotification.permission = 'granted';
    return 'granted';
  }
  constructor(title, options) {
    this.title = title;
    this.options = options;
    this.closed = false;
    RecordingNotification.shown.push(this);
  }
  close() {
    this.closed = true;
  }
}

let hidden = false;
const setHidden = (value) => {
  hidden = value;
  act(() => document.dispatchEvent(new Event('visibilitychange')));
};

function renderAt(path) {
  localStorage.setItem('token', 'tok');
  localStorage.setItem('username', 'alice');
  return render(
    <MemoryRouter initialEntries={[path]} future={{ v7_startTransition: true, v7_relativeSplatPath: true }}>
      <App />
    </MemoryRouter>,
  );
}

const item = (roomId) =>
  screen.getAllByTestId('room-item').find((el) => el.getAttribute('data-room-id') === roomId);
const badge = (roomId) => item(roomId).querySelector('[data-testid="unread-badge"]');
const composer = () => screen.getByLabelText('Message');
const openFromList = async (name) => {
  fireEvent.click(screen.getByRole('link', { name: new RegExp(name) }));
  await screen.findByRole('heading', { name, level: 2 });
};

beforeEach(() => {
  h.socket = new FakeSocket();
  localStorage.clear();
  vi.clearAllMocks();
  hidden = false;
  Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => (hidden ? 'hidden' : 'visible') });
  RecordingNotification.permission = 'default';
  RecordingNotification.shown = [];
  RecordingNotification.asked = 0;
  window.Notification = RecordingNotification;
  api.listRooms.mockResolvedValue([
    room('r1', 'General', { unread: 2, lastReadSeq: 1, lastMessage: msg(3), lastActivityAt: at(3) }),
    room('r2', 'Lunch', { unread: 1, lastMessage: msg(1, { roomId: 'r2' }), lastActivityAt: at(1) }),
  ]);
  api.fetchMessages.mockResolvedValue([]);
  api.fetchPresence.mockRejectedValue({ response: { status: 404 } });
  api.fetchReceipts.mockRejectedValue({ response: { status: 404 } });
});

afterEach(() => {
  cleanup();
  delete window.Notification;
});

describe('mute', () => {
  it('leaves a muted room out of the title, dims its badge, and is kept per user', async () => {
    renderAt('/rooms/r2');
    await screen.findByRole('heading', { name: 'Lunch', level: 2 });
    // on screen: Lunch is being read, General counts
    await waitFor(() => expect(document.title).toBe('(2) MiniTalk'));
    const toggle = screen.getByRole('button', { name: 'Mute' });
    expect(toggle).toHaveAttribute('aria-pressed', 'false');

    await openFromList('General');
    fireEvent.click(screen.getByRole('button', { name: 'Mute' }));
    expect(screen.getByRole('button', { name: 'Mute' })).toHaveAttribute('aria-pressed', 'true');
    expect(JSON.parse(localStorage.getItem('minitalk:muted:alice'))).toEqual(['r1']);
    // General muted and Lunch shown again in the list: only Lunch counts now
    await openFromList('Lunch');
    expect(document.title).toBe('MiniTalk');
    setHidden(true);
    expect(document.title).toBe('(1) MiniTalk'); // Lunch, not on screen any more; General muted
    setHidden(false);
    expect(item('r1')).toHaveAttribute('data-muted', 'true');
    expect(badge('r1')).toHaveAttribute('data-count', '2'); // still shown, dimmed
    expect(badge('r1')).toHaveTextContent('2 unread messages (muted)');
    expect(within(item('r1')).getByTestId('muted-icon')).toBeTruthy();

    act(() => h.socket.serverEmit('message', msg(4, { timestamp: at(9) })));
    expect(badge('r1')).toHaveAttribute('data-count', '3');
    expect(document.title).toBe('MiniTalk');

    // a reload keeps it
    cleanup();
    h.socket = new FakeSocket();
    renderAt('/');
    await screen.findByText('Lunch');
    expect(item('r1')).toHaveAttribute('data-muted', 'true');
    await waitFor(() => expect(document.title).toBe('(1) MiniTalk'));
  });

  it('follows a change made in another tab', async () => {
    renderAt('/');
    await screen.findByText('Lunch');
    localStorage.setItem('minitalk:muted:alice', '["r2"]');
    act(() => window.dispatchEvent(new StorageEvent('storage', { key: 'minitalk:muted:alice', newValue: '["r2"]' })));
    expect(item('r2')).toHaveAttribute('data-muted', 'true');
    expect(document.title).toBe('(2) MiniTalk');
  });
});

describe('desktop notifications', () => {
  it('asks only when the button is pressed', async () => {
    renderAt('/');
    await screen.findByText('Lunch');
    expect(RecordingNotification.asked).toBe(0);
    const button = screen.getByRole('button', { name: 'Enable notifications' });
    await act(async () => fireEvent.click(button));
    expect(RecordingNotification.asked).toBe(1);
    expect(screen.queryByRole('button', { name: 'Enable notifications' })).toBeNull();
    expect(screen.getByTestId('notifications')).toHaveAttribute('data-permission', 'granted');
  });

  it('says so when the browser blocks them, and shows nothing without the API', async () => {
    RecordingNotification.permission = 'denied';
    renderAt('/');
    await screen.findByText('Lunch');
    expect(screen.getByTestId('notifications')).toHaveTextContent('blocked');
    cleanup();
    delete window.Notification;
    renderAt('/');
    await screen.findByText('Lunch');
    expect(screen.queryByTestId('notifications')).toBeNull();
  });

  it('notifies for another room or a hidden tab, never mine or muted, and a click opens the room', async () => {
    RecordingNotification.permission = 'granted';
    localStorage.setItem('minitalk:muted:alice', '["r3"]');
    api.listRooms.mockResolvedValue([room('r1', 'General'), room('r2', 'Lunch'), room('r3', 'Noise')]);
    const focus = vi.spyOn(window, 'focus').mockImplementation(() => {});
    renderAt('/rooms/r1');
    await screen.findByRole('heading', { name: 'General', level: 2 });
    act(() => h.socket.connect());

    act(() => h.socket.serverEmit('message', msg(1))); // the open room, tab visible: no
    act(() => h.socket.serverEmit('message', msg(2, { sender: 'alice', roomId: 'r2' }))); // mine: no
    act(() => h.socket.serverEmit('message', msg(3, { roomId: 'r3' }))); // muted: no
    expect(RecordingNotification.shown).toHaveLength(0);

    act(() => h.socket.serverEmit('message', msg(4, { roomId: 'r2', content: 'pizza?' })));
    act(() => h.socket.serverEmit('message', msg(4, { roomId: 'r2', content: 'pizza?' }))); // twice: once
    expect(RecordingNotification.shown).toHaveLength(1);
    const [n] = RecordingNotification.shown;
    expect(n.title).toBe('bob in Lunch');
    expect(n.options).toMatchObject({ body: 'pizza?', tag: 'minitalk-room-r2' });

    setHidden(true);
    act(() => h.socket.serverEmit('message', msg(5))); // the open room, tab hidden: yes
    act(() => h.socket.serverEmit('message', msg(6, { roomId: 'r3' }))); // muted, hidden: no
    expect(RecordingNotification.shown.map((x) => x.title)).toEqual(['bob in Lunch', 'bob in General']);

    act(() => n.onclick());
    expect(focus).toHaveBeenCalled();
    expect(n.closed).toBe(true);
    expect(await screen.findByRole('heading', { name: 'Lunch', level: 2 })).toBeTruthy();
    focus.mockRestore();
  });
});

describe('live region', () => {
  it("announces others' new messages in the open room, politely", async () => {
    renderAt('/rooms/r1');
    await screen.findByRole('heading', { name: 'General', level: 2 });
    const region = screen.getByTestId('live-announcer');
    expect(region).toHaveAttribute('aria-live', 'polite');
    act(() => h.socket.serverEmit('message', msg(4, { content: 'are you there?' })));
    act(() => h.socket.serverEmit('message', msg(5, { sender: 'alice', content: 'mine' })));
    act(() => h.socket.serverEmit('message', msg(6, { roomId: 'r2', content: 'elsewhere' })));
    expect(region.textContent).toBe('bob: are you there?');
    act(() => h.socket.serverEmit('message_deleted', { roomId: 'r1', id: 'm4', seq: 4 }));
    expect(region.textContent).toBe('');
  });
});

describe('composer', () => {
  it('Enter sends, Shift+Enter does not', async () => {
    renderAt('/rooms/r1');
    await screen.findByRole('heading', { name: 'General', level: 2 });
    fireEvent.change(composer(), { target: { value: 'line one\nline two' } });
    fireEvent.keyDown(composer(), { key: 'Enter', shiftKey: true });
    expect(h.socket.sentOf('send_message')).toHaveLength(0);
    fireEvent.keyDown(composer(), { key: 'Enter' });
    expect(h.socket.sentOf('send_message')[0].payload).toMatchObject({ content: 'line one\nline two' });
    expect(composer().value).toBe('');
  });

  it('keeps a draft per room across room switches and reloads, cleared on send', async () => {
    renderAt('/rooms/r1');
    await screen.findByRole('heading', { name: 'General', level: 2 });
    fireEvent.change(composer(), { target: { value: 'general draft' } });
    await openFromList('Lunch');
    expect(composer().value).toBe('');
    fireEvent.change(composer(), { target: { value: 'lunch draft' } });
    await openFromList('General');
    expect(composer().value).toBe('general draft');

    cleanup();
    h.socket = new FakeSocket();
    renderAt('/rooms/r2');
    await screen.findByRole('heading', { name: 'Lunch', level: 2 });
    expect(composer().value).toBe('lunch draft');
    fireEvent.keyDown(composer(), { key: 'Enter' });
    expect(composer().value).toBe('');
    expect(localStorage.getItem('minitalk:draft:alice:r2')).toBeNull();
    await openFromList('General');
    expect(composer().value).toBe('general draft');
  });

  it('shows the counter near the limit and refuses to send over it, nothing cut', async () => {
    renderAt('/rooms/r1');
    await screen.findByRole('heading', { name: 'General', level: 2 });
    fireEvent.change(composer(), { target: { value: 'x'.repeat(100) } });
    expect(screen.queryByTestId('composer-count')).toBeNull();
    fireEvent.change(composer(), { target: { value: 'x'.repeat(3950) } });
    expect(screen.getByTestId('composer-count')).toHaveTextContent('3,950 / 4,000');
    expect(screen.queryByRole('alert')).toBeNull();

    const pasted = 'y'.repeat(4120);
    fireEvent.change(composer(), { target: { value: pasted } });
    expect(composer().value).toBe(pasted); // no silent truncation
    expect(screen.getByTestId('composer-count')).toHaveTextContent('4,120 / 4,000 · 120 characters over');
    expect(screen.getByRole('alert')).toHaveTextContent('Too long to send: the limit is 4,000 characters.');
    expect(composer()).toHaveAttribute('aria-invalid', 'true');
    expect(screen.getByRole('button', { name: 'Send' }).disabled).toBe(true);
    fireEvent.keyDown(composer(), { key: 'Enter' });
    expect(h.socket.sentOf('send_message')).toHaveLength(0);
    expect(composer().value).toBe(pasted);

    fireEvent.change(composer(), { target: { value: 'y'.repeat(4000) } });
    expect(screen.queryByRole('alert')).toBeNull();
    fireEvent.keyDown(composer(), { key: 'Enter' });
    expect(h.socket.sentOf('send_message')[0].payload.content).toHaveLength(4000);
  });
});

describe('layout', () => {
  it('has landmarks and headings, and a "Back to rooms" button', async () => {
    renderAt('/rooms/r1');
    await screen.findByRole('heading', { name: 'General', level: 2 });
    expect(screen.getByRole('banner')).toBeTruthy();
    expect(screen.getByRole('navigation', { name: 'Rooms' })).toBeTruthy();
    expect(screen.getByRole('main', { name: 'Conversation' })).toBeTruthy();
    expect(screen.getByRole('heading', { name: 'MiniTalk', level: 1 })).toBeTruthy();
    expect(screen.getByRole('heading', { name: 'Rooms', level: 2 })).toBeTruthy();
    // (hidden by CSS at desktop width: jsdom applies the styles, there is no phone media query)
    const back = screen.getByTestId('back-to-rooms');
    expect(back.tagName).toBe('BUTTON');
    expect(back).toHaveTextContent('Back to rooms');
    fireEvent.click(back);
    await waitFor(() => expect(screen.queryByRole('heading', { name: 'General', level: 2 })).toBeNull());
    expect(document.activeElement).toBe(within(item('r1')).getByRole('link'));
  });
});
