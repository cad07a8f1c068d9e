// What only the in-memory bucket has (outage, KMS ETags, counters, another writer, sever), and the
// S3 rules the fidelity table (memory-bucket.int.test.ts) cannot check on every server.
import { describe, expect, it } from 'vitest';
import { md5Hex, multipartEtag } from '../src/plan/etag.js';
import { MemoryBuckets, MemoryS3 } from './support/memory-bucket.js';

const settings = { contentType: 'text/plain', metadata: { md5: 'x', Mode: '644' } };
const body = (s: string) => Buffer.from(s);

function setup(opts: ConstructorParameters<typeof MemoryS3>[0] = {}) {
  const s3 = new MemoryS3(opts).createBucket('b');
  return { s3, b: new MemoryBuckets(s3).bucket('b') };
}

describe('memory bucket', () => {
  it('stores bytes with an MD5 ETag and lower-case metadata names; counts requests and bytes', async () => {
    const { s3, b } = setup();
    const r = await b.put('k', body('hello'), md5Hex('hello'), settings);
    expect(r).toEqual({ etag: md5Hex('hello') });
    expect(s3.getObject('b', 'k')!.body.toString()).toBe('hello');
    expect((await b.head('k'))!.metadata).toEqual({ md5: 'x', mode: '644' });
    expect(s3.counts()).toEqual({ PutObject: 1, HeadObject: 1 });
    expect(s3.bytesReceived).toBe(5);
  });

  it('refuses a body whose Content-MD5 differs (S3_BAD_DIGEST, retryable) and stores nothing', async () => {
    const { s3, b } = setup();
    await expect(b.put('k', body('hello'), md5Hex('other'), settings)).rejects.toMatchObject({
      code: 'S3_BAD_DIGEST',
      retryable: true,
    });
    expect(s3.getObject('b', 'k')).toBeUndefined();
  });

  it('an outage fails every call as an unreachable endpoint, retryable; abort returns the error', async () => {
    const { s3, b } = setup();
    s3.outage = true;
    await expect(b.head('k')).rejects.toMatchObject({ code: 'ENDPOINT_UNREACHABLE', retryable: true });
    await expect(b.list('')).rejects.toMatchObject({ code: 'ENDPOINT_UNREACHABLE' });
    expect(await b.abortMultipart('k', 'u')).toMatchObject({ code: 'ENDPOINT_UNREACHABLE' });
    expect(s3.refused).toBe(3);
    s3.outage = false;
    expect(await b.head('k')).toBeNull();
  });

  it('a missing bucket is BUCKET_MISSING for check, list and put; HEAD of a key is just null', async () => {
    const b = new MemoryBuckets(new MemoryS3()).bucket('nope');
    await expect(b.check()).rejects.toMatchObject({ code: 'BUCKET_MISSING' });
    await expect(b.list('')).rejects.toMatchObject({ code: 'BUCKET_MISSING' });
    await expect(b.put('k', body('a'), md5Hex('a'), settings)).rejects.toMatchObject({ code: 'BUCKET_MISSING' });
    expect(await b.head('k')).toBeNull();
  });

  it('default SSE-KMS: ETags are not MD5s (single, part and multipart), responses say aws:kms', async () => {
    const { s3, b } = setup({ defaultSse: 'aws:kms', minPartSize: 1 });
    const r = await b.put('k', body('hello'), md5Hex('hello'), settings);
    expect(r.sse).toBe('aws:kms');
    expect(r.etag).toMatch(/^[0-9a-f]{32}$/);
    expect(r.etag).not.toBe(md5Hex('hello'));
    const id = await b.createMultipart('m', settings);
    const { etag: e1, sse: partSse } = await b.uploadPart({
      key: 'm',
      uploadId: id,
      n: 1,
      body: body('ab'),
      md5Hex: md5Hex('ab'),
    });
    expect(partSse).toBe('aws:kms');
    expect(e1).not.toBe(md5Hex('ab'));
    const done = await b.completeMultipart('m', id, [{ n: 1, etag: e1 }]);
    expect(done.etag).toMatch(/^[0-9a-f]{32}-1$/);
    expect(done.etag).not.toBe(multipartEtag([Buffer.from(md5Hex('ab'), 'hex')]));
    expect((await b.head('m'))!.sse).toBe('aws:kms');
    expect(s3.getObject('b', 'm')!.body.toString()).toBe('ab');
  });

  it('completing refuses parts under the minimum size (but the last), unknown parts and wrong order', async () => {
    const { s3, b } = setup({ minPartSize: 4 });
    const id = await b.createMultipart('m', settings);
    const { etag: e1 } = await b.uploadPart({ key: 'm', uploadId: id, n: 1, body: body('abc'), md5Hex: md5Hex('abc') });
    const { etag: e2 } = await b.uploadPart({ key: 'm', uploadId: id, n: 2, body: body('d'), md5Hex: md5Hex('d') });
    await expect(
      b.completeMultipart('m', id, [
        { n: 1, etag: e1 },
        { n: 2, etag: e2 },
      ]),
    ).rejects.toMatchObject({ code: 'S3_REQUEST_FAILED', retryable: false });
    await expect(
      b.completeMultipart('m', id, [
        { n: 2, etag: e2 },
        { n: 1, etag: e1 },
      ]),
    ).rejects.toMatchObject({ code: 'S3_REQUEST_FAILED' });
    await expect(b.completeMultipart('m', id, [{ n: 1, etag: e2 }])).rejects.toMatchObject({
      code: 'S3_REQUEST_FAILED',
    });
    expect(s3.uploads('b')).toEqual([{ key: 'm', uploadId: id, parts: 2 }]);
    expect(await b.completeMultipart('m', id, [{ n: 2, etag: e2 }])).toEqual({
      etag: multipartEtag([Buffer.from(e2, 'hex')]),
    });
    expect(s3.uploads('b')).toEqual([]);
  });

  it('another writer bypasses counters and outage; deleteFault reports per-key failures', async () => {
    const { s3, b } = setup();
    s3.putObject('b', 'p/x', 'outside');
    expect(s3.counts()).toEqual({});
    expect(await b.list('p/')).toEqual([{ key: 'p/x', size: 7, etag: md5Hex('outside') }]);
    s3.deleteFault = (k) => (k === 'p/x' ? 'AccessDenied: no' : undefined);
    expect((await b.deleteMany(['p/x', 'p/gone'])).failed).toEqual(new Map([['p/x', 'AccessDenied: no']]));
    s3.deleteObject('b', 'p/x');
    expect(s3.objects('b')).toEqual([]);
  });

  it('turns reorder completions: a request made later can land first', async () => {
    const s3 = new MemoryS3({ turns: (r) => (r.key === 'slow' ? 5 : 0) }).createBucket('b');
    const b = new MemoryBuckets(s3).bucket('b');
    const landed: string[] = [];
    await Promise.all(['slow', 'fast'].map((k) => b.put(k, body(k), md5Hex(k), settings).then(() => landed.push(k))));
    expect(landed).toEqual(['fast', 'slow']);
  });

  it('keys of more than 1,024 UTF-8 bytes are refused, as S3 refuses them', async () => {
    const { s3, b } = setup();
    const at = 'é'.repeat(512);
    expect((await b.put(at, body('a'), md5Hex('a'), settings)).etag).toBe(md5Hex('a'));
    await expect(b.put(`${at}x`, body('a'), md5Hex('a'), settings)).rejects.toMatchObject({
      code: 'S3_REQUEST_FAILED',
      retryable: false,
    });
    await expect(b.createMultipart(`${at}x`, settings)).rejects.toMatchObject({ code: 'S3_REQUEST_FAILED' });
    await expect(b.copy(at, `${at}x`, {})).rejects.toMatchObject({ code: 'S3_REQUEST_FAILED' });
    expect(s3.objects('b')).toHaveLength(1);
  });

  it('injected faults go through mapS3Error (500: retryable S3_SERVER_ERROR)', async () => {
    const { s3, b } = setup();
    s3.fault = (r) => (r.op === 'PutObject' ? { name: 'InternalError', status: 500 } : undefined);
    await expect(b.put('k', body('a'), md5Hex('a'), settings)).rejects.toMatchObject({
      code: 'S3_SERVER_ERROR',
      retryable: true,
    });
  });

  it('a severed client never answers, and changes nothing after it is severed', async () => {
    const s3 = new MemoryS3().createBucket('b');
    const conn = new MemoryBuckets(s3);
    const pending = conn.bucket('b').put('k', body('a'), md5Hex('a'), settings);
    conn.sever();
    const later = conn.bucket('b').put('j', body('a'), md5Hex('a'), settings);
    let answered = 0;
    void pending.then(() => answered++);
    void later.then(() => answered++);
    // A live request answers within two event-loop turns; give these ten.
    for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
    expect(answered).toBe(0);
    expect(s3.getObject('b', 'j')).toBeUndefined();
    expect(await new MemoryBuckets(s3).bucket('b').head('j')).toBeNull();
  });

  it('lists in UTF-8 byte order, in pages of at most 1,000 keys', async () => {
    const { s3, b } = setup();
    for (let i = 0; i < 2001; i++) s3.putObject('b', `p/${String(i).padStart(4, '0')}`, '');
    s3.putObject('b', 'p/\u{1F600}', '');
    s3.putObject('b', 'p/\uFF61', '');
    const pages: number[] = [];
    const all = await b.list('p/', { onPage: (p) => pages.push(p.length) });
    expect(pages).toEqual([1000, 1000, 3]);
    expect(all.slice(-2).map((o) => o.key)).toEqual(['p/\uFF61', 'p/\u{1F600}']);
    expect(s3.counts().ListObjectsV2).toBe(3);
  });
});
