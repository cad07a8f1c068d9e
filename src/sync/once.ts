import type { Config } from '../config.js';
import { MirrorError } from '../errors.js';
import { crashed } from '../failpoints.js';
import type { Logger } from '../log.js';
import type { ProgressSample } from '../plan/progress.js';
import type { ReconcileResult } from './reconcile.js';
import { unwritableError } from '../store/unwritable.js';
import { Runtime, type RuntimeOptions } from './runtime.js';

export interface OnceResult {
  failures: { pair: string; rel: string; code: string; message: string }[];
  held: { pair: string; count: number; reason: string }[];
  rootProblems: { pair: string; problem: string }[];
  /** Pairs whose bucket could not be used (the others were synced). */
  unusable: { pair: string; code: string; message: string }[];
  stats: Record<string, unknown>;
  /** HTTP attempts per SDK command (retries included). */
  requests: Record<string, number>;
  /** Calls per SDK command, as the client made them (before retries). */
  calls: Record<string, number>;
  /** Per pair: whether its bucket was listed, and why (or why the journal stood in for it). */
  listings: Record<string, { listed: boolean; reason: string }>;
}

/** Called every `everyMs` while the pass works (and once at its end), for a progress display. */
export interface OnceProgress {
  everyMs: number;
  report: (s: ProgressSample) => void;
}

/** `sync --once`: reconcile every pair, do all pending work, report what could not be done. */
export async function syncOnce(
  cfg: Config,
  log: Logger,
  extra: Partial<RuntimeOptions> = {},
  progress?: OnceProgress,
): Promise<OnceResult> {
  const rt = Runtime.open(cfg, { mode: 'once', log, ...extra });
  // A full or read-only stateDir ends the pass (exit 5), wherever the failed write was caught.
  let unwritable: MirrorError | undefined;
  rt.journal.onUnwritable((e) => (unwritable ??= e));
  let result: OnceResult;
  try {
    result = await pass(rt, cfg, progress);
  } catch (e) {
    try {
      finish(rt);
    } catch {
      // The pass's own error stands; a close that could not write loses what a crash would.
    }
    throw unwritable ?? unwritableError(e, rt.journal.path) ?? e;
  }
  try {
    finish(rt);
  } catch (e) {
    throw unwritable ?? unwritableError(e, rt.journal.path) ?? e;
  }
  if (unwritable) throw unwritable;
  return result;
}

function finish(rt: Runtime): void {
  if (crashed()) rt.abandon();
  else rt.close();
}

/** Files acted on so far, over every pair. */
function filesDone(rt: Runtime): number {
  let n = 0;
  for (const e of rt.engines.values()) {
    const s = e.stats;
    n += s.uploaded + s.copied + s.deleted + s.trashed + s.skipped + s.failed + s.held;
  }
  return n;
}

async function pass(rt: Runtime, cfg: Config, progress?: OnceProgress): Promise<OnceResult> {
  rt.startStatusWriter();
  // The listing is the bucket check: no HeadBucket round trip first. A pair whose journal is
  // trusted (plan/trust.ts) is neither listed nor checked: only its local changes send requests.
  const bad = new Map<string, MirrorError>();
  const recon = new Map<string, ReconcileResult & { trust: string }>();
  await Promise.all(
    cfg.pairs.map(async (p) => {
      try {
        recon.set(p.name, await rt.reconcilePair(p.name));
      } catch (e) {
        if (!(e instanceof MirrorError)) throw e;
        bad.set(p.name, e);
        rt.journal.pairs.setState(p.name, 'error', `${e.code}: ${e.message}`, rt.now());
      }
    }),
  );
  // Nothing usable at all: that is the answer (exit 4, or 2 for a config-class error), not a per-file report.
  if (bad.size === cfg.pairs.length) throw bad.values().next().value;
  for (const name of bad.keys()) rt.scheduler.gates.pause(name);
  await rt.abortStaleUploads(new Set(bad.keys()));
  const usable = cfg.pairs.filter((p) => !bad.has(p.name));
  const started = Date.now();
  let total = 0;
  for (const r of recon.values()) total += r.dirty;
  const sample = () => ({
    done: filesDone(rt),
    total,
    bytes: rt.transfers.bytesUploaded + rt.transfers.bytesCopied,
    elapsedMs: Date.now() - started,
  });
  const timer = progress ? setInterval(() => progress.report(sample()), progress.everyMs) : undefined;
  try {
    await rt.scheduler.runOnce();
  } finally {
    clearInterval(timer);
  }
  progress?.report(sample());
  const failures: OnceResult['failures'] = [];
  const held: OnceResult['held'] = [];
  for (const p of usable) {
    for (const f of rt.journal.query.failedFiles(p.name, 1000)) {
      if (f.state === 'held' || f.state === 'skipped') continue;
      failures.push({ pair: p.name, rel: f.rel, code: f.error_code ?? 'ERROR', message: f.error ?? '' });
    }
    const pr = rt.journal.pairs.get(p.name);
    const n = rt.journal.query
      .stateCounts(p.name)
      .filter((c) => c.state === 'held')
      .reduce((a, c) => a + c.n, 0);
    if (n > 0 || pr?.state === 'deletes-held')
      held.push({ pair: p.name, count: n, reason: pr?.hold_reason ?? 'deletes held' });
  }
  return {
    failures,
    held,
    unusable: [...bad].map(([pair, e]) => ({ pair, code: e.code, message: e.message })),
    rootProblems: usable.flatMap((p) => {
      const problem = recon.get(p.name)?.rootProblem;
      return problem ? [{ pair: p.name, problem }] : [];
    }),
    stats: Object.fromEntries([...rt.engines].map(([n, e]) => [n, e.stats])),
    requests: rt.counter.snapshot(),
    calls: Object.fromEntries(rt.counter.calls),
    listings: Object.fromEntries([...recon].map(([n, r]) => [n, { listed: r.listed, reason: r.trust }])),
  };
}
