import { rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Journal } from '../src/store/journal.js';
import { Worker } from 'node:worker_threads';
import { marchInParts } from '../src/sync/march-parts.js';
import { reconcile } from '../src/sync/reconcile.js';
import { Filter } from '../src/watch/filter.js';
import { MemoryBuckets } from './support/memory-bucket.js';
import { mirroredTree } from './support/mirrored-tree.js';

// A pass with the journal trusted is split by key ranges between the main thread and worker
// threads (real ones, each with its own connection to the journal). Split or not, it must find
// the same changes and leave the same rows: the cuts fall inside directories, and the changes are
// spread over every directory, so each range has its own.

const DIRS = 12;
const PER_DIR = 50;
const NOW = 1_000_000_000;
const dirs: string[] = [];
const journals: Journal[] = [];
afterEach(() => {
  for (const j of journals.splice(0)) j.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A mirrored tree under the prefix `m/`, then changed while nobody watched. */
function changedTree() {
  const { dir, root, cfg, s3, j } = mirroredTree({ dirs: DIRS, perDir: PER_DIR, now: NOW, tag: 'parts' });
  dirs.push(dir);
  journals.push(j);
  for (let d = 0; d < DIRS; d++) {
    writeFileSync(join(root, `d${d}/f${d}.txt`), 'grown while nobody watched');
    unlinkSync(join(root, `d${d}/f${PER_DIR - 1 - d}.txt`));
    writeFileSync(join(root, `d${d}/new${d}.txt`), 'new');
    j.remote.put({ pair: 'p', key: `m/d${d}/only-remote.txt`, size: 1, etag: 'e', metaMd5: null, now: NOW });
  }
  const rows = () =>
    j.db.prepare('SELECT rel, key, present, state, kind, due_at, size FROM files WHERE pair = ? ORDER BY rel').all('p');
  const pass = (parts: number) =>
    reconcile(cfg.pairs[0]!, {
      journal: j,
      bucket: new MemoryBuckets(s3).bucket('bucket'),
      filter: new Filter(root, []),
      fingerprint: 'f',
      now: () => NOW + 1,
      list: false,
      parts,
    });
  const failing = (spawn: () => Worker) =>
    marchInParts({ journal: j, pair: cfg.pairs[0]!, filter: new Filter(root, []), now: NOW + 1, parts: 2, spawn });
  return { pass, rows, failing };
}

describe('a trusted pass split between threads', () => {
  it('finds what one thread finds and leaves the same rows', async () => {
    const one = changedTree();
    const three = changedTree();
    const r1 = await one.pass(1);
    const r3 = await three.pass(3);
    expect(r1).toMatchObject({ parts: 1, workers: 0 });
    expect(r3).toMatchObject({ parts: 3, workers: 2 });
    // Per directory: a grown file, a deleted one, a new one and an object with no file.
    expect(r1.dirty).toBe(4 * DIRS);
    for (const k of ['dirty', 'localFiles', 'localDirs', 'remoteObjects', 'unreadable'] as const)
      expect(r3[k]).toEqual(r1[k]);
    expect(three.rows()).toEqual(one.rows());
    // Marked, the changes are not found again.
    expect((await three.pass(3)).dirty).toBe(0);
  }, 60_000);

  it('a worker that fails to load or to start leaves its part to the main thread', async () => {
    const one = changedTree();
    const r1 = await one.pass(1);
    for (const spawn of [
      () => new Worker('throw new Error("no march here")', { eval: true }),
      () => {
        throw new Error('no threads here');
      },
    ]) {
      const t = changedTree();
      const r = await t.failing(spawn);
      expect(r).toMatchObject({ parts: 2, workers: 0, dirty: r1.dirty, localFiles: r1.localFiles });
      expect(t.rows()).toEqual(one.rows());
    }
  }, 60_000);
});
