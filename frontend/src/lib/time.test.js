import { describe, expect, it } from 'vitest';
import { dayLabel, daysAgo, exactTime, relativeTime, toDate } from './time.js';

const now = new Date(2026, 11, 5, 15, 30, 0); // Saturday 5 December 2026, 15:30 local
const ago = (ms) => new Date(now.getTime() - ms);
const MIN = 60_000;

describe('relativeTime', () => {
  it('"just now" under a minute, also for a time ahead of the clock', () => {
    expect(relativeTime(ago(0), now)).toBe('just now');
    expect(relativeTime(ago(59_000), now)).toBe('just now');
    expect(relativeTime(ago(-5 * MIN), now)).toBe('just now');
  });

  it('minutes within the hour', () => {
    expect(relativeTime(ago(MIN), now)).toBe('1 min ago');
    expect(relativeTime(ago(2 * MIN + 30_000), now)).toBe('2 min ago');
    expect(relativeTime(ago(59 * MIN), now)).toBe('59 min ago');
  });

  it('the clock time today, "Yesterday" and the date before', () => {
    expect(relativeTime(new Date(2026, 11, 5, 9, 5), now, 'en-GB')).toBe('09:05');
    expect(relativeTime(new Date(2026, 11, 4, 23, 50), now, 'en-GB')).toBe('Yesterday 23:50');
    expect(relativeTime(new Date(2026, 10, 28, 8, 0), now, 'en-GB')).toBe('28 Nov 2026 08:00');
  });
});

describe('dayLabel', () => {
  it('Today, Yesterday, the weekday within a week, else the date (year when another)', () => {
    expect(dayLabel(new Date(2026, 11, 5, 0, 0), now)).toBe('Today');
    expect(dayLabel(new Date(2026, 11, 4, 23, 59), now)).toBe('Yesterday');
    expect(dayLabel(new Date(2026, 11, 1, 12), now, 'en-GB')).toBe('Tuesday');
    expect(dayLabel(new Date(2026, 10, 28, 12), now, 'en-GB')).toBe('Saturday 28 November');
    expect(dayLabel(new Date(2025, 11, 31, 12), now, 'en-GB')).toBe('Wednesday, 31 December 2025');
  });

  it('counts local days across a DST change', () => {
    expect(daysAgo(new Date(2026, 2, 28, 12), new Date(2026, 2, 30, 12))).toBe(2);
    expect(daysAgo(new Date(2026, 9, 24, 12), new Date(2026, 9, 26, 1))).toBe(2);
  });
});

describe('exactTime and toDate', () => {
  it('the full date and time to the second', () => {
    const text = exactTime(new Date(2026, 11, 5, 1, 34, 49), 'en-GB');
    expect(text).toContain('Saturday');
    expect(text).toContain('5 December 2026');
    expect(text).toContain('01:34:49');
  });

  it('reads ISO strings and epoch seconds or milliseconds', () => {
    const ms = Date.UTC(2024, 4, 1, 10);
    expect(toDate('2024-05-01T10:00:00Z').getTime()).toBe(ms);
    expect(toDate(ms / 1000).getTime()).toBe(ms);
    expect(toDate(String(ms)).getTime()).toBe(ms);
    expect(toDate('nope')).toBeNull();
    expect(toDate('')).toBeNull();
  });
});
