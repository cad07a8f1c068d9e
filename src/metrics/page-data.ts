import type { PageData } from './page.js';
import type { PairSnapshot } from './metrics.js';

interface PageSources {
  views: readonly (PairSnapshot & { reason: string })[];
  transfers: Iterable<{ pair: string; rel: string; bytes: number; sent: number }>;
  errors: PageData['errors'];
  throughput: PageData['throughput'];
  now: number;
}

/** What the status page shows, from the numbers the status writer last recorded. */
export function pageData(s: PageSources): PageData {
  return {
    now: s.now,
    pairs: s.views.map((v) => ({
      pair: v.pair,
      state: v.state,
      reason: v.reason,
      syncedThrough: v.syncedThrough,
      pendingFiles: v.pendingFiles,
      pendingBytes: v.pendingBytes,
    })),
    transfers: [...s.transfers].map((t) => ({ pair: t.pair, rel: t.rel, bytes: t.bytes, sent: t.sent })),
    errors: s.errors,
    throughput: s.throughput,
  };
}
