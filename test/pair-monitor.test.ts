import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Journal } from '../src/store/journal.js';
import type { PairEngine } from '../src/sync/engine.js';
import { PairMonitor } from '../src/sync/pair-monitor.js';
import type { InFlight, Transfers } from '../src/sync/transfers.js';

// What the running process says of a pair, against a real journal: state, watermark, throughput, ETA.

let dir: string | undefined;
let journal: Journal | undefined;
afterEach(() => {
  journal?.close();
  journal = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function world() {
  dir = mkdtempSync(join(tmpdir(), 's3mirror-monitor-'));
  const j = Journal.open(dir);
  journal = j;
  j.pairs.upsert({ name: 'p', root: '/data', bucket: 'b', prefix: '' });
  let now = 1_000_000;
  const perPair = new Map<string, { uploaded: number; copied: number }>();
  const inFlight = new Map<string, InFlight>();
  const stats = { uploaded: 0, copied: 0, deleted: 0, trashed: 0, skipped: 0, failed: 0, held: 0 };
  const reconciled = new Set<string>();
  const monitor = new PairMonitor({
    journal: j,
    engines: new Map([['p', { stats } as unknown as PairEngine]]),
    transfers: { perPair, inFlight } as unknown as Transfers,
    now: () => now,
    reconciled,
    degraded: new Map(),
    offline: new Map(),
    paused: () => false,
    mode: 'daemon',
  });
  const mark = (rel: string) => j.markDirty({ pair: 'p', rel, key: rel, now, debounceMs: 100, maxDelayMs: 1000 });
  return {
    j,
    monitor,
    perPair,
    reconciled,
    mark,
    tick: (ms: number) => (now += ms),
    at: () => now,
    view: () => monitor.views()[0]!,
  };
}

describe('PairMonitor', () => {
  it('a watched change holds the watermark just before it was seen; in sync, it is the last look', () => {
    const w = world();
    w.reconciled.add('p');
    w.monitor.rescanned('p', w.at(), false);
    w.j.pairs.markSynced('p', w.at());
    w.tick(5000);
    expect(w.view()).toMatchObject({ state: 'in-sync', syncedThrough: w.at(), oldestPendingSince: null });
    const seen = w.at();
    w.mark('a.txt');
    w.tick(3000);
    expect(w.view()).toMatchObject({
      state: 'syncing',
      pendingFiles: 1,
      oldestPendingSince: seen,
      syncedThrough: seen - 1,
    });
  });

  it('changes a walk found hold it where the pair was last wholly in sync (none: no watermark)', () => {
    const w = world();
    w.mark('found.txt');
    w.reconciled.add('p');
    w.monitor.rescanned('p', w.at(), true);
    expect(w.view()).toMatchObject({ state: 'syncing', syncedThrough: null });
  });

  it('throughput is the bytes sent over the last minute; the ETA is what is pending at that rate', () => {
    const w = world();
    w.reconciled.add('p');
    w.monitor.rescanned('p', w.at(), false);
    w.mark('big.bin');
    w.j.db.prepare("UPDATE files SET size = 120000 WHERE rel = 'big.bin'").run();
    w.view();
    for (let s = 1; s <= 60; s++) {
      w.tick(1000);
      w.perPair.set('p', { uploaded: s * 1000, copied: 0 });
      w.view();
    }
    const v = w.view();
    expect(v.throughput).toBe(1000);
    expect(v.pendingBytes).toBe(120_000);
    expect(v.etaSeconds).toBe(120);
    expect(v.uploadedBytes).toBe(60_000);
  });
});
