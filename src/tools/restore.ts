import { mkdirSync } from 'node:fs';
import { resolve, sep } from 'node:path';
import PQueue from 'p-queue';
import type { Bucket, VersionedReads } from '../bucket.js';
import type { Config, PairConfig } from '../config.js';
import { isMirrorError, MirrorError } from '../errors.js';
import type { ProgressSample } from '../plan/progress.js';
import type { StateLock } from '../store/lock.js';
import { type ObjectResult, type Outcome, type RestoreSource, restoreObject } from './restore-object.js';

export interface RestoreRequest {
  pair: string;
  to: string;
  /** A subtree of the pair ('/'-separated, relative to its root): only what lies under it. */
  path?: string;
  overwrite: boolean;
  /** `--at`, ms since the epoch: the tree as it was then, from the bucket's versions. */
  at?: number;
}

export interface RestoreSummary {
  counts: Record<Outcome, number>;
  bytes: number;
  /** One line per object refused or failed (and kept, for the operator to decide). */
  problems: ObjectResult[];
  /** The most objects listed and not yet done at any one time: what the listing ran ahead. */
  maxQueued: number;
}

export interface RestoreOptions {
  progress?: { everyMs: number; report: (s: ProgressSample) => void };
  /** The bucket to read (tests: the in-memory one); by default a client of its own. */
  bucket?: Bucket & VersionedReads;
}

/** Downloads at once: enough to fill a link, few enough to keep memory to a few chunks each. */
const CONCURRENCY = 8;
/**
 * A listing page. The listing waits while a page's worth of objects waits for a download slot,
 * so at most two pages (and the downloads under way) are held, however large the prefix.
 */
const PAGE = 1000;

/**
 * `s3mirror restore`: every object of the pair (under `path`), or with `at` each key's version at
 * that moment, into `to`, each checked against its MD5 before it is renamed into place, with its
 * mtime and mode. A second run skips what is already identical; a different file is kept unless
 * `overwrite`. Nothing is written outside `to`. Into the pair's own path it holds the stateDir
 * lock: a daemon must not mirror a half-restored tree.
 */
export async function restore(cfg: Config, req: RestoreRequest, o: RestoreOptions = {}): Promise<RestoreSummary> {
  const pair = cfg.pairs.find((p) => p.name === req.pair);
  if (!pair)
    throw new MirrorError('USAGE', `no pair named "${req.pair}" in ${cfg.source}`, {
      hint: `pairs: ${cfg.pairs.map((p) => p.name).join(', ')}`,
    });
  const sub = (req.path ?? '').replace(/^\/+|\/+$/g, '');
  if (sub.split('/').some((c) => c === '..'))
    throw new MirrorError('USAGE', `--path must name a subtree inside the pair, got "${req.path}"`);
  const dir = resolve(req.to);
  const lock = await lockForPairPath(cfg, pair, dir);
  try {
    mkdirSync(dir, { recursive: true });
    if (o.bucket) return await run({ cfg, pair, req, dir, sub, bucket: o.bucket, progress: o.progress });
    const { standaloneBucket } = await import('../s3/standalone.js');
    const client = standaloneBucket(cfg.s3, pair.bucket, { concurrency: CONCURRENCY });
    try {
      return await run({ cfg, pair, req, dir, sub, bucket: client.bucket, progress: o.progress });
    } finally {
      client.close();
    }
  } finally {
    lock?.release();
  }
}

/** Restoring into the pair's own path (or under it) takes the lock a daemon of this config holds. */
async function lockForPairPath(cfg: Config, pair: PairConfig, dir: string): Promise<StateLock | undefined> {
  if (dir !== pair.path && !dir.startsWith(pair.path + sep)) return undefined;
  const { StateLock } = await import('../store/lock.js');
  try {
    return StateLock.acquire(cfg.stateDir);
  } catch (e) {
    if (!isMirrorError(e) || e.code !== 'STATE_DIR_BUSY') throw e;
    throw new MirrorError('STATE_DIR_BUSY', `cannot restore into ${dir}, pair ${pair.name}'s own path: ${e.message}`, {
      hint: 'stop the daemon while you restore into the pair (systemctl stop s3mirror), or restore into another directory',
    });
  }
}

interface Run {
  cfg: Config;
  pair: PairConfig;
  req: RestoreRequest;
  dir: string;
  sub: string;
  bucket: Bucket & VersionedReads;
  progress: RestoreOptions['progress'];
}

async function run({ cfg, pair, req, dir, sub, bucket, progress }: Run): Promise<RestoreSummary> {
  const summary: RestoreSummary = {
    counts: { restored: 0, identical: 0, kept: 0, skipped: 0, refused: 0, failed: 0 },
    bytes: 0,
    problems: [],
    maxQueued: 0,
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
      bucket,
      dir,
      prefix: pair.prefix,
      trashPrefix: pair.trashPrefix,
      partSizeBytes: cfg.multipart.partSizeBytes,
      overwrite: req.overwrite,
    };
    let fatal: unknown;
    const enqueue = async (objects: readonly RestoreSource[]) => {
      // Back-pressure: the next page is listed only once the queue has room for it.
      await queue.onSizeLessThan(PAGE);
      total += objects.length;
      for (const obj of objects)
        void queue.add(async () => {
          if (fatal) return;
          try {
            const r = await restoreObject(target, obj);
            summary.counts[r.outcome]++;
            summary.bytes += r.bytes;
            if (r.outcome === 'refused' || r.outcome === 'failed' || r.outcome === 'kept') summary.problems.push(r);
          } catch (e) {
            fatal ??= e;
          }
        });
      summary.maxQueued = Math.max(summary.maxQueued, queue.size + queue.pending);
    };
    const prefix = pair.prefix + (sub ? `${sub}/` : '');
    if (req.at === undefined) {
      // Page by page: the listing is never held whole, and downloads start with the first page.
      await bucket.list(prefix, { collect: false, onPage: (objects) => enqueue(objects) });
    } else {
      const { requireVersioning, VersionsAt } = await import('./restore-at.js');
      await requireVersioning(bucket);
      const at = new VersionsAt(req.at);
      await bucket.listVersions(prefix, (versions) => enqueue(at.page(versions)));
      await enqueue(at.end());
    }
    await queue.onIdle();
    if (fatal) throw fatal;
    progress?.report(sample());
    return summary;
  } finally {
    clearInterval(timer);
  }
}
