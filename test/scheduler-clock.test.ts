import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Journal, type FileRow } from '../src/store/journal.js';
import type { PairEngine } from '../src/sync/engine.js';
import { Scheduler } from '../src/sync/scheduler.js';

const T0 = 1_000_000_000;

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
  vi.useRealTimers();
});

/** A scheduler on fake timers whose one pair's engine records when it was given rows. */
function fixture(now: () => number, sleep?: (ms: number) => Promise<void>, onClockBack?: (ms: number) => void) {
  const dir = mkdtempSync(join(tmpdir(), 's3mirror-sched-'));
  const journal = Journal.open(dir);
  const seen: number[] = [];
  const engine = {
    processBatch(rows: readonly FileRow[]): Promise<void> {
      seen.push(Date.now() - T0);
      for (const r of rows) journal.recordRemovalSettled(r.pair, r.rel, r.generation, Date.now(), 100);
      return Promise.resolve();
    },
    fail: () => undefined,
    flushDeletes: async () => undefined,
    pendingDeletes: 0,
  };
  const scheduler = new Scheduler(journal, new Map([['p', engine as unknown as PairEngine]]), {
    mode: 'daemon',
    concurrency: 4,
    now,
    ...(sleep ? { sleep } : {}),
    ...(onClockBack ? { onClockBack } : {}),
  });
  const loop = scheduler.runForever();
  cleanup = async () => {
    scheduler.stop();
    await vi.advanceTimersByTimeAsync(0);
    await loop;
    journal.close();
    rmSync(dir, { recursive: true, force: true });
  };
  return { journal, scheduler, seen };
}

describe('Scheduler, a wall clock stepped back', () => {
  // Due times are wall-clock times. Stepped back by an hour, the change made just before would wait
  // that hour: the loop notices the step and makes what is pending due at once.
  it('takes a change made before the step within seconds, not an hour later', async () => {
    vi.useFakeTimers({ now: T0 });
    const steps: number[] = [];
    const { journal, scheduler, seen } = fixture(
      () => Date.now(),
      undefined,
      (ms) => steps.push(ms),
    );
    journal.markDirty({ pair: 'p', rel: 'a', key: 'a', now: Date.now(), debounceMs: 100, maxDelayMs: 5000 });
    vi.setSystemTime(T0 - 3_600_000);
    scheduler.wake();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(seen).toHaveLength(1);
    expect(steps).toHaveLength(1);
    expect(steps[0]).toBeGreaterThanOrEqual(3_600_000 - 100);
  });
});

describe('Scheduler, a clock that reads a moment behind its timers', () => {
  // Node's timers and Date.now() are separate clocks: a timer for a row's due time can fire while
  // Date.now() still reads a millisecond before it, and the clock ticks over while the loop looks.
  // Such a row must be taken at once, not after the second the loop keeps for pairs with no room.
  it('takes a row that falls due just after the loop looked, within a millisecond', async () => {
    vi.useFakeTimers({ now: T0 });
    let behind = 0;
    const { journal, scheduler, seen } = fixture(
      // The first reading after a timer fires is a millisecond behind it.
      () => {
        const t = Date.now() - behind;
        behind = 0;
        return t;
      },
      (ms) =>
        new Promise<void>((resolve) =>
          setTimeout(() => {
            behind = 1;
            resolve();
          }, ms),
        ),
    );
    journal.markDirty({ pair: 'p', rel: 'a', key: 'a', now: Date.now(), debounceMs: 100, maxDelayMs: 5000 });
    scheduler.wake();
    await vi.advanceTimersByTimeAsync(2000);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBeLessThanOrEqual(101);
  });
});
