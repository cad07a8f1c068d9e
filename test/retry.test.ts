import { describe, expect, it } from 'vitest';
import { afterFailure, recheckFailed, type Failure, type FailedRow } from '../src/plan/retry.js';

// The retry rule (src/plan/retry.ts): when a failed row is tried again, as a table.

const base: Failure = {
  code: 'S3_SERVER_ERROR',
  retryable: true,
  attempts: 0,
  previousCode: null,
  mode: 'daemon',
  now: 1000,
  debounceMs: 100,
  maxDelayMs: 10_000,
  jitter: 0.5,
};

const AFTER: readonly [string, Partial<Failure>, { retryAt: number | null; code: string }][] = [
  ['daemon: a server error backs off 2 s, then 4 s, …', {}, { retryAt: 3000, code: 'S3_SERVER_ERROR' }],
  ['daemon: the fourth failure waits 16 s', { attempts: 3 }, { retryAt: 17_000, code: 'S3_SERVER_ERROR' }],
  ['daemon: backoff stops growing at 5 minutes', { attempts: 20 }, { retryAt: 301_000, code: 'S3_SERVER_ERROR' }],
  ['daemon: jitter spreads it ±25 %', { jitter: 0 }, { retryAt: 2500, code: 'S3_SERVER_ERROR' }],
  [
    'once: 500 ms, 1 s, 2 s, then it gives up for this pass',
    { mode: 'once' },
    { retryAt: 1500, code: 'S3_SERVER_ERROR' },
  ],
  [
    'once: the fourth failure is the last of the pass',
    { mode: 'once', attempts: 3 },
    { retryAt: null, code: 'S3_SERVER_ERROR' },
  ],
  [
    'daemon: a bucket-side refusal is looked at again in 5 minutes',
    { code: 'ACCESS_DENIED', retryable: false },
    { retryAt: 301_000, code: 'ACCESS_DENIED' },
  ],
  [
    'once: a bucket-side refusal ends the pass for the row',
    { code: 'ACCESS_DENIED', retryable: false, mode: 'once' },
    { retryAt: null, code: 'ACCESS_DENIED' },
  ],
  [
    'daemon: an unreadable file waits for a change',
    { code: 'FILE_UNREADABLE', retryable: false },
    { retryAt: null, code: 'FILE_UNREADABLE' },
  ],
  [
    'daemon: a key collision waits (for a change, or for its holder to go)',
    { code: 'KEY_COLLISION', retryable: false },
    { retryAt: null, code: 'KEY_COLLISION' },
  ],
  [
    'daemon: a file that changed while read is tried once it has been quiet for debounceMs',
    { code: 'FILE_CHANGED' },
    { retryAt: 1100, code: 'FILE_CHANGED' },
  ],
  [
    'daemon: changed at two reads in a row, it never settles: named so, and read at most once per maxDelayMs',
    { code: 'FILE_CHANGED', attempts: 1, previousCode: 'FILE_CHANGED' },
    { retryAt: 11_000, code: 'FILE_NEVER_SETTLES' },
  ],
  [
    'daemon: it stays named so, at the same pace, however long it keeps changing',
    { code: 'FILE_CHANGED', attempts: 30, previousCode: 'FILE_NEVER_SETTLES' },
    { retryAt: 11_000, code: 'FILE_NEVER_SETTLES' },
  ],
  [
    'daemon: changed after some other failure: the first time again',
    { code: 'FILE_CHANGED', attempts: 2, previousCode: 'S3_SERVER_ERROR' },
    { retryAt: 1100, code: 'FILE_CHANGED' },
  ],
  [
    'once: a file that never settles is tried as often as any other, and named',
    { code: 'FILE_CHANGED', attempts: 3, previousCode: 'FILE_CHANGED', mode: 'once' },
    { retryAt: null, code: 'FILE_NEVER_SETTLES' },
  ],
];

const RECHECK: readonly [string, FailedRow, boolean][] = [
  ['a changed file is always tried again', { code: 'FILE_UNREADABLE', changed: true, keyHeldByOther: false }, true],
  [
    'an unreadable file that did not change waits',
    { code: 'FILE_UNREADABLE', changed: false, keyHeldByOther: false },
    false,
  ],
  [
    'an over-long key that did not change waits',
    { code: 'KEY_TOO_LONG', changed: false, keyHeldByOther: false },
    false,
  ],
  [
    'a key collision whose holder is still there waits',
    { code: 'KEY_COLLISION', changed: false, keyHeldByOther: true },
    false,
  ],
  [
    'a key collision whose holder is gone takes the key over',
    { code: 'KEY_COLLISION', changed: false, keyHeldByOther: false },
    true,
  ],
  [
    'a row that gave up on server errors (sync --once) is tried at the next pass',
    { code: 'S3_SERVER_ERROR', changed: false, keyHeldByOther: false },
    true,
  ],
  [
    'a bucket-side refusal is tried at the next pass',
    { code: 'ACCESS_DENIED', changed: false, keyHeldByOther: false },
    true,
  ],
  [
    'a file that never settled is tried at the next pass',
    { code: 'FILE_NEVER_SETTLES', changed: false, keyHeldByOther: false },
    true,
  ],
];

describe('retry rule', () => {
  it.each(AFTER)('afterFailure: %s', (_name, f, want) => {
    expect(afterFailure({ ...base, ...f })).toEqual(want);
  });
  it.each(RECHECK)('recheckFailed: %s', (_name, r, want) => {
    expect(recheckFailed(r)).toBe(want);
  });
});
