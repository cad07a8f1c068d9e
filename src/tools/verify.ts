import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import PQueue from 'p-queue';
import type { Bucket } from '../bucket.js';
import type { Config, PairConfig } from '../config.js';
import { MirrorError } from '../errors.js';
import { partSizeFor } from '../plan/etag.js';
import { compareKeys } from '../plan/key-order.js';
import { pathOfRel, relForKey } from '../plan/keys.js';
import type { ProgressSample } from '../plan/progress.js';
import { DIFFERENCES, type VerifyContext } from '../plan/verify.js';
import { JOURNAL_FILE, Journal } from '../store/journal.js';
import { Filter } from '../watch/filter.js';
import { WalkReader } from '../watch/walk-reader.js';
import { walkBatches, type WalkEntry } from '../watch/walker.js';
import { judgeJob, type VerifyLine } from './verify-key.js';
import { ListingReader } from './verify-streams.js';

export interface VerifyRequest {
  /** Only this pair (default: every pair). */
  pair?: string;
  deep: boolean;
}

interface PairVerify {
  pair: string;
  /** Keys per verdict, identical ones included. */
  counts: Record<string, number>;
  differences: number;
}

export interface VerifySummary {
  pairs: PairVerify[];
  /** Every key that is not identical, in key order per pair. */
  lines: VerifyLine[];
  differences: number;
}

/** Keys judged at once (reads and requests overlap); more wait, and so does the merge. */
const CONCURRENCY = 8;
const QUEUED = 64;

/** Is a verdict a difference? Unreadable is one too: nothing proves the file mirrored. */
const isDifference = (l: VerifyLine): boolean => l.verdict === 'unreadable' || DIFFERENCES.includes(l.verdict);

interface PairRun {
  cfg: Config;
  pair: PairConfig;
  bucket: Bucket;
  journal: Journal | undefined;
  deep: boolean;
  lines: VerifyLine[];
  progress: { done: number; bytes: number; listed: () => number };
}

/**
 * One pair: the walk (src/watch/walker.ts, in S3's key order) and the streamed listing met key by
 * key, as the reconciliation's march does; each key judged by plan/verify.ts. Memory holds a
 * directory's entries, a few listing pages and the keys being judged, never the tree.
 */
