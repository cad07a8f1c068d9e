// The server half of the in-memory S3 (memory-bucket.ts is the client half and the entry point):
// the objects and uploads of every bucket, the switches tests turn, the requests it was asked.
import { randomBytes } from 'node:crypto';
import type { CopyOptions, ListedPart, ListedUpload, ObjectSettings, Stored } from '../../src/bucket.js';
import { mapS3Error } from '../../src/s3/errors.js';
import type { S3Operation } from '../../src/s3/operation.js';
import {
  MiB,
  md5,
  type MemoryBucketState,
  type MemoryS3Options,
  type Operation,
  type Request,
  s3Error,
  type StoredObject,
  type Upload,
  utf8Order,
  VersionedObjects,
} from './memory-s3-types.js';

export {
  checkDigest,
  headOf,
  type MemoryS3Options,
  type Operation,
  type Request,
  s3Error,
  type StoredObject,
  type Upload,
  utf8Order,
} from './memory-s3-types.js';

/**
 * The server: every bucket's objects and uploads, the switches tests turn (outage), what it was
 * asked (requests, bytes), and direct access for "another writer" and for checking what it holds.
 * Clients (MemoryBuckets) connect to it; several can share one server, as processes share S3.
 */
export class MemoryS3 {
  private readonly buckets = new Map<string, MemoryBucketState>();
  /** While true every request fails as an unreachable endpoint does. */
  outage = false;
  /** The server goes down (outage) once `requests` holds this many: an outage in mid-pass. */
  outageFrom: number | undefined;
  readonly requests: Request[] = [];
  /** Requests refused during an outage (they never reached the server: not in `requests`). */
  refused = 0;
  /** Answer a request with this S3 error instead (e.g. `{ name: 'InternalError', status: 500 }`). */
  fault: ((r: Request) => { name: string; status: number } | undefined) | undefined;
  /** A DeleteObjects key that fails on its own (reported in the response, not thrown): the reason. */
  deleteFault: ((key: string) => string | undefined) | undefined;
  readonly minPartSize: number;

  constructor(readonly opts: MemoryS3Options = {}) {
    this.minPartSize = opts.minPartSize ?? 5 * MiB;
  }

  createBucket(name: string): this {
    if (!this.buckets.has(name)) this.buckets.set(name, { objects: new VersionedObjects(), uploads: new Map() });
    return this;
  }

  hasBucket(name: string): boolean {
    return this.buckets.has(name);
  }

  deleteBucket(name: string): void {
    this.buckets.delete(name);
  }

  /** Requests per operation since the start (or the last `resetCounters`). */
  counts(): Partial<Record<Operation, number>> {
    const c: Partial<Record<Operation, number>> = {};
    for (const r of this.requests) c[r.op] = (c[r.op] ?? 0) + 1;
    return c;
  }

  /** Body bytes sent to the server by PutObject and UploadPart, stored or refused (copies send none). */
  get bytesReceived(): number {
    return this.requests.reduce((n, r) => n + r.bytes, 0);
  }

  resetCounters(): void {
    this.requests.length = 0;
    this.refused = 0;
  }

  // ---- another writer, and what the tests check: no request counted, no outage applies ----

  /** Put an object as another client would (a plain PutObject: MD5 ETag unless SSE-KMS). */
  putObject(bucket: string, key: string, body: Buffer | string, s: Partial<ObjectSettings> = {}): StoredObject {
    const b = Buffer.isBuffer(body) ? body : Buffer.from(body);
    const settings: ObjectSettings = { contentType: 'binary/octet-stream', metadata: {}, ...s };
    const o = this.object(b, this.etagOf(b, settings.sse), settings);
    this.state(bucket, { op: 'PutObject', key }).objects.set(key, o);
    return o;
  }

  deleteObject(bucket: string, key: string): void {
    this.state(bucket, { op: 'DeleteObjects', keys: 1 }).objects.delete(key);
  }

  getObject(bucket: string, key: string): StoredObject | undefined {
    return this.buckets.get(bucket)?.objects.get(key);
  }

