import type { BucketProvider } from '../bucket.js';
import type { Config } from '../config.js';
import { PROBE_TIMEOUT_MS } from '../plan/outage.js';
import type { ClientOptions } from '../s3/client.js';
import type { RequestCounter } from '../s3/counter.js';
import { LazyS3Buckets } from '../s3/lazy.js';
import type { Links } from './links.js';
import type { BucketThrottles } from './throttle.js';

/**
 * The process's buckets over one pooled SDK client, every request noted by `links` (outages)
 * and every attempt admitted by `throttles` (a bucket that throttles gets fewer at once).
 * Bucket checks (start-up, outage probes) use a client of their own: one attempt each, on their
 * callers' schedule, neither admitted nor queued; one silent for PROBE_TIMEOUT_MS has failed.
 * Both are built, and the SDK loaded, at the first request (a trusted no-op pass sends none).
 */
export function s3Buckets(
  cfg: Config,
  o: { links: Links; throttles: BucketThrottles; counter: RequestCounter; credentials?: ClientOptions['credentials'] },
): BucketProvider {
  const { links, throttles } = o;
  const base = {
    concurrency: cfg.concurrency,
    onAttemptTimeout: (bucket: string, message: string) => links.note(bucket, 'unreachable', message),
    gate: (bucket: string, command: string) => links.gate(bucket, command),
    ...(o.credentials ? { credentials: o.credentials } : {}),
  };
  return new LazyS3Buckets({
    s3: cfg.s3,
    client: { ...base, admit: (b: string, c: string) => throttles.admit(b, c) },
    probe: { ...base, concurrency: 1, maxAttempts: 1, timeoutMs: PROBE_TIMEOUT_MS },
    counter: o.counter,
  });
}
