import { describe, it, expect } from 'vitest';
import {
  applyChange,
  lastEditable,
  normalizeReactions,
  permissions,
  reactionLabel,
  reactionSummary,
  toggleTarget,
} from './messageChanges.js';
import { addPending, emptyRoom, historyLoaded, markStale, mergeMessages, messagesReducer, receiveLive } from './messages.js';

const msg = (seq, extra = {}) => ({
  id: `m${seq}`,
  seq,
  roomId: 'r1',
  sender: 'alice',
  content: `hello ${seq}`,
  timestamp: '2024-01-01T00:00:00Z',
  ...extra,
});
const at = (s) => `2024-01-01T00:0${s}:00Z`;
const edit = (id, content, s, seq) => ({ kind: 'edit', id, content, editedAt: at(s), seq });
const react = (id, emoji, username, on, seq) => ({ kind: 'reaction', id, emoji, username, on, seq });
const del = (id, seq) => ({ kind: 'delete', id, seq });
const entry = (room, id) => room.entries.find((e) => e.id === id);
const loaded = (...messages) => historyLoaded(emptyRoom(), messages, 50);

describe('edits by id', () => {
  it('replaces the content and marks it edited', () => {
    const room = applyChange(loaded(msg(1), msg(2)), edit('m2', 'fixed', 1, 3));
    expect(entry(room, 'm2')).toMatchObject({ content: 'fixed', editedAt: at(1) });
    expect(entry(room, 'm1')).toMatchObject({ content: 'hello 1', editedAt: null });
  });

  it('keeps the newer edit when an older one arrives after it', () => {
    let room = applyChange(loaded(msg(1)), edit('m1', 'second', 2, 5));
    room = applyChange(room, edit('m1', 'first', 1, 4));
    expect(entry(room, 'm1').content).toBe('second');
  });

  it('applies the same edit twice as once (same object back)', () => {
    const once = applyChange(loaded(msg(1)), edit('m1', 'fixed', 1, 3));
    expect(applyChange(once, edit('m1', 'fixed', 1, 3))).toBe(once);
  });

  it('orders edits of the same instant by seq', () => {
    let room = applyChange(loaded(msg(1)), edit('m1', 'b', 1, 6));
    room = applyChange(room, edit('m1', 'a', 1, 5));
    expect(entry(room, 'm1').content).toBe('b');
  });

  it('does not let a stale page undo an edit received live', () => {
    let room = applyChange(loaded(msg(1)), edit('m1', 'fixed', 1, 3));
    room = mergeMessages(room, [msg(1)]); // fetched before the edit, answered after it
    expect(entry(room, 'm1')).toMatchObject({ content: 'fixed', editedAt: at(1) });
    room = mergeMessages(room, [msg(1, { content: 'fixed again', editedAt: at(2) })]);
    expect(entry(room, 'm1')).toMatchObject({ content: 'fixed again', editedAt: at(2) });
  });

  it('keeps an edit that came before its message and applies it when the message arrives', () => {
    let room = applyChange(loaded(msg(1)), edit('m2', 'early edit', 1, 3));
    expect(room.entries).toHaveLength(1);
    room = receiveLive(room, msg(2));
    expect(entry(room, 'm2')).toMatchObject({ content: 'early edit', editedAt: at(1) });
    expect(room.orphans).toEqual([]);
  });

  it('reads history items with editedAt, deleted and reactions', () => {
    const room = loaded(
      msg(1, { editedAt: at(3), content: 'edited' }),
      msg(2, { deleted: true, content: '' }),
      msg(3, { reactions: { '👍': ['bob', 'bob', 7], '🎉': [] } }),
    );
    expect(entry(room, 'm1')).toMatchObject({ content: 'edited', editedAt: at(3), deleted: false });
    expect(entry(room, 'm2')).toMatchObject({ content: '', deleted: true });
    expect(entry(room, 'm3').reactions).toEqual({ '👍': ['bob'] });
  });
});

describe('deletes by id', () => {
  it('leaves a placeholder in its place (same seq), no content, no reactions', () => {
    let room = applyChange(loaded(msg(1), msg(2)), react('m2', '👍', 'bob', true, 3));
    room = applyChange(room, del('m2', 4));
    expect(room.entries.map((e) => e.seq)).toEqual([1, 2]);
    expect(entry(room, 'm2')).toMatchObject({ deleted: true, content: '', reactions: {} });
  });

  it('wins over an edit or a reaction that arrives after it, and over a stale page', () => {
    let room = applyChange(loaded(msg(1)), del('m1', 5));
    room = applyChange(room, edit('m1', 'too late', 2, 4));
    room = applyChange(room, react('m1', '👍', 'bob', true, 3));
    room = mergeMessages(room, [msg(1)]);
    expect(entry(room, 'm1')).toMatchObject({ deleted: true, content: '', reactions: {} });
  });

  it('is idempotent', () => {
    const once = applyChange(loaded(msg(1)), del('m1', 2));
    expect(applyChange(once, del('m1', 2))).toBe(once);
  });
});

