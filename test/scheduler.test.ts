import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Journal, type FileRow } from '../src/store/journal.js';
import type { PairEngine } from '../src/sync/engine.js';
import { Scheduler } from '../src/sync/scheduler.js';

// The daemon's scheduler (src/sync/scheduler.ts) over a real journal in a temp dir, with one
// clock: vitest's fake timers drive both the scheduler's sleeps and the `now` it is given, so a
// case says exactly when each batch starts and nothing waits on the wall clock.
//
// The pair engine is a stand-in that only records the batches it is handed. Each batch ends
// either at once, recording the outcome as the real engine does for a settled row (clean if
// unchanged, else dirty again after a debounce), or when a step ends it with no outcome at all —
// what the real engine does for a delete that waits in PairDeletes or a postponed rename source.

const T0 = 1_000_000_000;

type Step =
  | readonly ['mark', ...string[]] // changes seen now, as one tick of watcher events
  | readonly ['advance', number] // let that many ms pass
  | readonly ['end', number]; // batch n (0-based) ends, having recorded nothing for its rows

interface Case {
  name: string;
  debounceMs: number;
  maxDelayMs: number;
  /** Batches end at once with an outcome (true), or only at an 'end' step (false). */
  settle: boolean;
  steps: readonly Step[];
  /** Every batch handed to the engine: [ms after start, its rows]. */
  batches: readonly (readonly [number, readonly string[]])[];
}

const repeat = (n: number, steps: readonly Step[]): Step[] => Array.from({ length: n }, () => steps).flat();

const CASES: readonly Case[] = [
  {
    name: 'debounce: a row is due once it has been quiet for debounceMs, not before',
    debounceMs: 100,
    maxDelayMs: 5000,
    settle: true,
    steps: [
      ['mark', 'a'],
      ['advance', 99],
      ['advance', 1],
      ['advance', 1000],
    ],
    batches: [[100, ['a']]],
  },
  {
    name: 'debounce: each change restarts the wait',
    debounceMs: 100,
    maxDelayMs: 5000,
    settle: true,
    steps: [
      ['mark', 'a'],
      ['advance', 60],
      ['mark', 'a'],
      ['advance', 60],
      ['mark', 'a'],
      ['advance', 1000],
    ],
    batches: [[220, ['a']]],
  },
  {
    name: 'a burst of 100 writes to one file is one row of one batch',
    debounceMs: 100,
    maxDelayMs: 5000,
    settle: true,
    steps: [
      ...repeat(100, [
        ['mark', 'a'],
        ['advance', 1],
      ]),
      ['advance', 1000],
    ],
    batches: [[199, ['a']]],
  },
  {
    name: 'files changed in one tick go out in one batch',
    debounceMs: 100,
    maxDelayMs: 5000,
    settle: true,
    steps: [
      ['mark', 'a', 'b', 'c'],
      ['advance', 1000],
    ],
    batches: [[100, ['a', 'b', 'c']]],
  },
  {
    name: 'bursts on several files: one row per file, each when its own burst is over',
    debounceMs: 100,
    maxDelayMs: 5000,
    settle: true,
    steps: [
      ...repeat(5, [
        ['mark', 'a', 'b'],
        ['advance', 10],
      ]),
      ...repeat(5, [
        ['mark', 'b'],
        ['advance', 10],
      ]),
      ['advance', 1000],
    ],
    batches: [
      [140, ['a']],
      [190, ['b']],
    ],
  },
  {
    name: 'maxDelayMs: a file that never stops changing is still shipped, every maxDelayMs',
    debounceMs: 100,
    maxDelayMs: 300,
    settle: true,
    steps: [
      ...repeat(20, [
        ['mark', 'a'],
        ['advance', 50],
      ]),
      ['advance', 1000],
    ],
    batches: [
      [300, ['a']],
      [600, ['a']],
      [900, ['a']],
      [1050, ['a']],
    ],
  },
  {
    name: 'maxDelayMs counts from the first change of the row, not from the last',
    debounceMs: 200,
    maxDelayMs: 250,
    settle: true,
    steps: [
      ['mark', 'a'],
      ['advance', 100],
      ['mark', 'a'],
      ['advance', 1000],
    ],
    batches: [[250, ['a']]],
  },
  {
    name: 'a row is never handed out twice at once: due again while its batch works, it waits for that batch',
    debounceMs: 100,
    maxDelayMs: 5000,
    settle: false,
    steps: [
      ['mark', 'a', 'b'],
      ['advance', 100],
      ['mark', 'a'],
      ['advance', 150],
      ['end', 0],
      ['advance', 1000],
    ],
    batches: [
      [100, ['a', 'b']],
      [250, ['a']],
    ],
  },
  {
    // 67f8fb7: the retake leased the row for 10 minutes; when its batch ended with no outcome for
    // it, it sat out that lease instead of being examined again at once.
    name: 'lease (67f8fb7): a row due again while its batch works goes back to due when that batch ends',
    debounceMs: 100,
    maxDelayMs: 5000,
    settle: false,
    steps: [
      ['mark', 'a'],
      ['advance', 100],
      ['mark', 'a'],
      ['advance', 100],
      ['advance', 300],
      ['end', 0],
      ['end', 1],
      ['advance', 1000],
    ],
    batches: [
      [100, ['a']],
      [500, ['a']],
    ],
  },
  {
    name: 'lease: a row not due again keeps its lease when its batch ends with no outcome',
    debounceMs: 100,
    maxDelayMs: 5000,
    settle: false,
    steps: [
      ['mark', 'a'],
      ['advance', 100],
      ['advance', 300],
      ['end', 0],
      ['advance', 60_000],
    ],
    batches: [[100, ['a']]],
  },
];

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
  vi.useRealTimers();
});

