import type { FileHandle } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { PairConfig } from '../config.js';
import { MirrorError, fromFsError } from '../errors.js';
import { failpoint, rethrowCrash } from '../failpoints.js';
import { treePath } from '../local/safe-open.js';
import { MAX_COPY_BYTES, partCount, partSizeFor } from '../plan/etag.js';
import { copyShape } from '../plan/parts.js';
import type { Bucket, BucketProvider, ObjectSettings, Stored } from '../bucket.js';
import type { Journal } from '../store/journal.js';
import type { SyncedContent } from '../model.js';
import type { FileRow } from '../store/types.js';
import { toLocalStat } from '../watch/stat.js';
import { BufferPool, ByteBudget } from '../local/budget.js';
import { BucketEncryption } from './encryption.js';
import { changed, openForRead, readPart, readWhole, sameContentStat, type Hashed } from '../local/hasher.js';

/** Content types by extension, loaded at the first upload: a pass with nothing to send never needs them (~8 ms of start-up). */
let mime: typeof import('mime-types') | undefined;
function contentType(key: string): string {
  mime ??= createRequire(import.meta.url)('mime-types') as typeof import('mime-types');
  return mime.lookup(key) || 'application/octet-stream';
}

export interface InFlight {
  pair: string;
  rel: string;
  bytes: number;
  sent: number;
  startedAt: number;
  /** A multipart upload (it has a record in the journal while it runs). */
  multipart: boolean;
}

/**
 * Moves bytes: single PUTs (the hashed buffer itself, with its Content-MD5) and multipart uploads
 * written with client-s3 commands, because lib-storage's Upload cannot resume after a restart,
 * sends the whole-file MD5 with every part, and bounds parts per upload instead of globally.
 * Each part carries the MD5 we hashed it with, so a server that checks Content-MD5 rejects a part
 * that changed since; a re-stat after the last part catches servers that do not check.
 */
export class Transfers {
  readonly inFlight = new Map<string, InFlight>();
  private readonly active = new Set<string>();
  readonly budget: ByteBudget;
  private readonly partBuffers: BufferPool;
  bytesUploaded = 0;
  bytesCopied = 0;
  readonly encryption: BucketEncryption;

  constructor(
    private readonly buckets: BucketProvider,
    private readonly journal: Journal,
    private readonly opts: { concurrency: number; partSizeBytes: number; now: () => number; copyLimitBytes?: number },
  ) {
    // Eight parts in flight keep a link busy (measured: 4 and 16 parts in flight move a multipart
    // upload equally fast on loopback), and RSS stays predictable whatever the concurrency.
    const limit = Math.min(256 * 1024 * 1024, Math.max(64 * 1024 * 1024, 8 * opts.partSizeBytes));
    this.budget = new ByteBudget(limit);
    this.partBuffers = new BufferPool(limit);
    this.encryption = new BucketEncryption(journal);
  }

  settingsFor(pair: PairConfig, key: string, h: Hashed): ObjectSettings {
    return {
      contentType: contentType(key),
      metadata: { md5: h.md5, mtime: h.stat.mtimeNs, mode: (h.mode & 0o7777).toString(8) },
      ...objectOptions(pair),
      ...(pair.cacheControl ? { cacheControl: pair.cacheControl } : {}),
    };
  }

