import type { BucketProvider, ObjectSettings, Stored } from '../bucket.js';
import type { PairConfig } from '../config.js';
import { MirrorError } from '../errors.js';
import type { Hashed } from '../local/hasher.js';
import type { SyncedContent } from '../model.js';
import { MAX_COPY_BYTES, partCount, partSizeFor } from '../plan/etag.js';
import { copyShape } from '../plan/parts.js';
import type { Journal } from '../store/journal.js';
import type { FileRow } from '../store/types.js';
import type { BucketEncryption } from './encryption.js';
import { type MultipartUploads, partNumbers, runParts } from './multipart.js';
import { objectOptions, settingsFor } from './object-settings.js';

/** A rename done inside the server: the object of `from` copied to `key` for the file `rel`. */
export interface RenameCopy {
  pair: PairConfig;
  rel: string;
  /** The journal row of the file the object was uploaded for. */
  from: FileRow;
  key: string;
  hashed: Hashed;
  /** The ETag the source must still have; without it, the one the journal knows. */
  sourceEtag?: string;
}

interface CopySource {
  key: string;
  size: number;
  /** Whole-content MD5 and mtime, as recorded for the upload in progress. */
  md5: string;
  mtimeNs: string;
  ifMatch?: string;
}

interface PartsCopy {
  pair: PairConfig;
  rel: string;
  from: CopySource;
  key: string;
  partSize: number;
  settings: ObjectSettings;
}

/** Server-side part copies at once for one object: each is cheap for us but real work for the server. */
const COPY_PART_WORKERS = 8;

/** Copies inside the server (renames and the trash): no byte passes through us. */
export class ServerCopies {
  bytesCopied = 0;

  constructor(
    private readonly buckets: BucketProvider,
    private readonly journal: Journal,
    private readonly encryption: BucketEncryption,
    private readonly uploads: MultipartUploads,
    private readonly opts: { concurrency: number; partSizeBytes: number; copyLimitBytes?: number },
  ) {}

  /**
   * A rename inside the server, with the new file's own headers and metadata (its extension's
   * Content-Type, its mtime and mode). Up to 5 GiB one CopyObject; above, a multipart copy
   * (UploadPartCopy) with the part size the file was hashed with, so the new object's ETag is the
   * one we computed and the next pass needs no request for it.
   */
  async renameCopy({ pair, rel, from, key, hashed: h, sourceEtag }: RenameCopy): Promise<SyncedContent> {
    // Copy only the object we matched on: if it changed since it was listed (or, given, since we
    // stored it), the server refuses and the caller uploads instead.
    const ifMatch = sourceEtag ?? (this.journal.remote.get(pair.name, from.key)?.etag || undefined);
    const { kind, partSize } = copyShape(h.stat.size, this.copyOptions, h.partSize);
    if (kind === 'single') {
      const st = await this.buckets.bucket(pair.bucket).copy(from.key, key, {
        replace: settingsFor(pair, key, h, { partSize: from.part_size ?? 0, etags: this.encryption.trust(pair) }),
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
    const st = await this.copyInParts({
      pair,
      rel,
      from: { key: from.key, size: h.stat.size, md5: h.md5, mtimeNs: h.stat.mtimeNs, ...(ifMatch ? { ifMatch } : {}) },
      key,
      partSize,
      settings: settingsFor(pair, key, h, { partSize, etags: this.encryption.trust(pair) }),
    });
    // Parts of the hashed size give the multipart ETag we computed (s3rver's is the whole MD5).
    this.encryption.copied(pair, `UploadPartCopy ${from.key} to ${key}`, st, [
      h.md5,
      ...(h.partSize === partSize ? [h.localEtag] : []),
    ]);
    return this.encryption.content(pair, st, { md5: h.md5, partSize: h.partSize, localEtag: h.localEtag });
  }

  /** Copy an object to the trash; above 5 GiB part by part, with the source's own headers. */
  async trashCopy(pair: PairConfig, row: FileRow, to: string): Promise<void> {
    const bucket = this.buckets.bucket(pair.bucket);
    // A remote-only row knows no size of its own: the listing does.
    const size = row.remote_size ?? this.journal.remote.get(pair.name, row.key)?.size ?? row.size ?? 0;
    if (copyShape(size, this.copyOptions).kind === 'single') {
      this.encryption.written(pair, (await bucket.copy(row.key, to, { keep: objectOptions(pair) })).sse);
    } else {
      const src = await bucket.head(row.key);
      if (!src)
        throw new MirrorError('S3_REQUEST_FAILED', `HeadObject ${row.key}: the object to move to the trash is gone`, {
          retryable: true,
        });
      // Parts of the size HEAD found: the object copied may not be the one the journal knows.
      const partSize = partSizeFor(src.size, this.opts.partSizeBytes);
      const settings: ObjectSettings = {
        contentType: src.contentType ?? 'application/octet-stream',
        // The copy's own part size: its ETag is made of those parts.
        metadata: { ...src.metadata, ...(src.metadata['part-size'] ? { 'part-size': String(partSize) } : {}) },
        ...(src.cacheControl ? { cacheControl: src.cacheControl } : {}),
        ...objectOptions(pair),
      };
      const from = {
        key: row.key,
        size: src.size,
        md5: src.metaMd5 ?? '',
        mtimeNs: row.mtime_ns ?? '0',
        ...(src.etag ? { ifMatch: src.etag } : {}),
      };
      await this.copyInParts({ pair, rel: row.rel, from, key: to, partSize, settings });
    }
    this.bytesCopied += size;
  }

  private get copyOptions(): { copyLimitBytes: number; partSizeBytes: number } {
    return { copyLimitBytes: this.opts.copyLimitBytes ?? MAX_COPY_BYTES, partSizeBytes: this.opts.partSizeBytes };
  }

  /**
   * Multipart copy: the server copies each byte range, nothing passes through us, so no byte
   * budget. Recorded like an upload, so a copy cut short by a crash is aborted at the next start.
   */
  private copyInParts(c: PartsCopy): Promise<Stored> {
    const { pair, rel, key, settings, from, partSize } = c;
    const record = { md5: from.md5, size: from.size, partSize, mtimeNs: from.mtimeNs };
    const bucket = this.buckets.bucket(pair.bucket);
    return this.uploads.run({ bucket, pair, rel, key, settings, record }, (uploadId) => this.copyParts(c, uploadId));
  }

  private async copyParts({ pair, from, key, partSize }: PartsCopy, uploadId: string): Promise<Stored> {
    const bucket = this.buckets.bucket(pair.bucket);
    const { size } = from;
    try {
      // Every part names the source ETag, so all parts come from one version of the object.
      const parts = await runParts(
        partNumbers(partCount(size, partSize)),
        Math.min(this.opts.concurrency, COPY_PART_WORKERS),
        (n) => {
          const start = (n - 1) * partSize;
          const range = { start, end: Math.min(size, start + partSize) - 1 };
          return bucket.uploadPartCopy({ from: from.key, key, uploadId, n, range, ifMatch: from.ifMatch });
        },
      );
      const st = await bucket.completeMultipart(key, uploadId, parts);
      this.uploads.end(pair.name, uploadId);
      return st;
    } catch (e) {
      await this.uploads.abandon(bucket, pair.name, key, uploadId);
      throw e;
    }
  }
}
