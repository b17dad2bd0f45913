import { describe, expect, it } from 'vitest';
import { MemoryStorage, RefusingStorage } from '../test/memoryStorage.js';
import { loadMutes, mutesKey, parseMutes, saveMutes, setMuted } from './mutes.js';

describe('mutes', () => {
  it('toggles a room and persists per user', () => {
    const s = new MemoryStorage();
    let muted = loadMutes(s, 'alice');
    expect(muted.size).toBe(0);
    muted = setMuted(muted, 'r1', true);
    saveMutes(s, 'alice', muted);
    expect(loadMutes(s, 'alice')).toEqual(new Set(['r1']));
    expect(loadMutes(s, 'bob').size).toBe(0);
    muted = setMuted(muted, 'r1', false);
    saveMutes(s, 'alice', muted);
    expect(loadMutes(s, 'alice').size).toBe(0);
    expect(s.items.has(mutesKey('alice'))).toBe(false);
  });

  it('returns the same set when nothing changes', () => {
    const muted = new Set(['r1']);
    expect(setMuted(muted, 'r1', true)).toBe(muted);
    expect(setMuted(muted, 'r2', false)).toBe(muted);
    expect(setMuted(muted, 'r2', true)).not.toBe(muted);
  });

  it('reads anything unexpected as nothing muted', () => {
    expect(parseMutes('not json').size).toBe(0);
    expect(parseMutes('{"r1":true}').size).toBe(0);
    expect(parseMutes('["r1", 2, null, ""]')).toEqual(new Set(['r1']));
    expect(parseMutes(null).size).toBe(0);
  });

  it('survives a storage that refuses', () => {
    expect(loadMutes(new RefusingStorage(), 'alice').size).toBe(0);
    expect(saveMutes(new RefusingStorage(), 'alice', new Set(['r1']))).toBe(false);
  });
});