  async upload(pair: PairConfig, rel: string, key: string, abs: string, h: Hashed): Promise<SyncedContent> {
    const id = `${pair.name}\0${rel}`;
    const t: InFlight = {
      pair: pair.name,
      rel,
      bytes: h.stat.size,
      sent: 0,
      startedAt: this.opts.now(),
      multipart: h.partSize > 0,
    };
    this.inFlight.set(id, t);
    try {
      const s = this.settingsFor(pair, key, h);
      if (h.partSize) return await this.multipart(pair, rel, key, abs, h, s, t);
      // A kept body already holds its bytes of the budget (see readAndHash).
      const release = h.body ? () => undefined : await this.budget.acquire(h.stat.size);
      try {
        const body = h.body ?? (await readWhole(treePath(pair.path, rel, pair.followSymlinks), h));
        const st = await this.bucketOf(pair).put(key, body, h.md5, s);
        this.encryption.intact(pair, `PutObject ${key}`, st, h.md5);
        failpoint('after-put');
        t.sent = body.length;
        this.bytesUploaded += body.length;
        return this.encryption.content(pair, st, { md5: h.md5, partSize: 0, localEtag: h.localEtag });
      } finally {
        release();
      }
    } finally {
      this.inFlight.delete(id);
    }
  }

  /** Is this multipart upload (or copy) being worked on now? Its record is not stale then. */
  isActive(uploadId: string): boolean {
    return this.active.has(uploadId);
  }

  /** Create a multipart upload, record it, and run `fn` on it while it counts as active. */
  private async underUpload<T>(
    pair: PairConfig,
    rel: string,
    key: string,
    s: ObjectSettings,
    rec: { md5: string; size: number; partSize: number; mtimeNs: string },
    fn: (uploadId: string) => Promise<T>,
  ): Promise<T> {
    const uploadId = await this.bucketOf(pair).createMultipart(key, s);
    this.journal.uploads.begin({ pair: pair.name, bucket: pair.bucket, rel, key, uploadId, ...rec }, this.opts.now());
    this.active.add(uploadId);
    try {
      return await fn(uploadId);
    } finally {
      this.active.delete(uploadId);
    }
  }

  private multipart(
    pair: PairConfig,
    rel: string,
    key: string,
    abs: string,
    h: Hashed,
    s: ObjectSettings,
    t: InFlight,
  ): Promise<SyncedContent> {
    const rec = { md5: h.md5, size: h.stat.size, partSize: h.partSize, mtimeNs: h.stat.mtimeNs };
    return this.underUpload(pair, rel, key, s, rec, (uploadId) => this.sendParts(pair, rel, key, abs, h, t, uploadId));
  }

  private async sendParts(
    pair: PairConfig,
    rel: string,
    key: string,
    abs: string,
    h: Hashed,
    t: InFlight,
    uploadId: string,
  ): Promise<SyncedContent> {
    let fh: FileHandle;
    try {
      fh = await openForRead(treePath(pair.path, rel, pair.followSymlinks));
    } catch (e) {
      await this.abandon(pair, key, uploadId);
      throw e;
    }
    try {
      // The byte budget, not the worker count, is the real (global) bound on memory.
      const parts = await runParts(h.partMd5s.length, this.opts.concurrency, async (n, stopped) => {
        const len = Math.min(h.partSize, h.stat.size - (n - 1) * h.partSize);
        const release = await this.budget.acquire(len);
        try {
          if (stopped()) return '';
          const buf = this.partBuffers.take(h.partSize);
          const body = await readPart(fh, n, h.partSize, h.stat.size, buf);
          if (body.length !== len) throw changed(abs);
          const etag = this.encryption.intact(
            pair,
            `UploadPart ${key} #${n}`,
            await this.bucketOf(pair).uploadPart(key, uploadId, n, body, h.partMd5s[n - 1]!),
            h.partMd5s[n - 1]!,
          );
          // Reused only after a part that went through: a failed request is not reused, whatever
          // a torn-down socket might still hold of it.
          this.partBuffers.give(buf);
          this.journal.uploads.recordPart(pair.name, rel, uploadId, n, etag);
          failpoint('after-part');
          t.sent += len;
          this.bytesUploaded += len;
          return etag;
        } finally {
          release();
        }
      });
      if (!sameContentStat(toLocalStat(await fh.stat({ bigint: true })), h.stat)) throw changed(abs);
      failpoint('before-complete');
      const st = await this.bucketOf(pair).completeMultipart(key, uploadId, parts);
      failpoint('after-complete');
      this.journal.uploads.end(pair.name, uploadId);
      return this.encryption.content(pair, st, { md5: h.md5, partSize: h.partSize, localEtag: h.localEtag });
    } catch (e) {
      rethrowCrash(e);
      await this.abandon(pair, key, uploadId);
      throw fromFsError(e, abs);
    } finally {
      await fh.close();
    }
  }

