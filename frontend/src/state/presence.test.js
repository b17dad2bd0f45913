import { describe, it, expect } from 'vitest';
import { isOnline, onlineCount, presenceReducer } from './presence.js';

const run = (actions, state = {}) => actions.reduce(presenceReducer, state);

describe('presence', () => {
  it('a snapshot sets who is online; changes add and remove', () => {
    let s = run([{ type: 'snapshot', event: { roomId: 'r1', online: ['carol', 'alice', 'carol'] } }]);
    expect(s.r1).toEqual(['alice', 'carol']);
    s = run(
      [
        { type: 'changed', event: { roomId: 'r1', username: 'bob', online: true } },
        { type: 'changed', event: { roomId: 'r1', username: 'bob', online: true } },
        { type: 'changed', event: { roomId: 'r1', username: 'carol', online: false } },
      ],
      s,
    );
    expect(s.r1).toEqual(['alice', 'bob']);
    expect(isOnline(s, 'r1', 'bob', 'alice')).toBe(true);
    expect(isOnline(s, 'r1', 'carol', 'alice')).toBe(false);
    expect(onlineCount(s, 'r1', ['alice', 'bob', 'carol'], 'alice')).toBe(2);
  });

  it('a room without a snapshot stays unknown (no dots), a change alone does not fill it', () => {
    const s = run([{ type: 'changed', event: { roomId: 'r2', username: 'bob', online: true } }]);
    expect(s).toEqual({});
    expect(isOnline(s, 'r2', 'bob', 'alice')).toBeNull();
    expect(onlineCount(s, 'r2', ['bob'], 'alice')).toBeNull();
  });

  it('I am online in a known room even before the server says so', () => {
    const s = run([{ type: 'snapshot', event: { roomId: 'r1', online: [] } }]);
    expect(isOnline(s, 'r1', 'alice', 'alice')).toBe(true);
  });

  it('REST fills only an unknown room (the socket is newer); a lost socket forgets all', () => {
    let s = run([{ type: 'snapshot', event: { roomId: 'r1', online: ['bob'] } }]);
    s = run([{ type: 'snapshotIfUnknown', event: { roomId: 'r1', online: [] } }], s);
    expect(s.r1).toEqual(['bob']);
    s = run([{ type: 'snapshotIfUnknown', event: { roomId: 'r2', online: ['dan'] } }], s);
    expect(s.r2).toEqual(['dan']);
    expect(run([{ type: 'forget' }], s)).toEqual({});
    expect(run([{ type: 'snapshot', event: { roomId: 'r1' } }], s)).toBe(s); // malformed: ignored
  });
});
