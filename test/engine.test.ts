// The engine's decisions end to end (syncOnce → Runtime → engine → transfers/deletes) on the
// in-memory bucket: real files and a real journal, counted requests instead of a server.
import { chmodSync, renameSync, rmSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { md5Hex, multipartEtag } from '../src/plan/etag.js';
import { blob, expectMemoryMirror, memoryScratch, type MemoryScratch } from './support/memory-mirror.js';

const MiB = 1024 * 1024;
let s: MemoryScratch | undefined;
afterEach(() => {
  s?.cleanup();
  s = undefined;
});

describe('engine on the in-memory bucket', () => {
  it('uploads new files with their metadata; an unchanged tree costs one listing', async () => {
    s = memoryScratch('eng-up');
    s.write('a.txt', 'alpha');
    s.write('sub/b.json', '{}');
    chmodSync(join(s.root, 'a.txt'), 0o640);
    const cfg = s.config();
    const r = await s.pass(cfg);
    expect(r.failures).toEqual([]);
    expect(r.stats.p).toMatchObject({ uploaded: 2, failed: 0 });
    expectMemoryMirror(s);
    const a = s.s3.getObject(s.bucket, 'a.txt')!;
    expect(a).toMatchObject({ etag: md5Hex('alpha'), contentType: 'text/plain' });
    expect(a.metadata).toMatchObject({ md5: md5Hex('alpha'), mode: '640' });
    expect(s.s3.getObject(s.bucket, 'sub/b.json')!.contentType).toBe('application/json');

    s.s3.resetCounters();
    // Trusted (closed cleanly, listed just now): not even a listing. An audit: the listing alone.
    expect((await s.pass(cfg)).stats.p).toMatchObject({ uploaded: 0, copied: 0, deleted: 0 });
    expect(s.s3.counts()).toEqual({});
    expect((await s.pass(cfg, { audit: true })).stats.p).toMatchObject({ uploaded: 0, copied: 0, deleted: 0 });
    expect(s.s3.counts()).toEqual({ ListObjectsV2: 1 });
  });

  it('a changed file is sent again; an identical rewrite is not', async () => {
    s = memoryScratch('eng-mod');
    s.write('a.txt', 'one');
    s.write('b.txt', 'same');
    const cfg = s.config();
    await s.pass(cfg);
    s.write('a.txt', 'two!');
    s.write('b.txt', 'same');
    s.s3.resetCounters();
    const r = await s.pass(cfg);
    expect(r.stats.p).toMatchObject({ uploaded: 1 });
    expect(s.s3.requests.filter((q) => q.op === 'PutObject').map((q) => q.key)).toEqual(['a.txt']);
    expectMemoryMirror(s);
  });

  it('a rename is a server-side copy and a delete: no bytes sent', async () => {
    s = memoryScratch('eng-mv');
    s.write('old/a.bin', blob(5000, 1));
    const cfg = s.config({ maxDeletePercent: 100 });
    await s.pass(cfg);
    renameSync(join(s.root, 'old'), join(s.root, 'new'));
    s.s3.resetCounters();
    const r = await s.pass(cfg);
    expect(r.stats.p).toMatchObject({ copied: 1, uploaded: 0, deleted: 1 });
    expect(s.s3.bytesReceived).toBe(0);
    expectMemoryMirror(s);
    // REPLACE: the new key's own Content-Type and metadata; no x-amz-meta-md5 where the ETag is the MD5.
    const copied = s.s3.getObject(s.bucket, 'new/a.bin')!;
    expect(copied.etag).toBe(md5Hex(blob(5000, 1)));
    expect(copied.metadata.md5).toBeUndefined();
    expect(copied.metadata.mtime).toBeDefined();
  });

  it('a copy refused by If-Match (the source changed since it was listed) becomes an upload', async () => {
    s = memoryScratch('eng-ifmatch');
    s.write('old.bin', blob(4000, 2));
    const cfg = s.config({ maxDeletePercent: 100 });
    await s.pass(cfg);
    renameSync(join(s.root, 'old.bin'), join(s.root, 'new.bin'));
    // Another writer replaces the source between the listing and the copy.
    s.s3.fault = (q) => {
      if (q.op === 'CopyObject') s!.s3.putObject(s!.bucket, 'old.bin', 'changed by someone else');
      return undefined;
    };
    s.s3.resetCounters();
    const r = await s.pass(cfg);
    expect(r.failures).toEqual([]);
    expect(s.s3.counts()).toMatchObject({ CopyObject: 1, PutObject: 1 });
    expect(r.stats.p).toMatchObject({ copied: 0, uploaded: 1 });
    expect(md5Hex(s.s3.getObject(s.bucket, 'new.bin')!.body)).toBe(md5Hex(blob(4000, 2)));
  });

  it.each([
    ['mirror', ['keep.txt']],
    ['keep', ['gone.txt', 'keep.txt']],
    ['trash', ['keep.txt']],
  ] as const)('delete mode %s: the bucket keeps %j (and the trash the rest)', async (mode, left) => {
    s = memoryScratch(`eng-del-${mode}`);
    s.write('keep.txt', 'k');
    s.write('gone.txt', 'g');
    const cfg = s.config({ delete: mode, maxDeletePercent: 100 });
    await s.pass(cfg);
    unlinkSync(join(s.root, 'gone.txt'));
    const r = await s.pass(cfg);
    expect(r.failures).toEqual([]);
    const keys = s.s3.objects(s.bucket).map(([k]) => k);
    expect(keys.filter((k) => !k.startsWith('.s3mirror-trash/'))).toEqual(left);
    const trashed = keys.filter((k) => k.startsWith('.s3mirror-trash/'));
    expect(trashed).toHaveLength(mode === 'trash' ? 1 : 0);
    if (mode === 'trash') expect(trashed[0]).toMatch(/^\.s3mirror-trash\/\d{4}-\d{2}-\d{2}\/(.+\/)?gone\.txt$/);
  });

  it('the guard holds a mass delete: nothing is deleted and the pass reports it', async () => {
    s = memoryScratch('eng-guard');
    for (let i = 0; i < 10; i++) s.write(`f${i}`, String(i));
    const cfg = s.config();
    await s.pass(cfg);
    for (let i = 0; i < 8; i++) unlinkSync(join(s.root, `f${i}`));
    s.s3.resetCounters();
    const r = await s.pass(cfg);
    expect(r.held).toEqual([expect.objectContaining({ pair: 'p', count: 8 })]);
    expect(s.s3.counts().DeleteObjects ?? 0).toBe(0);
    expect(s.s3.objects(s.bucket)).toHaveLength(10);
  });

  it('excluded files are neither uploaded nor deleted', async () => {
    s = memoryScratch('eng-excl');
    s.write('a.txt', 'a');
    s.write('skip.log', 'l');
    s.s3.putObject(s.bucket, 'other.log', 'someone else');
    const r = await s.pass(s.config({ exclude: ['*.log'], maxDeletePercent: 100 }));
    expect(r.failures).toEqual([]);
    expect(s.s3.objects(s.bucket).map(([k]) => k)).toEqual(['a.txt', 'other.log']);
  });

  it('a large file goes multipart; its ETag is the one computed, and the next pass sends nothing', async () => {
    s = memoryScratch('eng-mp');
    const data = blob(11 * MiB, 5);
    s.write('big.bin', data);
    const cfg = s.config({}, { multipart: { thresholdBytes: 5 * MiB, partSizeBytes: 5 * MiB } });
    await s.pass(cfg);
    expect(s.s3.counts()).toMatchObject({ CreateMultipartUpload: 1, UploadPart: 3, CompleteMultipartUpload: 1 });
    const parts = [0, 1, 2].map((i) => Buffer.from(md5Hex(data.subarray(i * 5 * MiB, (i + 1) * 5 * MiB)), 'hex'));
    expect(s.s3.getObject(s.bucket, 'big.bin')!.etag).toBe(multipartEtag(parts));
    expect(s.s3.uploads(s.bucket)).toEqual([]);
    s.s3.resetCounters();
    await s.pass(cfg, { audit: true });
    expect(s.s3.counts()).toEqual({ ListObjectsV2: 1 });
  });

  it('default SSE-KMS: opaque part and multipart ETags are not taken for MD5s; the next pass sends nothing', async () => {
    s = memoryScratch('eng-kms', { defaultSse: 'aws:kms' });
    const data = blob(11 * MiB, 6);
    s.write('big.bin', data);
    const cfg = s.config({}, { multipart: { thresholdBytes: 5 * MiB, partSizeBytes: 5 * MiB } });
    expect((await s.pass(cfg)).failures).toEqual([]);
    // To be hashed as it was sent while the bucket's encryption was not known: the creation's answer
    // names SSE-KMS, so that upload is aborted unused and the file hashed first, for x-amz-meta-md5.
    expect(s.s3.counts()).toMatchObject({
      CreateMultipartUpload: 2,
      AbortMultipartUpload: 1,
      UploadPart: 3,
      CompleteMultipartUpload: 1,
    });
    expect(s.s3.getObject(s.bucket, 'big.bin')!.metadata.md5).toBe(md5Hex(data));
    const parts = [0, 1, 2].map((i) => Buffer.from(md5Hex(data.subarray(i * 5 * MiB, (i + 1) * 5 * MiB)), 'hex'));
    expect(s.s3.getObject(s.bucket, 'big.bin')!.etag).not.toBe(multipartEtag(parts));
    expectMemoryMirror(s);
    s.s3.resetCounters();
    expect((await s.pass(cfg, { audit: true })).failures).toEqual([]);
    expect(s.s3.counts()).toEqual({ ListObjectsV2: 1 });
  });

  it('an outage at start fails the pass as an unreachable endpoint; afterwards a pass converges', async () => {
    s = memoryScratch('eng-outage');
    s.write('a.txt', 'a');
    const cfg = s.config();
    s.s3.outage = true;
    await expect(s.pass(cfg)).rejects.toMatchObject({ code: 'ENDPOINT_UNREACHABLE' });
    s.s3.outage = false;
    expect((await s.pass(cfg)).failures).toEqual([]);
    expectMemoryMirror(s);
  });

  it('a server error on one PUT is retried within the pass', async () => {
    s = memoryScratch('eng-500');
    s.write('a.txt', 'a');
    s.write('b.txt', 'b');
    let failures = 1;
    s.s3.fault = (q) =>
      q.op === 'PutObject' && q.key === 'a.txt' && failures-- > 0 ? { name: 'InternalError', status: 500 } : undefined;
    const r = await s.pass(s.config());
    expect(r.failures).toEqual([]);
    expect(s.s3.requests.filter((q) => q.op === 'PutObject' && q.key === 'a.txt')).toHaveLength(2);
    expectMemoryMirror(s);
  });

  it('a key over 1,024 UTF-8 bytes is refused before any request; one at the limit is sent', async () => {
    s = memoryScratch('eng-long');
    const prefix = `${'p'.repeat(899)}/`;
    s.write('é'.repeat(62), 'at the limit');
    s.write('é'.repeat(63), 'over it');
    const r = await s.pass(s.config({ prefix }));
    expect(r.failures.map((f) => f.code)).toEqual(['KEY_TOO_LONG']);
    expect(s.s3.objects(s.bucket).map(([k]) => Buffer.byteLength(k))).toEqual([1024]);
    expect(s.s3.counts().PutObject).toBe(1);
  });

  it('a pair root that vanished deletes nothing', async () => {
    s = memoryScratch('eng-root');
    s.write('a.txt', 'a');
    const cfg = s.config({ maxDeletePercent: 100 });
    await s.pass(cfg);
    rmSync(s.root, { recursive: true });
    const r = await s.pass(cfg);
    expect(r.rootProblems).toHaveLength(1);
    expect(s.s3.objects(s.bucket)).toHaveLength(1);
  });
});
