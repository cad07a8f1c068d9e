// An S3 server in memory behind the same Bucket/BucketProvider seam as the SDK implementation, so the engine, transfers
// and deletes get fast tests and the model test can run thousands of sequences. It behaves as S3 does where the engine
// can tell (test/memory-bucket.int.test.ts runs the same table against s3rver and RGW): MD5 ETags, `md5(part ETags)-N`
// multipart ETags, UTF-8 key order in pages of at most 1,000, Content-MD5 checked, If-Match on a copy source, 404s,
// NoSuchUpload, 5 MiB minimum parts, DeleteObjects ignoring missing keys. Errors are built as the SDK throws them and
// go through mapS3Error, so they leave as the same MirrorErrors.
//
//   const s3 = new MemoryS3({ minPartSize: 1024 }).createBucket('b');
//   const provider = new MemoryBuckets(s3);      // RuntimeOptions.buckets
//   s3.outage = true;                            // every request: ENDPOINT_UNREACHABLE
//   s3.putObject('b', 'k', 'by another writer'); // bypasses counters and outage
//   s3.counts().PutObject, s3.bytesReceived, s3.objects('b', 'prefix/')
//   provider.sever();                            // the process "died": calls never settle
//   new MemoryS3({ turns: () => rng(3) })        // reorder concurrent completions (seeded)
//   s3.fault = (req) => ({ name: 'SlowDown', status: 503 })  // answer one request with an error
import type {
  Bucket,
  BucketProvider,
  CopyOptions,
  Got,
  Head,
  ListOptions,
  Listed,
  ListedPart,
  ListedUpload,
  ObjectSettings,
  PartCopy,
  PartUpload,
  Stored,
} from '../../src/bucket.js';
import type { MirrorError } from '../../src/errors.js';
import { mapS3Error } from '../../src/s3/errors.js';
import { operationLabel, type S3Operation } from '../../src/s3/operation.js';
import {
  checkDigest,
  headOf,
  type MemoryS3,
  s3Error,
  utf8Order,
  type Operation,
  type Request,
  type StoredObject,
} from './memory-s3.js';

export {
  MemoryS3,
  utf8Order,
  type MemoryS3Options,
  type Operation,
  type Request,
  type StoredObject,
} from './memory-s3.js';

const never = new Promise<never>(() => undefined);
/** A response never arrives in the tick its request was made: concurrent requests interleave. */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A client of a MemoryS3: what one process (one Runtime) holds. */
export class MemoryBuckets implements BucketProvider {
  private severed = false;
  closed = false;

  constructor(readonly server: MemoryS3) {}

  bucket(name: string): Bucket {
    return new MemoryBucket(name, this.server, this);
  }

  close(): void {
    this.closed = true;
  }

  /**
   * The process holding this client died: requests under way and later ones never answer (and
   * change nothing), as after a kill -9, so a dropped engine cannot act after its "crash".
   */
  sever(): void {
    this.severed = true;
  }

  /** Run one request as the server would: outage and injected faults first, then `apply`. */
  async request<T>(req: Request, what: S3Operation, apply: () => T): Promise<T> {
    await turn();
    if (this.severed) return never;
    if (this.closed) throw new Error(`${operationLabel(what)}: the bucket provider was closed`);
    if (this.server.outageFrom !== undefined && this.server.requests.length >= this.server.outageFrom)
      this.server.outage = true;
    if (this.server.outage) {
      this.server.refused++;
      throw mapS3Error(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }), what);
    }
    this.server.requests.push(req);
    for (let n = this.server.opts.turns?.(req) ?? 0; n > 0; n--) await turn();
    if (this.severed) return never;
    const fault = this.server.fault?.(req);
    if (fault) throw mapS3Error(s3Error(fault.name, fault.status), what);
    const r = apply();
    // The answer is lost with a process that died while the server worked.
    await turn();
    if (this.severed) return never;
    return r;
  }
}

