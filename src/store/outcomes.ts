import type { StatusCode } from '../errors.js';
import type { LocalStat, SyncedContent } from '../model.js';
import type { ErrorLog } from './errorlog.js';
import type { Sql } from './sql.js';
import type { FileRow } from './types.js';

export interface SyncedOutcome {
  pair: string;
  rel: string;
  /** The generation the work started from. */
  gen: number;
  stat: LocalStat;
  content: SyncedContent;
  /** The stat cannot vouch for the content (plan/racy.ts): no ctime is kept, so it never matches. */
  racy?: boolean | undefined;
  now: number;
  debounceMs: number;
}

/** A failure on a row: `retryAt` null waits for the file to change. */
export interface FailureOutcome {
  pair: string;
  rel: string;
  gen: number;
  code: StatusCode;
  message: string;
  retryAt: number | null;
  now: number;
}

/** A path deliberately not mirrored (a symlink, a special file), with the code status shows. */
export interface SkipOutcome {
  pair: string;
  rel: string;
  gen: number;
  kind: FileRow['kind'];
  code: StatusCode;
  message: string;
  now: number;
}

/**
 * What work on a row came to, written to `files`. Each outcome is guarded by the generation the
 * work started from: a row that changed meanwhile stays dirty and is due again.
 */
export class FileOutcomes {
  constructor(
    private readonly sql: Sql,
    private readonly errors: ErrorLog,
  ) {}

  /**
   * The object at `key` now holds exactly this content. If the file changed while we worked
   * (generation moved on), the row stays dirty and becomes due after a fresh debounce; its
   * maxDelayMs starts again now, so a file that never stops changing is shipped at most once
   * per maxDelayMs, not at every change after the first capped shipment.
   */
  recordSynced(o: SyncedOutcome): void {
    const { stat, content: c, gen, now } = o;
    // Positional parameters: one write per file, and binding by name costs an object and a lookup each.
    this.sql
      .st(
        `UPDATE files SET present = 1, kind = 'file', size = ?, mtime_ns = ?, ctime_ns = ?, ino = ?,
         hashed_at = ?, md5 = ?, part_size = ?, local_etag = ?,
         etag = ?, etag_kind = ?, remote_size = ?, synced_generation = ?,
         attempts = 0, error_code = NULL, error = NULL, updated_at = ?,
         state = CASE WHEN generation = ? THEN 'clean' ELSE 'dirty' END,
         dirty_since = CASE WHEN generation = ? THEN NULL ELSE ? END,
         due_at = CASE WHEN generation = ? THEN NULL ELSE ? END
       WHERE pair = ? AND rel = ?`,
      )
      .run(
        stat.size,
        stat.mtimeNs,
        o.racy ? null : stat.ctimeNs,
        stat.ino,
        now,
        c.md5,
        c.partSize,
        c.localEtag,
        c.etag,
        c.etagKind,
        stat.size,
        gen,
        now,
        gen,
        gen,
        now,
        gen,
        now + o.debounceMs,
        o.pair,
        o.rel,
      );
  }

  /**
   * The local file is gone and the remote side is settled (deleted, trashed or kept): nothing is
   * left to remember, and the row goes. A settled tombstone would be read by nothing (renames
   * pair with pending ones; an object that comes back is a remote-only object, decided the same
   * way), only counted and carried forever. If the path changed meanwhile (generation moved on),
   * the row stays, dirty, due after a fresh debounce.
   */
  recordRemovalSettled(pair: string, rel: string, gen: number, now: number, debounceMs: number): void {
    if (this.sql.st('DELETE FROM files WHERE pair = ? AND rel = ? AND generation = ?').run(pair, rel, gen).changes)
      return;
    this.sql
      .st(
        `UPDATE files SET present = 0, synced_generation = @gen, attempts = 0, error_code = NULL, error = NULL, updated_at = @now,
         etag = NULL, etag_kind = NULL, remote_size = NULL, state = 'dirty', dirty_since = @now, due_at = @now + @debounce
       WHERE pair = @pair AND rel = @rel`,
      )
      .run({ pair, rel, gen, now, debounce: debounceMs });
  }

  /**
   * A listed object with no local file and no history: a row so the planner can decide on it. A
   * row with a confirmed upload has history even without an MD5 (a file sent in parts as it was
   * read records its multipart ETag instead).
   */
  markRemoteOnly(pair: string, rel: string): void {
    this.sql
      .st("UPDATE files SET kind = 'remote', present = 0 WHERE pair = ? AND rel = ? AND md5 IS NULL AND etag IS NULL")
      .run(pair, rel);
  }

  /** Mark a row as a tombstone whose delete is pending (keeps md5/size to pair a rename). */
  markDeletePending(pair: string, rel: string): void {
    this.sql.st('UPDATE files SET present = 0 WHERE pair = ? AND rel = ?').run(pair, rel);
  }

  /** Nothing is left to do or remember for this path: the row goes (only at `gen`, when given). */
  dropRow(pair: string, rel: string, gen?: number): void {
    if (gen === undefined) this.sql.st('DELETE FROM files WHERE pair = ? AND rel = ?').run(pair, rel);
    else this.sql.st('DELETE FROM files WHERE pair = ? AND rel = ? AND generation = ?').run(pair, rel, gen);
  }

  /**
   * A failure: retried at `retryAt`, or (null) only when the file changes again. A file that
   * changed meanwhile is due again at `retryAt` too (at once without one): due at once, a file
   * that changes faster than it can be read looped read → abort → read. Its maxDelayMs counts
   * from this failure.
   */
  recordFailure({ pair, rel, gen, code, message, retryAt, now }: FailureOutcome): void {
    this.sql
      .st(
        `UPDATE files SET attempts = attempts + 1, error_code = @code, error = @message, updated_at = @now,
         state = CASE WHEN generation <> @gen THEN 'dirty' WHEN @retryAt IS NULL THEN 'failed' ELSE 'dirty' END,
         dirty_since = CASE WHEN generation <> @gen OR @retryAt IS NOT NULL THEN @now ELSE NULL END,
         due_at = CASE WHEN generation <> @gen THEN coalesce(@retryAt, @now) WHEN @retryAt IS NULL THEN NULL ELSE @retryAt END
       WHERE pair = @pair AND rel = @rel`,
      )
      .run({ pair, rel, gen, code, message, retryAt, now });
    this.errors.add(now, pair, rel, code, message);
    if (retryAt !== null) this.errors.retried(pair);
  }

  /** Not mirrored on purpose (symlink, FIFO, over-long key …): listed in status, retried on change. */
  recordSkipped({ pair, rel, gen, kind, code, message, now }: SkipOutcome): void {
    this.sql
      .st(
        `UPDATE files SET kind = @kind, error_code = @code, error = @message, updated_at = @now, synced_generation = @gen,
         state = CASE WHEN generation = @gen THEN 'skipped' ELSE 'dirty' END,
         due_at = CASE WHEN generation = @gen THEN NULL ELSE @now END
       WHERE pair = @pair AND rel = @rel`,
      )
      .run({ pair, rel, gen, kind, code, message, now });
  }

  recordHeld(pair: string, rel: string, gen: number, reason: string, now: number): void {
    this.sql
      .st(
        `UPDATE files SET present = 0, error_code = 'DELETES_HELD', error = @reason, updated_at = @now,
         state = CASE WHEN generation = @gen THEN 'held' ELSE 'dirty' END,
         due_at = CASE WHEN generation = @gen THEN NULL ELSE @now END
       WHERE pair = @pair AND rel = @rel`,
      )
      .run({ pair, rel, gen, reason, now });
  }
}
