// Large files read once (plan/one-pass.ts): a new multipart file is hashed in the pass that sends
// its parts; x-amz-meta-part-size (not x-amz-meta-md5) lets its ETag prove identity without the
// journal. Requests are counted by the proxy, bytes read by the read meter.
import { createHash } from 'node:crypto';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fileBytesRead } from '../src/local/read-meter.js';
import { silentLogger } from '../src/log.js';
import { multipartEtag } from '../src/plan/etag.js';
import { syncOnce } from '../src/sync/once.js';
import { MiB, viaProxy } from './support/faults.js';
import { blob } from './support/memory-mirror.js';
import { credentials, expectMirror, scratch, type Scratch } from './support/mirror.js';
import { type FaultProxy, startProxy } from './support/proxy.js';
import { independentClient } from './support/s3client.js';
import { testEnv } from './support/s3server.js';

const PART = 5 * MiB;
const SIZE = 3 * PART + 12345;
const TOP = { multipart: { thresholdBytes: PART, partSizeBytes: PART } };
/** s3rver's multipart ETag is the whole MD5 (see copies.ts); other servers compute it from the parts. */
const partEtags = testEnv().server !== 's3rver';

let s: Scratch | undefined;
let proxy: FaultProxy | undefined;
afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
  s?.cleanup();
  s = undefined;
});

const md5 = (b: Buffer) => createHash('md5').update(b).digest();
const writes = (p: FaultProxy) =>
  ['PutObject', 'UploadPart', 'CreateMultipartUpload', 'CopyObject', 'UploadPartCopy']
    .map((op) => p.counts.get(op as never) ?? 0)
    .reduce((a, b) => a + b, 0);

async function pass(sc: Scratch, p: FaultProxy, pair: Record<string, unknown> = {}) {
  const base = viaProxy(sc, p, TOP);
  const cfg = { ...base, pairs: base.pairs.map((x) => ({ ...x, ...pair })) };
  const r = await syncOnce(cfg, silentLogger, { credentials: credentials() });
  expect(r.failures).toEqual([]);
  return r;
}

const head = (sc: Scratch, key: string) =>
  independentClient().send(new HeadObjectCommand({ Bucket: sc.bucket, Key: key }));

describe('a large new file is read once', () => {
  it('hashed as it is sent; part size in its metadata, no x-amz-meta-md5; a lost journal uploads nothing', async () => {
    s = await scratch('onepass');
    proxy = await startProxy(testEnv().endpoint);
    const body = blob(SIZE, 7);
    s.write('big.bin', body);
    const read = fileBytesRead();
    await pass(s, proxy);
    expect(fileBytesRead() - read).toBe(SIZE);
    await expectMirror(s.root, s.bucket);
    const h = await head(s, 'big.bin');
    expect(h.Metadata?.['part-size']).toBe(String(PART));
    expect(h.Metadata?.md5).toBeUndefined();
    const parts = [0, 1, 2, 3].map((i) => md5(body.subarray(i * PART, (i + 1) * PART)));
    const etag = h.ETag?.replace(/"/g, '');
    expect(etag).toBe(partEtags ? multipartEtag(parts) : md5(body).toString('hex'));

    // The journal gone: the object is recognised by its ETag, nothing is sent.
    rmSync(s.stateDir, { recursive: true, force: true });
    proxy.reset();
    const r = await pass(s, proxy);
    expect(writes(proxy)).toBe(0);
    expect(r.stats.p).toMatchObject({ uploaded: 0 });
  });

  it('a bucket that answers with SSE-KMS: hashed first, with x-amz-meta-md5; a lost journal uploads nothing', async () => {
    // The proxy plays a bucket with default SSE-KMS (RGW needs a KMS for it, s3rver has none).
    s = await scratch('onepass-kms');
    proxy = await startProxy(testEnv().endpoint);
    proxy.setFault({ kind: 'kms' });
    const body = blob(SIZE, 8);
    s.write('big.bin', body);
    const read = fileBytesRead();
    await pass(s, proxy);
    // The creation's answer names SSE-KMS: that upload is aborted unused, the file hashed first.
    expect([proxy.counts.get('CreateMultipartUpload'), proxy.counts.get('AbortMultipartUpload')]).toEqual([2, 1]);
    expect(proxy.counts.get('UploadPart')).toBe(4);
    expect(fileBytesRead() - read).toBeGreaterThanOrEqual(2 * SIZE);
    const h = await head(s, 'big.bin');
    expect(h.Metadata?.md5).toBe(md5(body).toString('hex'));
    expect(h.Metadata?.['part-size']).toBe(String(PART));

    // A new journal learns the bucket's encryption again: x-amz-meta-md5 proves the object.
    rmSync(s.stateDir, { recursive: true, force: true });
    proxy.reset();
    await pass(s, proxy);
    expect(writes(proxy)).toBe(0);
    // Remembered since: the next large file is hashed first, its upload created once.
    s.write('big2.bin', blob(SIZE, 10));
    proxy.reset();
    await pass(s, proxy);
    expect([proxy.counts.get('CreateMultipartUpload'), proxy.counts.get('AbortMultipartUpload') ?? 0]).toEqual([1, 0]);
    expect((await head(s, 'big2.bin')).Metadata?.md5).toBe(md5(blob(SIZE, 10)).toString('hex'));
  });

  it('a rename of a large file is still a server-side copy', async () => {
    s = await scratch('onepass-mv');
    proxy = await startProxy(testEnv().endpoint);
    s.write('a/big.bin', blob(SIZE, 9));
    await pass(s, proxy, { maxDeletePercent: 100 });
    renameSync(join(s.root, 'a'), join(s.root, 'b'));
    proxy.reset();
    await pass(s, proxy, { maxDeletePercent: 100 });
    expect(proxy.counts.get('UploadPart') ?? 0).toBe(0);
    expect((proxy.counts.get('CopyObject') ?? 0) + (proxy.counts.get('UploadPartCopy') ?? 0)).toBeGreaterThan(0);
    await expectMirror(s.root, s.bucket);
  });
});