class MemoryBucket implements Bucket {
  constructor(
    readonly name: string,
    private readonly s3: MemoryS3,
    private readonly conn: MemoryBuckets,
  ) {}

  private req<T>(
    op: Operation,
    key: string | undefined,
    what: S3Operation,
    apply: () => T,
    bytes = 0,
    keys?: number,
  ): Promise<T> {
    return this.conn.request(
      { op, bucket: this.name, ...(key !== undefined ? { key } : {}), bytes, ...(keys !== undefined ? { keys } : {}) },
      what,
      apply,
    );
  }

  check(): Promise<void> {
    const what: S3Operation = { op: 'HeadBucket', bucket: this.name };
    return this.req('HeadBucket', undefined, what, () => {
      if (!this.s3.hasBucket(this.name)) throw mapS3Error(s3Error('NotFound', 404), what);
    });
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<Listed[]> {
    const what: S3Operation = { op: 'ListObjectsV2', bucket: this.name, prefix };
    const out: Listed[] = [];
    let after: string | undefined;
    for (;;) {
      // One request per page of at most 1,000 keys, each a fresh look at the bucket.
      const page = await this.req('ListObjectsV2', prefix, what, () => {
        this.s3.state(this.name, what);
        const all = this.s3.objects(this.name, prefix);
        const from = after === undefined ? 0 : all.findIndex(([k]) => utf8Order(k, after!) > 0);
        const rest = from < 0 ? [] : all.slice(from);
        return {
          items: rest.slice(0, 1000).map(([key, o]): Listed => ({ key, size: o.body.length, etag: o.etag })),
          truncated: rest.length > 1000,
        };
      });
      if (opts.collect !== false) out.push(...page.items);
      // Listed in S3's order, as real servers do: each page proves its range.
      const through = page.truncated ? page.items[page.items.length - 1]!.key : null;
      await opts.onPage?.(page.items, { after: after ?? '', through });
      if (through === null) return out;
      after = through;
    }
  }

  async head(key: string): Promise<Head | null> {
    const what: S3Operation = { op: 'HeadObject', key };
    // HEAD has no body: a missing bucket is a 404 like a missing key.
    const o = await this.req('HeadObject', key, what, () => this.s3.getObject(this.name, key));
    return o ? headOf(o) : null;
  }

  async get(key: string): Promise<Got | null> {
    const what: S3Operation = { op: 'GetObject', key };
    // A GET has a body: a missing bucket says NoSuchBucket, unlike a HEAD.
    const o = await this.req('GetObject', key, what, () => this.s3.state(this.name, what).objects.get(key));
    if (!o) return null;
    const body = Buffer.from(o.body);
    return {
      head: headOf(o),
      body: (async function* () {
        yield body;
      })(),
    };
  }

  put(key: string, body: Buffer, md5Hex: string, s: ObjectSettings): Promise<Stored> {
    const what: S3Operation = { op: 'PutObject', key };
    const copy = Buffer.from(body);
    return this.req(
      'PutObject',
      key,
      what,
      () => {
        const state = this.s3.state(this.name, what);
        this.s3.checkKey(key, what);
        checkDigest(copy, md5Hex, what);
        const o = this.s3.object(copy, this.s3.etagOf(copy, s.sse), s);
        state.objects.set(key, o);
        return this.s3.stored(o);
      },
      body.length,
    );
  }

  createMultipart(key: string, s: ObjectSettings, encryption?: (sse: string | undefined) => void): Promise<string> {
    const what: S3Operation = { op: 'CreateMultipartUpload', key };
    return this.req('CreateMultipartUpload', key, what, () => {
      const id = this.s3.newUpload(this.name, key, s, what);
      encryption?.(this.s3.effectiveSse(s.sse));
      return id;
    });
  }

  uploadPart({ key, uploadId, n, body, md5Hex }: PartUpload): Promise<Stored> {
    const what: S3Operation = { op: 'UploadPart', key, part: n };
    const copy = Buffer.from(body);
    return this.req(
      'UploadPart',
      key,
      what,
      () => {
        const u = this.s3.upload(this.name, key, uploadId, what);
        checkDigest(copy, md5Hex, what);
        const etag = this.s3.part(u, n, copy, u.settings.sse, what);
        const sse = this.s3.effectiveSse(u.settings.sse);
        return sse ? { etag, sse } : { etag };
      },
      body.length,
    );
  }

  completeMultipart(key: string, uploadId: string, parts: readonly { n: number; etag: string }[]): Promise<Stored> {
    const what: S3Operation = { op: 'CompleteMultipartUpload', key };
    return this.req('CompleteMultipartUpload', key, what, () =>
      this.s3.stored(this.s3.complete(this.name, key, uploadId, parts, what)),
    );
  }

  async listParts(key: string, uploadId: string): Promise<ListedPart[] | 'gone'> {
    const what: S3Operation = { op: 'ListParts', key };
    return (await this.req('ListParts', key, what, () => this.s3.listParts(this.name, key, uploadId, what))) ?? 'gone';
  }

  async listUploads(prefix: string): Promise<ListedUpload[] | 'unsupported'> {
    const what: S3Operation = { op: 'ListMultipartUploads', bucket: this.name, prefix };
    const r = await this.req('ListMultipartUploads', prefix, what, () => this.s3.listUploads(this.name, prefix, what));
    return r ?? 'unsupported';
  }

  async abortMultipart(key: string, uploadId: string): Promise<true | MirrorError> {
    const what: S3Operation = { op: 'AbortMultipartUpload', key };
    try {
      return await this.req('AbortMultipartUpload', key, what, () => {
        // Nothing to abort (NoSuchUpload, or no bucket: a 404 either way) means it is gone.
        this.s3.dropUpload(this.name, uploadId);
        return true as const;
      });
    } catch (e) {
      return e as MirrorError;
    }
  }

  copy(from: string, to: string, o: CopyOptions): Promise<Stored> {
    const what: S3Operation = { op: 'CopyObject', from, to };
    return this.req('CopyObject', to, what, () => this.s3.stored(this.s3.copyObject(this.name, { from, to, o }, what)));
  }

  uploadPartCopy({ from, key, uploadId, n, range, ifMatch }: PartCopy): Promise<string> {
    const what: S3Operation = { op: 'UploadPartCopy', from, key, part: n };
    return this.req('UploadPartCopy', key, what, () => {
      const u = this.s3.upload(this.name, key, uploadId, what);
      const src = this.s3.source(this.name, from, ifMatch, what);
      if (!(range.start >= 0 && range.start <= range.end && range.end < src.body.length)) {
        throw mapS3Error(s3Error('InvalidRange', 416, 'The requested range is not satisfiable'), what);
      }
      return this.s3.part(u, n, src.body.subarray(range.start, range.end + 1), u.settings.sse, what);
    });
  }

  async deleteMany(keys: readonly string[]): Promise<{ failed: Map<string, string> }> {
    if (keys.length > 1000) throw new Error(`deleteMany: ${keys.length} keys > 1000`);
    const what: S3Operation = { op: 'DeleteObjects', keys: keys.length };
    return this.req(
      'DeleteObjects',
      undefined,
      what,
      () => {
        const state = this.s3.state(this.name, what);
        if (!keys.length) throw mapS3Error(s3Error('MalformedXML', 400), what);
        const failed = new Map<string, string>();
        for (const k of keys) {
          const why = this.s3.deleteFault?.(k);
          // S3 deletes what is not there without complaint (Quiet: only errors are listed).
          if (why) failed.set(k, why);
          else state.objects.delete(k);
        }
        return { failed };
      },
      0,
      keys.length,
    );
  }
}

export type { StoredObject as MemoryObject };
