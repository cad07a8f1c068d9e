import { unlinkSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig, type Config } from '../src/config.js';
import { silentLogger } from '../src/log.js';
import { PairDeletes } from '../src/sync/deletes.js';
import type { PairStats } from '../src/sync/deps.js';
import { Runtime } from '../src/sync/runtime.js';
import { startProxy, type FaultProxy } from './support/proxy.js';
import { testEnv } from './support/s3server.js';
import { bytes, credentials, eventually, expectMirror, once, scratch, type Scratch } from './support/mirror.js';
import { listAll } from './support/s3client.js';

// Deletes against what happens around them: a rename's move that never completed, a file that
// comes back while its delete is on the wire. Real files, journal and s3rver (through the proxy
// where a request must be slow).

let s: Scratch | undefined;
let rt: Runtime | undefined;
let proxy: FaultProxy | undefined;
afterEach(async () => {
  rt?.close();
  rt = undefined;
  s?.cleanup();
  s = undefined;
  await proxy?.close();
  proxy = undefined;
});

function viaProxy(sc: Scratch, p: FaultProxy, pair: Record<string, unknown> = {}): Config {
  const base = sc.config(pair);
  return parseConfig(
    { ...JSON.parse(JSON.stringify({ ...base, source: undefined })), s3: { ...base.s3, endpoint: p.endpoint } },
    sc.dir,
  );
}

describe('deletes', () => {
  it('a rename whose delete never came exempts no later delete of that path from the guard', async () => {
    s = await scratch('moved');
    const names = ['a.txt', 'f1.txt', 'f2.txt', 'f3.txt', 'f4.txt', 'f5.txt'];
    for (const n of names) s.write(n, n);
    s.write('keep.txt', 'stays');
    const cfg = s.config();
    expect((await once(cfg)).failures).toEqual([]);

    rt = Runtime.open(cfg, { mode: 'once', log: silentLogger, credentials: credentials() });
    const { journal } = rt;
    const stats: PairStats = { uploaded: 0, copied: 0, deleted: 0, trashed: 0, skipped: 0, failed: 0, held: 0 };
    const deletes = new PairDeletes(
      cfg.pairs[0]!,
      {
        cfg,
        journal,
        bucket: rt.buckets.bucket(cfg.pairs[0]!.bucket),
        transfers: rt.transfers,
        lanes: rt.lanes.of('p'),
        log: silentLogger,
        mode: 'once',
        now: rt.now,
      },
      silentLogger,
      stats,
      () => undefined,
    );
    // a.txt was the source of a rename whose copy went through; before its delete was sent, a
    // file came back at a.txt (its tombstone is void: a newer generation).
    const now = rt.now();
    journal.markDirty({ pair: 'p', rel: 'a.txt', key: 'a.txt', now, debounceMs: 0, maxDelayMs: 0 });
    journal.markDeletePending('p', 'a.txt');
    deletes.moved('a.txt', journal.getFile('p', 'a.txt')!.generation);
    journal.markDirty({ pair: 'p', rel: 'a.txt', key: 'a.txt', now, debounceMs: 0, maxDelayMs: 0 });
    await deletes.flush();

    // Later, six of seven files go at once: the guard holds every one of them, a.txt included.
    for (const n of names) {
      unlinkSync(`${s.root}/${n}`);
      journal.markDirty({ pair: 'p', rel: n, key: n, now, debounceMs: 0, maxDelayMs: 0 });
      journal.markDeletePending('p', n);
      deletes.add(journal.getFile('p', n)!, false);
    }
    await deletes.flush();
    expect(stats.held).toBe(6);
    expect(stats.deleted).toBe(0);
    expect((await listAll(s.bucket)).map((o) => o.key).sort()).toEqual([...names, 'keep.txt'].sort());
    expect(journal.getFile('p', 'a.txt')!.state).toBe('held');
  });

  it('a file re-created with the same content while its delete is on the wire is uploaded again, never recorded clean over the deleted object', async () => {
    s = await scratch('recreate');
    s.write('a.txt', 'same content');
    s.write('b.txt', 'other');
    proxy = await startProxy(testEnv().endpoint);
    const cfg = viaProxy(s, proxy, { maxDeletePercent: 100 });
    expect((await once(cfg)).failures).toEqual([]);

    rt = Runtime.open(cfg, { mode: 'once', log: silentLogger, credentials: credentials() });
    const { journal } = rt;
    const engine = rt.engines.get('p')!;
    unlinkSync(`${s.root}/a.txt`);
    journal.markDirty({ pair: 'p', rel: 'a.txt', key: 'a.txt', now: rt.now(), debounceMs: 0, maxDelayMs: 0 });
    journal.markDeletePending('p', 'a.txt');
    await engine.processBatch([journal.getFile('p', 'a.txt')!]);
    expect(engine.pendingDeletes).toBe(1);

    // The delete is sent and held up on the way; meanwhile the file is back, same bytes.
    proxy.setFault({ kind: 'delay', ms: 1500, match: (op) => op === 'DeleteObjects' });
    const flushing = engine.flushDeletes();
    await eventually(() => expect(proxy!.counts.get('DeleteObjects')).toBe(1));
    s.write('a.txt', 'same content');
    journal.markDirty({ pair: 'p', rel: 'a.txt', key: 'a.txt', now: rt.now(), debounceMs: 0, maxDelayMs: 0 });
    await engine.processBatch([journal.getFile('p', 'a.txt')!]);
    await flushing;

    const row = journal.getFile('p', 'a.txt')!;
    expect([row.state, row.present]).toEqual(['clean', 1]);
    await expectMirror(s.root, s.bucket);
  });

  it('a delete that lands while the re-created file is being hashed: the skip that follows is not recorded over the deleted object', async () => {
    s = await scratch('recreate2');
    const big = bytes(32 * 1024 * 1024, 9);
    s.write('big.bin', big);
    s.write('b.txt', 'other');
    const cfg = s.config({ maxDeletePercent: 100 });
    expect((await once(cfg)).failures).toEqual([]);

    rt = Runtime.open(cfg, { mode: 'once', log: silentLogger, credentials: credentials() });
    const { journal } = rt;
    const engine = rt.engines.get('p')!;
    unlinkSync(`${s.root}/big.bin`);
    journal.markDirty({ pair: 'p', rel: 'big.bin', key: 'big.bin', now: rt.now(), debounceMs: 0, maxDelayMs: 0 });
    journal.markDeletePending('p', 'big.bin');
    await engine.processBatch([journal.getFile('p', 'big.bin')!]);
    expect(engine.pendingDeletes).toBe(1);

    // The delete is sent (it is past its last check), then the file is back with the same bytes
    // and its batch reads the bucket's state before the delete lands; hashing 32 MiB outlasts
    // the DeleteObjects round trip, so the delete lands between that read and the skip.
    const flushing = engine.flushDeletes();
    s.write('big.bin', big);
    journal.markDirty({ pair: 'p', rel: 'big.bin', key: 'big.bin', now: rt.now(), debounceMs: 0, maxDelayMs: 0 });
    await Promise.all([engine.processBatch([journal.getFile('p', 'big.bin')!]), flushing]);

    expect(journal.getFile('p', 'big.bin')!.state).toBe('clean');
    await expectMirror(s.root, s.bucket);
  });
});
