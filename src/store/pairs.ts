import type { Sql } from './sql.js';
import type { PairRow } from './types.js';

/** The `pairs` table: each pair's identity, location, root device, state, delete hold and its release. */
export class PairTable {
  /**
   * Pairs whose committed rows were read to hold no held delete, since which no row of theirs was
   * made held (only `Journal.recordHeld` does that, and it calls `mayHold` first): `cancelHeld`
   * skips its read for them. The read is ~7 µs (an autocommit read transaction) before every upload.
   */
  private readonly noneHeld = new Set<string>();

  constructor(private readonly sql: Sql) {}

  /** A row of `name` may be held from now on (see noneHeld). */
  mayHold(name: string): void {
    this.noneHeld.delete(name);
  }

  upsert(p: { name: string; root: string; bucket: string; prefix: string }): void {
    this.sql
      .st(
        `INSERT INTO pairs (name, root, bucket, prefix) VALUES (@name, @root, @bucket, @prefix)
       ON CONFLICT (name) DO UPDATE SET root = excluded.root, bucket = excluded.bucket, prefix = excluded.prefix`,
      )
      .run(p);
  }
  get(name: string): PairRow | undefined {
    return this.sql.st('SELECT * FROM pairs WHERE name = ?').get(name) as PairRow | undefined;
  }
  all(): PairRow[] {
    return this.sql.st('SELECT * FROM pairs ORDER BY name').all() as PairRow[];
  }
  /**
   * The config names another bucket or prefix for this pair than the journal recorded: every key
   * is derived again (`keyOf`, from the current prefix) instead of staying stranded at the old
   * one. What the journal knew of the old location goes: its listing (a different listing now)
   * and the deletes held or released there (the old location is never deleted in; they are
   * decided again against the new one, guard included). Failed files are tried again: a new key
   * may cure them (KEY_TOO_LONG, a collision) and a new bucket may take them. What each file was
   * confirmed as (MD5, ETag) stays: within the same bucket, the old object is the source of a
   * copy (pairs.moved_from). Returns the old location, or null when nothing changed (or the pair
   * is new).
   */
  rekey(
    pair: string,
    to: { bucket: string; prefix: string },
    keyOf: (rel: string) => string,
    now: number,
  ): { bucket: string; prefix: string } | null {
    const old = this.get(pair);
    if (!old || (old.bucket === to.bucket && old.prefix === to.prefix)) return null;
    this.sql.tx(() => {
      const rels = this.sql.st('SELECT rel FROM files WHERE pair = ?').pluck().all(pair) as string[];
      const set = this.sql.st('UPDATE files SET key = ? WHERE pair = ? AND rel = ?');
      for (const rel of rels) set.run(keyOf(rel), pair, rel);
      this.sql
        .st(
          `UPDATE files SET state = 'dirty', due_at = @now, dirty_since = @now, attempts = 0, error_code = NULL, error = NULL, updated_at = @now,
           released = 0
         WHERE pair = @pair AND (state IN ('held', 'failed') OR error_code = 'DELETE_RELEASED' OR released = 1)`,
        )
        .run({ pair, now });
      this.sql.st('DELETE FROM remote WHERE pair = ?').run(pair);
      this.sql
        .st(
          `UPDATE pairs SET bucket = @bucket, prefix = @prefix, last_listed_at = NULL,
           moved_from = CASE WHEN bucket = @bucket THEN prefix ELSE NULL END,
           state = CASE WHEN state = 'deletes-held' THEN 'ok' ELSE state END,
           hold_reason = CASE WHEN state = 'deletes-held' THEN NULL ELSE hold_reason END,
           held_at = CASE WHEN state = 'deletes-held' THEN NULL ELSE held_at END
         WHERE name = @pair`,
        )
        .run({ pair, bucket: to.bucket, prefix: to.prefix });
    });
    return { bucket: old.bucket, prefix: old.prefix };
  }

  setRootIdentity(name: string, dev: string, ino: string): void {
    this.sql.st('UPDATE pairs SET root_dev = ?, root_ino = ? WHERE name = ?').run(dev, ino, name);
  }
  setState(name: string, state: PairRow['state'], reason: string | null, now: number): void {
    this.sql
      .st(
        `UPDATE pairs SET state = @state, hold_reason = @reason,
         held_at = CASE WHEN @state = 'deletes-held' THEN coalesce(held_at, @now) ELSE NULL END,
         last_error = CASE WHEN @state = 'error' THEN @reason ELSE NULL END
       WHERE name = @name`,
      )
      .run({ name, state, reason, now });
  }
  /** A hold ends by itself once no held delete is left (the files came back, or were released). */
  clearHoldIfNone(name: string): void {
    this.sql
      .st(
        `UPDATE pairs SET state = 'ok', hold_reason = NULL, held_at = NULL
       WHERE name = ? AND state = 'deletes-held'
         AND NOT EXISTS (SELECT 1 FROM files WHERE pair = pairs.name AND state <> 'clean' AND state = 'held')`,
      )
      .run(name);
  }
  /**
   * A file maps to `key` now (its upload or skip is under way, or a rescan found it), under a name
   * other than the held deletes of that key: those deletes are cancelled (the object is the
   * file's), and the hold ends if none is left. `byRel` null: whatever the held rows' names.
   */
  cancelHeld(name: string, key: string, byRel: string | null): number {
    // Asked before every upload: no transaction of its own (one per file was a tenth of the
    // journal's cost in W1). A crash between the two statements leaves a hold with nothing held,
    // which the next batch's clearHoldIfNone ends. The per-pair counters answer "none held" with
    // a read: most uploads then take no write lock at all.
    if (this.noneHeld.has(name)) return 0;
    if (!this.sql.st("SELECT 1 FROM file_counts WHERE pair = ? AND state = 'held' AND n > 0").get(name)) {
      // Only a read of committed rows counts: inside a transaction, a rollback could bring back
      // held rows that it deleted.
      if (!this.sql.inTransaction) this.noneHeld.add(name);
      return 0;
    }
    const n = this.sql
      .st("DELETE FROM files WHERE pair = ? AND key = ? AND state = 'held' AND rel IS NOT ?")
      .run(name, key, byRel).changes;
    if (n) this.clearHoldIfNone(name);
    return n;
  }
  markSynced(name: string, now: number): void {
    this.sql.st('UPDATE pairs SET last_sync_at = ? WHERE name = ?').run(now, name);
  }

  /** `resume --allow-deletes`: the deletes held now become due and pass the guard until
   * they land or their path changes (a failed try keeps the release). */
  releaseHeld(name: string, now: number): number {
    return this.sql.tx(() => {
      const n = this.sql
        .st(`UPDATE files SET state = 'dirty', due_at = ?, error_code = 'DELETE_RELEASED', error = NULL,
                         released = 1 WHERE pair = ? AND state <> 'clean' AND state = 'held'`)
        .run(now, name).changes;
      this.sql
        .st(`UPDATE pairs SET state = 'ok', hold_reason = NULL, held_at = NULL, released_at = ?,
                 root_dev = NULL, root_ino = NULL WHERE name = ?`)
        .run(now, name);
      return n;
    });
  }
}
