import { describe, expect, it } from 'vitest';
import { health, parseLag } from '../src/plan/health.js';
import { PAIR_STATES, type PairStateInput, pairState } from '../src/plan/pair-state.js';

const idle: PairStateInput = {
  journal: 'ok',
  journalReason: null,
  held: 0,
  failed: 0,
  retrying: 0,
  pending: 0,
  inFlight: 0,
  offline: null,
  degraded: null,
  paused: false,
  reconciled: true,
  everSynced: true,
};

describe('pairState: one state per pair, from one list', () => {
  it.each<[string, Partial<PairStateInput>, string, string]>([
    ['nothing to do, in sync before', {}, 'in-sync', 'confirmed'],
    ['no journal row and nothing under way', { journal: null, everSynced: false }, 'never-synced', 'has not run'],
    ['a row, never wholly in sync', { everSynced: false }, 'never-synced', 'never wholly'],
    ['files pending', { pending: 3 }, 'syncing', '3 file(s) pending'],
    ['never synced, but under way', { journal: null, everSynced: false, inFlight: 1 }, 'syncing', '1 in flight'],
    ['not reconciled by the running process', { reconciled: false }, 'syncing', 'comparing'],
    ['retrying only', { pending: 1, retrying: 1 }, 'syncing', '1 retrying'],
    ['bandwidth pause', { pending: 2, paused: true }, 'paused', 'bandwidth'],
    ['a watcher failure', { degraded: { cause: 'ENOSPC' }, paused: true }, 'degraded', 'ENOSPC'],
    ['bucket offline', { offline: { lastError: 'ECONNREFUSED' }, degraded: { cause: 'x' } }, 'offline', 'ECONNREFUSED'],
    ['held deletes', { held: 4, offline: { lastError: null } }, 'held', '4 delete(s) held'],
    ['journal says deletes-held', { journal: 'deletes-held', journalReason: 'guard: 60%' }, 'held', 'guard: 60%'],
    ['a failed file', { failed: 1, pending: 5 }, 'error', '1 file(s) failed'],
    ['root missing', { journal: 'error', journalReason: 'root gone', held: 2 }, 'error', 'root gone'],
    ['unreadable journal', { journal: 'unreadable', journalReason: 'EROFS' }, 'error', 'EROFS'],
  ])('%s → %s', (_what, over, state, reason) => {
    const v = pairState({ ...idle, ...over });
    expect(v.state).toBe(state);
    expect(v.reason).toContain(reason);
    expect(PAIR_STATES).toContain(v.state);
  });
});

describe('health: what status exits with', () => {
  const now = 1_000_000_000;
  const pair = { name: 'p', state: 'in-sync' as const, reason: 'ok', syncedThrough: now - 1000 };
  it.each<[string, Parameters<typeof health>[0], string | null]>([
    ['running, in sync', { daemonRunning: true, pairs: [pair], maxLagMs: null, now }, null],
    ['daemon down', { daemonRunning: false, pairs: [pair], maxLagMs: null, now }, 'the daemon is not running'],
    [
      'a pair held',
      { daemonRunning: true, pairs: [{ ...pair, state: 'held', reason: 'guard' }], maxLagMs: null, now },
      'p is held: guard',
    ],
    ['paused is no alarm', { daemonRunning: true, pairs: [{ ...pair, state: 'paused' }], maxLagMs: null, now }, null],
    ['within --max-lag', { daemonRunning: true, pairs: [pair], maxLagMs: 60_000, now }, null],
    [
      'older than --max-lag',
      { daemonRunning: true, pairs: [{ ...pair, syncedThrough: now - 600_000 }], maxLagMs: 60_000, now },
      'p is synced through 10m ago, more than --max-lag 60s',
    ],
    [
      'no watermark with --max-lag',
      { daemonRunning: true, pairs: [{ ...pair, syncedThrough: null }], maxLagMs: 60_000, now },
      'p has no synced-through time yet',
    ],
    [
      'every reason on one line',
      { daemonRunning: false, pairs: [{ ...pair, state: 'offline', reason: 'no answer' }], maxLagMs: null, now },
      'the daemon is not running; p is offline: no answer',
    ],
  ])('%s', (_what, input, reason) => {
    const h = health(input);
    expect(h.healthy).toBe(reason === null);
    if (reason === null) expect(h.reason).toBeNull();
    else expect(h.reason).toContain(reason);
    expect(h.reason ?? '').not.toContain('\n');
  });

  it.each([
    ['15m', 900_000],
    ['30s', 30_000],
    ['2h', 7_200_000],
    ['1d', 86_400_000],
    ['15', null],
    ['m', null],
    ['1.5h', null],
  ])('--max-lag %s', (text, ms) => expect(parseLag(text)).toBe(ms));
});
