import { describe, it, expect } from 'vitest';
import { parseParticipants, roomsReducer } from './rooms.js';

const room = (roomId, name, participants = ['alice']) => ({ roomId, name, participants });

describe('parseParticipants', () => {
  it('splits on commas, trims, drops empties and duplicates', () => {
    expect(parseParticipants(' bob, carol ,,bob, ')).toEqual(['bob', 'carol']);
    expect(parseParticipants('')).toEqual([]);
  });
});

describe('roomsReducer', () => {
  it('sets a sorted, deduped list', () => {
    const s = roomsReducer([], { type: 'set', rooms: [room('2', 'b'), room('1', 'a'), room('2', 'b')] });
    expect(s.map((r) => r.roomId)).toEqual(['1', '2']);
  });

  it('room_joined adds a new room and updates an existing one', () => {
    let s = roomsReducer([], { type: 'set', rooms: [room('1', 'a')] });
    s = roomsReducer(s, { type: 'upsert', room: room('2', 'b', ['bob', 'alice']) });
    expect(s.map((r) => r.name)).toEqual(['a', 'b']);
    s = roomsReducer(s, { type: 'upsert', room: { roomId: '1', participants: ['alice', 'dan'] } });
    expect(s[0]).toMatchObject({ name: 'a', participants: ['alice', 'dan'] });
  });

  it('room_left about me removes the room; about someone else removes the member', () => {
    let s = roomsReducer([], { type: 'set', rooms: [room('1', 'a', ['alice', 'bob'])] });
    s = roomsReducer(s, { type: 'left', event: { roomId: '1', username: 'bob' }, me: 'alice' });
    expect(s[0].participants).toEqual(['alice']);
    s = roomsReducer(s, { type: 'left', event: { roomId: '1' }, me: 'alice' });
    expect(s).toEqual([]);
  });
});
