import type { BucketProvider } from '../bucket.js';
import type { Config } from '../config.js';
import { MirrorError } from '../errors.js';
import type { Journal } from '../store/journal.js';

/**
 * Which pairs can reach their bucket (`only`: these pairs)? One pair's missing bucket or denied
 * access must not stall the others, so each bucket is checked on its own (once, however many
 * pairs use it); the pairs of an unusable one are returned with its error and recorded in `error`
 * state. A pair whose journal is trusted is not asked for (no HeadBucket).
 */
export async function checkBuckets(
  rt: { cfg: Config; buckets: BucketProvider; journal: Journal; now: () => number },
  only?: ReadonlySet<string>,
): Promise<Map<string, MirrorError>> {
  const bad = new Map<string, MirrorError>();
  const byBucket = new Map<string, Promise<MirrorError | undefined>>();
  const pairs = rt.cfg.pairs.filter((p) => !only || only.has(p.name));
  for (const p of pairs) {
    if (!byBucket.has(p.bucket)) {
      byBucket.set(
        p.bucket,
        rt.buckets
          .bucket(p.bucket)
          .check()
          .then(
            () => undefined,
            (e: unknown) => (e instanceof MirrorError ? e : mapUnknown(e)),
          ),
      );
    }
  }
  for (const p of pairs) {
    const e = await byBucket.get(p.bucket)!;
    if (e) {
      bad.set(p.name, e);
      try {
        rt.journal.pairs.setState(p.name, 'error', `${e.code}: ${e.message}`, rt.now());
      } catch {
        /* a journal that cannot be written pauses the daemon (JournalGuard); the answer stands */
      }
    }
  }
  return bad;
}

function mapUnknown(e: unknown): MirrorError {
  return new MirrorError('S3_REQUEST_FAILED', (e as Error)?.message ?? String(e), { retryable: true, cause: e });
}
