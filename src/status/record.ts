import type { Journal } from '../store/journal.js';

/** The journal meta key of the record. */
const KEY = 'process';

/** A transfer under way, as the record lists it. */
interface RecordedTransfer {
  pair: string;
  rel: string;
  bytes: number;
  sent: number;
  startedAt: number;
  multipart?: boolean;
}

/** What the process measures of a pair (src/sync/pair-monitor.ts): times in ms, rates in bytes/s. */
export interface RecordedPair {
  /** The recovery-point watermark: every change made before it is confirmed in S3 (null: none yet). */
  syncedThrough: number | null;
  watermarkReason: string;
  /** When the oldest change not yet confirmed was seen (null: none waits). */
  oldestPendingSince: number | null;
  pendingBytes: number;
  /** Bytes the transfers under way have still to send. */
  inFlightBytes: number;
  /** Bytes sent per second over the last minute. */
  throughput: number;
  /** Seconds until what is pending is sent at that rate, while the pair is syncing (null: unknown). */
  etaSeconds: number | null;
  uploadedBytes: number;
  copiedBytes: number;
  watcherEvents: number;
}

/** A pair whose watcher failed: rescanned every `rescanEveryMs` until watching works again. */
export interface DegradedRecord {
  since: number;
  /** The watcher's error code (`ENOSPC`, `EMFILE`, …) or `EVENTLESS_FS`. */
  code: string;
  cause: string;
  fix: string;
  /** Watch errors seen since, the first included (ENOSPC comes once per file not watched). */
  errors: number;
  rescanEveryMs: number;
}

/**
 * What the running (or last) process says about itself, written to the journal every second so
 * `status` needs no IPC. The writer fills every field; those marked optional may be missing from
 * a record another version wrote, and the reader does without them.
 */
export interface ProcessRecord {
  pid: number;
  mode: string;
  startedAt: number;
  heartbeat: number;
  /** Per pair: files uploaded, copied, deleted, … by this process. */
  stats: Record<string, object>;
  inFlight: RecordedTransfer[];
  /** HTTP attempts per SDK command. */
  requests: Record<string, number>;
  bytesUploaded: number;
  bytesCopied: number;
  /** Pairs this process reconciled without a root problem. */
  reconciled?: string[];
  /** Each pair's last watcher error since it was (last) watched. */
  watcherErrors?: Record<string, { at: number; message: string }>;
  /** Pairs whose bucket is offline: since when, and the last error (absent: all online). */
  offline?: Record<string, { since: number; lastError: string | null }>;
  /** The `bandwidth` rate in force, until when (local HH:MM; null: all day), and whether it pauses. */
  bandwidth?: { rate: string; until: string | null; paused: boolean };
  /** Pairs whose bucket throttles: the requests it is sent at once (absent: none throttle). */
  throttled?: Record<string, number>;
  /** Pairs whose watching failed, and what to do about it. */
  degraded?: Record<string, DegradedRecord>;
  /** Which library watches each pair, and why. */
  watchers?: Record<string, { backend: string; reason: string }>;
  /** Each pair's watermark, throughput and what is pending. */
  monitor?: Record<string, RecordedPair>;
}

export function writeProcessRecord(journal: Journal, record: ProcessRecord): void {
  journal.setMeta(KEY, JSON.stringify(record));
}

/** The last record written, by this process or an earlier one; null if none ever was. */
export function readProcessRecord(journal: Journal): ProcessRecord | null {
  const text = journal.getMeta(KEY);
  return text === undefined ? null : (JSON.parse(text) as ProcessRecord);
}
