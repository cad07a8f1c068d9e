/**
 * When a row that failed is tried again: after a failure (`afterFailure`), and at the next pass or
 * rescan for a row that gave up (`recheckFailed`). Pure: the clock and the jitter are inputs.
 * Which codes are local or unsettled is their class (src/errors.ts); the timing is decided here.
 */
import { errorClass, type StatusCode } from '../errors.js';

/** Tries per row in one `sync --once` pass; the next pass starts again from zero. */
const ONCE_MAX_ATTEMPTS = 4;
/** The daemon's longest backoff, and how often it looks again at a bucket-side refusal. */
const MAX_BACKOFF_MS = 300_000;

/** Failures that only a change to the file itself (its name, type or permissions) can cure. */
const isLocal = (code: string): boolean => errorClass(code) === 'file';
/** The file changed while it was read: tried again once it is quiet. */
const isUnsettled = (code: string): boolean => errorClass(code) === 'settle';

export interface Failure {
  code: StatusCode;
  retryable: boolean;
  /** Failures of the row since its last success, this one not counted. */
  attempts: number;
  /** The code of the previous of those failures (null: none). */
  previousCode: string | null;
  mode: 'once' | 'daemon';
  now: number;
  debounceMs: number;
  maxDelayMs: number;
  /** In [0, 1): spreads the daemon's retries of many rows that failed together. */
  jitter: number;
}

export interface Retry {
  /** When to try again; null: only when the file changes (or the next pass, see recheckFailed). */
  retryAt: number | null;
  /** The code to record: a file changed at two reads in a row is named as one that never settles. */
  code: StatusCode;
}

export function afterFailure(f: Failure): Retry {
  const n = f.attempts + 1;
  if (isUnsettled(f.code)) {
    const again = f.attempts > 0 && f.previousCode !== null && isUnsettled(f.previousCode);
    const code = again ? 'FILE_NEVER_SETTLES' : 'FILE_CHANGED';
    if (f.mode === 'once') return { retryAt: onceBackoff(n, f.now), code };
    // Once it has been quiet for debounceMs; a file that keeps changing gets one read per
    // maxDelayMs (the journal caps its due time from this failure on), never a loop of them.
    return { retryAt: f.now + (again ? f.maxDelayMs : f.debounceMs), code };
  }
  if (f.retryable) {
    if (f.mode === 'once') return { retryAt: onceBackoff(n, f.now), code: f.code };
    const base = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.min(n, 9));
    return { retryAt: f.now + Math.round(base * (0.75 + f.jitter / 2)), code: f.code };
  }
  // Bucket-side refusals (access, a missing bucket) may be fixed without any local change.
  if (f.mode === 'daemon' && !isLocal(f.code)) return { retryAt: f.now + MAX_BACKOFF_MS, code: f.code };
  return { retryAt: null, code: f.code };
}

function onceBackoff(n: number, now: number): number | null {
  return n < ONCE_MAX_ATTEMPTS ? now + 250 * 2 ** n : null;
}

export interface FailedRow {
  code: string | null;
  /** Size, mtime, ctime, inode or type differ from what the row recorded. */
  changed: boolean;
  /** Another file found in this walk maps to the row's key. */
  keyHeldByOther: boolean;
}

/**
 * Does a pass (or the daemon's rescan) try a failed row again? A changed file always; a key
 * collision once the file that held the key is gone; other local failures only when the file
 * changes; anything the bucket side refused, at every pass.
 */
export function recheckFailed(r: FailedRow): boolean {
  if (r.changed) return true;
  if (r.code === 'KEY_COLLISION') return !r.keyHeldByOther;
  return r.code === null || !isLocal(r.code);
}
