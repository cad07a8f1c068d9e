// src/store/: the SQLite journal, the single source of truth for pending work, and the state lock.
import type { Database as Db, Statement } from 'better-sqlite3';
import type { MirrorError } from '../errors.js';
import { failpoint } from '../failpoints.js';
import { CLEAN_CLOSE, closeConnection, openConnection, type SetAside } from './connection.js';
import { type DirtyMark, type DirtyMarks, DirtyRows } from './dirty.js';
import { ErrorLog } from './errorlog.js';
import { selectFile } from './filerows.js';
import { type FailureOutcome, FileOutcomes, type SkipOutcome, type SyncedOutcome } from './outcomes.js';
import { MarchQueries } from './march.js';
import { PairTable } from './pairs.js';
import { FileQueries } from './queries.js';
import { RemoteTable } from './remote.js';
import { Sql } from './sql.js';
import type { FileRow } from './types.js';
import { unwritableError } from './unwritable.js';
import { UploadTable } from './uploads.js';

export { JOURNAL_FILE } from './connection.js';
export type { FileRow } from './types.js';

const QUEUED_WRITE_MS = 100;
/** In `meta` from a clean close until the next writer opens the journal: a kill -9 leaves none. */

/**
 * The single source of truth for pending work (docs/architecture.md, "Data flow"). Every
 * statement is prepared once; multi-row writes run in one transaction. Reads that feed writes are
 * materialised first (`.all()`), because a connection cannot write while an `.iterate()` cursor
 * is open. The writes to `files` live in dirty.ts (pending work) and outcomes.ts (results).
 */
export class Journal {
  readonly db: Db;
  readonly path: string;
  private readonly sql: Sql;
  /** What the bucket holds, as learned from listings and our own writes. */
  readonly remote: RemoteTable;
  /** Multipart uploads (and copies) in progress. */
  readonly uploads: UploadTable;
  readonly pairs: PairTable;
  readonly errors: ErrorLog;
  /** What the sync and status ask of the files (read only). */
  readonly query: FileQueries;
  /** Rows and objects in key order, a page at a time, and listings applied page by page. */
  readonly march: MarchQueries;
  private readonly dirty: DirtyRows;
  private readonly outcomes: FileOutcomes;
  private pendingWrites: (() => void)[] = [];
  private queueTimer: NodeJS.Timeout | undefined;

  private constructor(
    db: Db,
    path: string,
    private readonly writer: boolean,
  ) {
    this.db = db;
    this.path = path;
    this.sql = new Sql(db);
    this.remote = new RemoteTable(this.sql);
    this.uploads = new UploadTable(this.sql);
    this.pairs = new PairTable(this.sql);
    this.errors = new ErrorLog(this.sql);
    this.query = new FileQueries(this.sql);
    this.march = new MarchQueries(this.sql);
    this.dirty = new DirtyRows(this.sql, (fn) => this.tx(fn));
    this.outcomes = new FileOutcomes(this.sql, this.errors);
  }

  /** The unusable journal this one replaces, if it was found corrupt (or deleted) and renamed aside. */
  setAside: SetAside | undefined;

  static open(stateDir: string, opts: { readonly?: boolean } = {}): Journal {
    const { db, path, setAside } = openConnection(stateDir, !!opts.readonly);
    const j = new Journal(db, path, !opts.readonly);
    j.setAside = setAside;
    return j;
  }

  /**
   * Closed even when the last writes fail (a full disk): they are lost like a crash's, which the
   * next start's reconciliation makes good, and the journal stays as its last commit left it.
   * That failure is told to `onUnwritable` and not thrown: a daemon stopping while its stateDir
   * cannot be written must still stop cleanly (exit 0), not as a crash. `clean`: every outcome
   * of the process is recorded, and the marker says so to the next one (`takeCleanClose`).
   */
  close(opts: { clean?: boolean } = {}): void {
    try {
      this.flush();
      if (opts.clean) this.setMeta(CLEAN_CLOSE, '1');
    } catch (e) {
      if (!unwritableError(e, this.path)) throw e;
    } finally {
      closeConnection(this.db, this.writer);
    }
  }

  /**
   * Was the journal closed cleanly by the process before? The marker is removed (and committed)
   * at once, so a process that dies without `close({ clean: true })` leaves it unclean.
   */
  takeCleanClose(): boolean {
    return this.st('DELETE FROM meta WHERE key = ?').run(CLEAN_CLOSE).changes > 0;
  }

  /** Told (with a `STATE_DIR_UNWRITABLE` error) whenever a write fails because the stateDir is full or read-only. */
  onUnwritable(listener: (e: MirrorError) => void): void {
    this.sql.onWriteError = (e) => {
      const m = unwritableError(e, this.path);
      if (m) listener(m);
    };
  }

  /**
   * Can the journal grow by `bytes` again? Writes and removes a blob of that size (two commits),
   * so room for a few rows is not mistaken for a recovered disk. Throws what the write throws.
   */
  probeWrite(bytes: number): void {
    this.setMeta('write-probe', 'x'.repeat(bytes));
    this.st("DELETE FROM meta WHERE key = 'write-probe'").run();
  }