  /**
   * A rename inside the server, with the new file's own headers and metadata (its extension's
   * Content-Type, its mtime and mode). Up to 5 GiB one CopyObject; above, a multipart copy
   * (UploadPartCopy) with the part size the file was hashed with, so the new object's ETag is the
   * one we computed and the next pass needs no request for it.
   */
  async renameCopy(
    pair: PairConfig,
    rel: string,
    from: FileRow,
    key: string,
    h: Hashed,
    sourceEtag?: string,
  ): Promise<SyncedContent> {
    // Copy only the object we matched on: if it changed since it was listed (or, given, since we
    // stored it), the server refuses and the caller uploads instead.
    const ifMatch = sourceEtag ?? (this.journal.remote.get(pair.name, from.key)?.etag || undefined);
    const { kind, partSize } = copyShape(h.stat.size, this.copyOptions, h.partSize);
    if (kind === 'single') {
      const st = await this.bucketOf(pair).copy(from.key, key, {
        replace: this.settingsFor(pair, key, h),
        ...(ifMatch ? { ifMatch } : {}),
      });
      this.encryption.copied(pair, `CopyObject ${from.key} to ${key}`, st, [h.md5, ...(ifMatch ? [ifMatch] : [])]);
      this.bytesCopied += h.stat.size;
      return this.encryption.content(pair, st, {
        md5: h.md5,
        partSize: from.part_size ?? 0,
        localEtag: from.local_etag ?? h.md5,
      });
    }
    const st = await this.copyInParts(
      pair,
      rel,
      { key: from.key, size: h.stat.size, md5: h.md5, mtimeNs: h.stat.mtimeNs, ...(ifMatch ? { ifMatch } : {}) },
      key,
      partSize,
      this.settingsFor(pair, key, h),
    );
    // Parts of the hashed size give the multipart ETag we computed (s3rver's is the whole MD5).
    this.encryption.copied(pair, `UploadPartCopy ${from.key} to ${key}`, st, [
      h.md5,
      ...(h.partSize === partSize ? [h.localEtag] : []),
    ]);
    return this.encryption.content(pair, st, { md5: h.md5, partSize: h.partSize, localEtag: h.localEtag });
  }

  /** Copy an object to the trash; above 5 GiB part by part, with the source's own headers. */
  async trashCopy(pair: PairConfig, row: FileRow, to: string): Promise<void> {
    // A remote-only row knows no size of its own: the listing does.
    const size = row.remote_size ?? this.journal.remote.get(pair.name, row.key)?.size ?? row.size ?? 0;
    if (copyShape(size, this.copyOptions).kind === 'single') {
      this.encryption.written(pair, (await this.bucketOf(pair).copy(row.key, to, { keep: objectOptions(pair) })).sse);
    } else {
      const src = await this.bucketOf(pair).head(row.key);
      if (!src)
        throw new MirrorError('S3_REQUEST_FAILED', `HeadObject ${row.key}: the object to move to the trash is gone`, {
          retryable: true,
        });
      const s: ObjectSettings = {
        contentType: src.contentType ?? 'application/octet-stream',
        metadata: src.metadata,
        ...(src.cacheControl ? { cacheControl: src.cacheControl } : {}),
        ...objectOptions(pair),
      };
      const source = {
        key: row.key,
        size: src.size,
        md5: src.metaMd5 ?? '',
        mtimeNs: row.mtime_ns ?? '0',
        ...(src.etag ? { ifMatch: src.etag } : {}),
      };
      // Parts of the size HEAD found: the object copied may not be the one the journal knows.
      await this.copyInParts(pair, row.rel, source, to, partSizeFor(src.size, this.opts.partSizeBytes), s);
    }
    this.bytesCopied += size;
  }

