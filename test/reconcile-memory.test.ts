import { rmSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Bucket, ListOptions } from '../src/bucket.js';
import type { Journal } from '../src/store/journal.js';
import { reconcile } from '../src/sync/reconcile.js';
import { Filter } from '../src/watch/filter.js';
import { MemoryBuckets } from './support/memory-bucket.js';
import { mirroredTree } from './support/mirrored-tree.js';

// The reconciliation streams: what it holds at once (walk entries, rows, objects) does not grow
// with the tree. Counted, not measured in bytes or time: the whole-tree reconcile held all of them.

let dir: string | undefined;
let journal: Journal | undefined;
afterEach(() => {
  journal?.close();
  journal = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

const DIRS = 200;
const PER_DIR = 100;
const NOW = 1_000_000_000;

function mirrored(dirs = DIRS, unordered = false) {
  const t = mirroredTree({ dirs, perDir: PER_DIR, now: NOW, tag: 'march' });
  dir = t.dir;
  journal = t.j;
  const { j, s3, root } = t;
  const pair = t.cfg.pairs[0]!;
  const inner = new MemoryBuckets(s3).bucket('bucket');
  // A server whose order is not S3's: its pages prove no range (listing.ts says so by leaving
  // `covered` out), and the listing is applied whole at its end.
  const bucket: Bucket = unordered
    ? Object.assign(Object.create(inner) as Bucket, {
        list: (prefix: string, o: ListOptions = {}) =>
          inner.list(prefix, { ...o, onPage: (page) => o.onPage?.([...page].reverse()) }),
      })
    : inner;
  const run = (list = true) =>
    reconcile(pair, {
      journal: j,
      bucket,
      filter: new Filter(root, []),
      fingerprint: 'f',
      now: () => NOW + 1,
      list,
    });
  return { j, s3, root, run };
}

describe('reconcile streams', () => {
  it('20,000 files in 200 directories: it holds a directory, a page of rows and a page of objects', async () => {
    const { run } = mirrored();
    const r = await run();
    expect(r).toMatchObject({
      dirty: 0,
      localFiles: DIRS * PER_DIR,
      localDirs: DIRS + 1,
      remoteObjects: DIRS * PER_DIR,
    });
    // The directories of the root (200) and one directory's files (100), one key's three sides,
    // then pages of 1,000 (the whole-tree reconcile held 20,000 of each).
    expect(r.held!.entries).toBeLessThanOrEqual(DIRS + PER_DIR + 3);
    expect(r.held!.rows).toBeLessThanOrEqual(1000);
    expect(r.held!.objects).toBeLessThanOrEqual(2000);
  }, 60_000);

  it('the listing is written page by page: changed, added and removed objects land in the remote table', async () => {
    const { j, s3, root, run } = mirrored(20);
    s3.deleteObject('bucket', 'm/d5/f5.txt');
    s3.putObject('bucket', 'm/d7/f7.txt', 'changed by someone else');
    s3.putObject('bucket', 'm/zz/new.txt', 'new');
    s3.putObject('bucket', 'm/.s3mirror-trash/old.txt', 'in the trash');
    unlinkSync(join(root, 'd9/f9.txt'));
    const r = await run();
    expect(j.remote.get('p', 'm/d5/f5.txt')).toBeUndefined();
    expect(j.remote.get('p', 'm/d7/f7.txt')?.size).toBe('changed by someone else'.length);
    expect(j.remote.get('p', 'm/zz/new.txt')).toBeDefined();
    expect(j.remote.get('p', 'm/.s3mirror-trash/old.txt')).toBeUndefined();
    expect(j.remote.count('p')).toBe(20 * PER_DIR);
    // d5/f5 (object gone), d7/f7 (object changed), zz/new.txt (remote only), d9/f9 (file gone).
    expect(r.dirty).toBe(4);
    expect(j.getFile('p', 'zz/new.txt')).toMatchObject({ kind: 'remote', present: 0, state: 'dirty' });
    expect(j.getFile('p', 'd9/f9.txt')).toMatchObject({ present: 0, state: 'dirty' });
    expect(j.pairs.get('p')?.last_listed_at).toBe(NOW + 1);
    // Without a listing, the remote table is the bucket's picture: the same rows stay pending.
    expect((await run(false)).dirty).toBe(0);
  }, 60_000);

  it('a server out of S3 order: the listing is applied whole at its end, and compared all the same', async () => {
    const { j, s3, root, run } = mirrored(3, true);
    s3.deleteObject('bucket', 'm/d1/f5.txt');
    s3.putObject('bucket', 'm/a/new.txt', 'new');
    unlinkSync(join(root, 'd2/f9.txt'));
    const r = await run();
    expect(r).toMatchObject({ dirty: 3, remoteObjects: 3 * PER_DIR, listed: true });
    expect(j.remote.get('p', 'm/d1/f5.txt')).toBeUndefined();
    expect(j.getFile('p', 'a/new.txt')).toMatchObject({ kind: 'remote', state: 'dirty' });
    expect(j.getFile('p', 'd1/f5.txt')).toMatchObject({ present: 1, state: 'dirty' });
    expect(j.pairs.get('p')?.last_listed_at).toBe(NOW + 1);
  });
});
