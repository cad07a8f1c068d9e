// The in-memory bucket must answer as the real servers do, or the fast engine tests and the model
// test prove things about a server that does not exist. One table of operations runs against
// MemoryS3 and against the SDK implementation on the suite's server (s3rver in `npm test`, RGW
// in `npm run test:rgw`), and every answer is compared. Where a server is known to deviate from
// S3 the expected answer is that server's, named per server below; the memory bucket
// keeps S3's.
import { createHash } from 'node:crypto';
import { gotten, outcome, sameKeys, suiteBuckets } from './support/fidelity.js';
import { afterAll, describe, expect, it } from 'vitest';
import type { Bucket, ListedUpload, ObjectSettings } from '../src/bucket.js';
import type { S3Buckets } from '../src/s3/buckets.js';
import { MemoryBuckets, MemoryS3 } from './support/memory-bucket.js';
import { createBucket, emptyAndDeleteBucket, uniqueBucket } from './support/s3client.js';
import { testEnv } from './support/s3server.js';

const MiB = 1024 * 1024;
const md5 = (b: Buffer | string) => createHash('md5').update(b).digest('hex');
const fill = (n: number, c: number) => Buffer.alloc(n, c);
const text: ObjectSettings = {
  contentType: 'text/plain',
  metadata: { md5: 'm1', mode: '644' },
  cacheControl: 'no-cache',
};
const other: ObjectSettings = { contentType: 'application/json', metadata: { md5: 'm2' } };
const server = testEnv().server;

interface Ctx {
  b: Bucket;
  missing: Bucket;
  uploads: Map<string, string>;
}

type Step = [name: string, run: (c: Ctx) => Promise<unknown>];

const big = fill(5 * MiB, 1);
const tail = fill(1000, 2);
/** The multipart upload a step started under `name`, to `key`. */
const upload = (c: Ctx, name: string, key: string) => ({ key, uploadId: c.uploads.get(name)! });
/** Uploads as listed, without what differs per run (ids, times). */
const uploadsSeen = (c: Ctx, r: ListedUpload[] | 'unsupported') =>
  r === 'unsupported' ? r : r.map((u) => [u.key, u.uploadId === c.uploads.get('m'), Date.now() - u.initiated < 3600e3]);
const keys = ['p/a', 'p/B', 'p/a b', 'p/a/b', 'p/é', 'p/\uFF61', 'p/\u{1F600}', 'p/z+#?&=', 'q/outside'];

