import type { S3Client } from '@aws-sdk/client-s3';
import { hexToBase64, normalizeEtag } from '../plan/etag.js';
import { onResponseHeaders, readListPageDirectly, takeListPage } from './client.js';
import type { ListedObject } from './listing.js';
import { isNotFound, mapS3Error } from './errors.js';
import { sdk } from './sdk.js';

const {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectsCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
} = sdk;

export interface ObjectSettings {
  contentType: string;
  metadata: Record<string, string>;
  storageClass?: string;
  sse?: 'AES256' | 'aws:kms';
  kmsKeyId?: string;
  cacheControl?: string;
}

export interface Listed {
  key: string;
  size: number;
  etag: string;
}

export interface ListOptions {
  /** Keys to cut the listing at (see `S3Store.list`); ascending in UTF-8 order. */
  splitAfter?: readonly string[];
  /** Each page's objects as it arrives; ranges listed side by side interleave. */
  onPage?: (objects: readonly Listed[]) => void;
  /** The ranges were given up (keys out of order) and the listing starts again: forget the pages so far. */
  onRestart?: () => void;
}

const OUT_OF_ORDER = Symbol('out of order');

/**
 * S3's key order: UTF-8 bytes, i.e. code points. JavaScript compares UTF-16 units, which differ only
 * where a surrogate (a code point above U+FFFF) meets a unit from U+E000 up.
 */
export function compareKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys && (xs ? y : x) >= 0xe000) return xs ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}

/** The SDK's listing entries in listing.ts's shape (entries without a key are skipped, as before). */
function sdkContents(contents: readonly { Key?: string; Size?: number; ETag?: string }[] | undefined): ListedObject[] {
  const out: ListedObject[] = [];
  for (const o of contents ?? []) if (o.Key !== undefined) out.push({ key: o.Key, size: o.Size ?? 0, etag: o.ETag });
  return out;
}

const QUOTED_MD5 = /^"[0-9a-f]{32}"$/;

/** normalizeEtag for the 1,000 ETags of a listing page: the usual quoted lower-case MD5 takes one test. */
function listedEtag(raw: string | undefined): string {
  return raw !== undefined && raw.length === 34 && QUOTED_MD5.test(raw) ? raw.slice(1, 33) : (normalizeEtag(raw) ?? '');
}

export interface Head {
  etag: string;
  size: number;
  metaMd5: string | null;
  /** What a multipart copy must set again itself (it cannot copy them from the source). */
  contentType?: string;
  metadata: Record<string, string>;
  cacheControl?: string;
}

/**
 * The bucket operations s3mirror needs, over one pooled client. Every error leaves here as a
 * MirrorError; every ETag leaves normalised. Where a server omits an ETag, we HEAD rather than
 * record a wrong one (DESIGN §5).
 */
export class S3Store {
  constructor(readonly client: S3Client) {}

