import type { Sql } from './sql.js';
import type { PairRow } from './types.js';

/** The `pairs` table: each pair's identity, root device, state, delete hold and its release. */
export class PairTable {
  constructor(private readonly sql: Sql) {}

  upsert(p: { name: string; root: string; bucket: string; prefix: string }): void {
    this.sql.st(
      `INSERT INTO pairs (name, root, bucket, prefix) VALUES (@name, @root, @bucket, @prefix)
       ON CONFLICT (name) DO UPDATE SET root = excluded.root, bucket = excluded.bucket, prefix = excluded.prefix`,
    ).run(p);
  }
  get(name: string): PairRow | undefined {
    return this.sql.st('SELECT * FROM pairs WHERE name = ?').get(name) as PairRow | undefined;
  }
  all(): PairRow[] {
    return this.sql.st('SELECT * FROM pairs ORDER BY name').all() as PairRow[];
  }
  setRootIdentity(name: string, dev: string, ino: string): void {
    this.sql.st('UPDATE pairs SET root_dev = ?, root_ino = ? WHERE name = ?').run(dev, ino, name);
  }
  setState(name: string, state: PairRow['state'], reason: string | null, now: number): void {
    this.sql.st(
      `UPDATE pairs SET state = @state, hold_reason = @reason,
         held_at = CASE WHEN @state = 'deletes-held' THEN coalesce(held_at, @now) ELSE NULL END,
         last_error = CASE WHEN @state = 'error' THEN @reason ELSE NULL END
       WHERE name = @name`,
    ).run({ name, state, reason, now });
  }
  /** A hold ends by itself once no held delete is left (the files came back, or were released). */
  clearHoldIfNone(name: string): void {
    this.sql.st(
      `UPDATE pairs SET state = 'ok', hold_reason = NULL, held_at = NULL
       WHERE name = ? AND state = 'deletes-held' AND NOT EXISTS (SELECT 1 FROM files WHERE pair = pairs.name AND state = 'held')`,
    ).run(name);
  }
  markSynced(name: string, now: number): void {
    this.sql.st('UPDATE pairs SET last_sync_at = ? WHERE name = ?').run(now, name);
  }

  /** `resume --allow-deletes`: the deletes held now become due and may pass the guard once. */
  releaseHeld(name: string, now: number): number {
    return this.sql.tx(() => {
      const n = this.sql.st(`UPDATE files SET state = 'dirty', due_at = ?, error_code = 'DELETE_RELEASED', error = NULL
                         WHERE pair = ? AND state = 'held'`).run(now, name).changes;
      this.sql.st(`UPDATE pairs SET state = 'ok', hold_reason = NULL, held_at = NULL, released_at = ?,
                 root_dev = NULL, root_ino = NULL WHERE name = ?`).run(now, name);
      return n;
    });
  }
}
