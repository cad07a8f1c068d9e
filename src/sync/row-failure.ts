import { errorSummary, MirrorError } from '../errors.js';
import { rethrowCrash } from '../failpoints.js';
import type { Logger } from '../log.js';
import { afterFailure } from '../plan/retry.js';
import type { FileRow } from '../store/types.js';
import type { EngineDeps, PairStats } from './deps.js';

/**
 * A row's attempt failed: recorded with its retry time (plan/retry.ts), or as failed for good,
 * and logged. A crash (in-process tests) is not a failure: it goes on up.
 */
export function recordRowFailure(f: {
  d: Pick<EngineDeps, 'journal' | 'cfg' | 'mode' | 'now'>;
  pair: string;
  row: FileRow;
  err: unknown;
  stats: PairStats;
  log: Logger;
}): void {
  const { d, row, err } = f;
  rethrowCrash(err);
  const { message, code: errCode } = errorSummary(err);
  const now = d.now();
  const { retryAt, code } = afterFailure({
    code: errCode,
    retryable: err instanceof MirrorError ? err.retryable : false,
    attempts: row.attempts,
    previousCode: row.error_code,
    mode: d.mode,
    now,
    debounceMs: d.cfg.debounceMs,
    maxDelayMs: d.cfg.maxDelayMs,
    jitter: Math.random(),
  });
  const text =
    code === 'FILE_NEVER_SETTLES'
      ? `${row.rel} never settles: it changed while it was read, again; tried at most once every ${d.cfg.maxDelayMs} ms`
      : message;
  d.journal.recordFailure({ pair: f.pair, rel: row.rel, gen: row.generation, code, message: text, retryAt, now });
  if (retryAt === null) f.stats.failed++;
  f.log.warn({ rel: row.rel, code, retryAt }, text);
}
