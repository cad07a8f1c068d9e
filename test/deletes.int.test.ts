import { unlinkSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../src/log.js';
import { PairDeletes } from '../src/sync/deletes.js';
import type { PairStats } from '../src/sync/deps.js';
import { Runtime } from '../src/sync/runtime.js';
import { credentials, once, scratch, type Scratch } from './support/mirror.js';
import { listAll } from './support/s3client.js';

// PairDeletes keeps its pending deletes by path: an upload reclaims its path without a scan, and a
// path added again (its lease ran out while the delete still waited) is one delete, not two.

let s: Scratch | undefined;
let rt: Runtime | undefined;
afterEach(() => {
  rt?.close();
  rt = undefined;
  s?.cleanup();
});

describe('PairDeletes', () => {
  it('a reclaimed path is not deleted, the others are, each once', async () => {
    s = await scratch('dels');
    const names = Array.from({ length: 10 }, (_, i) => `f${i}.txt`);
    s.write('keep.txt', 'stays');
    for (const n of names) s.write(n, n);
    const cfg = s.config({ maxDeletePercent: 100 });
    expect((await once(cfg)).failures).toEqual([]);
    for (const n of names) unlinkSync(`${s.root}/${n}`);

    rt = Runtime.open(cfg, { mode: 'once', log: silentLogger, credentials: credentials() });
    const { journal } = rt;
    const pair = cfg.pairs[0]!;
    const stats: PairStats = { uploaded: 0, copied: 0, deleted: 0, trashed: 0, skipped: 0, failed: 0, held: 0 };
    const failures: string[] = [];
    const deletes = new PairDeletes(
      pair,
      {
        cfg,
        journal,
        bucket: rt.buckets.bucket(pair.bucket),
        transfers: rt.transfers,
        lanes: rt.lanes.of(pair.name),
        log: silentLogger,
        mode: 'once',
        now: rt.now,
      },
      silentLogger,
      stats,
      (row, err) => failures.push(`${row.rel}: ${String(err)}`),
    );
    // What the engine does for a file found gone: a dirty tombstone, then a pending delete.
    const now = rt.now();
    for (const n of names) {
      journal.markDirty({ pair: 'p', rel: n, key: n, now, debounceMs: cfg.debounceMs, maxDelayMs: cfg.maxDelayMs });
      journal.markDeletePending('p', n);
      deletes.add(journal.getFile('p', n)!, false);
    }
    // f0 examined again at the same generation while its delete waited: still one delete.
    deletes.add(journal.getFile('p', 'f0.txt')!, false);
    expect(deletes.pending).toBe(10);

    // f1 and f2 came back: their uploads reclaim the paths first.
    s.write('f1.txt', 'back');
    s.write('f2.txt', 'back');
    await deletes.reclaim('f1.txt');
    await deletes.reclaim('f2.txt');
    await deletes.reclaim('never-pending.txt');
    expect(deletes.pending).toBe(8);

    await deletes.flush();
    expect(failures).toEqual([]);
    expect(deletes.pending).toBe(0);
    expect(stats.deleted).toBe(8);
    expect((await listAll(s.bucket)).map((o) => o.key).sort()).toEqual(['f1.txt', 'f2.txt', 'keep.txt']);
    // A confirmed delete leaves no row; the reclaimed paths wait for their uploads.
    for (const n of names)
      expect([n, journal.getFile('p', n)?.state]).toEqual([n, n === 'f1.txt' || n === 'f2.txt' ? 'dirty' : undefined]);
  });
});
