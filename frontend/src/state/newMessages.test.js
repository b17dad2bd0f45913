import { describe, it, expect } from 'vitest';
import { markerKey, nextMarker } from './newMessages.js';

const entry = (seq, sender = 'bob') => ({ key: `k${seq}`, seq, sender });
const room = (lastReadSeq, unread) => ({ lastReadSeq, unread });

describe('new messages line', () => {
  it('is captured when the room opens and stays while the position moves', () => {
    let m = nextMarker(null, { roomId: 'r1', room: room(4, 3), visible: true });
    expect(m).toEqual({ roomId: 'r1', afterSeq: 4, visible: true });
    expect(nextMarker(m, { roomId: 'r1', room: room(7, 0), visible: true })).toBe(m); // marked read
    m = nextMarker(m, { roomId: 'r2', room: room(9, 0), visible: true });
    expect(m.afterSeq).toBeNull(); // nothing unread: no line
    expect(nextMarker(null, { roomId: 'r1', room: room(null, null), visible: true }).afterSeq).toBeNull(); // old server
  });

  it('moves when the tab comes back with unread messages', () => {
    let m = nextMarker(null, { roomId: 'r1', room: room(7, 0), visible: true });
    m = nextMarker(m, { roomId: 'r1', room: room(7, 0), visible: false });
    m = nextMarker(m, { roomId: 'r1', room: room(7, 2), visible: false });
    expect(m.afterSeq).toBeNull();
    m = nextMarker(m, { roomId: 'r1', room: room(7, 2), visible: true });
    expect(m).toEqual({ roomId: 'r1', afterSeq: 7, visible: true });
  });

  it("sits before the first message after the position that someone else sent", () => {
    const entries = [entry(3), entry(4), entry(5, 'alice'), entry(6), { key: 'p', seq: null, sender: 'alice' }];
    expect(markerKey(entries, 2, 'alice')).toBe('k3');
    expect(markerKey(entries, 4, 'alice')).toBe('k6');
    expect(markerKey(entries, 6, 'alice')).toBeNull();
    expect(markerKey(entries, null, 'alice')).toBeNull();
    expect(markerKey(entries, 0, 'alice')).toBe('k3'); // older ones not loaded: the top of what is shown
  });
});