  /** Every object of the bucket (under `prefix`), in S3's key order. */
  objects(bucket: string, prefix = ''): [string, StoredObject][] {
    const all = [...(this.buckets.get(bucket)?.objects ?? [])].filter(([k]) => k.startsWith(prefix));
    return all.sort(([a], [b]) => utf8Order(a, b));
  }

  /** Multipart uploads begun and neither completed nor aborted (ListMultipartUploads). */
  uploads(bucket: string): { key: string; uploadId: string; parts: number }[] {
    return [...(this.buckets.get(bucket)?.uploads ?? [])].map(([uploadId, u]) => ({
      key: u.key,
      uploadId,
      parts: u.parts.size,
    }));
  }

  // ---- the server's side of each request (MemoryBucket calls these) ----

  /** The bucket's state; a missing bucket answers as S3 does (404 NoSuchBucket). */
  state(bucket: string, what: S3Operation): MemoryBucketState {
    const s = this.buckets.get(bucket);
    if (!s) throw mapS3Error(s3Error('NoSuchBucket', 404, 'The specified bucket does not exist'), what);
    return s;
  }

  /** S3 refuses to store under a key longer than 1,024 bytes of UTF-8 (or an empty one). */
  checkKey(key: string, what: S3Operation): void {
    const n = Buffer.byteLength(key, 'utf8');
    if (n > 1024) throw mapS3Error(s3Error('KeyTooLongError', 400, 'Your key is too long'), what);
    if (n === 0) throw mapS3Error(s3Error('InvalidArgument', 400, 'An empty key is not allowed'), what);
  }

  /** The ETag S3 gives this body: its MD5, or under SSE-KMS an opaque value that is not. */
  etagOf(body: Buffer, sse: string | undefined): string {
    return this.effectiveSse(sse) === 'aws:kms' ? md5(randomBytes(16)).toString('hex') : md5(body).toString('hex');
  }

  effectiveSse(sse: string | undefined): string | undefined {
    return sse ?? this.opts.defaultSse;
  }

  object(body: Buffer, etag: string, s: ObjectSettings): StoredObject {
    const sse = this.effectiveSse(s.sse);
    return {
      body,
      etag,
      contentType: s.contentType,
      // HTTP headers: S3 gives metadata names back in lower case.
      metadata: Object.fromEntries(Object.entries(s.metadata).map(([k, v]) => [k.toLowerCase(), v])),
      ...(s.cacheControl ? { cacheControl: s.cacheControl } : {}),
      storageClass: s.storageClass ?? 'STANDARD',
      ...(sse ? { sse } : {}),
      ...(s.kmsKeyId ? { kmsKeyId: s.kmsKeyId } : {}),
    };
  }

  stored(o: StoredObject): Stored {
    return { etag: o.etag, ...(o.sse ? { sse: o.sse } : {}) };
  }

  upload(bucket: string, key: string, uploadId: string, what: S3Operation): Upload {
    const u = this.state(bucket, what).uploads.get(uploadId);
    if (!u || u.key !== key)
      throw mapS3Error(s3Error('NoSuchUpload', 404, 'The specified upload does not exist'), what);
    return u;
  }

  newUpload(bucket: string, key: string, s: ObjectSettings, what: S3Operation): string {
    this.checkKey(key, what);
    const id = randomBytes(12).toString('base64url');
    this.state(bucket, what).uploads.set(id, { key, settings: s, parts: new Map(), initiated: Date.now() });
    return id;
  }

  dropUpload(bucket: string, uploadId: string): void {
    this.buckets.get(bucket)?.uploads.delete(uploadId);
  }

