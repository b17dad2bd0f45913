import { describe, expect, it } from 'vitest';
import { conversationRows, GROUP_WINDOW_MS, initialRow } from './conversation.js';

// local times: day boundaries are the reader's
const at = (day, h, m = 0, s = 0) => new Date(2024, 4, day, h, m, s).toISOString();
let n = 0;
const entry = (sender, timestamp, extra = {}) => {
  n += 1;
  return { key: `k${n}`, seq: n, sender, timestamp, content: 'x', ...extra };
};

describe('conversationRows', () => {
  it('puts a day separator above the first message of each local day', () => {
    const entries = [
      entry('bob', at(1, 9)),
      entry('bob', at(1, 23, 59)),
      entry('bob', at(2, 0, 1)),
      entry('ann', at(5, 12)),
    ];
    const rows = conversationRows(entries);
    expect(rows.map((r) => r.day && r.day.getDate())).toEqual([1, null, 2, 5]);
    expect(rows[0].day).toEqual(new Date(2024, 4, 1));
  });

  it('groups consecutive messages of one sender within the window', () => {
    const entries = [
      entry('bob', at(1, 9, 0)),
      entry('bob', at(1, 9, 1)),
      entry('bob', at(1, 9, 4, 59)),
      entry('ann', at(1, 9, 5)),
      entry('bob', at(1, 9, 6)),
      entry('bob', new Date(new Date(at(1, 9, 6)).getTime() + GROUP_WINDOW_MS).toISOString()),
    ];
    expect(conversationRows(entries).map((r) => r.grouped)).toEqual([false, true, true, false, false, false]);
  });

  it('a new day or the "New messages" line starts a new group', () => {
    const entries = [entry('bob', at(1, 23, 58)), entry('bob', at(2, 0, 0)), entry('bob', at(2, 0, 1))];
    expect(conversationRows(entries).map((r) => r.grouped)).toEqual([false, false, true]);
    const rows = conversationRows(entries, { markerKey: entries[2].key });
    expect(rows.map((r) => r.newLine)).toEqual([false, false, true]);
    expect(rows[2].grouped).toBe(false);
  });

  it('a pending message (sent now) follows; an entry without a time neither groups nor separates', () => {
    const entries = [entry('ann', at(1, 9)), entry('ann', ''), entry('ann', at(1, 9, 1)), entry('ann', 'nonsense')];
    const rows = conversationRows(entries);
    expect(rows.map((r) => r.grouped)).toEqual([false, false, true, false]);
    expect(rows.map((r) => Boolean(r.day))).toEqual([true, false, false, false]);
  });

  it('a clock going backwards does not group', () => {
    const rows = conversationRows([entry('ann', at(1, 9, 5)), entry('ann', at(1, 9, 4))]);
    expect(rows[1].grouped).toBe(false);
  });
});

describe('initialRow', () => {
  it('opens on the "New messages" line, else on the newest row', () => {
    const entries = [entry('a', at(1, 1)), entry('b', at(1, 2)), entry('c', at(1, 3))];
    expect(initialRow(conversationRows(entries))).toBe(2);
    expect(initialRow(conversationRows(entries, { markerKey: entries[1].key }))).toBe(1);
    expect(initialRow([])).toBe(0);
  });
});