/** The table: each step's answer is compared between the memory bucket and the server. */
const steps: Step[] = [
  ['check', (c) => c.b.check()],
  ['check a missing bucket', (c) => c.missing.check()],
  ['list a missing bucket', (c) => c.missing.list('')],
  ['put into a missing bucket', (c) => c.missing.put('k', Buffer.from('x'), md5('x'), text).then((r) => r.etag)],
  ['head in a missing bucket', (c) => c.missing.head('k')],
  ['put', (c) => c.b.put('p/a', Buffer.from('hello'), md5('hello'), text).then((r) => r.etag)],
  [
    'put with a wrong Content-MD5',
    (c) => c.b.put('bad/put', Buffer.from('hello'), md5('other'), text).then((r) => r.etag),
  ],
  [
    'put the other keys',
    async (c) =>
      Promise.all(
        keys
          .slice(1)
          .map((k, i) => c.b.put(k, fill(i + 1, 65 + i), md5(fill(i + 1, 65 + i)), other).then((r) => r.etag)),
      ),
  ],
  ['list in UTF-8 order', (c) => c.b.list('p/')],
  ['list an empty prefix', (c) => c.b.list('nothing/')],
  [
    'list 1,001 keys in pages of at most 1,000',
    async (c) => {
      for (let i = 0; i < 1001; i += 100) {
        await Promise.all(
          Array.from({ length: Math.min(100, 1001 - i) }, (_, j) =>
            c.b.put(`n/${String(i + j).padStart(4, '0')}`, Buffer.from('n'), md5('n'), other),
          ),
        );
      }
      const pages: number[] = [];
      const all = await c.b.list('n/', { onPage: (p) => pages.push(p.length) });
      return { pages, n: all.length, last: all[all.length - 1]?.key };
    },
  ],
  [
    'list streamed (collect: false): each page proves its key range',
    async (c) => {
      const covers: unknown[] = [];
      const all = await c.b.list('n/', {
        collect: false,
        onPage: (p, covered) => covers.push({ n: p.length, covered }),
      });
      return { returned: all.length, covers };
    },
  ],
  ['head', (c) => c.b.head('p/a')],
  ['head a missing key', (c) => c.b.head('p/none')],
  ['get', (c) => c.b.get('p/a').then(gotten)],
  ['get a missing key', (c) => c.b.get('p/none')],
  ['get in a missing bucket', (c) => c.missing.get('k')],
  [
    'copy, replacing metadata, If-Match the source',
    (c) => c.b.copy('p/a', 'r/a', { replace: other, ifMatch: md5('hello') }).then((r) => r.etag),
  ],
  ['head the copy', (c) => c.b.head('r/a')],
  ['copy, keeping metadata', (c) => c.b.copy('p/a', 'r/kept', {}).then((r) => r.etag)],
  ['head the kept copy', (c) => c.b.head('r/kept')],
  [
    'copy refused: If-Match differs',
    (c) => c.b.copy('p/a', 'r/refused', { replace: other, ifMatch: md5('stale') }).then((r) => r.etag),
  ],
  ['nothing at the refused key', (c) => c.b.head('r/refused')],
  ['copy a missing source', (c) => c.b.copy('p/none', 'r/none', { replace: other })],
  ['copy a key with + # ? & =', (c) => c.b.copy('p/z+#?&=', 'r/z', { replace: other }).then((r) => r.etag)],
  ['create a multipart upload', async (c) => void c.uploads.set('m', await c.b.createMultipart('m/big', text))],
  ['upload part 1', (c) => c.b.uploadPart({ ...upload(c, 'm', 'm/big'), n: 1, body: big, md5Hex: md5(big) })],
  [
    'upload part 2 with a wrong Content-MD5',
    (c) => c.b.uploadPart({ ...upload(c, 'm', 'm/big'), n: 2, body: tail, md5Hex: md5('x') }),
  ],
  ['upload part 2', (c) => c.b.uploadPart({ ...upload(c, 'm', 'm/big'), n: 2, body: tail, md5Hex: md5(tail) })],
  ['list the parts', (c) => c.b.listParts('m/big', c.uploads.get('m')!)],
  ['list the parts of an unknown upload', (c) => c.b.listParts('m/big', 'no-such-upload')],
  ['list the uploads under a prefix', (c) => c.b.listUploads('m/').then((r) => uploadsSeen(c, r))],
  ['list the uploads under another prefix', (c) => c.b.listUploads('p/')],
  [
    'complete',
    (c) =>
      c.b
        .completeMultipart('m/big', c.uploads.get('m')!, [
          { n: 1, etag: md5(big) },
          { n: 2, etag: md5(tail) },
        ])
        .then((r) => r.etag),
  ],
  [
    'head the multipart object',
    (c) => c.b.head('m/big').then((h) => h && { etag: h.etag, size: h.size, metaMd5: h.metaMd5 }),
  ],
  [
    'upload a part to an unknown upload',
    (c) => c.b.uploadPart({ key: 'm/big', uploadId: 'no-such-upload', n: 1, body: tail, md5Hex: md5(tail) }),
  ],
  ['copy a multipart object', (c) => c.b.copy('m/big', 'm/copy', { replace: text }).then((r) => r.etag)],
  [
    'small parts cannot complete',
    async (c) => {
      const id = await c.b.createMultipart('m/small', text);
      c.uploads.set('small', id);
      await c.b.uploadPart({ key: 'm/small', uploadId: id, n: 1, body: tail, md5Hex: md5(tail) });
      await c.b.uploadPart({ key: 'm/small', uploadId: id, n: 2, body: tail, md5Hex: md5(tail) });
      return c.b
        .completeMultipart('m/small', id, [
          { n: 1, etag: md5(tail) },
          { n: 2, etag: md5(tail) },
        ])
        .then((r) => r.etag);
    },
  ],
  ['abort', (c) => c.b.abortMultipart('m/small', c.uploads.get('small')!)],
  [
    'a part after the abort',
    (c) => c.b.uploadPart({ ...upload(c, 'small', 'm/small'), n: 3, body: tail, md5Hex: md5(tail) }),
  ],
  ['abort an unknown upload', (c) => c.b.abortMultipart('m/small', 'no-such-upload')],
  [
    'multipart copy by ranges',
    async (c) => {
      const id = await c.b.createMultipart('m/ranged', other);
      const to = { from: 'm/big', key: 'm/ranged', uploadId: id };
      const e1 = await c.b.uploadPartCopy({ ...to, n: 1, range: { start: 0, end: 5 * MiB - 1 } });
      const e2 = await c.b.uploadPartCopy({ ...to, n: 2, range: { start: 5 * MiB, end: 5 * MiB + 999 } });
      return [
        e1,
        e2,
        (
          await c.b.completeMultipart('m/ranged', id, [
            { n: 1, etag: e1 },
            { n: 2, etag: e2 },
          ])
        ).etag,
      ];
    },
  ],
  [
    'part copy refused: If-Match differs',
    async (c) => {
      const id = await c.b.createMultipart('m/refused', other);
      c.uploads.set('refused', id);
      const to = { from: 'm/big', key: 'm/refused', uploadId: id };
      return c.b.uploadPartCopy({ ...to, n: 1, range: { start: 0, end: 9 }, ifMatch: md5('stale') });
    },
  ],
  ['deleteMany with missing keys', (c) => c.b.deleteMany(['p/a', 'p/never', 'q/outside']).then((r) => [...r.failed])],
  ['list after the deletes', async (c) => [...(await c.b.list('p/')), ...(await c.b.list('q/'))].map((o) => o.key)],
  ['deleteMany of nothing but missing keys', (c) => c.b.deleteMany(['x/1', 'x/2']).then((r) => [...r.failed])],
  ['deleteMany of 1,001 keys', (c) => c.b.deleteMany(Array.from({ length: 1001 }, (_, i) => `x/${i}`))],
];

