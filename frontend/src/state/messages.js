// Pure per-room message state: merge by seq, dedupe by id / clientMsgId,
// optimistic sends (sending -> sent | failed -> retry), catch-up cursor.
//
// Room state shape:
//   entries:    array of entries; confirmed ones (with seq) sorted by seq,
//               then unconfirmed pending ones in the order they were sent.
//   hasMoreOlder: whether a "before" page may still return older messages.
//   loaded:     initial history fetched.
//   live:       socket connected and room caught up: live messages advance the cursor.
//   syncedSeq:  catch-up cursor: every stored message with seq <= syncedSeq is in entries
//               (null until the first history page arrived).
//   firstLive:  the lowest seq that came live since the socket was lost (null: none yet); a
//               catch-up makes the room live only once history reached it (see markLive).
//
// Entry: { key, id, seq, roomId, sender, content, timestamp, clientMsgId, status, error,
//          editedAt, deleted, reactions, reactionLog }   (the last four: state/messageChanges.js)
//   status: 'sending' | 'sent' | 'failed'
// Room: also `orphans`, edits / deletes / reactions that came before their message.

import { applyChange, applyOrphans, changesFromServer, forgetLiveChanges, mergeServerCopy } from './messageChanges.js';

export const SENDING = 'sending';
export const SENT = 'sent';
export const FAILED = 'failed';

export function emptyRoom() {
  return { entries: [], hasMoreOlder: false, loaded: false, live: false, syncedSeq: null, firstLive: null, orphans: [] };
}

const hasSeq = (e) => typeof e.seq === 'number' && Number.isFinite(e.seq);

function toSeq(value) {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) ? n : null;
}

function fromServer(msg) {
  return {
    key: msg.clientMsgId || msg.id || `seq-${msg.seq}`,
    id: msg.id ?? null,
    seq: toSeq(msg.seq),
    roomId: msg.roomId,
    sender: msg.sender,
    content: msg.content,
    timestamp: msg.timestamp,
    clientMsgId: msg.clientMsgId ?? null,
    status: SENT,
    error: null,
    ...changesFromServer(msg),
  };
}

function sortEntries(entries) {
  const confirmed = entries.filter(hasSeq).sort((a, b) => a.seq - b.seq);
  const pending = entries.filter((e) => !hasSeq(e));
  return confirmed.concat(pending);
}

function findIndex(entries, msg) {
  if (msg.id != null) {
    const i = entries.findIndex((e) => e.id != null && e.id === msg.id);
    if (i !== -1) return i;
  }
  if (msg.clientMsgId) {
    const i = entries.findIndex((e) => e.clientMsgId && e.clientMsgId === msg.clientMsgId);
    if (i !== -1) return i;
  }
  const seq = toSeq(msg.seq);
  if (seq != null) {
    const i = entries.findIndex((e) => e.seq === seq);
    if (i !== -1) return i;
  }
  return -1;
}

// Merge one stored message into the entries (no sorting).
function mergeOne(entries, msg) {
  const incoming = fromServer(msg);
  const i = findIndex(entries, msg);
  if (i === -1) return [...entries, incoming];
  const prev = entries[i];
  const merged = {
    ...prev,
    ...mergeServerCopy(prev, incoming),
    key: prev.key,
    clientMsgId: prev.clientMsgId || incoming.clientMsgId,
    seq: incoming.seq ?? prev.seq,
    id: incoming.id ?? prev.id,
  };
  const next = entries.slice();
  next[i] = merged;
  return next;
}

function maxSeq(entries) {
  let max = null;
  for (const e of entries) if (hasSeq(e) && (max === null || e.seq > max)) max = e.seq;
  return max;
}

function maxOf(a, b) {
  if (a == null) return b;
  if (b == null) return a;
  return Math.max(a, b);
}

/** Merge stored messages (history page, catch-up page or live events), deduped, ordered by seq. */
export function mergeMessages(room, messages) {
  let entries = room.entries;
  for (const msg of messages) {
    if (!msg || typeof msg !== 'object') continue;
    entries = mergeOne(entries, msg);
  }
  return applyOrphans({ ...room, entries: sortEntries(entries) });
}

