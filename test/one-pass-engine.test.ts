// Large files read once (plan/one-pass.ts) on the in-memory bucket: which files are hashed before
// their upload, and what their objects carry.
import { rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fileBytesRead } from '../src/local/read-meter.js';
import { md5Hex } from '../src/plan/etag.js';
import { blob, expectMemoryMirror, journalRow, memoryScratch, type MemoryScratch } from './support/memory-mirror.js';

const MiB = 1024 * 1024;
const SIZE = 11 * MiB;
const multipart = { multipart: { thresholdBytes: 5 * MiB, partSizeBytes: 5 * MiB } };

let s: MemoryScratch | undefined;

afterEach(() => {
  s?.cleanup();
  s = undefined;
});

describe('large files and when they are hashed', () => {
  it('a new file is read once; its object names its part size and carries no x-amz-meta-md5', async () => {
    s = memoryScratch('op-new');
    s.write('big.bin', blob(SIZE, 1));
    const read = fileBytesRead();
    expect((await s.pass(s.config({}, multipart))).failures).toEqual([]);
    expect(fileBytesRead() - read).toBe(SIZE);
    const o = s.s3.getObject(s.bucket, 'big.bin')!;
    expect(o.metadata['part-size']).toBe(String(5 * MiB));
    expect(o.metadata.md5).toBeUndefined();
    expectMemoryMirror(s);
  });

  it('with the pair sse: hashed first, and x-amz-meta-md5 written', async () => {
    s = memoryScratch('op-sse');
    s.write('big.bin', blob(SIZE, 2));
    const read = fileBytesRead();
    expect((await s.pass(s.config({ sse: 'AES256' }, multipart))).failures).toEqual([]);
    expect(fileBytesRead() - read).toBeGreaterThanOrEqual(2 * SIZE);
    const o = s.s3.getObject(s.bucket, 'big.bin')!;
    expect(o.metadata.md5).toBe(md5Hex(blob(SIZE, 2)));
    expect(o.metadata['part-size']).toBe(String(5 * MiB));
  });

  it('a lost journal, then another part size: hashed in the part size the object names; nothing sent', async () => {
    s = memoryScratch('op-partsize');
    s.write('big.bin', blob(SIZE, 3));
    expect((await s.pass(s.config({}, multipart))).failures).toEqual([]);
    rmSync(s.stateDir, { recursive: true, force: true });
    s.s3.resetCounters();
    const other = { multipart: { thresholdBytes: 5 * MiB, partSizeBytes: 6 * MiB } };
    const r = await s.pass(s.config({}, other));
    expect(r.failures).toEqual([]);
    expect(r.stats.p).toMatchObject({ uploaded: 0 });
    const c = s.s3.counts();
    expect([c.PutObject ?? 0, c.UploadPart ?? 0, c.CreateMultipartUpload ?? 0]).toEqual([0, 0, 0]);
    expect(c.HeadObject).toBe(1);
  });

  it('no whole-file MD5 is kept: a touch sends nothing, a change of the same size is sent without asking', async () => {
    s = memoryScratch('op-touch');
    s.write('big.bin', blob(SIZE, 4));
    const cfg = s.config({}, multipart);
    expect((await s.pass(cfg)).failures).toEqual([]);
    const first = journalRow(s, 'big.bin')!;
    expect(first.md5).toBeNull();
    expect([first.part_size, first.local_etag]).toEqual([5 * MiB, s.s3.getObject(s.bucket, 'big.bin')!.etag]);

    const later = new Date(Date.now() + 5000);
    utimesSync(join(s.root, 'big.bin'), later, later);
    s.s3.resetCounters();
    const touched = await s.pass(cfg);
    expect(touched.failures).toEqual([]);
    expect(touched.stats.p).toMatchObject({ uploaded: 0 });
    expect(s.s3.counts()).not.toHaveProperty('HeadObject');

    writeFileSync(join(s.root, 'big.bin'), blob(SIZE, 5));
    s.s3.resetCounters();
    const changed = await s.pass(cfg);
    expect(changed.failures).toEqual([]);
    expect(changed.stats.p).toMatchObject({ uploaded: 1 });
    expect(s.s3.counts()).not.toHaveProperty('HeadObject');
    expectMemoryMirror(s);
  });

  it('a new prefix copies it from the previous one by its multipart ETag', async () => {
    s = memoryScratch('op-prefix');
    s.write('big.bin', blob(SIZE, 6));
    expect((await s.pass(s.config({ prefix: 'old/' }, multipart))).failures).toEqual([]);
    expect(journalRow(s, 'big.bin')!.md5).toBeNull();
    s.s3.resetCounters();
    const r = await s.pass(s.config({ prefix: 'new/' }, multipart));
    expect(r.failures).toEqual([]);
    expect(r.stats.p).toMatchObject({ uploaded: 0, copied: 1 });
    expect(s.s3.counts()).not.toHaveProperty('UploadPart');
    expectMemoryMirror(s, 'new/');
  });
});
