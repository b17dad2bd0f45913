import { describe, expect, it } from 'vitest';
import { addAnnouncement, announcementFor, dropAnnouncement } from './announce.js';

const m = (extra = {}) => ({ id: 'm1', seq: 1, roomId: 'r1', sender: 'bob', content: 'hi\nthere', ...extra });

describe('announcementFor', () => {
  it('reads a message of the open room from someone else', () => {
    expect(announcementFor(m(), { me: 'alice', openRoomId: 'r1' })).toEqual({ id: 'm1', text: 'bob: hi there' });
  });

  it('says nothing of my messages, other rooms or no room open', () => {
    expect(announcementFor(m(), { me: 'bob', openRoomId: 'r1' })).toBeNull();
    expect(announcementFor(m(), { me: 'alice', openRoomId: 'r2' })).toBeNull();
    expect(announcementFor(m(), { me: 'alice', openRoomId: null })).toBeNull();
    expect(announcementFor(null, { me: 'alice', openRoomId: 'r1' })).toBeNull();
  });

  it('cuts what is read out of a long message', () => {
    const a = announcementFor(m({ content: 'word '.repeat(1000) }), { me: 'alice', openRoomId: 'r1' });
    expect(a.text.length).toBeLessThan(320);
    expect(a.text.endsWith('…')).toBe(true);
  });
});

describe('announcement list', () => {
  it('keeps the newest few, each message once, and forgets on request', () => {
    let list = [];
    for (const id of ['a', 'b', 'b', 'c', 'd']) list = addAnnouncement(list, { id, text: id });
    expect(list.map((a) => a.id)).toEqual(['b', 'c', 'd']);
    expect(dropAnnouncement(list, 'c').map((a) => a.id)).toEqual(['b', 'd']);
    expect(dropAnnouncement(list, 'zz')).toBe(list);
  });
});
