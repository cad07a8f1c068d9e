// In-process crashes at failpoints, on the in-memory bucket: the crash leaves the pass (it is not
// a file's failure), the dead engine does nothing more, and a fresh start converges without
// sending again what the bucket already holds.
import { renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  armFailpoint,
  crashed,
  denyReads,
  failpoint,
  FailpointCrash,
  resetFailpoints,
  type Failpoint,
} from '../src/failpoints.js';
import { Journal } from '../src/store/journal.js';
import { MemoryBuckets } from './support/memory-bucket.js';
import { blob, expectMemoryMirror, memoryScratch, type MemoryScratch } from './support/memory-mirror.js';

const MiB = 1024 * 1024;
let s: MemoryScratch | undefined;
afterEach(() => {
  resetFailpoints();
  s?.cleanup();
  s = undefined;
});

/** A pass that crashes at `point` (its `skip + 1`-th hit), with its bucket client severed at that instant. */
async function crashingPass(
  sc: MemoryScratch,
  point: Failpoint,
  cfg = sc.config({ maxDeletePercent: 100 }),
  skip = 0,
): Promise<unknown> {
  const conn = new MemoryBuckets(sc.s3);
  armFailpoint(point, { skip, onCrash: () => conn.sever() });
  const err = await sc.pass(cfg, { buckets: conn }).then(
    () => undefined,
    (e: unknown) => e,
  );
  resetFailpoints();
  return err;
}

describe('failpoints', () => {
  it('are free and silent when nothing is armed', () => {
    expect(() => failpoint('after-put')).not.toThrow();
    expect(crashed()).toBeUndefined();
  });

  it('after a PUT the journal does not know: the crash leaves the pass; a restart sends only what is missing', async () => {
    s = memoryScratch('fp-put');
    for (let i = 0; i < 12; i++) s.write(`f${i}.txt`, blob(1000 + i, i));
    const err = await crashingPass(s, 'after-put', s.config({}, { concurrency: 2 }), 3);
    expect(err).toBeInstanceOf(FailpointCrash);
    // The dead pass recorded no failure and no outcome past the crash.
    const j = Journal.open(s.stateDir);
    try {
      expect(j.query.failedFiles('p', 100)).toEqual([]);
    } finally {
      j.close();
    }
    const landed = s.s3.objects(s.bucket).length;
    expect(landed).toBeGreaterThanOrEqual(4);
    s.s3.resetCounters();
    const r = await s.pass(s.config());
    expect(r.failures).toEqual([]);
    expectMemoryMirror(s);
    // What landed before the crash is recognised by its ETag, not sent again.
    expect(s.s3.counts().PutObject).toBe(12 - landed);
  });

  it('between a rename copy and its delete: the restart deletes the old key, copies nothing again', async () => {
    s = memoryScratch('fp-rename');
    s.write('old/a.bin', blob(3000, 7));
    const cfg = s.config({ maxDeletePercent: 100 });
    await s.pass(cfg);
    renameSync(join(s.root, 'old'), join(s.root, 'new'));
    expect(await crashingPass(s, 'rename-after-copy', cfg)).toBeInstanceOf(FailpointCrash);
    expect(s.s3.objects(s.bucket).map(([k]) => k)).toEqual(['new/a.bin', 'old/a.bin']);
    s.s3.resetCounters();
    expect((await s.pass(cfg)).failures).toEqual([]);
    expectMemoryMirror(s);
    expect(s.s3.bytesReceived).toBe(0);
  });

  it('mid delete batch: the restart sees the deleted keys gone and deletes only the rest', async () => {
    s = memoryScratch('fp-delete');
    for (let i = 0; i < 1500; i++) s.write(`d/${i}`, String(i));
    s.write('keep', 'k');
    const cfg = s.config({ maxDeletePercent: 100, maxDeleteCount: 100_000 });
    await s.pass(cfg);
    rmSync(join(s.root, 'd'), { recursive: true });
    expect(await crashingPass(s, 'delete-mid-batch', cfg)).toBeInstanceOf(FailpointCrash);
    expect(s.s3.objects(s.bucket)).toHaveLength(501);
    s.s3.resetCounters();
    expect((await s.pass(cfg)).failures).toEqual([]);
    expectMemoryMirror(s);
    expect(s.s3.counts().DeleteObjects).toBe(1);
  });

  it('before and after CompleteMultipartUpload: the restart leaves one object and no upload', async () => {
    for (const point of ['after-part', 'before-complete', 'after-complete'] as const) {
      s = memoryScratch(`fp-${point}`);
      s.write('big.bin', blob(11 * MiB, 3));
      const cfg = s.config({}, { multipart: { thresholdBytes: 5 * MiB, partSizeBytes: 5 * MiB } });
      expect(await crashingPass(s, point, cfg), point).toBeInstanceOf(FailpointCrash);
      expect(s.s3.uploads(s.bucket).length, point).toBe(point === 'after-complete' ? 0 : 1);
      const r = await s.pass(cfg);
      expect(r.failures, point).toEqual([]);
      expectMemoryMirror(s);
      // The start aborts what the dead process left under way.
      expect(s.s3.uploads(s.bucket), point).toEqual([]);
      s.cleanup();
    }
  });

  it('denyReads makes a file unreadable as EACCES would, even for root', async () => {
    s = memoryScratch('fp-eacces');
    s.write('secret', 'no');
    s.write('big', blob(300 * 1024, 1));
    s.write('open', 'yes');
    denyReads((abs) => abs !== join(s!.root, 'open'));
    const r = await s.pass(s.config());
    expect(r.failures.map((f) => [f.rel, f.code]).sort()).toEqual([
      ['big', 'FILE_UNREADABLE'],
      ['secret', 'FILE_UNREADABLE'],
    ]);
    expect(s.s3.objects(s.bucket).map(([k]) => k)).toEqual(['open']);
  });

  it('inside a journal transaction: its writes are lost, and the restart converges', async () => {
    s = memoryScratch('fp-tx');
    for (let i = 0; i < 5; i++) s.write(`t${i}`, `content ${i}`);
    const cfg = s.config();
    expect(await crashingPass(s, 'journal-tx', cfg, 2)).toBeInstanceOf(FailpointCrash);
    expect((await s.pass(cfg)).failures).toEqual([]);
    expectMemoryMirror(s);
  });
});
