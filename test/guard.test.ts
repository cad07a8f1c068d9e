import { describe, expect, it } from 'vitest';
import { guardDeletes, type GuardFacts } from '../src/plan/guard.js';

/** The mass-delete guard (src/plan/guard.ts), as a table. */

const FACTS: GuardFacts = {
  rootProblem: null,
  rootEmpty: false,
  knownFiles: 1000,
  objects: 1000,
  pending: 1,
  recent: 0,
  maxDeletePercent: 50,
  maxDeleteCount: 10_000,
};

describe('guardDeletes', () => {
  it.each<[string, Partial<GuardFacts>, string | null]>([
    // nothing to hold
    ['no pending deletes', { pending: 0 }, null],
    ['no pending deletes, even with a missing root', { pending: 0, rootProblem: 'root /srv/data is missing' }, null],
    ['no pending deletes, even with an empty root', { pending: 0, rootEmpty: true }, null],
    ['no pending deletes, even over the count', { pending: 0, recent: 20_000 }, null],
    ['a few deletes well inside the limits', { pending: 10, recent: 5 }, null],
    // the root cannot be trusted
    ['root problem', { rootProblem: 'root /srv/data is missing' }, 'root /srv/data is missing'],
    [
      'root problem wins over an empty root',
      { rootProblem: 'root is on another device', rootEmpty: true },
      'root is on another device',
    ],
    [
      'empty root while the journal knows files',
      { rootEmpty: true, knownFiles: 7 },
      'root directory is empty while the journal knows 7 files',
    ],
    ['empty root and no known files', { rootEmpty: true, knownFiles: 0, objects: 10, pending: 1 }, null],
    // count limit (pending + recent)
    [
      'pending over maxDeleteCount',
      { objects: 100_000, pending: 11, maxDeleteCount: 10 },
      '11 deletes exceed maxDeleteCount 10',
    ],
    [
      'pending + recent over maxDeleteCount',
      { objects: 100_000, pending: 4, recent: 7, maxDeleteCount: 10 },
      '11 deletes exceed maxDeleteCount 10',
    ],
    [
      'pending + recent exactly at maxDeleteCount',
      { objects: 100_000, pending: 4, recent: 6, maxDeleteCount: 10 },
      null,
    ],
    ['maxDeleteCount 0 holds any delete', { pending: 1, maxDeleteCount: 0 }, '1 deletes exceed maxDeleteCount 0'],
    [
      'count is checked before percent',
      { objects: 10, pending: 20, maxDeleteCount: 15 },
      '20 deletes exceed maxDeleteCount 15',
    ],
    // percent limit (of objects under the prefix)
    ['over maxDeletePercent', { objects: 100, pending: 51 }, '51 deletes of 100 objects exceed maxDeletePercent 50%'],
    // recent deletes are no longer listed: the share is of objects + recent (what the prefix held before the window)
    [
      'pending + recent over maxDeletePercent',
      { objects: 70, pending: 21, recent: 30 },
      '51 deletes of 100 objects exceed maxDeletePercent 50%',
    ],
    ['exactly at maxDeletePercent', { objects: 100, pending: 50 }, null],
    ['pending + recent exactly at maxDeletePercent', { objects: 70, pending: 20, recent: 30 }, null],
    ['recent deletes count in the base, not only in the total', { objects: 60, pending: 10, recent: 40 }, null],
    ['limit rounds down: 2 of 5 at 50% pass', { objects: 5, pending: 2 }, null],
    [
      'limit rounds down: 3 of 5 at 50% hold',
      { objects: 5, pending: 3 },
      '3 deletes of 5 objects exceed maxDeletePercent 50%',
    ],
    [
      'maxDeletePercent 0 holds any delete',
      { objects: 100, pending: 1, maxDeletePercent: 0 },
      '1 deletes of 100 objects exceed maxDeletePercent 0%',
    ],
    ['maxDeletePercent 100 lets all objects go', { objects: 100, pending: 100, maxDeletePercent: 100 }, null],
    ['maxDeletePercent 100, a single object', { objects: 1, pending: 1, maxDeletePercent: 100 }, null],
    [
      'maxDeletePercent 100, the rest after recent deletes',
      { objects: 1, pending: 1, recent: 1, maxDeletePercent: 100 },
      null,
    ],
    [
      'maxDeletePercent 100, everything after many recent deletes',
      { objects: 500, pending: 500, recent: 500, maxDeletePercent: 100 },
      null,
    ],
    ['no objects known: percent is not applied', { objects: 0, pending: 5 }, null],
  ])('%s', (_what, facts, reason) => {
    const v = guardDeletes({ ...FACTS, ...facts });
    if (reason === null) expect(v).toEqual({ hold: false });
    else expect(v).toEqual({ hold: true, reason });
  });

  it.each([1, 2, 3, 7, 10, 99, 100, 101, 1000, 12_345])('the percent limit is exact for %d objects', (before) => {
    for (const pct of [1, 10, 33, 50, 99, 100]) {
      // the largest allowed count, derived by counting rather than by the guard's own formula
      let allowed = 0;
      while ((allowed + 1) * 100 <= before * pct) allowed++;
      // all of them pending now, or part of them already deleted in this window
      for (const recent of [0, Math.floor(allowed / 2)]) {
        const facts = { ...FACTS, objects: before - recent, recent, maxDeletePercent: pct, maxDeleteCount: 1e9 };
        const at = guardDeletes({ ...facts, pending: allowed - recent });
        const over = guardDeletes({ ...facts, pending: allowed - recent + 1 });
        const what = `${allowed} of ${before} at ${pct}% (${recent} recent)`;
        if (allowed - recent > 0) expect(at, what).toEqual({ hold: false });
        expect(over, what).toEqual({
          hold: true,
          reason: `${allowed + 1} deletes of ${before} objects exceed maxDeletePercent ${pct}%`,
        });
      }
    }
  });
});
