// Pure mark-read scheduling for the open room: send `mark_read` with the newest seq shown,
// only while the room is open and the tab visible, one request in flight, at most one per
// `interval` ms (later changes coalesce into the next one), a growing pause after failures.
//
// State: { acked, inFlight, lastSentAt, failures }
//   acked:      the server's read position as far as this tab knows
//   inFlight:   seq of the unanswered request, or null
//   lastSentAt: epoch ms of the last request, or null
//   failures:   consecutive failed requests (ack {ok:false} or timeout)
//   minWaitMs:  the last refusal's retryAfterMs (rate limited), waited at least

export const MARK_READ_INTERVAL_MS = 1000;
export const MARK_READ_MAX_BACKOFF_MS = 30000;

export function initialMarkRead(acked = 0) {
  return { acked: acked ?? 0, inFlight: null, lastSentAt: null, failures: 0, minWaitMs: 0 };
}

/**
 * What to do now: {send: seq}, {waitMs} (ask again then), or null (nothing to do until an
 * input changes). `target`: newest seq shown in the room; `viewing`: room open and tab visible;
 * `serverSeq`: lastReadSeq from the room list (null: the server has no read positions).
 */
export function nextMarkRead(state, { target, viewing, serverSeq, now, interval = MARK_READ_INTERVAL_MS }) {
  if (!viewing || serverSeq === null || serverSeq === undefined) return null;
  if (typeof target !== 'number' || target <= Math.max(state.acked, serverSeq)) return null;
  if (state.inFlight !== null) return null; // its answer asks again
  if (state.lastSentAt === null) return { send: target };
  const backoff = Math.min(interval * 2 ** state.failures, MARK_READ_MAX_BACKOFF_MS);
  const pause = Math.max(backoff, state.failures > 0 ? state.minWaitMs || 0 : 0);
  const wait = state.lastSentAt + pause - now;
  return wait > 0 ? { waitMs: wait } : { send: target };
}

export function markSent(state, seq, now) {
  return { ...state, inFlight: seq, lastSentAt: now };
}

/**
 * ack {ok:true, lastReadSeq}. A position short of what was sent (the server clamps to the
 * last message it knows) counts as a failure, so asking again backs off instead of looping.
 */
export function markAcked(state, lastReadSeq) {
  const sent = state.inFlight ?? state.acked;
  const seq = typeof lastReadSeq === 'number' ? lastReadSeq : sent;
  return { ...state, inFlight: null, failures: seq < sent ? state.failures + 1 : 0, acked: Math.max(state.acked, seq) };
}

/** ack {ok:false} or a timeout; a rate-limited answer's `retryAfterMs` is waited at least. */
export function markFailed(state, retryAfterMs = 0) {
  const wait = typeof retryAfterMs === 'number' && retryAfterMs > 0 ? retryAfterMs : 0;
  return { ...state, inFlight: null, failures: state.failures + 1, minWaitMs: wait };
}

/** The server's position moved (another socket of mine, or a refreshed list). */
export function serverMoved(state, lastReadSeq) {
  return typeof lastReadSeq === 'number' && lastReadSeq > state.acked ? { ...state, acked: lastReadSeq } : state;
}