async function verifyPair(r: PairRun): Promise<PairVerify> {
  const { pair, bucket, journal } = r;
  if (!existsSync(pair.path) || !statSync(pair.path).isDirectory())
    throw new MirrorError('PAIR_PATH_MISSING', `pair ${pair.name}: ${pair.path} is not a directory`, {
      hint: 'mount or restore it (s3mirror restore) before verifying',
    });
  const filter = new Filter(pair.path, pair.exclude);
  const walk = new WalkReader(walkBatches(pair.path, filter, { followSymlinks: pair.followSymlinks }), pair.prefix);
  const listing = new ListingReader();
  listing.start((o) => bucket.list(pair.prefix, { collect: false, ...o }));
  const before = r.progress.done;
  r.progress.listed = () => before + listing.listed;
  const trash = pair.prefix + pair.trashPrefix;
  const unknown: string[] = [];
  const counts: Record<string, number> = { identical: 0 };
  const now = Date.now();
  const queue = new PQueue({ concurrency: CONCURRENCY });
  let failure: unknown;
  const found: VerifyLine[] = [];
  const base = { now, debounceMs: r.cfg.debounceMs, deep: r.deep, deleteKeep: pair.delete === 'keep' };
  const judge = (key: string, entries: WalkEntry[], object: Awaited<ReturnType<ListingReader['peek']>>) => {
    const file = entries[0];
    const rel = file?.rel ?? relForKey(pair.prefix, key);
    const path = rel === undefined ? undefined : pathOfRel(rel);
    const ctx: VerifyContext = {
      ...base,
      configuredPartSize: partSizeFor(object?.size ?? file?.stat.size ?? 0, r.cfg.multipart.partSizeBytes),
      inTrash: key.startsWith(trash),
      hasPath: path !== undefined && path !== '' && !path.endsWith('/'),
      excluded: path !== undefined && path !== '' && filter.excludes(path),
      deleteExcluded: pair.deleteExcluded,
    };
    const row = rel !== undefined ? journal?.getFile(pair.name, rel) : undefined;
    // Further names of the key (an NFC twin) cannot all be its file: the engine mirrors one.
    for (const e of entries.slice(1))
      found.push({ pair: pair.name, key, rel: e.rel, verdict: 'collision', reason: `${file!.rel} has this key too` });
    void queue.add(async () => {
      if (failure) return;
      try {
        const line = await judgeJob({
          pair,
          key,
          ...(rel !== undefined ? { rel } : {}),
          ...(file ? { local: { kind: file.kind, stat: file.stat } } : {}),
          ...(row ? { row } : {}),
          ...(object ? { object } : {}),
          ctx,
          bucket,
          onBytes: (n) => {
            r.progress.bytes += n;
          },
        });
        // Identical keys are only counted: the lines held are the keys worth reporting.
        if (line.verdict === 'identical') counts.identical = (counts.identical ?? 0) + 1;
        else found.push(line);
      } catch (e) {
        failure ??= e;
      } finally {
        r.progress.done++;
      }
    });
  };
  for (;;) {
    if (failure) break;
    const w = await walk.peek();
    const o = await listing.peek();
    let key: string | undefined;
    for (const k of [w?.full, o?.key]) if (k !== undefined && (key === undefined || compareKeys(k, key) < 0)) key = k;
    if (key === undefined) break;
    if (w?.unreadable && w.full === key) {
      unknown.push(key);
      walk.take();
      continue;
    }
    const entries = await walk.takeEntries(key);
    const object = o?.key === key ? listing.take() : undefined;
    if (!entries.length && object && unknown.some((u) => key.startsWith(u))) {
      found.push({ pair: pair.name, key, verdict: 'unreadable', reason: 'under a directory verify cannot read' });
      r.progress.done++;
      continue;
    }
    judge(key, entries, object);
    if (queue.size >= QUEUED) await queue.onSizeLessThan(QUEUED);
  }
  await queue.onIdle();
  if (failure) throw failure;
  found.sort((a, b) => compareKeys(a.key, b.key) || ((a.rel ?? '') < (b.rel ?? '') ? -1 : 1));
  let differences = 0;
  for (const l of found) {
    counts[l.verdict] = (counts[l.verdict] ?? 0) + 1;
    if (isDifference(l)) differences++;
    r.lines.push(l);
  }
  return { pair: pair.name, counts, differences };
}

/**
 * `s3mirror verify`: each pair's tree compared with its bucket prefix, read-only everywhere. The
 * journal is opened read-only (never the lock), so it works beside a running daemon; what it says
 * of pending rows only keeps changes on their way from counting as differences.
 */
export async function verify(
  cfg: Config,
  req: VerifyRequest,
  progress?: { everyMs: number; report: (s: ProgressSample) => void },
): Promise<VerifySummary> {
  const pairs = req.pair ? cfg.pairs.filter((p) => p.name === req.pair) : cfg.pairs;
  if (!pairs.length)
    throw new MirrorError('USAGE', `no pair named "${req.pair}" in ${cfg.source}`, {
      hint: `pairs: ${cfg.pairs.map((p) => p.name).join(', ')}`,
    });
  const journal = existsSync(join(cfg.stateDir, JOURNAL_FILE))
    ? Journal.open(cfg.stateDir, { readonly: true })
    : undefined;
  const { standaloneBucket } = await import('../s3/standalone.js');
  const started = Date.now();
  const summary: VerifySummary = { pairs: [], lines: [], differences: 0 };
  const state = { done: 0, bytes: 0, listed: () => 0 };
  const sample = (): ProgressSample => ({
    done: state.done,
    total: Math.max(state.done, state.listed()),
    bytes: state.bytes,
    elapsedMs: Date.now() - started,
  });
  const timer = progress ? setInterval(() => progress.report(sample()), progress.everyMs) : undefined;
  try {
    for (const pair of pairs) {
      const client = standaloneBucket(cfg.s3, pair.bucket, { concurrency: CONCURRENCY });
      try {
        const p = await verifyPair({
          cfg,
          pair,
          bucket: client.bucket,
          journal,
          deep: req.deep,
          lines: summary.lines,
          progress: state,
        });
        summary.pairs.push(p);
        summary.differences += p.differences;
      } finally {
        client.close();
      }
    }
    progress?.report(sample());
    return summary;
  } finally {
    clearInterval(timer);
    journal?.close();
  }
}
