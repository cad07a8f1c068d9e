import { selectFiles } from './filerows.js';
import type { Sql } from './sql.js';
import type { FileRow } from './types.js';

/**
 * What marking a known row dirty does to it (markDirty and markManyDirty share it). A row already
 * pending keeps its failures (`attempts`, the backoff they set and status's "retrying"): a change
 * is no success. Its maxDelayMs counts from `dirty_since`, which every outcome resets.
 */
const DIRTY_ON_CONFLICT = `ON CONFLICT (pair, rel) DO UPDATE SET
         generation = generation + 1,
         dirty_since = CASE WHEN state = 'dirty' THEN coalesce(dirty_since, @now) ELSE @now END,
         due_at = min(@now + @debounce,
                      (CASE WHEN state = 'dirty' THEN coalesce(dirty_since, @now) ELSE @now END) + @maxDelay),
         attempts = CASE WHEN state = 'dirty' THEN attempts ELSE 0 END,
         state = 'dirty', updated_at = @now`;

/**
 * A new row's generation: above that of every row of the pair ever deleted (`retired`, kept by a
 * trigger), so an outcome of work on a purged row cannot apply to the path's next row.
 */
const FIRST_GENERATION = 'coalesce((SELECT generation FROM retired WHERE pair = @pair), 0) + 1';

export interface DirtyMark {
  pair: string;
  rel: string;
  key: string;
  now: number;
  debounceMs: number;
  maxDelayMs: number;
}

/** Many paths of one pair marked dirty at once, with one due time. */
export interface DirtyMarks extends Omit<DirtyMark, 'rel' | 'key'> {
  items: readonly { rel: string; key: string }[];
}

/**
 * The pending work in `files`: rows marked dirty with a due time (the debounce lives here, not in
 * timers), taken in due order under a lease, and put back.
 */
export class DirtyRows {
  constructor(
    private readonly sql: Sql,
    /** The journal's transaction runner (with its crash point). */
    private readonly tx: <T>(fn: () => T) => T,
  ) {}

  /** A hint that `rel` may have changed: bump its generation and (re)start its debounce. */
  markDirty(m: DirtyMark): void {
    this.sql
      .st(
        `INSERT INTO files (pair, rel, key, state, generation, dirty_since, due_at, updated_at)
       VALUES (@pair, @rel, @key, 'dirty', ${FIRST_GENERATION}, @now, @now + @debounce, @now)
       ${DIRTY_ON_CONFLICT}`,
      )
      .run({ pair: m.pair, rel: m.rel, key: m.key, now: m.now, debounce: m.debounceMs, maxDelay: m.maxDelayMs });
  }

  /** markDirty for many rows in one statement (half the time of one statement per row), in order. */
  markManyDirty({ pair, items, now, debounceMs, maxDelayMs }: DirtyMarks): void {
    if (!items.length) return;
    this.sql
      .st(
        `INSERT INTO files (pair, rel, key, state, generation, dirty_since, due_at, updated_at)
       SELECT @pair, j.value ->> 0, j.value ->> 1, 'dirty', ${FIRST_GENERATION}, @now, @now + @debounce, @now
       FROM json_each(@items) AS j WHERE true
       ${DIRTY_ON_CONFLICT}`,
      )
      .run({
        pair,
        items: JSON.stringify(items.map((it) => [it.rel, it.key])),
        now,
        debounce: debounceMs,
        maxDelay: maxDelayMs,
      });
  }

  /**
   * Everything pending in these pairs becomes due now (sync --once, and after a restart: no need
   * to wait). Only the configured pairs: rows of a pair that left the config wait for its return.
   */
  makeAllDue(now: number, pairs: readonly string[]): void {
    this.sql
      .st("UPDATE files SET due_at = ? WHERE state = 'dirty' AND +pair IN (SELECT value FROM json_each(?))")
      .run(now, JSON.stringify(pairs));
  }

  /**
   * The pair's bucket answers again: rows waiting out a retry backoff are due now. (`state <>
   * 'clean'` names the partial index `files_unsettled`, so only the pair's unsettled rows are read.)
   */
  makeRetriesDue(now: number, pair: string): number {
    return this.sql
      .st(
        "UPDATE files SET due_at = ? WHERE state <> 'clean' AND state = 'dirty' AND pair = ? AND error_code IS NOT NULL AND due_at > ?",
      )
      .run(now, pair, now).changes;
  }

  /**
   * Take up to `limit` due rows of these pairs and lease them until `leaseUntil`, so the next pick
   * skips them. Read in due order from `files_due` (`+pair` keeps SQLite from choosing the pair's
   * whole key index instead): it stops after `limit` rows, whatever is pending. Rows of any other pair (removed from the config, or paused) are never taken: no
   * engine would work on them, and their lease would be waited out.
   */
  takeDue(now: number, limit: number, leaseUntil: number, pairs: readonly string[]): FileRow[] {
    return this.tx(() => {
      const rows = selectFiles(
        this.sql,
        "WHERE state = 'dirty' AND due_at <= ? AND +pair IN (SELECT value FROM json_each(?)) ORDER BY due_at LIMIT ?",
        now,
        JSON.stringify(pairs),
        limit,
      );
      const lease = this.sql.st('UPDATE files SET due_at = ? WHERE pair = ? AND rel = ?');
      for (const r of rows) lease.run(leaseUntil, r.pair, r.rel);
      return rows;
    });
  }

  /** When the next row of these pairs is due (see takeDue). */
  nextDueAt(pairs: readonly string[]): number | undefined {
    // The first in due order, not min(): an aggregate reads every pending row to find it.
    const d = this.sql
      .st(
        "SELECT due_at FROM files WHERE state = 'dirty' AND +pair IN (SELECT value FROM json_each(?)) ORDER BY due_at LIMIT 1",
      )
      .pluck()
      .get(JSON.stringify(pairs)) as number | null | undefined;
    return d ?? undefined;
  }

  /** Dirty rows, of one pair or all: from the counters the triggers keep (schema.ts, version 7). */
  pendingCount(pair?: string): number {
    return (
      pair === undefined
        ? this.sql.st("SELECT coalesce(sum(n), 0) FROM file_counts WHERE state = 'dirty'").pluck().get()
        : this.sql
            .st("SELECT coalesce(sum(n), 0) FROM file_counts WHERE pair = ? AND state = 'dirty'")
            .pluck()
            .get(pair)
    ) as number;
  }

  /** Due now if the row still carries exactly this lease (nothing since has set its due time). */
  unlease(pair: string, rel: string, lease: number, now: number): void {
    this.sql
      .st("UPDATE files SET due_at = ? WHERE pair = ? AND rel = ? AND state = 'dirty' AND due_at = ?")
      .run(now, pair, rel, lease);
  }

  postpone(pair: string, rel: string, dueAt: number): void {
    this.sql.st('UPDATE files SET due_at = ? WHERE pair = ? AND rel = ?').run(dueAt, pair, rel);
  }

  /** `rel`'s file is gone: a file that lost its key to it (KEY_COLLISION) may take the key over now. */
  retryCollisions(pair: string, rel: string, now: number): void {
    this.sql
      .st(
        `UPDATE files SET state = 'dirty', generation = generation + 1, attempts = 0, dirty_since = @now, due_at = @now, updated_at = @now
       WHERE pair = @pair AND state = 'failed' AND error_code = 'KEY_COLLISION' AND rel <> @rel
         AND key = (SELECT key FROM files WHERE pair = @pair AND rel = @rel)`,
      )
      .run({ pair, rel, now });
  }
}