  async checkBucket(bucket: string): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: bucket }));
    } catch (e) {
      throw mapS3Error(e, `HeadBucket ${bucket}`);
    }
  }

  /** For the demo and tests' convenience; an existing bucket we own is fine. */
  async createBucket(bucket: string): Promise<void> {
    try {
      await this.client.send(new CreateBucketCommand({ Bucket: bucket }));
    } catch (e) {
      const name = (e as { name?: string }).name;
      if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') throw mapS3Error(e, `CreateBucket ${bucket}`);
    }
  }

  /**
   * Every object under `prefix`, in key order. With `splitAfter` — keys that existed at the last
   * listing, ascending in S3's order, typically every 1,000th — the key space is cut at those keys
   * and the ranges (start, k1], (k1, k2], …, (kn, end) are listed with StartAfter, each one
   * requested as soon as the response to the previous one starts to arrive: the server is never
   * idle while the client reads and parses a page (unlike continuation tokens, which only a parsed
   * page yields), and never lists two ranges at once (a single-threaded server only gets slower).
   * An unchanged bucket costs one request per page, as before; a range stops at its upper key, so
   * it costs one more page only where the bucket gained objects. The ranges partition the key
   * space whichever keys are used; a server that does not list in UTF-8 order or ignores
   * StartAfter is detected (keys out of order) and listed again from the start, page by page.
   */
  async list(bucket: string, prefix: string, opts: ListOptions = {}): Promise<Listed[]> {
    try {
      const splits = (opts.splitAfter ?? []).filter((k) => k.startsWith(prefix));
      if (splits.length && splits.every((k, i) => i === 0 || compareKeys(splits[i - 1]!, k) < 0)) {
        const ranges = await this.listRanges(bucket, prefix, splits, opts.onPage);
        if (ranges) return ranges;
        opts.onRestart?.();
      }
      return (await this.listRange(bucket, prefix, undefined, undefined, opts.onPage)) as Listed[];
    } catch (e) {
      throw mapS3Error(e, `ListObjectsV2 ${bucket}/${prefix}`);
    }
  }

  /** The ranges cut at `splits`, chained on response headers; undefined when out of order. */
  private async listRanges(bucket: string, prefix: string, splits: readonly string[], onPage: ListOptions['onPage']): Promise<Listed[] | undefined> {
    const n = splits.length + 1;
    const abandoned = { now: false };
    const runs: Promise<{ ok: true; v: Listed[] | typeof OUT_OF_ORDER } | { ok: false; e: unknown }>[] = [];
    const start = () => {
      const i = runs.length;
      if (i >= n || abandoned.now) return;
      let next: (() => void) | undefined = start;
      const once = () => {
        const f = next;
        next = undefined;
        f?.();
      };
      runs.push(
        this.listRange(bucket, prefix, i === 0 ? undefined : splits[i - 1], splits[i], onPage, abandoned, once).then(
          (v) => (once(), { ok: true as const, v }),
          (e: unknown) => ((abandoned.now = true), { ok: false as const, e }),
        ),
      );
    };
    start();
    const out: Listed[] = [];
    let failure: { e: unknown } | undefined;
    // `runs` grows while we wait: each range starts the next.
    for (let i = 0; i < runs.length; i++) {
      const r = await runs[i]!;
      if (!r.ok) failure ??= { e: r.e };
      else if (r.v === OUT_OF_ORDER) abandoned.now = true;
      else for (const x of r.v) out.push(x);
    }
    if (failure) throw failure.e;
    return abandoned.now ? undefined : out;
  }

  /** Keys in (after, upTo], page by page; OUT_OF_ORDER when the server's order is not ours. */
  private async listRange(
    bucket: string,
    prefix: string,
    after: string | undefined,
    upTo: string | undefined,
    onPage: ListOptions['onPage'],
    /** Set when listing in ranges: order is checked, and a range out of order stops all of them. */
    abandoned?: { now: boolean },
    /** Called when the first page's response starts to arrive. */
    onFirstHeaders?: () => void,
  ): Promise<Listed[] | typeof OUT_OF_ORDER> {
    const out: Listed[] = [];
    let token: string | undefined;
    let last = after;
    for (;;) {
      const input = {
        Bucket: bucket,
        Prefix: prefix || undefined,
        MaxKeys: 1000,
        ...(token ? { ContinuationToken: token } : after !== undefined ? { StartAfter: after } : {}),
      };
      if (onFirstHeaders && !token) onResponseHeaders(input, onFirstHeaders);
      readListPageDirectly(input);
      const r = await this.client.send(new ListObjectsV2Command(input));
      const direct = takeListPage(input);
      const page: Listed[] = [];
      let done = false;
      for (const o of direct ? direct.contents : sdkContents(r.Contents)) {
        if (abandoned) {
          if (abandoned.now || (last !== undefined && compareKeys(o.key, last) <= 0)) {
            abandoned.now = true;
            return OUT_OF_ORDER;
          }
          last = o.key;
          if (upTo !== undefined && compareKeys(o.key, upTo) > 0) {
            done = true; // the next range's
            break;
          }
        }
        page.push({ key: o.key, size: o.size, etag: listedEtag(o.etag) });
        if (o.key === upTo) {
          done = true;
          break;
        }
      }
      for (const x of page) out.push(x);
      onPage?.(page);
      if (done || !(direct ? direct.isTruncated : r.IsTruncated)) return out;
      token = direct ? direct.nextToken : r.NextContinuationToken;
      if (!token) return out;
    }
  }

  async head(bucket: string, key: string): Promise<Head | null> {
    try {
      const r = await this.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      return {
        etag: normalizeEtag(r.ETag) ?? '',
        size: r.ContentLength ?? 0,
        metaMd5: r.Metadata?.md5 ?? null,
        metadata: r.Metadata ?? {},
        ...(r.ContentType ? { contentType: r.ContentType } : {}),
        ...(r.CacheControl ? { cacheControl: r.CacheControl } : {}),
      };
    } catch (e) {
      if (isNotFound(e)) return null;
      throw mapS3Error(e, `HeadObject ${key}`);
    }
  }

  async put(bucket: string, key: string, body: Buffer, md5Hex: string, s: ObjectSettings): Promise<string> {
    try {
      const r = await this.client.send(
        new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentLength: body.length, ContentMD5: hexToBase64(md5Hex), ...settings(s) }),
      );
      return normalizeEtag(r.ETag) ?? (await this.etagByHead(bucket, key));
    } catch (e) {
      throw mapS3Error(e, `PutObject ${key}`);
    }
  }

  async createMultipart(bucket: string, key: string, s: ObjectSettings): Promise<string> {
    try {
      const r = await this.client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ...settings(s) }));
      if (!r.UploadId) throw new Error('no UploadId in response');
      return r.UploadId;
    } catch (e) {
      throw mapS3Error(e, `CreateMultipartUpload ${key}`);
    }
  }

  async uploadPart(bucket: string, key: string, uploadId: string, n: number, body: Buffer, md5Hex: string): Promise<string> {
    try {
      const r = await this.client.send(
        new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: n, Body: body, ContentLength: body.length, ContentMD5: hexToBase64(md5Hex) }),
      );
      // A part's ETag is its MD5 on every server we know; fall back to ours if it is missing.
      return normalizeEtag(r.ETag) ?? md5Hex;
    } catch (e) {
      throw mapS3Error(e, `UploadPart ${key} #${n}`);
    }
  }

  async completeMultipart(bucket: string, key: string, uploadId: string, parts: readonly { n: number; etag: string }[]): Promise<string> {
    try {
      const r = await this.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: key,
          UploadId: uploadId,
          MultipartUpload: { Parts: parts.map((p) => ({ PartNumber: p.n, ETag: `"${p.etag}"` })) },
        }),
      );
      return normalizeEtag(r.ETag) ?? (await this.etagByHead(bucket, key));
    } catch (e) {
      throw mapS3Error(e, `CompleteMultipartUpload ${key}`);
    }
  }

  /**
   * Is the upload gone? True once aborted, or when there is nothing left to abort (NoSuchUpload)
   * or no way to (a server without AbortMultipartUpload, like s3rver: a lifecycle rule is the
   * backstop there). False when the abort failed and is worth trying again later.
   */
  async abortMultipart(bucket: string, key: string, uploadId: string): Promise<boolean> {
    try {
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }));
      return true;
    } catch (e) {
      const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
      const status = err.$metadata?.httpStatusCode;
      // s3rver answers 405 MethodNotAllowed: it has no abort at all.
      return err.name === 'NoSuchUpload' || err.name === 'NotImplemented' || status === 404 || status === 405 || status === 501;
    }
  }

  /**
   * A copy inside the server. With `replace`, the new object gets these headers and metadata
   * (MetadataDirective REPLACE: a renamed file's own Content-Type, mtime and mode); without, it
   * keeps the source's (COPY: what the trash wants), with `keep`'s storage class and encryption.
   * `ifMatch`: the source's expected ETag; the server refuses (412) if the object changed since.
   */
  async copy(bucket: string, from: string, to: string, o: { replace?: ObjectSettings; keep?: Pick<ObjectSettings, 'storageClass' | 'sse' | 'kmsKeyId'>; ifMatch?: string }): Promise<string> {
    const keep = o.keep ?? {};
    try {
      const r = await this.client.send(
        new CopyObjectCommand({
          Bucket: bucket,
          Key: to,
          CopySource: copySource(bucket, from),
          ...(o.ifMatch ? { CopySourceIfMatch: `"${o.ifMatch}"` } : {}),
          ...(o.replace
            ? { MetadataDirective: 'REPLACE' as const, ...settings(o.replace) }
            : {
                MetadataDirective: 'COPY' as const,
                ...(keep.storageClass ? { StorageClass: keep.storageClass as never } : {}),
                ...(keep.sse ? { ServerSideEncryption: keep.sse } : {}),
                ...(keep.kmsKeyId ? { SSEKMSKeyId: keep.kmsKeyId } : {}),
              }),
        }),
      );
      return normalizeEtag(r.CopyObjectResult?.ETag) ?? (await this.etagByHead(bucket, to));
    } catch (e) {
      throw mapS3Error(e, `CopyObject ${from} -> ${to}`);
    }
  }

  /** One part of a multipart copy: bytes [start, end] of `from`, copied inside the server. */
  async uploadPartCopy(bucket: string, from: string, key: string, uploadId: string, n: number, range: { start: number; end: number }, ifMatch?: string): Promise<string> {
    try {
      const r = await this.client.send(
        new UploadPartCopyCommand({
          Bucket: bucket,
          Key: key,
          UploadId: uploadId,
          PartNumber: n,
          CopySource: copySource(bucket, from),
          CopySourceRange: `bytes=${range.start}-${range.end}`,
          ...(ifMatch ? { CopySourceIfMatch: `"${ifMatch}"` } : {}),
        }),
      );
      const etag = normalizeEtag(r.CopyPartResult?.ETag);
      if (!etag) throw new Error('no ETag in CopyPartResult');
      return etag;
    } catch (e) {
      throw mapS3Error(e, `UploadPartCopy ${from} -> ${key} #${n}`);
    }
  }

  /** One DeleteObjects call for at most 1000 keys; per-key failures are returned, not thrown. */
  async deleteMany(bucket: string, keys: readonly string[]): Promise<{ failed: Map<string, string> }> {
    if (keys.length > 1000) throw new Error(`deleteMany: ${keys.length} keys > 1000`);
    try {
      const r = await this.client.send(
        new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true } }),
      );
      const failed = new Map<string, string>();
      for (const er of r.Errors ?? []) if (er.Key) failed.set(er.Key, `${er.Code ?? 'Error'}: ${er.Message ?? ''}`);
      return { failed };
    } catch (e) {
      throw mapS3Error(e, `DeleteObjects (${keys.length} keys)`);
    }
  }

  private async etagByHead(bucket: string, key: string): Promise<string> {
    const h = await this.head(bucket, key);
    if (!h?.etag) throw mapS3Error(new Error('object has no ETag after upload'), `HeadObject ${key}`);
    return h.etag;
  }
}

function copySource(bucket: string, key: string): string {
  return `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
}

function settings(s: ObjectSettings) {
  return {
    ContentType: s.contentType,
    Metadata: s.metadata,
    ...(s.storageClass ? { StorageClass: s.storageClass as never } : {}),
    ...(s.sse ? { ServerSideEncryption: s.sse } : {}),
    ...(s.kmsKeyId ? { SSEKMSKeyId: s.kmsKeyId } : {}),
    ...(s.cacheControl ? { CacheControl: s.cacheControl } : {}),
  };
}
