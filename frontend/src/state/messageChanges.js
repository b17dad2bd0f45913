// Pure: edits, deletes and reactions of stored messages (issue 16), applied by message id.
//
// Entry fields added to state/messages.js's entries:
//   editedAt:  ISO timestamp of the last edit, or null
//   deleted:   true once deleted (sticky: content '' and no reactions from then on)
//   reactions: { [emoji]: [username, ...] } (no empty lists)
//   reactionLog: { [emoji \n username]: {seq, on} } the live `reaction` events of this connection,
//              laid over every server copy of the message (a page fetched before an event may
//              come back after it); cleared when the socket drops (a missed event would make it
//              wrong) so the pages fetched after the reconnect are the truth.
//
// Events arrive by id, possibly twice, possibly out of order, possibly before the message:
//   edits are ordered by editedAt (then seq): an older edit never replaces a newer one;
//   a delete wins over everything; a reaction event is ignored when an event of a higher seq for
//   the same emoji and user was applied.

import { toDate } from '../lib/time.js';

const ORPHANS_MAX = 500;

const logKey = (emoji, username) => `${emoji}\n${username}`;

function toSeq(value) {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) ? n : null;
}

function timeOf(timestamp) {
  return toDate(timestamp)?.getTime() ?? null;
}

const editTime = (value) => (timeOf(value) === null ? null : value); // ISO string or epoch

/** {emoji: [names]} as the server sent it, cleaned (non-empty string lists, no duplicates). */
export function normalizeReactions(value) {
  const out = {};
  if (!value || typeof value !== 'object' || Array.isArray(value)) return out;
  for (const [emoji, names] of Object.entries(value)) {
    if (!Array.isArray(names)) continue;
    const clean = [...new Set(names.filter((n) => typeof n === 'string' && n))];
    if (clean.length) out[emoji] = clean;
  }
  return out;
}

function setReaction(reactions, emoji, username, on) {
  const names = reactions[emoji] || [];
  const has = names.includes(username);
  if (on === has) return reactions;
  const next = { ...reactions };
  const updated = on ? [...names, username] : names.filter((n) => n !== username);
  if (updated.length) next[emoji] = updated;
  else delete next[emoji];
  return next;
}

function overlayLog(reactions, log) {
  let out = reactions;
  for (const [key, { on }] of Object.entries(log || {})) {
    const [emoji, username] = key.split('\n');
    out = setReaction(out, emoji, username, on);
  }
  return out;
}

/** The change fields of a server copy (history item or live `message`). */
export function changesFromServer(msg) {
  const deleted = msg.deleted === true;
  return {
    editedAt: editTime(msg.editedAt),
    deleted,
    reactions: deleted ? {} : normalizeReactions(msg.reactions),
  };
}

/** Whether edit b (editedAt, seq) is not older than edit a. */
function notOlder(bAt, bSeq, aAt, aSeq) {
  const tb = timeOf(bAt);
  const ta = timeOf(aAt);
  if (ta === null) return true;
  if (tb === null) return false;
  if (tb !== ta) return tb > ta;
  return bSeq === null || aSeq === null || bSeq >= aSeq;
}

/**
 * `prev` (what the client holds) merged with `incoming` (a fresh server copy of the same
 * message): the newer edit's content, deleted if either says so, the server's reactions with this
 * connection's reaction events laid over them.
 */
export function mergeServerCopy(prev, incoming) {
  if (prev.deleted || incoming.deleted) {
    return { ...incoming, content: '', deleted: true, reactions: {}, editedAt: incoming.editedAt ?? prev.editedAt };
  }
  const keepPrevEdit = prev.editedAt && !notOlder(incoming.editedAt, null, prev.editedAt, null);
  return {
    ...incoming,
    content: keepPrevEdit ? prev.content : incoming.content,
    editedAt: keepPrevEdit ? prev.editedAt : incoming.editedAt,
    editSeq: keepPrevEdit ? prev.editSeq : null,
    reactions: overlayLog(incoming.reactions, prev.reactionLog),
    reactionLog: prev.reactionLog,
  };
}

/** message_edited {id, seq, content, editedAt} (or an edit's ack) applied to one entry. */
export function editEntry(entry, ev) {
  if (entry.deleted || typeof ev.content !== 'string') return entry;
  const seq = toSeq(ev.seq);
  const at = editTime(ev.editedAt);
  if (entry.editedAt && !notOlder(at, seq, entry.editedAt, entry.editSeq ?? null)) return entry;
  if (entry.content === ev.content && entry.editedAt === at && (entry.editSeq ?? null) === seq) return entry;
  return { ...entry, content: ev.content, editedAt: at ?? entry.editedAt ?? 'unknown', editSeq: seq };
}

