import type { Bucket, ObjectSettings } from '../bucket.js';
import type { PairConfig } from '../config.js';
import type { Journal } from '../store/journal.js';

/** What the journal records of a multipart upload, so one cut short by a crash is aborted at the next start. */
interface UploadRecord {
  md5: string;
  size: number;
  partSize: number;
  mtimeNs: string;
}

export interface NewUpload {
  bucket: Bucket;
  pair: PairConfig;
  rel: string;
  key: string;
  settings: ObjectSettings;
  record: UploadRecord;
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
    const uploadId = await u.bucket.createMultipart(u.key, u.settings);
    const { pair, rel, key } = u;
    this.journal.uploads.begin({ pair: pair.name, bucket: pair.bucket, rel, key, uploadId, ...u.record }, this.now());
    this.active.add(uploadId);
    try {
      return await fn(uploadId);
    } finally {
      this.active.delete(uploadId);
    }
  }

  /** The upload completed: its record goes. */
  end(pair: string, uploadId: string): void {
    this.journal.uploads.end(pair, uploadId);
  }

  /** Abort an upload; its record goes only once it is gone, else abortStaleUploads tries again. */
  async abandon(bucket: Bucket, pair: string, key: string, uploadId: string): Promise<void> {
    if ((await bucket.abortMultipart(key, uploadId)) === true) this.journal.uploads.end(pair, uploadId);
  }
}

/**
 * Run part 1..total through `workers` concurrent workers; after the first failure no new part
 * starts (a part can ask `stopped()` after a wait), and that failure is thrown once the others
 * have settled. Parts come back in order.
 */
export async function runParts(
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
