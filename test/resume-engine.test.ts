// Resumable multipart uploads on the in-memory bucket: a process killed mid-upload (a failpoint,
// its client severed) leaves an upload the next start continues, sending only the parts missing;
// a changed file starts over; a part the server lacks is sent again; orphans are swept.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { armFailpoint, FailpointCrash, resetFailpoints } from '../src/failpoints.js';
import { fileBytesRead } from '../src/local/read-meter.js';
import { createLogger } from '../src/log.js';
import { Journal } from '../src/store/journal.js';
import { syncOnce } from '../src/sync/once.js';
import { MemoryBuckets } from './support/memory-bucket.js';
import { blob, expectMemoryMirror, memoryScratch, type MemoryScratch } from './support/memory-mirror.js';

const KiB = 1024;
const PART = 4 * KiB;
// Ten parts: nine of 4 KiB and one of 1 KiB.
const SIZE = 9 * PART + KiB;
const multipart = { thresholdBytes: PART, partSizeBytes: PART };
let s: MemoryScratch | undefined;
afterEach(() => {
  resetFailpoints();
  s?.cleanup();
  s = undefined;
});

/** One part at a time, so the crash after the sixth part leaves exactly six on the server. */
const config = (sc: MemoryScratch, top: Record<string, unknown> = {}) => sc.config({}, { concurrency: 1, ...top });

async function crashAfterParts(sc: MemoryScratch, parts: number): Promise<string> {
  const conn = new MemoryBuckets(sc.s3);
  armFailpoint('after-part', { skip: parts - 1, onCrash: () => conn.sever() });
  const err = await sc.pass(config(sc), { buckets: conn, multipart }).catch((e: unknown) => e);
  resetFailpoints();
  expect(err).toBeInstanceOf(FailpointCrash);
  const [upload] = sc.s3.uploads(sc.bucket);
  expect(upload?.parts).toBe(parts);
  return upload!.uploadId;
}

function records(sc: MemoryScratch) {
  const j = Journal.open(sc.stateDir, { readonly: true });
  try {
    return j.uploads.all();
  } finally {
    j.close();
  }
}

describe('a multipart upload cut short by a crash', () => {
  it('resumes where it stopped when the file is unchanged: only the missing parts are sent', async () => {
    s = memoryScratch('resume', { minPartSize: KiB });
    s.write('big.bin', blob(SIZE, 1));
    const id = await crashAfterParts(s, 6);
    s.s3.resetCounters();
    const read = fileBytesRead();

    const r = await s.pass(config(s), { multipart });
    expect(r.failures).toEqual([]);
    expectMemoryMirror(s);
    // No full hash first: the six parts sent are read to prove them, the four missing to send them.
    expect(fileBytesRead() - read).toBe(SIZE);
    const c = s.s3.counts();
    expect(c.CreateMultipartUpload ?? 0).toBe(0);
    expect(c.ListParts).toBe(1);
    expect(c.UploadPart).toBe(4);
    expect(c.AbortMultipartUpload ?? 0).toBe(0);
    // Parts 7, 8, 9 (4 KiB) and 10 (1 KiB): nothing sent twice.
    expect(s.s3.bytesReceived).toBe(3 * PART + KiB);
    expect(s.s3.requests.find((q) => q.op === 'CompleteMultipartUpload')).toBeDefined();
    expect(s.s3.uploads(s.bucket)).toEqual([]);
    expect(records(s)).toEqual([]);
    // The object is the one the upload started: its ETag is the multipart ETag of ten parts.
    expect(s.s3.getObject(s.bucket, 'big.bin')?.etag).toMatch(/-10$/);
    expect(id).toBeTruthy();
  });

  it('starts over when the file changed since: the old upload is aborted', async () => {
    s = memoryScratch('resume-changed', { minPartSize: KiB });
    s.write('big.bin', blob(SIZE, 2));
    const old = await crashAfterParts(s, 6);
    // Same size, other bytes.
    writeFileSync(join(s.root, 'big.bin'), blob(SIZE, 3));
    s.s3.resetCounters();

    const r = await s.pass(config(s), { multipart });
    expect(r.failures).toEqual([]);
    expectMemoryMirror(s);
    const c = s.s3.counts();
    expect(c.AbortMultipartUpload).toBe(1);
    expect(s.s3.requests.filter((q) => q.op === 'AbortMultipartUpload')).toHaveLength(1);
    expect(c.CreateMultipartUpload).toBe(1);
    expect(c.UploadPart).toBe(10);
    expect(s.s3.bytesReceived).toBe(SIZE);
    expect(s.s3.uploads(s.bucket).map((u) => u.uploadId)).not.toContain(old);
    expect(records(s)).toEqual([]);
  });

  it("starts over when the pair's object settings changed since: no object completes with the old headers", async () => {
    s = memoryScratch('resume-settings', { minPartSize: KiB });
    s.write('big.bin', blob(SIZE, 7));
    const old = await crashAfterParts(s, 6);
    s.s3.resetCounters();

    const r = await s.pass(s.config({ storageClass: 'STANDARD_IA' }, { concurrency: 1 }), { multipart });
    expect(r.failures).toEqual([]);
    expectMemoryMirror(s);
    expect(s.s3.counts()).toMatchObject({ AbortMultipartUpload: 1, CreateMultipartUpload: 1, UploadPart: 10 });
    expect(s.s3.uploads(s.bucket).map((u) => u.uploadId)).not.toContain(old);
    expect(s.s3.getObject(s.bucket, 'big.bin')?.storageClass).toBe('STANDARD_IA');
    expect(records(s)).toEqual([]);
  });

  it('sends again a part the journal recorded but the server does not hold (ListParts)', async () => {
    s = memoryScratch('resume-mismatch', { minPartSize: KiB });
    s.write('big.bin', blob(SIZE, 4));
    const id = await crashAfterParts(s, 6);
    s.s3.state(s.bucket, { op: 'ListParts', key: 'big.bin' }).uploads.get(id)!.parts.delete(2);
    s.s3.resetCounters();

    const r = await s.pass(config(s), { multipart });
    expect(r.failures).toEqual([]);
    expectMemoryMirror(s);
    expect(s.s3.counts().UploadPart).toBe(5);
    expect(s.s3.bytesReceived).toBe(4 * PART + KiB);
  });

  it('forgets an upload the server no longer has and starts a new one', async () => {
    s = memoryScratch('resume-gone', { minPartSize: KiB });
    s.write('big.bin', blob(SIZE, 5));
    const id = await crashAfterParts(s, 6);
    s.s3.dropUpload(s.bucket, id);
    s.s3.resetCounters();

    const r = await s.pass(config(s), { multipart });
    expect(r.failures).toEqual([]);
    expectMemoryMirror(s);
    expect(s.s3.counts()).toMatchObject({ ListParts: 1, CreateMultipartUpload: 1, UploadPart: 10 });
    expect(records(s)).toEqual([]);
  });

  it('aborts a kept upload once it is older than abortIncompleteAfterMs', async () => {
    s = memoryScratch('resume-old', { minPartSize: KiB });
    s.write('big.bin', blob(SIZE, 6));
    await crashAfterParts(s, 6);
    s.s3.resetCounters();
    const later = Date.now() + 86_400_000 + 60_000;
    const r = await s.pass(config(s), { multipart, now: () => later });
    expect(r.failures).toEqual([]);
    expectMemoryMirror(s);
    expect(s.s3.counts()).toMatchObject({ AbortMultipartUpload: 1, CreateMultipartUpload: 1, UploadPart: 10 });
  });
});

