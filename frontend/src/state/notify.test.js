import { describe, expect, it } from 'vitest';
import { notificationFor, notificationPermission, shortText, shouldNotify } from './notify.js';

const message = { id: 'm1', seq: 4, roomId: 'r2', sender: 'bob', content: 'lunch?', timestamp: 't' };
const base = { message, me: 'alice', openRoomId: 'r1', visible: true, muted: new Set(), permission: 'granted' };

describe('shouldNotify', () => {
  it('for another room while the tab is visible', () => {
    expect(shouldNotify(base)).toBe(true);
  });

  it('for the open room only while the tab is hidden', () => {
    expect(shouldNotify({ ...base, openRoomId: 'r2' })).toBe(false);
    expect(shouldNotify({ ...base, openRoomId: 'r2', visible: false })).toBe(true);
    expect(shouldNotify({ ...base, openRoomId: null })).toBe(true);
  });

  it('never for my own messages', () => {
    expect(shouldNotify({ ...base, me: 'bob' })).toBe(false);
    expect(shouldNotify({ ...base, me: 'bob', visible: false })).toBe(false);
  });

  it('never for a muted room', () => {
    expect(shouldNotify({ ...base, muted: new Set(['r2']) })).toBe(false);
    expect(shouldNotify({ ...base, muted: new Set(['r2']), visible: false })).toBe(false);
    expect(shouldNotify({ ...base, muted: new Set(['r1']) })).toBe(true);
  });

  it('only with the permission granted', () => {
    for (const permission of ['default', 'denied', 'unsupported']) {
      expect(shouldNotify({ ...base, permission, visible: false })).toBe(false);
    }
  });

  it('not for a malformed event', () => {
    expect(shouldNotify({ ...base, message: null })).toBe(false);
    expect(shouldNotify({ ...base, message: { ...message, roomId: undefined } })).toBe(false);
    expect(shouldNotify({ ...base, message: { ...message, sender: '' } })).toBe(false);
  });
});

describe('notificationFor', () => {
  it('names sender and room, tags it per room and carries the room to open', () => {
    const n = notificationFor(message, 'Lunch');
    expect(n.title).toBe('bob in Lunch');
    expect(n.options).toMatchObject({ body: 'lunch?', tag: 'minitalk-room-r2', data: { roomId: 'r2', id: 'm1' } });
  });

  it('cuts a long message, whitespace collapsed, never inside an emoji', () => {
    const body = notificationFor({ ...message, content: `a\n\n${'😀'.repeat(500)}` }, 'Lunch').options.body;
    expect(Array.from(body)).toHaveLength(180);
    expect(body.startsWith('a 😀')).toBe(true);
    expect(body.endsWith('😀…')).toBe(true);
    expect(shortText('  short  ', 10)).toBe('short');
  });
});

describe('notificationPermission', () => {
  it("reads the browser's answer, 'unsupported' without the API", () => {
    expect(notificationPermission({})).toBe('unsupported');
    expect(notificationPermission(undefined)).toBe('unsupported');
    function Notification() {}
    Notification.permission = 'default';
    expect(notificationPermission({ Notification })).toBe('default');
  });
});
