import { describe, expect, it } from 'vitest';
import {
  nextLink,
  ONLINE,
  outcomeOf,
  PROBE_MAX_MS,
  probeDelay,
  type LinkState,
  type RequestOutcome,
} from '../src/plan/outage.js';

// The outage rule (src/plan/outage.ts): which answers make a bucket offline, and how often an
// offline bucket is probed, as tables.

const OUTCOMES: readonly [string | null, RequestOutcome][] = [
  [null, 'answered'],
  ['ENDPOINT_UNREACHABLE', 'unreachable'],
  ['S3_SERVER_ERROR', 'server-error'],
  ['S3_THROTTLED', 'throttled'],
  ['ACCESS_DENIED', 'answered'],
  ['BUCKET_MISSING', 'answered'],
  ['S3_REQUEST_FAILED', 'answered'],
  ['S3_BAD_DIGEST', 'answered'],
];

describe('outcomeOf: what a request says about the link', () => {
  it.each(OUTCOMES)('%s → %s', (code, outcome) => {
    expect(outcomeOf(code)).toBe(outcome);
  });
});

const OFF: LinkState = { offlineSince: 100, serverErrors: 0, lastError: 'x' };

/** From a state, a sequence of outcomes → the change each one makes, and whether it ends offline. */
const SEQUENCES: readonly [string, LinkState, RequestOutcome[], (string | null)[], boolean][] = [
  ['a refused or reset connection is an outage at once', ONLINE, ['unreachable'], ['offline'], true],
  ['one 5xx is not an outage (s3rver: a DeleteObjects that succeeded)', ONLINE, ['server-error'], [null], false],
  ['two 5xx are not either', ONLINE, ['server-error', 'server-error'], [null, null], false],
  ['three 5xx in a row are', ONLINE, ['server-error', 'server-error', 'server-error'], [null, null, 'offline'], true],
  [
    'an answer between them breaks the run',
    ONLINE,
    ['server-error', 'server-error', 'answered', 'server-error', 'server-error'],
    [null, null, null, null, null],
    false,
  ],
  [
    'throttling neither counts nor breaks the run',
    ONLINE,
    ['server-error', 'throttled', 'server-error', 'throttled', 'server-error'],
    [null, null, null, null, 'offline'],
    true,
  ],
  ['throttling alone is never an outage', ONLINE, Array(10).fill('throttled'), Array(10).fill(null), false],
  ['offline: an answer brings it back', OFF, ['answered'], ['online'], false],
  ['offline: more failures change nothing', OFF, ['unreachable', 'server-error'], [null, null], true],
  ['offline: throttling keeps it offline (the probe decides)', OFF, ['throttled'], [null], true],
];

describe('nextLink: when a bucket goes offline and comes back', () => {
  it.each(SEQUENCES)('%s', (_name, start, outcomes, changes, offline) => {
    let s = start;
    const seen: (string | null)[] = [];
    for (const [i, o] of outcomes.entries()) {
      const r = nextLink(s, o, 1000 + i, `error ${i}`);
      seen.push(r.change);
      expect(r.reason).not.toBe('');
      s = r.state;
    }
    expect(seen).toEqual(changes);
    expect(s.offlineSince !== null).toBe(offline);
  });

  it('records since when and the error that made it offline, and the last one after', () => {
    const a = nextLink(ONLINE, 'unreachable', 5000, 'ECONNREFUSED').state;
    expect(a).toEqual({ offlineSince: 5000, serverErrors: 0, lastError: 'ECONNREFUSED' });
    const b = nextLink(a, 'unreachable', 9000, 'timed out').state;
    expect(b).toEqual({ offlineSince: 5000, serverErrors: 0, lastError: 'timed out' });
    expect(nextLink(b, 'answered', 9500, null).state).toEqual(ONLINE);
  });
});

describe('probeDelay: backoff capped at 10 s', () => {
  it.each([
    [0, 2000],
    [1, 4000],
    [2, 8000],
    [3, 10_000],
    [4, 10_000],
    [50, 10_000],
    [-1, 2000],
  ])('after %i failed probes: %i ms', (n, ms) => {
    expect(probeDelay(n)).toBe(ms);
  });

  it('never probes more than once per 10 s once at the cap, nor more than 3 extra probes overall', () => {
    expect(PROBE_MAX_MS).toBe(10_000);
    for (const window of [10_000, 60_000, 600_000]) {
      let t = 0;
      let n = 0;
      while (t + probeDelay(n) <= window) t += probeDelay(n++);
      expect(n).toBeLessThanOrEqual(window / 10_000 + 3);
    }
  });
});
