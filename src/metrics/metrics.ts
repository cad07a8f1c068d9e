// Prometheus metrics (prom-client): each scrape reads a snapshot of the daemon's state, so nothing
// is counted twice and nothing drifts; only S3 request durations are observed as they happen.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { PAIR_STATES, type PairState } from '../plan/pair-state.js';

export interface PairSnapshot {
  pair: string;
  state: PairState;
  uploadedFiles: number;
  uploadedBytes: number;
  copiedFiles: number;
  copiedBytes: number;
  deletedFiles: number;
  trashedFiles: number;
  pendingFiles: number;
  pendingBytes: number;
  inFlightBytes: number;
  errors: Record<string, number>;
  retries: number;
  /** The recovery-point watermark (plan/watermark.ts), ms; null: none yet. */
  syncedThrough: number | null;
  /** When the oldest change still waiting was seen, ms; null: none waits. */
  oldestPendingSince: number | null;
  watcherEvents: number;
}

export interface MetricsSource {
  pairs(): PairSnapshot[];
  journalBytes(): number;
  now(): number;
}

const S3_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

type Read = (p: PairSnapshot, now: number) => number | null;

/**
 * One value per pair, read from the snapshot at each scrape. A counter's value is the snapshot's
 * too (monotonic within a process): reset, then set by one increment.
 */
function perPair(
  registry: Registry,
  kind: 'counter' | 'gauge',
  name: string,
  help: string,
  read: Read,
  source: MetricsSource,
): void {
  const set = (m: Counter<'pair'> | Gauge<'pair'>, pair: string, v: number) =>
    m instanceof Counter ? m.inc({ pair }, v) : m.set({ pair }, v);
  const config = {
    name,
    help,
    labelNames: ['pair'] as const,
    registers: [registry],
    collect(this: Counter<'pair'> | Gauge<'pair'>) {
      this.reset();
      const now = source.now();
      for (const p of source.pairs()) {
        const v = read(p, now);
        if (v !== null) set(this, p.pair, v);
      }
    },
  };
  if (kind === 'counter') new Counter(config);
  else new Gauge(config);
}

export class Metrics {
  readonly registry = new Registry();
  private readonly requests: Histogram<'operation' | 'outcome'>;

  constructor(source: MetricsSource, build: { version: string }) {
    const r = this.registry;
    collectDefaultMetrics({ register: r, prefix: 's3mirror_' });
    const counters: [string, string, Read][] = [
      ['uploaded_files_total', 'Files uploaded', (p) => p.uploadedFiles],
      ['uploaded_bytes_total', 'Bytes uploaded', (p) => p.uploadedBytes],
      ['copied_files_total', 'Files copied inside the bucket (renames)', (p) => p.copiedFiles],
      ['copied_bytes_total', 'Bytes copied inside the bucket', (p) => p.copiedBytes],
      ['deleted_files_total', 'Objects deleted', (p) => p.deletedFiles],
      ['trashed_files_total', 'Objects moved to the trash prefix', (p) => p.trashedFiles],
      ['retries_total', 'Files tried again after a failed attempt', (p) => p.retries],
      ['watcher_events_total', 'Events the watcher reported', (p) => p.watcherEvents],
    ];
    for (const [n, help, read] of counters) perPair(r, 'counter', `s3mirror_pair_${n}`, help, read, source);
    const gauges: [string, string, Read][] = [
      ['pending_files', 'Files waiting to be mirrored', (p) => p.pendingFiles],
      ['pending_bytes', 'Bytes of the files waiting (as last seen)', (p) => p.pendingBytes],
      ['inflight_bytes', 'Bytes of the transfers under way', (p) => p.inFlightBytes],
      [
        'synced_through_timestamp_seconds',
        'Every change made before this time is confirmed in S3',
        (p) => (p.syncedThrough === null ? null : p.syncedThrough / 1000),
      ],
      [
        'oldest_pending_age_seconds',
        'Age of the oldest change not yet confirmed (0: none waits)',
        (p, now) => (p.oldestPendingSince === null ? 0 : Math.max(0, (now - p.oldestPendingSince) / 1000)),
      ],
    ];
    for (const [n, help, read] of gauges) perPair(r, 'gauge', `s3mirror_pair_${n}`, help, read, source);
    new Gauge({
      name: 's3mirror_pair_state',
      help: `1 for the pair's state: ${PAIR_STATES.join(', ')}`,
      labelNames: ['pair', 'state'],
      registers: [r],
      collect() {
        this.reset();
        for (const p of source.pairs())
          for (const s of PAIR_STATES) this.set({ pair: p.pair, state: s }, s === p.state ? 1 : 0);
      },
    });
    new Counter({
      name: 's3mirror_pair_errors_total',
      help: 'Failed attempts, by error code',
      labelNames: ['pair', 'code'],
      registers: [r],
      collect() {
        this.reset();
        for (const p of source.pairs())
          for (const [code, n] of Object.entries(p.errors)) this.inc({ pair: p.pair, code }, n);
      },
    });
    new Gauge({
      name: 's3mirror_journal_bytes',
      help: 'Size of the journal with its WAL',
      registers: [r],
      collect() {
        this.set(source.journalBytes());
      },
    });
    new Gauge({
      name: 's3mirror_build_info',
      help: 'The running s3mirror',
      labelNames: ['version', 'node'],
      registers: [r],
    }).set({ version: build.version, node: process.version }, 1);
    this.requests = new Histogram({
      name: 's3mirror_s3_request_duration_seconds',
      help: 'S3 request attempts, by operation and outcome',
      labelNames: ['operation', 'outcome'],
      buckets: S3_BUCKETS,
      registers: [r],
    });
  }

  /** One HTTP attempt of an S3 operation ended (`ok`, `throttled` or `error`). */
  observeRequest(operation: string, seconds: number, outcome: string): void {
    this.requests.observe({ operation, outcome }, seconds);
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
