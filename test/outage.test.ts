import { describe, expect, it } from 'vitest';
import {
  nextLink,
  ONLINE,
  outcomeOf,
  PROBE_MAX_MS,
  PROBE_TIMEOUT_MS,
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

describe('probeDelay: 5 s, then every 10 s, never two probes within 10 s', () => {
  it.each([
    [0, undefined, 5000],
    [1, undefined, 10_000],
    [-1, undefined, 5000],
    // Start to start: the last probe started `ago` ms before (it may have hung until its timeout).
    [1, 0, 10_000],
    [1, 5000, 5000],
    [2, 9999, 1],
    [50, 12_000, 0],
    // Offline again soon after the last probe (of an earlier outage): it waits out 10 s from it.
    [0, 1000, 9000],
    [0, 4000, 6000],
    [0, 5000, 5000],
    [0, 60_000, 5000],
    [0, -500, 10_000],
  ])('after %i failed probes, the last started %s ms ago: %i ms', (n, ago, ms) => {
    expect(probeDelay(n, ago)).toBe(ms);
  });

  it('no 10 s window ever holds two probes, and an outage of D ms gets ≤ ceil(D / 10 s) of them', () => {
    expect(PROBE_MAX_MS).toBe(10_000);
    expect(PROBE_TIMEOUT_MS).toBeLessThan(PROBE_MAX_MS);
    // Outages one after another, the next starting `gap` ms after the last probe of the one before;
    // each probe takes `took` ms (answered at once, or hung until its timeout).
    for (const took of [0, 300, PROBE_TIMEOUT_MS])
      for (const gap of [0, 1, 3000, 9999, 10_000, 60_000]) {
        const probes: number[] = [];
        let t = 0;
        for (const duration of [10_000, 4_999, 60_000, 600_000]) {
          const start = t;
          for (let failed = 0; ; failed++) {
            const last = probes.at(-1);
            const at = t + probeDelay(failed, last === undefined ? undefined : t - last);
            if (at > start + duration) break;
            probes.push(at);
            t = at + took;
          }
          const inThis = probes.filter((p) => p > start).length;
          expect(inThis).toBeLessThanOrEqual(Math.ceil(duration / PROBE_MAX_MS));
          t = (probes.at(-1) ?? 0) + took + gap;
        }
        for (let i = 1; i < probes.length; i++)
          expect(probes[i]! - probes[i - 1]!).toBeGreaterThanOrEqual(PROBE_MAX_MS);
      }
  });

  it('an offline bucket is never left unprobed for more than 10 s (the endpoint back is seen within 10 s)', () => {
    for (let failed = 0; failed < 20; failed++)
      for (const ago of [undefined, 0, 5000, 20_000]) expect(probeDelay(failed, ago)).toBeLessThanOrEqual(PROBE_MAX_MS);
    // A probe that hangs until its timeout: the next one still starts 10 s after it did.
    expect(PROBE_TIMEOUT_MS + probeDelay(1, PROBE_TIMEOUT_MS)).toBe(PROBE_MAX_MS);
  });
});