describe('uploads the journal does not know', () => {
  function orphans(sc: MemoryScratch): { old: string; young: string; outside: string } {
    const what = { op: 'CreateMultipartUpload', key: 'x' } as const;
    const settings = { contentType: 'application/octet-stream', metadata: {} };
    const old = sc.s3.newUpload(sc.bucket, 'pre/old.bin', settings, what);
    const young = sc.s3.newUpload(sc.bucket, 'pre/young.bin', settings, what);
    const outside = sc.s3.newUpload(sc.bucket, 'elsewhere/old.bin', settings, what);
    const uploads = sc.s3.state(sc.bucket, what).uploads;
    uploads.get(old)!.initiated = Date.now() - 2 * 86_400_000;
    uploads.get(outside)!.initiated = Date.now() - 2 * 86_400_000;
    return { old, young, outside };
  }

  it('under the pair prefix and older than abortIncompleteAfterMs are aborted; the others are left', async () => {
    s = memoryScratch('orphans');
    s.write('a.txt', 'a');
    const o = orphans(s);
    const r = await s.pass(s.config({ prefix: 'pre' }));
    expect(r.failures).toEqual([]);
    expect(s.s3.counts().ListMultipartUploads).toBe(1);
    expect(
      s.s3
        .uploads(s.bucket)
        .map((u) => u.uploadId)
        .sort(),
    ).toEqual([o.young, o.outside].sort());
  });

  it('on a server without ListMultipartUploads (s3rver): the sweep says once that it cannot', async () => {
    s = memoryScratch('orphans-unlisted', { listUploads: false });
    s.write('a.txt', 'a');
    orphans(s);
    const logFile = join(s.dir, 'log.ndjson');
    writeFileSync(logFile, '');
    const cfg = s.config({ prefix: 'pre' });
    const r = await syncOnce(cfg, createLogger({ destination: logFile }), { buckets: new MemoryBuckets(s.s3) });
    expect(r.failures).toEqual([]);
    expect(s.s3.uploads(s.bucket)).toHaveLength(3);
    const lines = readFileSync(logFile, 'utf8')
      .split('\n')
      .filter((l) => l.includes('ListMultipartUploads'));
    expect(lines).toHaveLength(1);
  });
});