/** How the suite's server answers where it deviates from S3 (and so from the memory bucket). */
function expected(name: string, memory: unknown, real: unknown): unknown {
  if (server === 's3rver' || server === 'rgw') {
    switch (name) {
      // Both ignore x-amz-copy-source-if-match (Debian's RGW on UploadPartCopy too): the stale
      // copy goes through, which is why a copy's result ETag is checked (transfers.ts).
      case 'copy refused: If-Match differs':
        return { ok: md5('hello') };
      case 'nothing at the refused key':
        return {
          ok: { etag: md5('hello'), size: 5, metaMd5: 'm2', metadata: { md5: 'm2' }, contentType: 'application/json' },
        };
    }
  }
  if (server === 's3rver') {
    switch (name) {
      // Its listings are not in UTF-8 order ('p/a/b' < 'p/a b' < 'p/a'): the same keys, though.
      case 'list in UTF-8 order':
      case 'list after the deletes':
        return sameKeys(memory, real) ? real : memory;
      // It accepts a wrong Content-MD5 and stores what it got.
      case 'put with a wrong Content-MD5':
        return { ok: md5('hello') };
      case 'upload part 2 with a wrong Content-MD5':
        return { ok: { etag: md5(tail) } };
      // Its multipart ETag is the whole object's MD5.
      case 'complete':
      case 'head the multipart object':
        return real;
      // It decodes the copy source with decodeURI: `#` and `?` cut the key short.
      case 'copy a key with + # ? & =':
        return { error: 'S3_REQUEST_FAILED', retryable: false };
      // No NoSuchUpload for parts, no minimum part size, no abort (a part after it still lands).
      case 'upload a part to an unknown upload':
      case 'a part after the abort':
        return { ok: { etag: md5(tail) } };
      case 'small parts cannot complete':
        return { ok: md5(Buffer.concat([tail, tail])) };
      // No ListParts (405) and no ListMultipartUploads (501): resuming trusts the journal there.
      case 'list the parts':
      case 'list the parts of an unknown upload':
      case 'list the uploads under a prefix':
      case 'list the uploads under another prefix':
        return { ok: 'unsupported' };
      // No UploadPartCopy at all (NotImplemented, a 501).
      case 'multipart copy by ranges':
      case 'part copy refused: If-Match differs':
        return { error: 'S3_SERVER_ERROR', retryable: true };
    }
  }
  if (server === 'rgw' && name === 'part copy refused: If-Match differs') return { ok: md5(fill(10, 1)) };
  if (server === 'rgw' && name === 'copy a multipart object') {
    // S3 stores a copy in one piece (an MD5 ETag); RGW may keep the source's multipart ETag.
    const src = `${md5(Buffer.from(md5(big) + md5(tail), 'hex'))}-2`;
    return JSON.stringify(real) === JSON.stringify({ ok: src }) ? real : memory;
  }
  return memory;
}

describe('the in-memory bucket answers as the suite server does', () => {
  const name = uniqueBucket('fidelity');
  const missingName = uniqueBucket('fidelity-missing');
  let provider: S3Buckets | undefined;
  afterAll(async () => {
    provider?.close();
    await emptyAndDeleteBucket(name).catch(() => undefined);
  });

  it(`every step of the table, on ${server}`, async () => {
    await createBucket(name);
    provider = suiteBuckets();
    const mem = new MemoryBuckets(new MemoryS3().createBucket(name));
    const real: Ctx = { b: provider.bucket(name), missing: provider.bucket(missingName), uploads: new Map() };
    const memory: Ctx = { b: mem.bucket(name), missing: mem.bucket(missingName), uploads: new Map() };
    const diffs: { step: string; memory: unknown; real: unknown }[] = [];
    for (const [step, run] of steps) {
      const m = await outcome(run(memory));
      const r = await outcome(run(real));
      const want = expected(step, m, r);
      if (JSON.stringify(want) !== JSON.stringify(r)) diffs.push({ step, memory: m, real: r });
    }
    expect(diffs).toEqual([]);
  });
});
