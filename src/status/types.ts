import type { PairState } from '../plan/pair-state.js';

/** What `s3mirror status --json` prints (schemaVersion 1: fields are only ever added). */
export interface PairStatus {
  name: string;
  path: string;
  bucket: string;
  prefix: string;
  state: string;
  reason: string | null;
  inSync: { files: number; bytes: number };
  pending: number;
  retrying: number;
  failed: number;
  held: number;
  skipped: number;
  inFlight: number;
  lastSyncAt: string | null;
  /**
   * One word on the pair, as the table shows it: "in sync" only when nothing is pending, in flight,
   * failed or held, no watcher error stands and (while a process runs) it has reconciled the pair.
   */
  verdict: string;
  /** The running process's last watcher error on this pair: changes may be missed. */
  watcherError: { at: string; message: string } | null;
  /** The running process found the pair's bucket offline: since when, and the last error. */
  offline: { since: string; lastError: string | null } | null;
  /** The running process sends the pair's bucket at most this many requests at once: it throttles. */
  throttled: { concurrency: number } | null;
  /** The `bandwidth` setting pauses every transfer now (verdict `paused`): changes wait, recorded. */
  paused: boolean;
  /**
   * Set while the running process cannot watch the pair (verdict `degraded`): since when, what
   * failed, how to fix it, and how often the pair is rescanned meanwhile.
   */
  degraded: { since: string; code: string; cause: string; fix: string; errors: number; rescanEveryMs: number } | null;
  /** Which library the running process watches the pair with (`chokidar`, `parcel`, `node`), and why. */
  watcher: { backend: string; reason: string } | null;
  problems: { rel: string; state: string; code: string | null; error: string | null }[];
  /** The pair's state from the one list (src/plan/pair-state.ts), and why. */
  pairState: PairState;
  pairStateReason: string;
  /** The recovery-point watermark: every change made before it is confirmed in S3 (null: none known). */
  syncedThrough: string | null;
  /** When the oldest change not yet confirmed was seen (null: none waits, or not known). */
  oldestPendingAt: string | null;
  /** Bytes of the pending files, as last seen. */
  pendingBytes: number;
  /** Bytes per second sent over the last minute, by the running process (0: none runs). */
  throughput: number;
  /** Seconds until what is pending is sent at that rate, while syncing (null: unknown). */
  etaSeconds: number | null;
}

export interface Status {
  schemaVersion: number;
  daemon: {
    running: boolean;
    pid: number | null;
    mode: string | null;
    heartbeatAt: string | null;
    startedAt: string | null;
  };
  /** The running daemon's `bandwidth` in force (null: no daemon runs). */
  bandwidth: { rate: string; until: string | null; paused: boolean } | null;
  pairs: PairStatus[];
  /** `progress`: the share sent, 0 to 1. */
  transfers: { pair: string; rel: string; bytes: number; sent: number; multipart: boolean; progress: number }[];
  /** Multipart uploads recorded and not completed: under way, or left to abort (their parts are billed). */
  openUploads: number;
  recentErrors: { at: string; pair: string | null; rel: string | null; code: string; message: string }[];
  /** What `status` exits with: 0 healthy, 1 not, with every reason on one line. */
  health: { healthy: boolean; reason: string | null };
}
