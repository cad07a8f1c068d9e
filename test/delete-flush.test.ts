import { describe, expect, it } from 'vitest';
import {
  DELETE_BATCH_KEYS,
  type DeferFacts,
  deferGuard,
  flushAfterBatch,
  inDeleteWindow,
} from '../src/plan/delete-flush.js';

/** When deletes go to the guard and how many a call sends (src/plan/delete-flush.ts), as tables. */

const NOW = 1_000_000;
const FACTS: DeferFacts = {
  hold: true,
  undecided: 5,
  rootProblem: null,
  mode: 'daemon',
  now: NOW,
  deferredSince: undefined,
  maxDelayMs: 60_000,
};

describe('deferGuard', () => {
  it.each<[string, Partial<DeferFacts>, number | null, string]>([
    ['a hold with undecided deletes starts deferring now', {}, NOW, '5 deletes are still undecided'],
    ['a deferral keeps its start', { deferredSince: NOW - 10_000 }, NOW - 10_000, 'still undecided'],
    ['one ms before maxDelayMs still defers', { deferredSince: NOW - 59_999 }, NOW - 59_999, 'still undecided'],
    ['maxDelayMs of deferral decides', { deferredSince: NOW - 60_000 }, null, 'maxDelayMs'],
    ['maxDelayMs 0 never defers', { maxDelayMs: 0 }, null, 'maxDelayMs'],
    ['no hold: nothing to wait for', { hold: false }, null, 'lets the deletes go'],
    ['no hold, even with a deferral under way', { hold: false, deferredSince: NOW - 1 }, null, 'lets the deletes go'],
    ['every delete decided', { undecided: 0 }, null, 'every delete is decided'],
    ['a root problem holds at once', { rootProblem: 'root /srv is missing' }, null, 'root cannot be trusted'],
    ['a pass never defers', { mode: 'once' }, null, 'a pass decides'],
  ])('%s', (_what, facts, since, reason) => {
    const v = deferGuard({ ...FACTS, ...facts });
    if (since === null) expect(v).toEqual({ action: 'decide', reason: expect.stringContaining(reason) });
    else expect(v).toEqual({ action: 'defer', since, reason: expect.stringContaining(reason) });
  });
});

describe('flushAfterBatch', () => {
  it.each<[string, 'once' | 'daemon', number, 'flush' | 'wait']>([
    ['the daemon sends a full DeleteObjects batch at once', 'daemon', 1000, 'flush'],
    ['… and more than one', 'daemon', 2500, 'flush'],
    ['the daemon leaves fewer for an idle pipeline', 'daemon', 999, 'wait'],
    ['nothing pending', 'daemon', 0, 'wait'],
    ['a pass sends its deletes last, however many', 'once', 5000, 'wait'],
  ])('%s', (_what, mode, pending, action) => {
    const v = flushAfterBatch(mode, pending);
    expect(v.action).toBe(action);
    expect(v.reason.length).toBeGreaterThan(0);
  });

  it('a full batch is one DeleteObjects call', () => {
    expect(DELETE_BATCH_KEYS).toBe(1000);
  });
});

describe('inDeleteWindow', () => {
  const sent = [NOW - 90_000, NOW - 60_000, NOW - 59_999, NOW - 1];
  it('the daemon counts the deletes of the last 60 s', () => {
    expect(inDeleteWindow(sent, 'daemon', NOW)).toEqual([NOW - 59_999, NOW - 1]);
  });
  it('a pass counts all of its own', () => {
    expect(inDeleteWindow(sent, 'once', NOW)).toEqual(sent);
  });
  it('nothing sent, nothing counted', () => {
    expect(inDeleteWindow([], 'daemon', NOW)).toEqual([]);
  });
});
