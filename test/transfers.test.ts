// Transfers on the in-memory bucket: what each kind of send asks of the server, what it returns
// for the journal, and what it leaves behind when a request fails.
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig, type PairConfig } from '../src/config.js';
import { treePath } from '../src/local/safe-open.js';
import { md5Hex } from '../src/plan/etag.js';
import { Journal } from '../src/store/journal.js';
import type { FileRow } from '../src/store/types.js';
import { readAndHash } from '../src/local/hasher.js';
import { Transfers } from '../src/sync/transfers.js';
import { Lanes } from '../src/sync/lanes.js';
import { transferBudgetBytes } from '../src/plan/lanes.js';
import { MemoryBuckets, MemoryS3 } from './support/memory-bucket.js';
import { blob } from './support/memory-mirror.js';

const MiB = 1024 * 1024;
const PART = 5 * MiB;

interface Setup {
  dir: string;
  s3: MemoryS3;
  journal: Journal;
  t: Transfers;
  pair: PairConfig;
  file(rel: string, data: Buffer | string): Promise<{ abs: string; h: Awaited<ReturnType<typeof readAndHash>> }>;
}

let cur: Setup | undefined;
afterEach(() => {
  cur?.journal.close();
  if (cur) rmSync(cur.dir, { recursive: true, force: true });
  cur = undefined;
});

function setup(pairOpts: Record<string, unknown> = {}, copyLimitBytes?: number): Setup {
  const dir = mkdtempSync(join(tmpdir(), 's3mirror-transfers-'));
  const s3 = new MemoryS3().createBucket('bkt');
  const journal = Journal.open(join(dir, 'state'));
  const root = join(dir, 'root');
  mkdirSync(root);
  const cfg = parseConfig(
    { stateDir: join(dir, 'state'), pairs: [{ name: 'p', path: root, bucket: 'bkt', ...pairOpts }] },
    dir,
  );
  const pair = cfg.pairs[0]!;
  journal.pairs.upsert({ name: 'p', root, bucket: 'bkt', prefix: pair.prefix });
  const lanes = new Lanes({ concurrency: 4, budgetBytes: transferBudgetBytes(PART), partSizeBytes: PART });
  const t = new Transfers(new MemoryBuckets(s3), journal, lanes, {
    concurrency: 4,
    partSizeBytes: PART,
    now: Date.now,
    ...(copyLimitBytes ? { copyLimitBytes } : {}),
  });
  cur = {
    dir,
    s3,
    journal,
    t,
    pair,
    async file(rel, data) {
      const abs = join(root, rel);
      writeFileSync(abs, data);
      return {
        abs,
        h: await readAndHash(treePath(root, rel, false), { thresholdBytes: PART, partSizeBytes: PART }, data.length),
      };
    },
  };
  return cur;
}

/** The journal row of a file already mirrored at `key`, as a rename source. */
function sourceRow(key: string, size: number, md5: string): FileRow {
  return { rel: key, key, size, md5, part_size: 0, local_etag: md5, mtime_ns: '0' } as unknown as FileRow;
}

