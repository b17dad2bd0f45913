import { describe, expect, it } from 'vitest';
import { MemoryStorage, RefusingStorage } from '../test/memoryStorage.js';
import { clearDraft, draftKey, loadDraft, saveDraft } from './drafts.js';

describe('drafts', () => {
  it('keeps one draft per user and room', () => {
    const s = new MemoryStorage();
    saveDraft(s, 'alice', 'r1', 'half a thought');
    saveDraft(s, 'alice', 'r2', 'other room\nsecond line');
    saveDraft(s, 'bob', 'r1', "bob's");
    expect(loadDraft(s, 'alice', 'r1')).toBe('half a thought');
    expect(loadDraft(s, 'alice', 'r2')).toBe('other room\nsecond line');
    expect(loadDraft(s, 'bob', 'r1')).toBe("bob's");
    expect(loadDraft(s, 'carol', 'r1')).toBe('');
  });

  it('is removed when sent or emptied, keeping the other rooms', () => {
    const s = new MemoryStorage();
    saveDraft(s, 'alice', 'r1', 'a');
    saveDraft(s, 'alice', 'r2', 'b');
    clearDraft(s, 'alice', 'r1');
    expect(loadDraft(s, 'alice', 'r1')).toBe('');
    expect(s.items.has(draftKey('alice', 'r1'))).toBe(false);
    saveDraft(s, 'alice', 'r2', '');
    expect(s.items.size).toBe(0);
  });

  it('keeps text exactly, long text included', () => {
    const s = new MemoryStorage();
    const long = '  spaces kept  '.repeat(1000);
    saveDraft(s, 'alice', 'r1', long);
    expect(loadDraft(s, 'alice', 'r1')).toBe(long);
  });

  it('keys cannot collide through the separator', () => {
    expect(draftKey('a:b', 'c')).not.toBe(draftKey('a', 'b:c'));
  });

  it('survives a storage that refuses, or none', () => {
    expect(saveDraft(new RefusingStorage(), 'alice', 'r1', 'x')).toBe(false);
    expect(loadDraft(new RefusingStorage(), 'alice', 'r1')).toBe('');
    expect(saveDraft(null, 'alice', 'r1', 'x')).toBe(false);
    expect(loadDraft(null, 'alice', 'r1')).toBe('');
  });
});
