import { type PairState, pairState } from '../plan/pair-state.js';
import { watermark } from '../plan/watermark.js';
import type { RecordedPair } from '../status/record.js';
import type { Journal } from '../store/journal.js';
import type { PairEngine } from './engine.js';
import type { Transfers } from './transfers.js';

/** Throughput is what was sent over this window. */
const WINDOW_MS = 60_000;
/** Above this many pending rows, their oldest is not looked up (a scan of them each second). */
const EXACT_OLDEST_UP_TO = 10_000;

/** Each pair's state and numbers, the same for the status record and the metrics. */
export interface PairView extends RecordedPair {
  pair: string;
  state: PairState;
  reason: string;
  uploadedFiles: number;
  copiedFiles: number;
  deletedFiles: number;
  trashedFiles: number;
  pendingFiles: number;
  errors: Record<string, number>;
  retries: number;
}

interface MonitorSources {
  journal: Journal;
  engines: ReadonlyMap<string, PairEngine>;
  transfers: Transfers;
  now: () => number;
  reconciled: ReadonlySet<string>;
  degraded: ReadonlyMap<string, { cause: string }>;
  offline: ReadonlyMap<string, { lastError: string | null }>;
  paused: () => boolean;
  /** A one-shot pass watches nothing: its watermark is the walk's start. */
  mode: 'once' | 'daemon';
}

/**
 * What a pair looks like from inside the running process: its state (plan/pair-state.ts), its
 * recovery-point watermark (plan/watermark.ts), throughput over the last minute and its ETA.
 */
export class PairMonitor {
  /** When each pair's last full rescan (a reconcile without a root problem) began. */
  private readonly rescannedAt = new Map<string, number>();
  /**
   * A walk found changes: when they were made is unknown, only that it was after the pair was last
   * wholly in sync. Held until it is in sync again.
   */
  private readonly foundSince = new Map<string, number>();
  private readonly events = new Map<string, number>();
  private readonly samples = new Map<string, { at: number; bytes: number }[]>();

  constructor(private readonly src: MonitorSources) {}

  rescanned(pair: string, startedAt: number, foundChanges: boolean): void {
    this.rescannedAt.set(pair, startedAt);
    if (foundChanges && !this.foundSince.has(pair))
      this.foundSince.set(pair, this.src.journal.pairs.get(pair)?.last_sync_at ?? 0);
  }

  /** Events the watcher reported for the pair (each a path that may have changed). */
  watcherEvents(pair: string, n: number): void {
    this.events.set(pair, (this.events.get(pair) ?? 0) + n);
  }

  forget(pair: string): void {
    this.rescannedAt.delete(pair);
    this.foundSince.delete(pair);
    this.samples.delete(pair);
  }

  /** Bytes sent so far for the pair: confirmed uploads and copies, and what in-flight transfers have sent. */
  private sent(pair: string): number {
    const t = this.src.transfers;
    let n = (t.perPair.get(pair)?.uploaded ?? 0) + (t.perPair.get(pair)?.copied ?? 0);
    for (const f of t.inFlight.values()) if (f.pair === pair) n += f.sent;
    return n;
  }

  /** Bytes per second over the last minute (a sample each call: the status writer's second). */
  private throughput(pair: string, now: number): number {
    const s = this.samples.get(pair) ?? [];
    s.push({ at: now, bytes: this.sent(pair) });
    while (s.length > 2 && s[0]!.at < now - WINDOW_MS) s.shift();
    this.samples.set(pair, s);
    const first = s[0]!;
    const secs = (now - first.at) / 1000;
    return secs > 0 ? Math.max(0, s[s.length - 1]!.bytes - first.bytes) / secs : 0;
  }

  /** One view per pair the process has open, sampled now. */
  views(): PairView[] {
    return [...this.src.engines.keys()].map((n) => this.view(n));
  }

  private view(name: string): PairView {
    const { journal, transfers } = this.src;
    const now = this.src.now();
    const row = journal.pairs.get(name);
    const counts = journal.query.stateCounts(name);
    const sum = (state: string, k: 'n' | 'bytes') =>
      counts.filter((c) => c.state === state).reduce((a, c) => a + c[k], 0);
    const pending = sum('dirty', 'n');
    const retrying = journal.query.retryingCount(name);
    const failed = sum('failed', 'n');
    const held = sum('held', 'n');
    const lastSyncAt = row?.last_sync_at ?? null;
    // A row that failed or is held (or retries) has no reliable first-seen time: every change not
    // confirmed came after the pair was last wholly in sync, so that is the safe bound.
    const problems = failed + held + retrying > 0 || pending > EXACT_OLDEST_UP_TO;
    const flights = [...transfers.inFlight.values()].filter((t) => t.pair === name);
    const reconciled = this.src.reconciled.has(name);
    const idle = pending + failed + held + flights.length === 0;
    if (idle && reconciled) this.foundSince.delete(name);
    const seen = idle ? null : problems ? (lastSyncAt ?? 0) : journal.query.oldestDirtySince(name);
    const found = this.foundSince.get(name);
    const oldest = found === undefined ? seen : Math.min(seen ?? found, found);
    const wm = watermark({
      checkedAt: now,
      oldestPendingSince: oldest,
      watched: this.src.mode === 'daemon' && !this.src.degraded.has(name),
      lastRescanAt: this.rescannedAt.get(name) ?? null,
      reconciled,
      lastSyncAt,
    });
    const st = pairState({
      journal: row?.state ?? null,
      journalReason: row?.hold_reason ?? row?.last_error ?? null,
      held,
      failed,
      retrying,
      pending,
      inFlight: flights.length,
      offline: this.src.offline.get(name) ?? null,
      degraded: this.src.degraded.get(name) ?? null,
      paused: this.src.paused(),
      reconciled,
      everSynced: lastSyncAt !== null,
    });
    const rate = this.throughput(name, now);
    const inFlightBytes = flights.reduce((a, t) => a + t.bytes - t.sent, 0);
    const pendingBytes = sum('dirty', 'bytes');
    const stats = this.src.engines.get(name)!.stats;
    const bytes = transfers.perPair.get(name);
    return {
      pair: name,
      state: st.state,
      reason: st.reason,
      syncedThrough: wm.at && wm.at > 0 ? wm.at : null,
      watermarkReason: wm.reason,
      oldestPendingSince: oldest && oldest > 0 ? oldest : null,
      pendingFiles: pending,
      pendingBytes,
      inFlightBytes,
      throughput: Math.round(rate),
      etaSeconds: st.state === 'syncing' && rate > 0 ? Math.ceil((pendingBytes + inFlightBytes) / rate) : null,
      uploadedFiles: stats.uploaded,
      uploadedBytes: bytes?.uploaded ?? 0,
      copiedFiles: stats.copied,
      copiedBytes: bytes?.copied ?? 0,
      deletedFiles: stats.deleted,
      trashedFiles: stats.trashed,
      watcherEvents: this.events.get(name) ?? 0,
      errors: journal.errors.countsOf(name),
      retries: journal.errors.retriesOf(name),
    };
  }
}
