import type { KeyRange } from '../plan/key-range.js';
import type { Sql } from './sql.js';
import { type ReconcileTuple, reconcileRowOf } from './queries.js';
import type { ReconcileRow } from './types.js';

/** An object as the remote table (or a listing page) knows it. */
export interface KeyedObject {
  key: string;
  size: number;
  etag: string;
}

/**
 * What a listing page proves: every object with a key in (after, through] is in the page ('' as
 * `after`: from the start of the prefix; null as `through`: to its end).
 */
export interface Covered {
  after: string;
  through: string | null;
}

/**
 * A row's sync signature: what a file's lstat and its object must show for the row to be in sync
 * as it stands (present, clean, the same stat and the object it recorded), as one string; null
 * for a row that is not clean and present, or lacks a part. `syncSignature` in
 * plan/reconcile-key.ts builds the same string from the other two sides. Every part but the last,
 * the ETag, is a number, so two different sets of parts never give one string.
 */
const SIGNATURE = `CASE WHEN present = 1 AND state = 'clean' THEN size || ':' || mtime_ns || ':' || ctime_ns || ':' || ino || ':' || remote_size || ':' || etag END`;

/** A row as a pass first reads it: its key, its path, its signature. */
export interface SignedRow {
  key: string;
  rel: string;
  sig: string | null;
}

/** Where a page of rows ended: the (pair, key) index's order is (key, rowid). */
export interface RowCursor {
  key: string;
  rowid: number;
}

/**
 * The journal read and written in key order, a page at a time, for a reconciliation that streams
 * (src/sync/march.ts): rows and objects by keyset (`key > ?`, on the (pair, key) indexes, never a
 * statement held open across writes), and a listing applied page by page to the remote table.
 * SQLite's BINARY order of keys is their UTF-8 byte order, S3's.
 */
export class MarchQueries {
  constructor(private readonly sql: Sql) {}

  /**
   * Up to `limit` rows after `after` (from `range.lo` before the first page), in (key, rowid)
   * order: the (pair, key) index's own order, so no sort. Each row comes as its key, its path and
   * its sync signature (see SIGNATURE): a third of the columns of a whole row, which is what a pass
   * over a million rows spends its time building. `last` is where the next page starts.
   */
  rowsAfter(
    pair: string,
    after: RowCursor | null,
    limit: number,
    range: KeyRange = { lo: '', hi: null },
  ): { rows: SignedRow[]; last: RowCursor | null } {
    const from = after ? '(key, rowid) > (?, ?)' : 'key >= ?';
    const to = range.hi === null ? '' : ' AND key < ?';
    const args: (string | number)[] = after ? [pair, after.key, after.rowid] : [pair, range.lo];
    if (range.hi !== null) args.push(range.hi);
    const found = this.sql
      .raw(
        `SELECT key, rel, ${SIGNATURE}, rowid FROM files WHERE pair = ? AND ${from}${to} ORDER BY key, rowid LIMIT ?`,
      )
      .all(...args, limit) as [string, string, string | null, number][];
    const rows = found.map(([key, rel, sig]) => ({ key, rel, sig }));
    const l = found[found.length - 1];
    return { rows, last: l ? { key: l[0], rowid: l[3] } : null };
  }

  /** The whole rows at `key`, lowest rowid first (a key whose signature did not settle it). */
  rowsAt(pair: string, key: string): ReconcileRow[] {
    const found = this.sql
      .raw(
        'SELECT rel, key, present, state, kind, size, mtime_ns, ctime_ns, ino, etag, remote_size, error_code FROM files WHERE pair = ? AND key = ? ORDER BY rowid',
      )
      .all(pair, key) as ReconcileTuple[];
    return found.map(reconcileRowOf);
  }

  /** The pair's rows: the per-pair counters' sum, one lookup. */
  rowCount(pair: string): number {
    return this.sql.st('SELECT coalesce(sum(n), 0) FROM file_counts WHERE pair = ?').pluck().get(pair) as number;
  }

  /** The key of the pair's row at `offset` in key order (counted through the index). */
  keyAt(pair: string, offset: number): string | undefined {
    return this.sql
      .st('SELECT key FROM files WHERE pair = ? ORDER BY key LIMIT 1 OFFSET ?')
      .pluck()
      .get(pair, offset) as string | undefined;
  }

  /** Is any row of the pair at `key`? */
  hasKey(pair: string, key: string): boolean {
    return !!this.sql.st('SELECT 1 FROM files WHERE pair = ? AND key = ? LIMIT 1').get(pair, key);
  }

  /**
   * Up to `limit` objects in (after, upTo] (upTo null: no upper bound) and in `range`, in key
   * order.
   */
  objectsAfter(
    pair: string,
    after: string,
    upTo: string | null,
    limit: number,
    range: KeyRange = { lo: '', hi: null },
  ): KeyedObject[] {
    const args: (string | number)[] = [pair, after, range.lo];
    let sql = 'SELECT key, size, etag FROM remote WHERE pair = ? AND key > ? AND key >= ?';
    if (upTo !== null) {
      sql += ' AND key <= ?';
      args.push(upTo);
    }
    if (range.hi !== null) {
      sql += ' AND key < ?';
      args.push(range.hi);
    }
    const rows = this.sql.raw(`${sql} ORDER BY key LIMIT ?`).all(...args, limit) as [string, number, string][];
    return rows.map(([key, size, etag]) => ({ key, size, etag }));
  }

  /**
   * One listing page is the truth about its range: rows of the range it does not have go, new or
   * changed ones are written (a changed object forgets its x-amz-meta-md5), unchanged ones are left
   * alone (what HEAD taught us survives). One transaction per page.
   */
  applyPage(pair: string, objects: readonly KeyedObject[], covered: Covered, now: number): void {
    const { after, through } = covered;
    this.sql.tx(() => {
      const keys = JSON.stringify(objects.map((o) => o.key));
      if (through === null)
        this.sql
          .st('DELETE FROM remote WHERE pair = ? AND key > ? AND key NOT IN (SELECT value FROM json_each(?))')
          .run(pair, after, keys);
      else
        this.sql
          .st(
            'DELETE FROM remote WHERE pair = ? AND key > ? AND key <= ? AND key NOT IN (SELECT value FROM json_each(?))',
          )
          .run(pair, after, through, keys);
      if (!objects.length) return;
      const known = new Map<string, [string, number, string]>();
      const rows = this.sql
        .raw('SELECT key, size, etag FROM remote WHERE pair = ? AND key IN (SELECT value FROM json_each(?))')
        .all(pair, keys) as [string, number, string][];
      for (const r of rows) known.set(r[0], r);
      const put = this.sql.st(
        `INSERT INTO remote (pair, key, size, etag, listed_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (pair, key) DO UPDATE SET size = excluded.size, etag = excluded.etag, meta_md5 = NULL, listed_at = excluded.listed_at`,
      );
      for (const o of objects) {
        const k = known.get(o.key);
        if (!k || k[1] !== o.size || k[2] !== o.etag) put.run(pair, o.key, o.size, o.etag, now);
      }
    });
  }

  /** A full listing of the pair was applied: when, and where it was made (plan/trust.ts). */
  listed(pair: string, at: { now: number; fingerprint: string }): void {
    this.sql
      .st('UPDATE pairs SET last_listed_at = ?, listed_fingerprint = ? WHERE name = ?')
      .run(at.now, at.fingerprint, pair);
  }
}
