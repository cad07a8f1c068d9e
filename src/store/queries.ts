import { selectFiles } from './filerows.js';
import type { Sql } from './sql.js';
import type { ContentKey, FileRow, ReconcileRow } from './types.js';

/**
 * Questions asked of the `files` table to decide work (reconciliation, examining a batch, pairing
 * renames, the mass-delete guard) and to report it (status). Nothing here writes: the journal's
 * own methods change rows, each guarded by the generation the work started from.
 */
/** The columns of a ReconcileRow as `raw()` returns them, in SELECT order. */
export type ReconcileTuple = [
  string,
  string,
  0 | 1,
  FileRow['state'],
  FileRow['kind'],
  number | null,
  string | null,
  string | null,
  string | null,
  string | null,
  number | null,
  string | null,
];

export function reconcileRowOf(r: ReconcileTuple): ReconcileRow {
  return {
    rel: r[0],
    key: r[1],
    present: r[2],
    state: r[3],
    kind: r[4],
    size: r[5],
    mtime_ns: r[6],
    ctime_ns: r[7],
    ino: r[8],
    etag: r[9],
    remote_size: r[10],
    error_code: r[11],
  };
}

export class FileQueries {
  constructor(private readonly sql: Sql) {}

  /** What reconciliation needs of every row of a pair: under half the columns, read as arrays. */
  reconcileRows(pair: string): ReconcileRow[] {
    const rows = this.sql
      .raw(
        'SELECT rel, key, present, state, kind, size, mtime_ns, ctime_ns, ino, etag, remote_size, error_code FROM files WHERE pair = ?',
      )
      .all(pair) as ReconcileTuple[];
    return rows.map(reconcileRowOf);
  }

  /** fileByKey() for many keys in one statement (a batch being examined). */
  fileByKeyMany(pair: string, keys: readonly string[]): Map<string, Pick<FileRow, 'rel' | 'state'>> {
    const out = new Map<string, Pick<FileRow, 'rel' | 'state'>>();
    // Lowest rowid first, as fileByKey's walk of the (pair, key) index meets them.
    const rows = this.sql
      .raw(
        'SELECT key, rel, state FROM files WHERE pair = ? AND key IN (SELECT value FROM json_each(?)) AND present = 1 ORDER BY rowid',
      )
      .all(pair, JSON.stringify(keys)) as [string, string, FileRow['state']][];
    for (const [key, rel, state] of rows) if (!out.has(key)) out.set(key, { rel, state });
    return out;
  }

  /**
   * The present rows under a directory (`dir/…`), by a range of the (pair, rel) key: '0' follows
   * '/' in byte order, so [dir/, dir0) is exactly what starts with `dir/`.
   */
  presentUnder(pair: string, dir: string): string[] {
    return this.sql
      .st('SELECT rel FROM files WHERE pair = ? AND rel >= ? AND rel < ? AND present = 1')
      .pluck()
      .all(pair, `${dir}/`, `${dir}0`) as string[];
  }

  /**
   * The present rows directly in a directory ('' for the root), with what a recheck compares: a
   * range of the (pair, rel) key, less the rows of its subdirectories.
   */
  presentIn(
    pair: string,
    dir: string,
  ): Pick<ReconcileRow, 'rel' | 'state' | 'kind' | 'size' | 'mtime_ns' | 'ctime_ns' | 'ino'>[] {
    const cols = 'SELECT rel, state, kind, size, mtime_ns, ctime_ns, ino FROM files';
    const rows = dir
      ? this.sql
          .st(
            `${cols} WHERE pair = ? AND rel >= ? AND rel < ? AND present = 1 AND instr(substr(rel, length(?) + 2), '/') = 0`,
          )
          .all(pair, `${dir}/`, `${dir}0`, dir)
      : this.sql.st(`${cols} WHERE pair = ? AND present = 1 AND instr(rel, '/') = 0`).all(pair);
    return rows as ReturnType<FileQueries['presentIn']>;
  }

  /** The present row that holds `key` (the first one recorded, if several map to it). */
  fileByKey(pair: string, key: string): Pick<FileRow, 'rel' | 'state'> | undefined {
    return this.sql
      .st('SELECT rel, state FROM files WHERE pair = ? AND key = ? AND present = 1 LIMIT 1')
      .get(pair, key) as Pick<FileRow, 'rel' | 'state'> | undefined;
  }

  /**
   * Deletes the pair is known to need that are not decided yet: tombstones (and remote-only rows)
   * still dirty, whose object exists, on their first try and not released by `resume`. The
   * mass-delete guard weighs them with the deletes in hand, so a batch cannot slip through while
   * the rest of the same mass delete is still being examined. Rows, not deletes: names that map
   * to one key (an NFC collision) share one delete, so the guard counts their distinct keys.
   */
  undecidedDeletes(pair: string): { rel: string; key: string }[] {
    return this.sql
      .st(
        `SELECT rel, key FROM files f WHERE f.pair = ? AND f.present = 0 AND f.state = 'dirty' AND f.attempts = 0
         AND f.released = 0 AND EXISTS (SELECT 1 FROM remote r WHERE r.pair = f.pair AND r.key = f.key)`,
      )
      .all(pair) as { rel: string; key: string }[];
  }