describe('reactions by id', () => {
  it('adds and removes one user per emoji, in order of first reaction', () => {
    let room = loaded(msg(1));
    room = applyChange(room, react('m1', '👍', 'bob', true, 2));
    room = applyChange(room, react('m1', '🎉', 'carol', true, 3));
    room = applyChange(room, react('m1', '👍', 'carol', true, 4));
    expect(entry(room, 'm1').reactions).toEqual({ '👍': ['bob', 'carol'], '🎉': ['carol'] });
    room = applyChange(room, react('m1', '🎉', 'carol', false, 5));
    expect(entry(room, 'm1').reactions).toEqual({ '👍': ['bob', 'carol'] });
  });

  it('counts a duplicate event once', () => {
    let room = applyChange(loaded(msg(1)), react('m1', '👍', 'bob', true, 2));
    room = applyChange(room, react('m1', '👍', 'bob', true, 2));
    expect(entry(room, 'm1').reactions).toEqual({ '👍': ['bob'] });
  });

  it('ignores an older event of the same emoji and user that arrives late', () => {
    let room = applyChange(loaded(msg(1)), react('m1', '👍', 'bob', false, 9));
    room = applyChange(room, react('m1', '👍', 'bob', true, 8));
    expect(entry(room, 'm1').reactions).toEqual({});
  });

  it('lays live events over a page fetched before them; forgets them when the socket drops', () => {
    let room = applyChange(loaded(msg(1)), react('m1', '👍', 'bob', true, 2));
    room = mergeMessages(room, [msg(1, { reactions: {} })]); // stale page
    expect(entry(room, 'm1').reactions).toEqual({ '👍': ['bob'] });
    room = markStale(room); // events may be missed from now on: the next page is the truth
    room = mergeMessages(room, [msg(1, { reactions: {} })]);
    expect(entry(room, 'm1').reactions).toEqual({});
  });

  it('summarises counts, names and mine; says who reacted', () => {
    const summary = reactionSummary({ '👍': ['bob', 'alice'], '🎉': ['carol'] }, 'alice');
    expect(summary).toEqual([
      { emoji: '👍', count: 2, names: ['bob', 'alice'], mine: true },
      { emoji: '🎉', count: 1, names: ['carol'], mine: false },
    ]);
    expect(reactionLabel(summary[0], 'alice')).toBe('bob and you reacted with 👍');
    expect(reactionLabel({ emoji: '🎉', names: ['a', 'b', 'c'] }, 'z')).toBe('a, b and c reacted with 🎉');
  });

  it('toggles: adds mine when absent, takes it back when present', () => {
    expect(toggleTarget({ '👍': ['bob'] }, '👍', 'alice')).toBe(true);
    expect(toggleTarget({ '👍': ['bob', 'alice'] }, '👍', 'alice')).toBe(false);
    expect(toggleTarget(undefined, '🎉', 'alice')).toBe(true);
  });

  it('cleans what the server sends', () => {
    expect(normalizeReactions(null)).toEqual({});
    expect(normalizeReactions([1])).toEqual({});
    expect(normalizeReactions({ ':tada:': ['a', '', 'a'], x: 'nope' })).toEqual({ ':tada:': ['a'] });
  });
});

describe('Up arrow and permissions', () => {
  const sent = (seq, sender, extra = {}) => msg(seq, { sender, ...extra });

  it('picks my newest stored message that is not deleted', () => {
    let room = loaded(sent(1, 'alice'), sent(2, 'alice'), sent(3, 'bob'), sent(4, 'alice', { deleted: true }));
    expect(lastEditable(room.entries, 'alice').id).toBe('m2');
    room = addPending(room, { clientMsgId: 'c1', roomId: 'r1', sender: 'alice', content: 'x', timestamp: 't' });
    expect(lastEditable(room.entries, 'alice').id).toBe('m2'); // not stored yet: nothing to edit
    expect(lastEditable(room.entries, 'carol')).toBeNull();
  });

  it('lets the sender edit and delete, the room creator delete, nobody else anything', () => {
    const [e] = loaded(sent(1, 'alice')).entries;
    expect(permissions(e, 'alice', 'carol')).toEqual({ edit: true, delete: true });
    expect(permissions(e, 'bob', 'carol')).toEqual({ edit: false, delete: false });
    expect(permissions(e, 'carol', 'carol')).toEqual({ edit: false, delete: true });
    expect(permissions({ ...e, deleted: true }, 'alice', null)).toEqual({ edit: false, delete: false });
  });
});

describe('store of rooms', () => {
  it('applies a change to the room it names; ignores rooms not opened', () => {
    let state = messagesReducer({}, { type: 'open', roomId: 'r1' });
    state = messagesReducer(state, { type: 'history', roomId: 'r1', messages: [msg(1)], limit: 50 });
    const same = messagesReducer(state, { type: 'change', roomId: 'r9', change: del('m1', 2) });
    expect(same).toBe(state);
    state = messagesReducer(state, { type: 'change', roomId: 'r1', change: edit('m1', 'new', 1, 2) });
    expect(state.r1.entries[0].content).toBe('new');
    state = messagesReducer(state, { type: 'refresh', roomId: 'r1', messages: [msg(1, { reactions: { '👍': ['bob'] } })] });
    expect(state.r1.entries[0]).toMatchObject({ content: 'new', reactions: { '👍': ['bob'] } });
  });

  it('keeps at most 500 early changes', () => {
    let room = loaded(msg(1));
    for (let i = 0; i < 600; i += 1) room = applyChange(room, edit(`x${i}`, 'e', 1, i));
    expect(room.orphans).toHaveLength(500);
    expect(room.orphans[0].id).toBe('x100');
  });
});
