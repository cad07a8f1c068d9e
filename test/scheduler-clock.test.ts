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

describe('Scheduler, a clock that reads a moment behind its timers', () => {
  // Node's timers and Date.now() are separate clocks: a timer for a row's due time can fire while
  // Date.now() still reads a millisecond before it, and the clock ticks over while the loop looks.
  // Such a row must be taken at once, not after the second the loop keeps for pairs with no room.
  it('takes a row that falls due just after the loop looked, within a millisecond', async () => {
    vi.useFakeTimers({ now: T0 });
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
    let behind = 0;
    const scheduler = new Scheduler(journal, new Map([['p', engine as unknown as PairEngine]]), {
      mode: 'daemon',
      concurrency: 4,
      // The first reading after a timer fires is a millisecond behind it.
      now: () => {
        const t = Date.now() - behind;
        behind = 0;
        return t;
      },
      sleep: (ms) =>
        new Promise<void>((resolve) =>
          setTimeout(() => {
            behind = 1;
            resolve();
          }, ms),
        ),
    });
    const loop = scheduler.runForever();
    cleanup = async () => {
      scheduler.stop();
      await vi.advanceTimersByTimeAsync(0);
      await loop;
      journal.close();
      rmSync(dir, { recursive: true, force: true });
    };
    journal.markDirty({ pair: 'p', rel: 'a', key: 'a', now: Date.now(), debounceMs: 100, maxDelayMs: 5000 });
    scheduler.wake();
    await vi.advanceTimersByTimeAsync(2000);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBeLessThanOrEqual(101);
  });
});