describe('Scheduler (injected clock, real journal)', () => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    vi.useFakeTimers({ now: T0 });
    const dir = mkdtempSync(join(tmpdir(), 's3mirror-sched-'));
    const journal = Journal.open(dir);
    const seen: { at: number; rels: string[]; end: () => void }[] = [];
    const engine = {
      processBatch(rows: readonly FileRow[]): Promise<void> {
        return new Promise<void>((resolve) => {
          seen.push({ at: Date.now() - T0, rels: rows.map((r) => r.rel).sort(), end: resolve });
          if (!c.settle) return;
          for (const r of rows) journal.recordRemovalSettled(r.pair, r.rel, r.generation, Date.now(), c.debounceMs);
          resolve();
        });
      },
      fail(row: FileRow, err: unknown): void {
        throw new Error(`unexpected failure of ${row.rel}: ${String(err)}`);
      },
      flushDeletes: async () => undefined,
      pendingDeletes: 0,
    };
    const scheduler = new Scheduler(journal, new Map([['p', engine as unknown as PairEngine]]), {
      mode: 'daemon',
      concurrency: 4,
      now: () => Date.now(),
    });
    const loop = scheduler.runForever();
    cleanup = async () => {
      scheduler.stop();
      for (const b of seen) b.end();
      await vi.advanceTimersByTimeAsync(0);
      await loop;
      journal.close();
      rmSync(dir, { recursive: true, force: true });
    };

    for (const step of c.steps) {
      switch (step[0]) {
        case 'mark': {
          const rels = step.slice(1) as string[];
          // As the daemon does with one tick of watcher events: one transaction, then a wake-up.
          journal.tx(() => {
            for (const rel of rels)
              journal.markDirty({
                pair: 'p',
                rel,
                key: rel,
                now: Date.now(),
                debounceMs: c.debounceMs,
                maxDelayMs: c.maxDelayMs,
              });
          });
          scheduler.wake();
          await vi.advanceTimersByTimeAsync(0);
          break;
        }
        case 'advance':
          await vi.advanceTimersByTimeAsync(step[1]);
          break;
        case 'end':
          seen[step[1]]!.end();
          await vi.advanceTimersByTimeAsync(0);
          break;
      }
    }
    expect(seen.map((b) => [b.at, b.rels])).toEqual(c.batches);
  });
});
