// PURE: how the conversation view lays out a room's entries (state/messages.js), one row per
// message: a day separator above the first message of each local day, the "New messages" line,
// and grouping (consecutive messages of one sender within GROUP_WINDOW_MS show the name once).

import { startOfDay, toDate } from '../lib/time.js';

export const GROUP_WINDOW_MS = 5 * 60 * 1000;

/**
 * Row: { key, entry, day: Date | null (local midnight, when a separator goes above),
 *        newLine: boolean, grouped: boolean (continues the previous message's group) }
 */
export function conversationRows(entries, { markerKey = null } = {}) {
  const rows = [];
  let prev = null;
  let prevDate = null;
  for (const entry of entries) {
    const date = toDate(entry.timestamp);
    const newDay = date && (!prevDate || startOfDay(date).getTime() !== startOfDay(prevDate).getTime());
    const newLine = entry.key === markerKey;
    rows.push({
      key: entry.key,
      entry,
      day: newDay ? startOfDay(date) : null,
      newLine,
      grouped: !newDay && !newLine && continues(prev, entry, prevDate, date),
    });
    prev = entry;
    if (date) prevDate = date;
  }
  return rows;
}

function continues(prev, entry, prevDate, date) {
  if (!prev || prev.sender !== entry.sender || !prevDate || !date) return false;
  const gap = date - prevDate;
  return gap >= 0 && gap < GROUP_WINDOW_MS;
}

/**
 * How many rows were put before the row that was first (an older page prepended), for
 * Virtuoso's firstItemIndex; 0 when that row is gone or still first.
 */
export function prependedCount(rows, previousFirstKey) {
  if (previousFirstKey == null) return 0;
  const i = rows.findIndex((r) => r.key === previousFirstKey);
  return i > 0 ? i : 0;
}

/** Index of the row to show first when the room opens: the "New messages" line, else the last. */
export function initialRow(rows) {
  const i = rows.findIndex((r) => r.newLine);
  return i === -1 ? Math.max(0, rows.length - 1) : i;
}
