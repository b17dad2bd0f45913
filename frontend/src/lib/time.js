// timestamp is an ISO string or epoch (s or ms)
export function toDate(timestamp) {
  if (timestamp === null || timestamp === undefined || timestamp === '') return null;
  let v = timestamp;
  if (typeof v === 'string' && /^\d+(\.\d+)?$/.test(v)) v = Number(v);
  if (typeof v === 'number' && v < 1e12) v *= 1000;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? null : d;
}

export function formatTime(timestamp, now = new Date()) {
  const d = toDate(timestamp);
  if (!d) return '';
  const time = d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  return d.toDateString() === now.toDateString() ? time : `${d.toLocaleDateString()} ${time}`;
}

const MINUTE = 60 * 1000;
const DAY = 24 * 60 * MINUTE;

/** Local midnight of a date (day boundaries are the reader's, not UTC's). */
export function startOfDay(date) {
  return new Date(date.getFullYear(), date.getMonth(), date.getDate());
}

/** Whole local days from `date` to `now` (0 = same day, 1 = yesterday; DST-safe). */
export function daysAgo(date, now = new Date()) {
  return Math.round((startOfDay(now) - startOfDay(date)) / DAY);
}

/** Day separator label: "Today", "Yesterday", "Monday" within the week, else the full date. */
export function dayLabel(date, now = new Date(), locale = undefined) {
  const days = daysAgo(date, now);
  if (days === 0) return 'Today';
  if (days === 1) return 'Yesterday';
  if (days > 1 && days < 7) return date.toLocaleDateString(locale, { weekday: 'long' });
  const sameYear = date.getFullYear() === now.getFullYear();
  return date.toLocaleDateString(locale, {
    weekday: 'long',
    day: 'numeric',
    month: 'long',
    ...(sameYear ? {} : { year: 'numeric' }),
  });
}

function clock(date, locale) {
  return date.toLocaleTimeString(locale, { hour: '2-digit', minute: '2-digit' });
}

/**
 * Short time next to a message: "just now", "N min ago" within the hour, else the clock time
 * ("Yesterday 14:05", or the date before it when older). A time ahead of `now` (clock skew)
 * is "just now".
 */
export function relativeTime(date, now = new Date(), locale = undefined) {
  const diff = now - date;
  if (diff < MINUTE) return 'just now';
  if (diff < 60 * MINUTE) return `${Math.floor(diff / MINUTE)} min ago`;
  const days = daysAgo(date, now);
  if (days === 0) return clock(date, locale);
  if (days === 1) return `Yesterday ${clock(date, locale)}`;
  return `${date.toLocaleDateString(locale, { day: 'numeric', month: 'short', year: 'numeric' })} ${clock(date, locale)}`;
}

/** The exact time, for the tooltip and screen readers ("Saturday, 5 December 2026 at 01:34:49"). */
export function exactTime(date, locale = undefined) {
  return date.toLocaleString(locale, { dateStyle: 'full', timeStyle: 'medium' });
}
