import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Journal, type FileRow } from '../src/store/journal.js';
import type { Mode } from '../src/sync/deps.js';
import type { PairEngine } from '../src/sync/engine.js';
import { Scheduler } from '../src/sync/scheduler.js';

// Rows of a pair that left the config stay in the journal (the pair may come back) but are never
// taken or waited on: no engine would ever settle them.

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function setup() {
  dir = mkdtempSync(join(tmpdir(), 's3mirror-schedpairs-'));
  const journal = Journal.open(dir);
  const now = Date.now();
  for (const rel of ['a', 'b']) journal.markDirty({ pair: 'p', rel, key: rel, now, debounceMs: 0, maxDelayMs: 0 });
  for (const rel of ['x', 'y'])
    journal.markDirty({ pair: 'gone', rel, key: rel, now: now - 5, debounceMs: 0, maxDelayMs: 0 });
  const taken: string[] = [];
  const engine = {
    async processBatch(rows: readonly FileRow[]): Promise<void> {
      for (const r of rows) {
        taken.push(`${r.pair}/${r.rel}`);
        journal.recordRemovalSettled(r.pair, r.rel, r.generation, Date.now(), 0);
      }
    },
    fail(row: FileRow, err: unknown): void {
      throw new Error(`unexpected failure of ${row.rel}: ${String(err)}`);
    },
    flushDeletes: async () => undefined,
    pendingDeletes: 0,
  };
  const scheduler = (mode: Mode) =>
    new Scheduler(journal, new Map([['p', engine as unknown as PairEngine]]), {
      mode,
      concurrency: 2,
      now: () => Date.now(),
    });
  const goneRows = () =>
    journal.db.prepare("SELECT rel, state, due_at FROM files WHERE pair = 'gone' ORDER BY rel").all();
  return { journal, taken, scheduler, goneRows };
}

describe('Scheduler and pairs that left the config', () => {
  it("runOnce returns once the configured pairs are done; the removed pair's rows are left as they were", {
    timeout: 15_000,
  }, async () => {
    const { journal, taken, scheduler, goneRows } = setup();
    const before = goneRows();
    expect(before).toHaveLength(2);
    await scheduler('once').runOnce();
    expect(taken.sort()).toEqual(['p/a', 'p/b']);
    expect(goneRows()).toEqual(before);
    expect(journal.pendingCount('gone')).toBe(2);
    journal.close();
  });

  it('the daemon loop never takes them, and nextDueAt does not count them', { timeout: 15_000 }, async () => {
    const { journal, taken, scheduler, goneRows } = setup();
    const before = goneRows();
    const s = scheduler('daemon');
    const loop = s.runForever();
    while (journal.pendingCount('p') > 0) await new Promise((r) => setImmediate(r));
    s.stop();
    await loop;
    expect(taken.sort()).toEqual(['p/a', 'p/b']);
    expect(goneRows()).toEqual(before);
    expect(journal.nextDueAt(['p'])).toBeUndefined();
    journal.close();
  });
});
