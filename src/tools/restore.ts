import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import PQueue from 'p-queue';
import type { Config } from '../config.js';
import { MirrorError } from '../errors.js';
import type { ProgressSample } from '../plan/progress.js';
import { type ObjectResult, type Outcome, restoreObject } from './restore-object.js';

export interface RestoreRequest {
  pair: string;
  to: string;
  /** A subtree of the pair ('/'-separated, relative to its root): only what lies under it. */
  path?: string;
  overwrite: boolean;
}

export interface RestoreSummary {
  counts: Record<Outcome, number>;
  bytes: number;
  /** One line per object refused or failed (and kept, for the operator to decide). */
  problems: ObjectResult[];
}

/** Downloads at once: enough to fill a link, few enough to keep memory to a few chunks each. */
const CONCURRENCY = 8;

/**
 * `s3mirror restore`: every object of the pair (under `path`) into `to`, each checked against its
 * MD5 before it is renamed into place, with its mtime and mode. A second run skips what is already
 * identical; a different file is kept unless `overwrite`. Nothing is written outside `to`.
 */
export async function restore(
  cfg: Config,
  req: RestoreRequest,
  progress?: { everyMs: number; report: (s: ProgressSample) => void },
): Promise<RestoreSummary> {
  const pair = cfg.pairs.find((p) => p.name === req.pair);
  if (!pair)
    throw new MirrorError('USAGE', `no pair named "${req.pair}" in ${cfg.source}`, {
      hint: `pairs: ${cfg.pairs.map((p) => p.name).join(', ')}`,
    });
  const sub = (req.path ?? '').replace(/^\/+|\/+$/g, '');
  if (sub.split('/').some((c) => c === '..'))
    throw new MirrorError('USAGE', `--path must name a subtree inside the pair, got "${req.path}"`);
  const dir = resolve(req.to);
  mkdirSync(dir, { recursive: true });
  const { standaloneBucket } = await import('../s3/standalone.js');
  const client = standaloneBucket(cfg.s3, pair.bucket, { concurrency: CONCURRENCY });
  const summary: RestoreSummary = {
    counts: { restored: 0, identical: 0, kept: 0, skipped: 0, refused: 0, failed: 0 },
    bytes: 0,
    problems: [],
  };
  const started = Date.now();
  let total = 0;
  const sample = (): ProgressSample => ({
    done: Object.values(summary.counts).reduce((a, b) => a + b, 0),
    total,
    bytes: summary.bytes,
    elapsedMs: Date.now() - started,
  });
  const timer = progress ? setInterval(() => progress.report(sample()), progress.everyMs) : undefined;
  try {
    const queue = new PQueue({ concurrency: CONCURRENCY });
    const target = {
      bucket: client.bucket,
      dir,
      prefix: pair.prefix,
      trashPrefix: pair.trashPrefix,
      partSizeBytes: cfg.multipart.partSizeBytes,
      overwrite: req.overwrite,
    };
    let fatal: unknown;
    // Page by page: the listing is never held whole, and downloads start with the first page.
    await client.bucket.list(pair.prefix + (sub ? `${sub}/` : ''), {
      onPage: (objects) => {
        total += objects.length;
        for (const o of objects)
          void queue.add(async () => {
            if (fatal) return;
            try {
              const r = await restoreObject(target, o);
              summary.counts[r.outcome]++;
              summary.bytes += r.bytes;
              if (r.outcome === 'refused' || r.outcome === 'failed' || r.outcome === 'kept') summary.problems.push(r);
            } catch (e) {
              fatal ??= e;
            }
          });
      },
    });
    await queue.onIdle();
    if (fatal) throw fatal;
    progress?.report(sample());
    return summary;
  } finally {
    clearInterval(timer);
    client.close();
  }
}