  private bucketOf(pair: PairConfig): Bucket {
    return this.buckets.bucket(pair.bucket);
  }

  private get copyOptions(): { copyLimitBytes: number; partSizeBytes: number } {
    return { copyLimitBytes: this.opts.copyLimitBytes ?? MAX_COPY_BYTES, partSizeBytes: this.opts.partSizeBytes };
  }

  /**
   * Multipart copy: the server copies each byte range, nothing passes through us, so no byte
   * budget. Recorded like an upload, so a copy cut short by a crash is aborted at the next start.
   */
  private async copyInParts(
    pair: PairConfig,
    rel: string,
    from: CopySource,
    key: string,
    partSize: number,
    s: ObjectSettings,
  ): Promise<Stored> {
    const { size } = from;
    return this.underUpload(pair, rel, key, s, { md5: from.md5, size, partSize, mtimeNs: from.mtimeNs }, (uploadId) =>
      this.copyParts(pair, from, key, partSize, uploadId),
    );
  }

  private async copyParts(
    pair: PairConfig,
    from: CopySource,
    key: string,
    partSize: number,
    uploadId: string,
  ): Promise<Stored> {
    const { size } = from;
    try {
      // Every part names the source ETag, so all parts come from one version of the object.
      const parts = await runParts(
        partCount(size, partSize),
        Math.min(this.opts.concurrency, COPY_PART_WORKERS),
        (n) => {
          const start = (n - 1) * partSize;
          return this.bucketOf(pair).uploadPartCopy(
            from.key,
            key,
            uploadId,
            n,
            { start, end: Math.min(size, start + partSize) - 1 },
            from.ifMatch,
          );
        },
      );
      const st = await this.bucketOf(pair).completeMultipart(key, uploadId, parts);
      this.journal.uploads.end(pair.name, uploadId);
      return st;
    } catch (e) {
      await this.abandon(pair, key, uploadId);
      throw e;
    }
  }

  /** Abort an upload; its record goes only once it is gone, else abortStaleUploads tries again. */
  private async abandon(pair: PairConfig, key: string, uploadId: string): Promise<void> {
    if ((await this.bucketOf(pair).abortMultipart(key, uploadId)) === true)
      this.journal.uploads.end(pair.name, uploadId);
  }
}

interface CopySource {
  key: string;
  size: number;
  /** Whole-content MD5 and mtime, as recorded for the upload in progress. */
  md5: string;
  mtimeNs: string;
  ifMatch?: string;
}

/** Server-side part copies at once for one object: each is cheap for us but real work for the server. */
const COPY_PART_WORKERS = 8;

function objectOptions(pair: PairConfig): Pick<ObjectSettings, 'storageClass' | 'sse' | 'kmsKeyId'> {
  return {
    ...(pair.storageClass ? { storageClass: pair.storageClass } : {}),
    ...(pair.sse ? { sse: pair.sse } : {}),
    ...(pair.kmsKeyId ? { kmsKeyId: pair.kmsKeyId } : {}),
  };
}

/**
 * Run part 1..total through `workers` concurrent workers; after the first failure no new part
 * starts (a part can ask `stopped()` after a wait), and that failure is thrown once the others
 * have settled. Parts come back in order.
 */
async function runParts(
  total: number,
  workers: number,
  part: (n: number, stopped: () => boolean) => Promise<string>,
): Promise<{ n: number; etag: string }[]> {
  const parts: { n: number; etag: string }[] = [];
  let next = 1;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (!failure && next <= total) {
      const n = next++;
      try {
        parts.push({ n, etag: await part(n, () => !!failure) });
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(workers, total)) }, worker));
  if (failure) throw failure.error;
  return parts.sort((a, b) => a.n - b.n);
}