describe('transfers on the in-memory bucket', () => {
  it('a small file is one PUT; the result carries its MD5 as ETag', async () => {
    const { s3, t, pair, file } = setup();
    const { abs, h } = await file('a.txt', 'hello');
    expect(await t.upload(pair, 'a.txt', 'a.txt', abs, h)).toMatchObject({
      md5: md5Hex('hello'),
      partSize: 0,
      etag: md5Hex('hello'),
      etagKind: 'md5',
    });
    expect(s3.counts()).toEqual({ PutObject: 1 });
    expect(t.bytesUploaded).toBe(5);
  });

  it('a large file goes in parts; the ETag is the one hashed, and no upload is left recorded', async () => {
    const { s3, t, pair, journal, file } = setup();
    const { abs, h } = await file('big', blob(2 * PART + 10, 1));
    const c = await t.upload(pair, 'big', 'big', abs, h);
    expect(c).toMatchObject({ partSize: PART, etag: h.localEtag, etagKind: 'multipart' });
    expect(s3.counts()).toEqual({ CreateMultipartUpload: 1, UploadPart: 3, CompleteMultipartUpload: 1 });
    expect(journal.uploads.all()).toEqual([]);
    expect(s3.uploads('bkt')).toEqual([]);
  });

  it('a part that fails with a 5xx keeps the upload and its confirmed part; the retry sends only the rest', async () => {
    const { s3, t, pair, journal, file } = setup();
    const { abs, h } = await file('big', blob(2 * PART + 10, 2));
    s3.fault = (q) =>
      q.op === 'UploadPart' && s3.counts().UploadPart === 2 ? { name: 'InternalError', status: 500 } : undefined;
    await expect(t.upload(pair, 'big', 'big', abs, h)).rejects.toMatchObject({
      code: 'S3_SERVER_ERROR',
      retryable: true,
    });
    expect(s3.counts().AbortMultipartUpload ?? 0).toBe(0);
    const [rec] = journal.uploads.all();
    expect(rec).toMatchObject({ resumable: 1 });
    // The parts that went through (those in flight beside the failed one too) stay recorded.
    const confirmed = journal.uploads.parts('p', rec!.upload_id).length;
    expect(confirmed).toBe(2);
    s3.fault = undefined;
    s3.resetCounters();
    const c = await t.upload(pair, 'big', 'big', abs, h);
    expect(c.etag).toBe(h.localEtag);
    expect(s3.counts()).toEqual({ ListParts: 1, UploadPart: 3 - confirmed, CompleteMultipartUpload: 1 });
    expect(journal.uploads.all()).toEqual([]);
    expect(s3.uploads('bkt')).toEqual([]);
  });

  it('a part the server refuses for good (NoSuchUpload) aborts the upload: nothing stays stored or recorded', async () => {
    const { s3, t, pair, journal, file } = setup();
    const { abs, h } = await file('big', blob(2 * PART + 10, 2));
    s3.fault = (q) =>
      q.op === 'UploadPart' && s3.counts().UploadPart === 2 ? { name: 'NoSuchUpload', status: 404 } : undefined;
    await expect(t.upload(pair, 'big', 'big', abs, h)).rejects.toMatchObject({ retryable: false });
    expect(s3.counts().AbortMultipartUpload).toBe(1);
    expect(s3.uploads('bkt')).toEqual([]);
    expect(journal.uploads.all()).toEqual([]);
    expect(s3.objects('bkt')).toEqual([]);
  });

  it('an abort that fails keeps the upload recorded, for a later abort', async () => {
    const { s3, t, pair, journal, file } = setup();
    const { abs, h } = await file('big', blob(2 * PART + 10, 3));
    s3.fault = (q) =>
      q.op === 'CompleteMultipartUpload'
        ? { name: 'InvalidPart', status: 400 }
        : q.op === 'AbortMultipartUpload'
          ? { name: 'InternalError', status: 500 }
          : undefined;
    await expect(t.upload(pair, 'big', 'big', abs, h)).rejects.toMatchObject({ code: 'S3_REQUEST_FAILED' });
    expect(s3.counts().AbortMultipartUpload).toBe(1);
    expect(journal.uploads.all()).toEqual([
      expect.objectContaining({ key: 'big', upload_id: s3.uploads('bkt')[0]!.uploadId, resumable: 0 }),
    ]);
  });

  it('a file that grew after hashing is not completed (FILE_CHANGED) and its upload is aborted', async () => {
    const { s3, t, pair, file } = setup();
    const { abs, h } = await file('big', blob(2 * PART, 4));
    appendFileSync(abs, 'more');
    await expect(t.upload(pair, 'big', 'big', abs, h)).rejects.toMatchObject({ code: 'FILE_CHANGED' });
    expect(s3.counts().CompleteMultipartUpload ?? 0).toBe(0);
    expect(s3.uploads('bkt')).toEqual([]);
  });

  it('a rename copies with If-Match on the listed ETag; a changed source is refused', async () => {
    const { s3, t, pair, journal, file } = setup();
    const { h } = await file('new', 'content');
    s3.putObject('bkt', 'old', 'content');
    journal.remote.put({
      pair: 'p',
      key: 'old',
      size: 7,
      etag: md5Hex('content'),
      metaMd5: md5Hex('content'),
      now: Date.now(),
    });
    const c = await t.renameCopy({
      pair,
      rel: 'new',
      from: sourceRow('old', 7, md5Hex('content')),
      key: 'new',
      hashed: h,
    });
    expect(c.etag).toBe(md5Hex('content'));
    expect(s3.getObject('bkt', 'new')!.metadata.md5).toBe(md5Hex('content'));

    s3.putObject('bkt', 'old', 'changed!');
    await expect(
      t.renameCopy({ pair, rel: 'new2', from: sourceRow('old', 7, md5Hex('content')), key: 'new2', hashed: h }),
    ).rejects.toMatchObject({
      code: 'S3_REQUEST_FAILED',
    });
    expect(s3.getObject('bkt', 'new2')).toBeUndefined();
  });

  it('above the copy limit a rename is copied part by part, with the ETag the file was hashed to', async () => {
    const { s3, t, pair, journal, file } = setup({}, 6 * MiB);
    const data = blob(2 * PART + 100, 5);
    const { h } = await file('new', data);
    s3.putObject('bkt', 'old', data);
    journal.remote.put({
      pair: 'p',
      key: 'old',
      size: data.length,
      etag: s3.getObject('bkt', 'old')!.etag,
      metaMd5: h.md5,
      now: Date.now(),
    });
    const c = await t.renameCopy({
      pair,
      rel: 'new',
      from: sourceRow('old', data.length, h.md5),
      key: 'new',
      hashed: h,
    });
    expect(s3.counts()).toMatchObject({ UploadPartCopy: 3, CompleteMultipartUpload: 1 });
    expect(c.etag).toBe(h.localEtag);
    expect(s3.bytesReceived).toBe(0);
  });

  it('the trash copy keeps the source object headers and metadata', async () => {
    const { s3, t, pair } = setup({ storageClass: 'STANDARD_IA' });
    s3.putObject('bkt', 'x.txt', 'trash me', {
      contentType: 'text/x-custom',
      metadata: { md5: md5Hex('trash me'), mode: '600' },
    });
    await t.trashCopy(
      pair,
      { rel: 'x.txt', key: 'x.txt', size: 8, remote_size: 8 } as unknown as FileRow,
      'trash/x.txt',
    );
    expect(s3.getObject('bkt', 'trash/x.txt')).toMatchObject({
      contentType: 'text/x-custom',
      metadata: { md5: md5Hex('trash me'), mode: '600' },
      storageClass: 'STANDARD_IA',
    });
  });

  it('with sse aws:kms an opaque ETag is accepted, not taken for a corrupted body', async () => {
    const { t, pair, file } = setup({ sse: 'aws:kms' });
    const { abs, h } = await file('a', 'secret');
    const c = await t.upload(pair, 'a', 'a', abs, h);
    expect(c.etag).not.toBe(md5Hex('secret'));
    expect(c.md5).toBe(md5Hex('secret'));
  });
});
