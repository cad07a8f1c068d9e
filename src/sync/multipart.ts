import type { Bucket, ObjectSettings } from '../bucket.js';
import type { PairConfig } from '../config.js';
import { type FileToSend, type RecordedUpload, resumeUpload, type ServerParts } from '../plan/resume.js';
import type { Journal } from '../store/journal.js';
import type { UploadBegin, UploadRecord as Recorded } from '../store/uploads.js';

/**
 * What the journal records of a multipart upload, so one cut short by a crash is resumed (an
 * upload of a local file: with its ctime and inode) or aborted at the next start.
 */
type UploadRecord = Pick<UploadBegin, 'md5' | 'size' | 'partSize' | 'mtimeNs' | 'ctimeNs' | 'ino' | 'settings'>;

export interface NewUpload {
  bucket: Bucket;
  pair: PairConfig;
  rel: string;
  key: string;
  settings: ObjectSettings;
  record: UploadRecord;
  /** Told the encryption the creation answered with; may throw to give the upload up unused. */
  created?: (sse: string | undefined) => void;
}

/**
 * Multipart uploads (and multipart copies) under way in this process: each is recorded in the
 * journal from its creation until it completes or is aborted, and counts as active while worked on,
 * so the stale-upload sweep leaves it alone.
 */
export class MultipartUploads {
  private readonly active = new Set<string>();

  constructor(
    private readonly journal: Journal,
    private readonly now: () => number,
  ) {}

  /** Is this multipart upload (or copy) being worked on now? Its record is not stale then. */
  isActive(uploadId: string): boolean {
    return this.active.has(uploadId);
  }

  /** Create a multipart upload, record it, and run `fn` on it while it counts as active. */
  async run<T>(u: NewUpload, fn: (uploadId: string) => Promise<T>): Promise<T> {
    let refused: { error: unknown } | undefined;
    const uploadId = await u.bucket.createMultipart(u.key, u.settings, (sse) => {
      try {
        u.created?.(sse);
      } catch (error) {
        refused = { error };
      }
    });
    const { pair, rel, key } = u;
    if (refused) {
      // Nothing was sent to it: aborted at once (an abort that fails is left to the orphan sweep).
      await u.bucket.abortMultipart(key, uploadId).catch(() => undefined);
      throw refused.error;
    }
    this.journal.uploads.begin({ pair: pair.name, bucket: pair.bucket, rel, key, uploadId, ...u.record }, this.now());
    this.active.add(uploadId);
    try {
      return await fn(uploadId);
    } finally {
      this.active.delete(uploadId);
    }
  }

  /**
   * A recorded upload of this file to continue, with the parts to keep (resumeUpload decides,
   * against ListParts where the server has it); the others are aborted or, if gone, forgotten.
   */
  async pickUp(a: {
    bucket: Bucket;
    pair: string;
    rel: string;
    file: FileToSend;
  }): Promise<{ uploadId: string; keep: { n: number; etag: string }[]; reason: string } | undefined> {
    let found: { uploadId: string; keep: { n: number; etag: string }[]; reason: string } | undefined;
    for (const rec of this.journal.uploads.resumableOf(a.pair, a.rel)) {
      if (this.active.has(rec.upload_id)) continue;
      const recorded = this.recorded(rec);
      // The file is checked first: no request for an upload that is given up anyway.
      let d = resumeUpload(recorded, a.file, 'unknown');
      if (d.action === 'resume' && !found) {
        const listed = await a.bucket.listParts(rec.key, rec.upload_id);
        const server: ServerParts = listed === 'unsupported' ? 'unknown' : listed;
        d = resumeUpload(recorded, a.file, server);
        if (d.action === 'resume') {
          found = { uploadId: rec.upload_id, keep: d.keep, reason: d.reason };
          continue;
        }
      }
      if (d.action === 'forget') this.journal.uploads.end(a.pair, rec.upload_id);
      else await this.abandon(a.bucket, a.pair, rec.key, rec.upload_id);
    }
    return found;
  }

  /** Continue a recorded upload: `fn` runs while it counts as active. */
  async resume<T>(uploadId: string, fn: () => Promise<T>): Promise<T> {
    this.active.add(uploadId);
    try {
      return await fn();
    } finally {
      this.active.delete(uploadId);
    }
  }

  private recorded(rec: Recorded): RecordedUpload {
    const { ctime_ns: ctimeNs, ino } = rec;
    return {
      key: rec.key,
      md5: rec.md5,
      partSize: rec.part_size,
      identity: ctimeNs !== null && ino !== null ? { size: rec.size, mtimeNs: rec.mtime_ns, ctimeNs, ino } : null,
      createdAt: rec.created_at,
      settings: rec.settings,
      parts: this.journal.uploads.parts(rec.pair, rec.upload_id),
    };
  }

  /** The upload completed: its record goes. */
  end(pair: string, uploadId: string): void {
    this.journal.uploads.end(pair, uploadId);
  }

  /** Abort an upload; its record goes only once it is gone, else abortStaleUploads tries again. */
  async abandon(bucket: Bucket, pair: string, key: string, uploadId: string): Promise<void> {
    this.journal.uploads.giveUp(pair, uploadId);
    if ((await bucket.abortMultipart(key, uploadId)) === true) this.journal.uploads.end(pair, uploadId);
  }
}

/** Part numbers 1..total. */
export function partNumbers(total: number): number[] {
  return Array.from({ length: total }, (_, i) => i + 1);
}

/**
 * Run the parts `numbers` through `workers` concurrent workers; after the first failure no new
 * part starts (a part can ask `stopped()` after a wait), and that failure is thrown once the
 * others have settled. Parts come back in order.
 */
export async function runParts(
  numbers: readonly number[],
  workers: number,
  part: (n: number, stopped: () => boolean) => Promise<string>,
): Promise<{ n: number; etag: string }[]> {
  const parts: { n: number; etag: string }[] = [];
  let next = 0;
  let failure: { error: unknown } | undefined;
  const total = numbers.length;
  const worker = async () => {
    while (!failure && next < total) {
      const n = numbers[next++]!;
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