/** A live `message` event; advances the cursor only while the room is live. */
export function receiveLive(room, msg) {
  const next = mergeMessages(room, [msg]);
  const seq = toSeq(msg.seq);
  if (room.live && seq != null) next.syncedSeq = maxOf(room.syncedSeq, seq);
  if (!room.live && room.loaded && seq != null) {
    next.firstLive = room.firstLive == null ? seq : Math.min(room.firstLive, seq);
  }
  return next;
}

/** First history page (latest `limit` messages, oldest first). Room becomes live. */
export function historyLoaded(room, messages, limit) {
  const next = mergeMessages(room, messages);
  return {
    ...next,
    loaded: true,
    hasMoreOlder: messages.length >= limit,
    live: true,
    syncedSeq: maxOf(maxSeq(next.entries), 0),
  };
}

/**
 * An older page fetched with before=<oldestSeq>: merged in front, deduped. A short page means
 * the room's first message is held; so does a full page that brought nothing older (a server
 * ignoring `before` would otherwise be asked again forever).
 */
export function olderLoaded(room, messages, limit) {
  const next = mergeMessages(room, messages);
  const before = oldestSeq(room);
  const after = oldestSeq(next);
  const gotOlder = before === null ? after !== null : after !== null && after < before;
  return { ...next, hasMoreOlder: messages.length >= limit && gotOlder };
}

/** The first message of the room is held (or the room has none): nothing older to load. */
export function reachedStart(room) {
  return Boolean(room?.loaded) && !room.hasMoreOlder;
}

/** A catch-up page fetched with after=<syncedSeq>: contiguous, so it advances the cursor. */
export function catchUpPage(room, messages) {
  const next = mergeMessages(room, messages);
  const pageMax = messages.reduce((m, msg) => maxOf(m, toSeq(msg?.seq)), null);
  return { ...next, syncedSeq: maxOf(room.syncedSeq, pageMax) };
}

/**
 * Catch-up finished: everything up to the newest message held is known, and live messages move
 * the cursor again. Not while history is behind what came live since the socket was lost: the
 * messages stored between the last history page and the first live one (before this socket
 * joined, not yet in history) would be skipped. The room stays stale then (`caughtUp` false):
 * the caller asks for history again.
 */
export function markLive(room) {
  if (!caughtUp(room)) return room;
  return { ...room, live: true, firstLive: null, syncedSeq: maxOf(room.syncedSeq, maxSeq(room.entries)) };
}

/** History holds the first message that came live since the socket was lost (or none came). */
export function caughtUp(room) {
  return room.firstLive == null || (room.syncedSeq ?? 0) >= room.firstLive;
}

/** Socket lost: live messages no longer prove there is no gap. */
export function markStale(room) {
  const next = forgetLiveChanges(room);
  return next.live || next.firstLive != null ? { ...next, live: false, firstLive: null } : next;
}

/** Cursor for ?after= on reconnect, or null when history has never loaded. */
export function catchUpCursor(room) {
  return room.syncedSeq;
}

/** Largest seq held (the newest message shown), or null. */
export function newestSeq(room) {
  return room ? maxSeq(room.entries) : null;
}

/** Smallest seq held, for ?before= when scrolling up. */
export function oldestSeq(room) {
  for (const e of room.entries) if (hasSeq(e)) return e.seq;
  return null;
}

/** Own message shown at once, before the server stored it. */
export function addPending(room, { clientMsgId, roomId, sender, content, timestamp }) {
  if (room.entries.some((e) => e.clientMsgId === clientMsgId)) return room;
  const entry = {
    key: clientMsgId,
    id: null,
    seq: null,
    roomId,
    sender,
    content,
    timestamp,
    clientMsgId,
    status: SENDING,
    error: null,
    editedAt: null,
    deleted: false,
    reactions: {},
  };
  return { ...room, entries: [...room.entries, entry] };
}