  /** What a kill -9 leaves (in-process crash tests): outcomes not yet committed are lost. */
  abandon(): void {
    clearTimeout(this.queueTimer);
    this.pendingWrites = [];
    this.db.close();
  }

  private st(sql: string): Statement {
    return this.sql.st(sql);
  }

  tx<T>(fn: () => T): T {
    return this.sql.tx(() => {
      const r = fn();
      failpoint('journal-tx');
      return r;
    });
  }

  /**
   * Outcomes that may reach the journal a moment late, committed together instead of one
   * transaction per file: within QUEUED_WRITE_MS, at `flush()` (each batch ends with one), or at close.
   * A crash in between only costs a re-check: the object is in the bucket, and the next pass
   * recognises it by its ETag or x-amz-meta-md5.
   */
  queueWrite(write: () => void): void {
    this.pendingWrites.push(write);
    if (!this.queueTimer) {
      this.queueTimer = setTimeout(() => {
        try {
          this.flush();
        } catch {
          /* kept queued by flush; the batch's own flush (or close) tries again */
        }
      }, QUEUED_WRITE_MS);
      this.queueTimer.unref();
    }
  }

  flush(): void {
    clearTimeout(this.queueTimer);
    this.queueTimer = undefined;
    if (!this.pendingWrites.length) return;
    const writes = this.pendingWrites;
    this.pendingWrites = [];
    try {
      this.tx(() => {
        for (const w of writes) w();
      });
    } catch (e) {
      this.pendingWrites = writes.concat(this.pendingWrites);
      throw e;
    }
  }

  // ── meta ────────────────────────────────────────────────────────────────────────────────
  setMeta(key: string, value: string): void {
    this.st('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(
      key,
      value,
    );
  }
  getMeta(key: string): string | undefined {
    return (this.st('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined)?.value;
  }

  /**
   * Changes with every write to the journal, by this connection or another process (`resume`):
   * an answer derived from the rows stays true while it does not change.
   */
  changeStamp(): string {
    const mine = this.st('SELECT total_changes() AS n').get() as { n: number };
    return `${mine.n}:${this.db.pragma('data_version', { simple: true }) as number}`;
  }

  getFile(pair: string, rel: string): FileRow | undefined {
    return selectFile(this.sql, 'WHERE pair = ? AND rel = ?', pair, rel);
  }

  // ── files: pending work (dirty.ts) ──────────────────────────────────────────────────────
  markDirty(m: DirtyMark): void {
    this.dirty.markDirty(m);
  }
  markManyDirty(m: DirtyMarks): void {
    this.dirty.markManyDirty(m);
  }
  makeAllDue(now: number, pairs: readonly string[]): void {
    this.dirty.makeAllDue(now, pairs);
  }
  takeDue(now: number, limit: number, leaseUntil: number, pairs: readonly string[]): FileRow[] {
    return this.dirty.takeDue(now, limit, leaseUntil, pairs);
  }
  makeRetriesDue(now: number, pair: string): number {
    return this.dirty.makeRetriesDue(now, pair);
  }

  nextDueAt(pairs: readonly string[]): number | undefined {
    return this.dirty.nextDueAt(pairs);
  }
  pendingCount(pair?: string): number {
    return this.dirty.pendingCount(pair);
  }
  unlease(pair: string, rel: string, lease: number, now: number): void {
    this.dirty.unlease(pair, rel, lease, now);
  }
  postpone(pair: string, rel: string, dueAt: number): void {
    this.dirty.postpone(pair, rel, dueAt);
  }
  retryCollisions(pair: string, rel: string, now: number): void {
    this.dirty.retryCollisions(pair, rel, now);
  }

  // ── files: outcomes (outcomes.ts) ───────────────────────────────────────────────────────
  recordSynced(o: SyncedOutcome): void {
    this.outcomes.recordSynced(o);
  }
  recordRemovalSettled(pair: string, rel: string, gen: number, now: number, debounceMs: number): void {
    this.outcomes.recordRemovalSettled(pair, rel, gen, now, debounceMs);
  }
  markRemoteOnly(pair: string, rel: string): void {
    this.outcomes.markRemoteOnly(pair, rel);
  }
  markDeletePending(pair: string, rel: string): void {
    this.outcomes.markDeletePending(pair, rel);
  }
  dropRow(pair: string, rel: string, gen?: number): void {
    this.outcomes.dropRow(pair, rel, gen);
  }
  recordFailure(f: FailureOutcome): void {
    this.outcomes.recordFailure(f);
  }
  recordSkipped(f: SkipOutcome): void {
    this.outcomes.recordSkipped(f);
  }
  recordHeld(pair: string, rel: string, gen: number, reason: string, now: number): void {
    this.pairs.mayHold(pair);
    this.outcomes.recordHeld(pair, rel, gen, reason, now);
  }
}
