import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../src/config.js';
import { silentLogger } from '../src/log.js';
import { readStatus } from '../src/status/status.js';
import { Journal, type FileRow } from '../src/store/journal.js';
import { PairEngine } from '../src/sync/engine.js';
import { changed } from '../src/local/hasher.js';
import { Scheduler } from '../src/sync/scheduler.js';

// A file that never stops changing, under the daemon's scheduler and a real journal, on one fake
// clock (vitest's timers drive the scheduler's sleeps and `now`). The engine is a stand-in whose
// every batch takes SEND_MS; its outcome is recorded as the real engine records it: recordSynced
// for a shipment, PairEngine.fail for a read that found the file changed.

const T0 = 1_000_000_000;
const DEBOUNCE = 100;
const MAX_DELAY = 1000;
const SEND_MS = 200;

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
  vi.useRealTimers();
});

async function run(outcome: 'shipped' | 'changed-while-read') {
  vi.useFakeTimers({ now: T0 });
  const dir = mkdtempSync(join(tmpdir(), 's3mirror-settle-'));
  mkdirSync(join(dir, 'root'));
  const cfg = parseConfig(
    {
      stateDir: join(dir, 'state'),
      debounceMs: DEBOUNCE,
      maxDelayMs: MAX_DELAY,
      pairs: [{ name: 'p', path: join(dir, 'root'), bucket: 'bucket' }],
    },
    dir,
  );
  const journal = Journal.open(cfg.stateDir);
  const real = new PairEngine(cfg.pairs[0]!, {
    cfg,
    journal,
    log: silentLogger,
    mode: 'daemon',
    now: () => Date.now(),
  } as never);
  let changing = true;
  const batches: number[] = [];
  const engine = {
    processBatch(rows: readonly FileRow[]): Promise<void> {
      batches.push(Date.now() - T0);
      return new Promise<void>((resolve) =>
        setTimeout(() => {
          for (const r of rows) {
            if (outcome === 'changed-while-read' && changing) real.fail(r, changed(join(cfg.pairs[0]!.path, r.rel)));
            else
              journal.recordSynced({
                pair: 'p',
                rel: r.rel,
                gen: r.generation,
                stat: { size: 1, mtimeNs: '1', ctimeNs: '1', ino: '1' },
                content: { md5: 'm', partSize: 0, localEtag: 'm', etag: 'm', etagKind: 'md5' },
                now: Date.now(),
                debounceMs: DEBOUNCE,
              });
          }
          resolve();
        }, SEND_MS),
      );
    },
    fail: (row: FileRow, err: unknown) => real.fail(row, err),
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
    await vi.advanceTimersByTimeAsync(SEND_MS);
    await loop;
    journal.close();
    rmSync(dir, { recursive: true, force: true });
  };
  // Written every 20 ms for 6 s, as a log file or a download would be.
  for (let t = 0; t < 6000; t += 20) {
    journal.markDirty({
      pair: 'p',
      rel: 'busy.log',
      key: 'busy.log',
      now: Date.now(),
      debounceMs: DEBOUNCE,
      maxDelayMs: MAX_DELAY,
    });
    scheduler.wake();
    await vi.advanceTimersByTimeAsync(20);
  }
  return {
    journal,
    cfg,
    batches,
    settle: async () => {
      changing = false;
      await vi.advanceTimersByTimeAsync(5000);
    },
  };
}

describe('a file that never settles (maxDelayMs)', () => {
  it('is shipped once per maxDelayMs while it keeps changing, not at every change after the first capped shipment', async () => {
    const { batches, journal } = await run('shipped');
    // Capped at 1000 ms after the first change, then 1000 ms after each shipment ended.
    expect(batches).toEqual([1000, 2200, 3400, 4600, 5800]);
    expect(journal.getFile('p', 'busy.log')!.state).toBe('dirty');
  });

  it('over 256 KiB and changing faster than it can be read: read once per maxDelayMs (never a read → abort loop), named in status, shipped once it settles', async () => {
    const { batches, journal, cfg, settle } = await run('changed-while-read');
    expect(batches).toEqual([1000, 2200, 3400, 4600, 5800]);
    const row = journal.getFile('p', 'busy.log')!;
    expect(row.error_code).toBe('FILE_NEVER_SETTLES');
    const st = readStatus(cfg).pairs[0]!;
    expect(st.retrying).toBe(1);
    expect(st.problems).toEqual([
      expect.objectContaining({
        rel: 'busy.log',
        code: 'FILE_NEVER_SETTLES',
        error: expect.stringContaining('never settles'),
      }),
    ]);
    // Quiet at last: one more read, which goes through.
    await settle();
    expect(batches).toEqual([1000, 2200, 3400, 4600, 5800, 7000]);
    expect(journal.getFile('p', 'busy.log')!.state).toBe('clean');
  });
});
