import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MirrorError } from '../src/errors.js';
import { restore } from '../src/tools/restore.js';
import { MemoryBuckets } from './support/memory-bucket.js';
import { type MemoryScratch, memoryScratch } from './support/memory-mirror.js';
import { setVersioning, versionedBucket } from './support/memory-versions.js';

// restore --at on the in-memory bucket, which keeps versions as S3 does: each key's version at the
// moment, delete markers honoured, and a listing that never runs ahead of the downloads.
let s: MemoryScratch;
afterEach(() => s?.cleanup());

/** A moment strictly after everything so far (lastModified is in ms). */
function now(): number {
  const t = Date.now();
  while (Date.now() <= t) {
    /* the next millisecond: a later write cannot share this one's time */
  }
  return t;
}

function restoreInto(at?: number, pair: Record<string, unknown> = {}) {
  const to = mkdtempSync(join(s.dir, 'to-'));
  const conn = new MemoryBuckets(s.s3);
  const bucket = versionedBucket(conn, s.bucket);
  return {
    to,
    conn,
    run: () =>
      restore(s.config(pair), { pair: 'p', to, overwrite: false, ...(at !== undefined ? { at } : {}) }, { bucket }),
  };
}

describe('restore --at on a versioned bucket (memory)', () => {
  it('brings back each key as it was: the older version, a deleted file, nothing created later, no trash', async () => {
    s = memoryScratch('at');
    const pair = { delete: 'trash' };
    s.write('before.txt', 'from before versioning');
    await s.pass(s.config(pair));
    setVersioning(new MemoryBuckets(s.s3), s.bucket, 'enabled');
    const beforeAll = now();
    s.write('a.txt', 'v1');
    s.write('dir/b.txt', 'bee');
    await s.pass(s.config(pair));
    const t = now();
    s.write('a.txt', 'v2, longer');
    unlinkSync(join(s.root, 'dir/b.txt'));
    s.write('c.txt', 'created later');
    await s.pass(s.config(pair));
    expect(s.s3.getObject(s.bucket, 'dir/b.txt')).toBeUndefined();

    const r = restoreInto(t, pair);
    s.s3.resetCounters();
    const sum = await r.run();
    expect(sum.counts).toMatchObject({ restored: 3, failed: 0, refused: 0 });
    expect(readFileSync(join(r.to, 'a.txt'), 'utf8')).toBe('v1');
    expect(readFileSync(join(r.to, 'dir/b.txt'), 'utf8')).toBe('bee');
    expect(readFileSync(join(r.to, 'before.txt'), 'utf8')).toBe('from before versioning');
    expect(existsSync(join(r.to, 'c.txt'))).toBe(false);
    expect(readdirSync(r.to).sort()).toEqual(['a.txt', 'before.txt', 'dir']);
    expect(s.s3.counts()).toEqual({ GetBucketVersioning: 1, ListObjectVersions: 1, GetObject: 3 });

    // A second run finds them identical, by HEAD of the same versions.
    const again = await r.run();
    expect(again.counts).toMatchObject({ restored: 0, identical: 3 });

    // Before versioning was on, only the null version existed; before anything, nothing.
    const first = restoreInto(beforeAll, pair);
    expect((await first.run()).counts.restored).toBe(1);
    expect(readdirSync(first.to)).toEqual(['before.txt']);
    // Now: the trash holds dir/b.txt's copy, which is not restored as a file.
    const latest = restoreInto(Date.now(), pair);
    const l = await latest.run();
    expect(l.counts).toMatchObject({ restored: 3, skipped: 1 });
    expect(readdirSync(latest.to).sort()).toEqual(['a.txt', 'before.txt', 'c.txt']);
    expect(readFileSync(join(latest.to, 'a.txt'), 'utf8')).toBe('v2, longer');
    const none = restoreInto(0, pair);
    expect((await none.run()).counts.restored).toBe(0);
    expect(readdirSync(none.to)).toEqual([]);
  });

  it('a bucket without versioning is a clear error that says how to enable it', async () => {
    s = memoryScratch('noversions');
    s.write('a.txt', 'a');
    await s.pass(s.config());
    const r = restoreInto(Date.now());
    const e = await r.run().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(MirrorError);
    expect((e as MirrorError).code).toBe('VERSIONING_OFF');
    expect((e as MirrorError).hint).toContain('aws s3api put-bucket-versioning --bucket bucket');
    expect(readdirSync(r.to)).toEqual([]);
  });
});

describe('restore keeps the listing within two pages of the downloads', () => {
  const N = 3000;
  const BOUND = 2 * 1000 + 8;
  for (const at of [false, true])
    it(`${N} objects${at ? ' (--at)' : ''}: never more than ${BOUND} listed and not yet done`, async () => {
      s = memoryScratch('bound');
      setVersioning(new MemoryBuckets(s.s3), s.bucket, 'enabled');
      for (let i = 0; i < N; i++) s.s3.putObject(s.bucket, `f/${String(i).padStart(5, '0')}`, `body ${i}`);
      const r = restoreInto(at ? Date.now() : undefined);
      const sum = await r.run();
      expect(sum.counts.restored).toBe(N);
      expect(sum.maxQueued).toBeGreaterThan(0);
      expect(sum.maxQueued).toBeLessThanOrEqual(BOUND);
      rmSync(r.to, { recursive: true });
    });
});