/** ack {ok:true,id,seq,timestamp} for clientMsgId: the entry is sent, in its place by seq. */
export function ackSent(room, clientMsgId, ack) {
  const seq = toSeq(ack.seq);
  const pendingIdx = room.entries.findIndex((e) => e.clientMsgId === clientMsgId);
  const storedIdx =
    ack.id != null ? room.entries.findIndex((e) => e.id === ack.id && e.clientMsgId !== clientMsgId) : -1;
  let entries = room.entries;
  if (storedIdx !== -1) {
    // the `message` event (without clientMsgId) got here first: drop the pending copy
    entries = entries
      .map((e, i) => (i === storedIdx ? { ...e, clientMsgId, status: SENT, error: null } : e))
      .filter((_, i) => i !== pendingIdx);
  } else if (pendingIdx !== -1) {
    const prev = entries[pendingIdx];
    entries = entries.slice();
    entries[pendingIdx] = {
      ...prev,
      id: ack.id ?? prev.id,
      seq: seq ?? prev.seq,
      timestamp: ack.timestamp ?? prev.timestamp,
      status: SENT,
      error: null,
    };
  } else {
    return room;
  }
  // The cursor stays: the ack can come before earlier messages of the room reach this socket
  // (each process delivers what the stream stores, in order, but the ack does not wait for it);
  // the message's own live copy moves the cursor once everything before it has arrived.
  return applyOrphans({ ...room, entries: sortEntries(entries) });
}

/** ack {ok:false,error} or timeout. A message already stored stays sent. */
export function markFailed(room, clientMsgId, error) {
  const i = room.entries.findIndex((e) => e.clientMsgId === clientMsgId);
  if (i === -1 || room.entries[i].status !== SENDING) return room;
  const entries = room.entries.slice();
  entries[i] = { ...entries[i], status: FAILED, error: error || 'failed' };
  return { ...room, entries };
}

/** Retry keeps the same clientMsgId; only a failed entry goes back to sending. */
export function markRetrying(room, clientMsgId) {
  const i = room.entries.findIndex((e) => e.clientMsgId === clientMsgId);
  if (i === -1 || room.entries[i].status !== FAILED) return room;
  const entries = room.entries.slice();
  entries[i] = { ...entries[i], status: SENDING, error: null };
  return { ...room, entries };
}

export function findByClientMsgId(room, clientMsgId) {
  return room.entries.find((e) => e.clientMsgId === clientMsgId) || null;
}

// ---- store of all opened rooms: { [roomId]: roomState } ----

const ROOM_ACTIONS = {
  live: (r, a) => receiveLive(r, a.message),
  history: (r, a) => historyLoaded(r, a.messages, a.limit),
  older: (r, a) => olderLoaded(r, a.messages, a.limit),
  catchUpPage: (r, a) => catchUpPage(r, a.messages),
  markLive: (r) => markLive(r),
  pending: (r, a) => addPending(r, a.entry),
  ack: (r, a) => ackSent(r, a.clientMsgId, a.ack),
  failed: (r, a) => markFailed(r, a.clientMsgId, a.error),
  retry: (r, a) => markRetrying(r, a.clientMsgId),
  change: (r, a) => applyChange(r, a.change),
  refresh: (r, a) => mergeMessages(r, a.messages),
};

export function messagesReducer(state, action) {
  switch (action.type) {
    case 'open':
      return state[action.roomId] ? state : { ...state, [action.roomId]: emptyRoom() };
    case 'close': {
      if (!state[action.roomId]) return state;
      const { [action.roomId]: _gone, ...rest } = state;
      return rest;
    }
    case 'staleAll': {
      const next = {};
      for (const [id, room] of Object.entries(state)) next[id] = markStale(room);
      return next;
    }
    case 'reset':
      return {};
    default: {
      const fn = ROOM_ACTIONS[action.type];
      if (!fn) return state;
      const room = state[action.roomId];
      // live events for rooms nobody opened are not kept: history loads them on open
      if (!room) return state;
      const next = fn(room, action);
      return next === room ? state : { ...state, [action.roomId]: next };
    }
  }
}
