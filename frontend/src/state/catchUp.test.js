import { describe, it, expect, vi } from 'vitest';
import { catchUp } from './catchUp.js';

const page = (from, n) => Array.from({ length: n }, (_, i) => ({ id: `m${from + i}`, seq: from + i }));

describe('catchUp', () => {
  it('pages with after=<last seq> until a short page', async () => {
    const calls = [];
    const fetchPage = vi.fn(async ({ after, limit }) => {
      calls.push(after);
      if (after === 10) return page(11, limit);
      if (after === 13) return page(14, limit);
      return page(17, 1);
    });
    const pages = [];
    const total = await catchUp({ fetchPage, onPage: (p) => pages.push(p), after: 10, limit: 3 });
    expect(calls).toEqual([10, 13, 16]);
    expect(total).toBe(7);
    expect(pages.flat().map((m) => m.seq)).toEqual([11, 12, 13, 14, 15, 16, 17]);
  });

  it('stops at once on an empty page', async () => {
    const fetchPage = vi.fn(async () => []);
    const onPage = vi.fn();
    expect(await catchUp({ fetchPage, onPage, after: 5, limit: 50 })).toBe(0);
    expect(fetchPage).toHaveBeenCalledTimes(1);
  });

  it('stops when a full page makes no progress', async () => {
    const fetchPage = vi.fn(async () => [{ id: 'a', seq: 5 }]);
    await catchUp({ fetchPage, onPage: () => {}, after: 5, limit: 1 });
    expect(fetchPage).toHaveBeenCalledTimes(1);
  });

  it('propagates fetch errors', async () => {
    const fetchPage = async () => {
      throw new Error('offline');
    };
    await expect(catchUp({ fetchPage, onPage: () => {}, after: 0 })).rejects.toThrow('offline');
  });
});