  /**
   * Files the journal knows for the pair as present or pending (the mass-delete guard's
   * `knownFiles`): every row but a settled tombstone, so deletes still to be sent or held count.
   */
  knownFiles(pair: string): number {
    return this.sql
      .st("SELECT coalesce(sum(n), 0) FROM file_counts WHERE pair = ? AND (present = 1 OR state <> 'clean')")
      .pluck()
      .get(pair) as number;
  }

  /**
   * Tombstones whose object still exists: candidates for the source of a rename of this content,
   * by its MD5 or by its multipart ETag in a part size (`parts`; plan/one-pass.ts).
   */
  pendingTombstones(pair: string, size: number, c: ContentKey): FileRow[] {
    return selectFiles(
      this.sql,
      `WHERE pair = ? AND present = 0 AND size = ? AND (md5 = ? OR (part_size = ? AND local_etag = ?))
       AND state IN ('dirty','held')`,
      pair,
      size,
      c.md5,
      c.partSize,
      c.localEtag,
    );
  }

  /**
   * Any tombstone waiting at all, from the per-pair counters: one key lookup, where the searches
   * below read every pending row of a size (in a tree of same-size files, every pending row).
   */
  anyPendingTombstone(pair: string): boolean {
    return !!this.sql
      .st("SELECT 1 FROM file_counts WHERE pair = ? AND present = 0 AND state IN ('dirty', 'held') AND n > 0 LIMIT 1")
      .get(pair);
  }

  /** Is there any pendingTombstones(pair, size, c)? (asked of every new upload) */
  hasPendingTombstone(pair: string, size: number, c: ContentKey): boolean {
    return !!this.sql
      .st(
        `SELECT 1 FROM files WHERE pair = ? AND present = 0 AND size = ?
         AND (md5 = ? OR (part_size = ? AND local_etag = ?)) AND state IN ('dirty','held') LIMIT 1`,
      )
      .get(pair, size, c.md5, c.partSize, c.localEtag);
  }

  /**
   * Any pending tombstone of `size` bytes whose content is known (an MD5, or a multipart ETag in
   * a part size): a new file of that size may be its rename.
   */
  hasPendingTombstoneOfSize(pair: string, size: number): boolean {
    if (!this.anyPendingTombstone(pair)) return false;
    return !!this.sql
      .st(
        `SELECT 1 FROM files WHERE pair = ? AND present = 0 AND size = ? AND (md5 <> '' OR part_size > 0) AND state IN ('dirty','held') LIMIT 1`,
      )
      .get(pair, size);
  }

  /**
   * Dirty rows not yet due that could be the far end of a rename of a `size`-byte file. Two
   * lookups of `files_unsettled` (pair, state, size), one per size they may have: asked of every
   * delete examined.
   */
  hasPendingNewFileOfSize(pair: string, size: number): boolean {
    const pending = `SELECT 1 FROM files WHERE pair = ? AND state <> 'clean' AND state = 'dirty' AND present = 1 AND etag IS NULL`;
    return !!this.sql
      .st(`SELECT EXISTS (${pending} AND size = ?) OR EXISTS (${pending} AND size IS NULL)`)
      .pluck()
      .get(pair, size, pair);
  }

  // ── errors and status ───────────────────────────────────────────────────────────────────
  /** Rows with a problem, latest first (read from `files_unsettled`: the pair's unsettled rows only). */
  failedFiles(pair: string, limit: number): FileRow[] {
    return selectFiles(
      this.sql,
      `WHERE pair = ? AND state <> 'clean' AND (state IN ('failed','held','skipped') OR (state = 'dirty' AND attempts > 0))
       ORDER BY updated_at DESC LIMIT ?`,
      pair,
      limit,
    );
  }
  /**
   * Rows and bytes per state and presence, from `file_counts` (kept by triggers, schema.ts
   * version 7): a handful of rows, whatever the size of the pair.
   */
  stateCounts(pair: string): { state: string; present: number; n: number; bytes: number }[] {
    return this.sql.st('SELECT state, present, n, bytes FROM file_counts WHERE pair = ? AND n > 0').all(pair) as never;
  }
  /**
   * Pending rows whose last try failed. By the error the row carries, not only its attempts: a
   * rescan marks a failed row dirty again (attempts 0) and it still has not gone through. The
   * codes of a skip (a symlink or special file) and of a hold are no failure. Counted by the
   * triggers (`retrying7` in schema.ts).
   */
  retryingCount(pair: string): number {
    return this.sql.st('SELECT coalesce(sum(retrying), 0) FROM file_counts WHERE pair = ?').pluck().get(pair) as number;
  }
  /**
   * When the oldest pending row was first marked (null: none), read from the pair's pending rows
   * (`files_unsettled`): asked only while they are few.
   */
  oldestDirtySince(pair: string): number | null {
    return this.sql
      .st("SELECT min(dirty_since) FROM files WHERE pair = ? AND state <> 'clean' AND state = 'dirty'")
      .pluck()
      .get(pair) as number | null;
  }
  /** Failed rows or held deletes: a pair with any is not in sync. */
  hasProblems(pair: string): boolean {
    return !!this.sql
      .st("SELECT 1 FROM file_counts WHERE pair = ? AND state IN ('failed', 'held') AND n > 0 LIMIT 1")
      .get(pair);
  }
}