/** message_deleted (or a delete's ack): the content is gone, a placeholder stays in its place. */
export function deleteEntry(entry) {
  if (entry.deleted) return entry;
  return { ...entry, deleted: true, content: '', reactions: {}, reactionLog: {} };
}

/** reaction {emoji, username, on, seq} applied to one entry. */
export function reactEntry(entry, ev) {
  if (entry.deleted || typeof ev.emoji !== 'string' || !ev.emoji || typeof ev.username !== 'string') return entry;
  const key = logKey(ev.emoji, ev.username);
  const seq = toSeq(ev.seq);
  const known = entry.reactionLog?.[key];
  if (known && seq !== null && known.seq !== null && seq < known.seq) return entry; // an older event
  const on = ev.on !== false;
  return {
    ...entry,
    reactions: setReaction(entry.reactions || {}, ev.emoji, ev.username, on),
    reactionLog: { ...(entry.reactionLog || {}), [key]: { seq, on } },
  };
}

const APPLY = { edit: editEntry, delete: deleteEntry, reaction: reactEntry };

/**
 * A change event ({kind: 'edit'|'delete'|'reaction', id, ...}) applied to the room's entry of
 * that id; kept aside (bounded) when the message is not held yet, applied when it comes.
 */
export function applyChange(room, change) {
  const fn = APPLY[change?.kind];
  if (!fn || change.id == null) return room;
  const i = room.entries.findIndex((e) => e.id === change.id);
  if (i === -1) {
    const orphans = [...(room.orphans || []), change].slice(-ORPHANS_MAX);
    return { ...room, orphans };
  }
  const next = fn(room.entries[i], change);
  if (next === room.entries[i]) return room;
  const entries = room.entries.slice();
  entries[i] = next;
  return { ...room, entries };
}

/** Changes kept aside for messages that have now arrived are applied (and dropped). */
export function applyOrphans(room) {
  if (!room.orphans?.length) return room;
  const held = new Set(room.entries.map((e) => e.id).filter((id) => id != null));
  const ready = room.orphans.filter((c) => held.has(c.id));
  if (!ready.length) return room;
  let next = { ...room, orphans: room.orphans.filter((c) => !held.has(c.id)) };
  for (const change of ready) next = applyChange(next, change);
  return next;
}

/** Socket lost: events may be missed from now on, so only server copies count for reactions. */
export function forgetLiveChanges(room) {
  if (!room.orphans?.length && !room.entries.some((e) => e.reactionLog && Object.keys(e.reactionLog).length)) {
    return room;
  }
  return { ...room, orphans: [], entries: room.entries.map((e) => (e.reactionLog ? { ...e, reactionLog: {} } : e)) };
}

/** The entry the Up arrow edits: the newest of mine that is stored and not deleted. */
export function lastEditable(entries, me) {
  for (let i = entries.length - 1; i >= 0; i -= 1) {
    const e = entries[i];
    if (e.sender === me && e.id != null && e.status === 'sent' && !e.deleted) return e;
  }
  return null;
}

/** Whether `me` may edit / delete `entry` (sender edits; sender or the room's creator deletes). */
export function permissions(entry, me, roomCreator) {
  const stored = entry.id != null && entry.status === 'sent' && !entry.deleted;
  const own = stored && entry.sender === me;
  return { edit: own, delete: own || (stored && roomCreator != null && roomCreator === me) };
}

/** [{emoji, count, names, mine}] in first-reaction order, for the bar under a message. */
export function reactionSummary(reactions, me) {
  return Object.entries(reactions || {}).map(([emoji, names]) => ({
    emoji,
    count: names.length,
    names,
    mine: names.includes(me),
  }));
}

/** Whether pressing `emoji` should add (true) or take back (false) my reaction. */
export function toggleTarget(reactions, emoji, me) {
  return !(reactions?.[emoji] || []).includes(me);
}

/** "alice, bob and carol reacted with 👍" (names of others; "you" for me). */
export function reactionLabel({ emoji, names }, me) {
  const who = names.map((n) => (n === me ? 'you' : n));
  const list = who.length > 1 ? `${who.slice(0, -1).join(', ')} and ${who[who.length - 1]}` : who[0] || 'nobody';
  return `${list} reacted with ${emoji}`;
}
