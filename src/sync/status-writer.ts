import { errorSummary } from '../errors.js';
import type { Logger } from '../log.js';
import type { WatcherChoice } from '../plan/watcher-choice.js';
import type { RequestCounter } from '../s3/counter.js';
import { type DegradedRecord, type RecordedPair, writeProcessRecord } from '../status/record.js';
import type { Journal } from '../store/journal.js';
import type { Mode } from './deps.js';
import type { PairEngine } from './engine.js';
import type { Transfers } from './transfers.js';
import { describeRate, type RateNow, timeOfDay } from '../plan/bandwidth.js';
import { PairMonitor, type PairView } from './pair-monitor.js';

function bandwidthRecord(r: RateNow): { rate: string; until: string | null; paused: boolean } {
  return {
    rate: describeRate(r.rate),
    until: r.until === null ? null : timeOfDay(r.until),
    paused: r.rate.kind === 'pause',
  };
}

interface StatusSources {
  journal: Journal;
  engines: ReadonlyMap<string, PairEngine>;
  transfers: Transfers;
  counter: RequestCounter;
  /** The rate in force. */
  bandwidth: { current(): RateNow };
  /** Each bucket's cap on requests at once while it throttles (null: none). */
  throttles: { capOf(bucket: string): number | null };
  mode: Mode;
  startedAt: number;
  now: () => number;
  log: Logger;
}

function recordOf(v: PairView): RecordedPair {
  const { syncedThrough, watermarkReason, oldestPendingSince, pendingBytes, inFlightBytes } = v;
  const { throughput, etaSeconds, uploadedBytes, copiedBytes, watcherEvents } = v;
  return {
    syncedThrough,
    watermarkReason,
    oldestPendingSince,
    pendingBytes,
    inFlightBytes,
    throughput,
    etaSeconds,
    uploadedBytes,
    copiedBytes,
    watcherEvents,
  };
}

/**
 * Writes this process's status record (src/status/record.ts) to the journal, and advances a pair's
 * "last sync" only when it is truly in sync. What only this process knows (which pairs it has
 * reconciled, which watchers failed) is kept here for the record.
 */
export class StatusWriter {
  /** Pairs reconciled without a root problem in this process: only they can be "in sync". */
  readonly reconciled = new Set<string>();
  /** Pairs whose bucket is offline (src/sync/outage.ts): since when, and the last error. */
  readonly offline = new Map<string, { since: number; lastError: string | null }>();
  /** Pairs whose watching failed: their changes may be missed between rescans. */
  readonly degraded = new Map<string, DegradedRecord>();
  /** Which library watches each pair, and why (src/plan/watcher-choice.ts). */
  readonly watchers = new Map<string, WatcherChoice>();
  /** Whether a pair had failed rows or held deletes, and the journal's change stamp it holds for. */
  private readonly problems = new Map<string, { stamp: string; any: boolean }>();
  private timer: NodeJS.Timeout | undefined;
  /** Each pair's state, watermark and throughput; `views` is what the last write recorded. */
  readonly monitor: PairMonitor;
  views: readonly PairView[] = [];

  constructor(private readonly src: StatusSources) {
    this.monitor = new PairMonitor({
      ...src,
      reconciled: this.reconciled,
      degraded: this.degraded,
      offline: this.offline,
      paused: () => src.bandwidth.current().rate.kind === 'pause',
    });
  }

  /** A pair closed: nothing this process knew of it stays. */
  forget(pair: string): void {
    this.reconciled.delete(pair);
    this.degraded.delete(pair);
    this.offline.delete(pair);
    this.monitor.forget(pair);
  }

  /** The pair was reconciled without a root problem, in a walk that began at `startedAt`. */
  reconciledAt(pair: string, startedAt: number, foundChanges: boolean): void {
    this.reconciled.add(pair);
    this.monitor.rescanned(pair, startedAt, foundChanges);
  }

  /**
   * Truly in sync now: reconciled by this process, its state ok (no hold, no error), nothing
   * pending or in flight, no failed row, no held delete, and watched (not degraded). Only then does
   * "last sync" advance.
   */
  private inSync(n: string): boolean {
    const { journal, transfers } = this.src;
    if (!this.reconciled.has(n) || this.degraded.has(n) || this.offline.has(n)) return false;
    if (journal.pairs.get(n)?.state !== 'ok') return false;
    if (journal.pendingCount(n) > 0 || [...transfers.inFlight.values()].some((t) => t.pair === n)) return false;
    // A scan of the pair's rows: asked again only once the journal has changed since.
    const stamp = journal.changeStamp();
    let p = this.problems.get(n);
    if (p?.stamp !== stamp) {
      p = { stamp, any: journal.query.hasProblems(n) };
      this.problems.set(n, p);
    }
    return !p.any;
  }

  write(): void {
    const { journal, engines, transfers } = this.src;
    const now = this.src.now();
    const stats = Object.fromEntries([...engines].map(([n, e]) => [n, e.stats]));
    const synced = [...engines.keys()].filter((n) => this.inSync(n));
    for (const n of synced) journal.pairs.markSynced(n, now);
    this.views = this.monitor.views();
    writeProcessRecord(journal, {
      pid: process.pid,
      mode: this.src.mode,
      startedAt: this.src.startedAt,
      heartbeat: now,
      stats,
      inFlight: [...transfers.inFlight.values()],
      requests: this.src.counter.snapshot(),
      bytesUploaded: transfers.bytesUploaded,
      bytesCopied: transfers.bytesCopied,
      reconciled: [...this.reconciled],
      // What an older status reads; `degraded` says more.
      watcherErrors: Object.fromEntries(
        [...this.degraded].map(([n, d]) => [n, { at: d.since, message: `${d.code}: ${d.cause}` }]),
      ),
      degraded: Object.fromEntries(this.degraded),
      offline: Object.fromEntries(this.offline),
      bandwidth: bandwidthRecord(this.src.bandwidth.current()),
      throttled: Object.fromEntries(
        [...engines].flatMap(([n, e]) => {
          const cap = this.src.throttles.capOf(e.pair.bucket);
          return cap === null ? [] : [[n, cap]];
        }),
      ),
      // Only pairs still configured: a reload may have removed one.
      watchers: Object.fromEntries([...this.watchers].filter(([n]) => engines.has(n))),
      monitor: Object.fromEntries(this.views.map((v) => [v.pair, recordOf(v)])),
    });
    // The writes just made touch no file row: what was found stays true until something else writes.
    const stamp = journal.changeStamp();
    for (const n of synced) this.problems.set(n, { stamp, any: false });
  }

  /**
   * Writes now and every `ms`; a failed write is logged (once while it keeps failing the same way:
   * a full stateDir would otherwise log every second), and the next one tries again.
   */
  start(ms: number): void {
    let failing: string | undefined;
    const write = () => {
      try {
        this.write();
        failing = undefined;
      } catch (e) {
        const error = errorSummary(e);
        if (failing !== error.message) this.src.log.warn({ error }, 'status write failed');
        failing = error.message;
      }
    };
    // At once: until the first write, status would show the previous process's record.
    write();
    this.timer = setInterval(write, ms);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