  /** CompleteMultipartUpload: the parts named, in ascending order, each as uploaded, all but the last ≥ minPartSize. */
  complete(
    bucket: string,
    key: string,
    uploadId: string,
    parts: readonly { n: number; etag: string }[],
    what: S3Operation,
  ): StoredObject {
    const u = this.upload(bucket, key, uploadId, what);
    if (!parts.length) throw mapS3Error(s3Error('MalformedXML', 400), what);
    const bodies: Buffer[] = [];
    const etags: Buffer[] = [];
    parts.forEach((p, i) => {
      if (i > 0 && p.n <= parts[i - 1]!.n) throw mapS3Error(s3Error('InvalidPartOrder', 400), what);
      const got = u.parts.get(p.n);
      if (!got || got.etag !== p.etag.replace(/"/g, '').toLowerCase())
        throw mapS3Error(s3Error('InvalidPart', 400), what);
      if (i < parts.length - 1 && got.body.length < this.minPartSize)
        throw mapS3Error(s3Error('EntityTooSmall', 400), what);
      bodies.push(got.body);
      etags.push(Buffer.from(got.etag, 'hex'));
    });
    // The MD5 of the parts' ETags: their MD5s, or under SSE-KMS opaque values, so opaque too.
    const etag = `${md5(Buffer.concat(etags)).toString('hex')}-${parts.length}`;
    const o = this.object(Buffer.concat(bodies), etag, u.settings);
    const state = this.state(bucket, what);
    state.uploads.delete(uploadId);
    state.objects.set(key, o);
    return o;
  }

  /** The source of a copy, if it matches `ifMatch` (else 412, as S3 answers a failed x-amz-copy-source-if-match). */
  source(bucket: string, from: string, ifMatch: string | undefined, what: S3Operation): StoredObject {
    const o = this.state(bucket, what).objects.get(from);
    if (!o) throw mapS3Error(s3Error('NoSuchKey', 404, 'The specified key does not exist.'), what);
    if (ifMatch !== undefined && ifMatch.replace(/"/g, '').toLowerCase() !== o.etag) {
      throw mapS3Error(
        s3Error('PreconditionFailed', 412, 'At least one of the pre-conditions you specified did not hold'),
        what,
      );
    }
    return o;
  }

  /** CopyObject: from `from` to `to`, inside the bucket. */
  copyObject(bucket: string, c: { from: string; to: string; o: CopyOptions }, what: S3Operation): StoredObject {
    const { from, to, o } = c;
    const src = this.source(bucket, from, o.ifMatch, what);
    this.checkKey(to, what);
    const keep = o.keep ?? {};
    if (from === to && !o.replace && !keep.storageClass && !keep.sse) {
      throw mapS3Error(
        s3Error(
          'InvalidRequest',
          400,
          'This copy request is illegal because it is trying to copy an object to itself without changing anything',
        ),
        what,
      );
    }
    // COPY keeps the source's headers and metadata; storage class and encryption are the
    // request's (or the defaults), never the source's.
    const s: ObjectSettings = o.replace ?? {
      contentType: src.contentType,
      metadata: src.metadata,
      ...(src.cacheControl ? { cacheControl: src.cacheControl } : {}),
      ...keep,
    };
    // A copy is stored in one piece: its ETag is its MD5 (unless SSE-KMS), even from a multipart source.
    const copied = this.object(src.body, this.etagOf(src.body, s.sse), s);
    this.state(bucket, what).objects.set(to, copied);
    return copied;
  }

  /** ListParts: null when there is no such upload (NoSuchUpload). */
  listParts(bucket: string, key: string, uploadId: string, what: S3Operation): ListedPart[] | null {
    const u = this.state(bucket, what).uploads.get(uploadId);
    if (!u || u.key !== key) return null;
    return [...u.parts].sort(([a], [b]) => a - b).map(([n, p]) => ({ n, size: p.body.length, etag: p.etag }));
  }

  /** ListMultipartUploads under `prefix`, in key order; null where the server has none (s3rver). */
  listUploads(bucket: string, prefix: string, what: S3Operation): ListedUpload[] | null {
    const uploads = this.state(bucket, what).uploads;
    if (this.opts.listUploads === false) return null;
    return [...uploads]
      .filter(([, u]) => u.key.startsWith(prefix))
      .map(([uploadId, u]) => ({ key: u.key, uploadId, initiated: u.initiated }))
      .sort((a, b) => utf8Order(a.key, b.key));
  }

  part(u: Upload, n: number, body: Buffer, sse: string | undefined, what: S3Operation): string {
    if (!Number.isInteger(n) || n < 1 || n > 10_000)
      throw mapS3Error(s3Error('InvalidArgument', 400, 'Part number must be an integer between 1 and 10000'), what);
    const etag = this.etagOf(body, sse);
    u.parts.set(n, { body, etag });
    return etag;
  }
}
