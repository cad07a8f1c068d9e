import { describe, expect, it } from 'vitest';
import { awaitRenamePartner, type PartnerFacts } from '../src/plan/rename-wait.js';

/** The wait for a rename's partner (src/plan/rename-wait.ts), as a table. */

const NOW = 1_000_000;
const FACTS: Omit<PartnerFacts, 'newFileOfSizePending'> = {
  mode: 'daemon',
  now: NOW,
  dirtySince: NOW - 1_000,
  size: 42,
  debounceMs: 2_000,
  maxDelayMs: 60_000,
};

describe('awaitRenamePartner', () => {
  it.each<[string, Partial<PartnerFacts>, boolean, number | null, string]>([
    ['a same-size new file settles: waits half a debounce', {}, true, NOW + 1_000, 'rename'],
    ['no new file of that size', {}, false, null, 'no new file of that size pending'],
    ['a pass never waits', { mode: 'once' }, true, null, 'a pass sends its deletes after its copies'],
    ['size never known', { size: null }, true, null, 'size unknown'],
    ['maxDelayMs since dirty_since has passed', { dirtySince: NOW - 60_000 }, true, null, 'waited maxDelayMs'],
    ['one ms before maxDelayMs still waits', { dirtySince: NOW - 59_999 }, true, NOW + 1_000, 'rename'],
    ['no dirty_since counts from now', { dirtySince: null }, true, NOW + 1_000, 'rename'],
    ['a short debounce waits at least 100 ms', { debounceMs: 50 }, true, NOW + 100, 'rename'],
    ['half a debounce rounds to the ms', { debounceMs: 301 }, true, NOW + 151, 'rename'],
    ['maxDelayMs 0 never waits', { maxDelayMs: 0, dirtySince: NOW }, true, null, 'waited maxDelayMs'],
  ])('%s', (_what, facts, pending, until, reason) => {
    const asked: number[] = [];
    const v = awaitRenamePartner({
      ...FACTS,
      ...facts,
      newFileOfSizePending: (size) => {
        asked.push(size);
        return pending;
      },
    });
    if (until === null) expect(v).toEqual({ action: 'delete', reason: expect.stringContaining(reason) });
    else expect(v).toEqual({ action: 'wait', until, reason: expect.stringContaining(reason) });
    expect(v.reason.length).toBeGreaterThan(0);
    // The journal is asked only when its answer decides, and about the deleted file's size.
    const decidedBefore = facts.mode === 'once' || facts.size === null || v.reason.includes('maxDelayMs');
    expect(asked).toEqual(decidedBefore ? [] : [42]);
  });
});
