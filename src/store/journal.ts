// src/store/: the SQLite journal, the single source of truth for pending work, and the state lock.
import Database, { type Database as Db, type Statement } from 'better-sqlite3';
import { join } from 'node:path';
import { MirrorError } from '../errors.js';
import { failpoint } from '../failpoints.js';
import { makeStateDir, prepareStateFile, restrictStateFile } from '../local/state-files.js';
import { migrate } from './schema.js';
import { ErrorLog } from './errorlog.js';
import { selectFile, selectFiles } from './filerows.js';
import { PairTable } from './pairs.js';
import { FileQueries } from './queries.js';
import { RemoteTable } from './remote.js';
import { Sql } from './sql.js';
import type { LocalStat, SyncedContent } from '../model.js';
import type { FileRow } from './types.js';
import { UploadTable } from './uploads.js';

export type { FileRow, ReconcileRow } from './types.js';

export const JOURNAL_FILE = 'journal.db';
const SOON_MS = 100;

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
 * The single source of truth for pending work (docs/architecture.md, "Data flow"). Every
 * statement is prepared once; multi-row writes run in one transaction. Reads that feed writes are
 * materialised first (`.all()`), because a connection cannot write while an `.iterate()` cursor
 * is open.
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
  private pendingWrites: (() => void)[] = [];
  private soonTimer: NodeJS.Timeout | undefined;

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
  }

  static open(stateDir: string, opts: { readonly?: boolean } = {}): Journal {
    const path = join(stateDir, JOURNAL_FILE);
    let db: Db;
    try {
      if (!opts.readonly) {
        makeStateDir(stateDir);
        prepareStateFile(path);
        for (const side of ['-wal', '-shm']) restrictStateFile(path + side);
      }
      db = new Database(path, { readonly: !!opts.readonly, fileMustExist: !!opts.readonly });
    } catch (e) {
      throw new MirrorError('STATE_DIR_UNUSABLE', `cannot open journal ${path}: ${(e as Error).message}`, {
        hint: opts.readonly
          ? 'has the daemon (or sync --once) run with this stateDir yet?'
          : 'stateDir must be a writable directory',
      });
    }
    db.pragma('busy_timeout = 5000');
    if (!opts.readonly) {
      db.pragma('journal_mode = WAL');
      // NORMAL in WAL mode: a commit is durable against a process crash (kill -9); only an OS
      // crash may lose the last transactions, and every row can be re-derived by reconciliation.
      db.pragma('synchronous = NORMAL');
      migrate(db);
    }
    return new Journal(db, path, !opts.readonly);
  }

  close(): void {
    this.flush();
    if (this.writer) {
      // A WAL database can only be read by someone who can create its -shm file, i.e. write the
      // state dir. Leaving it in rollback mode lets `status` run as a user who can only read it
      // while no s3mirror is running; the next writer switches back to WAL. Best effort: a
      // reader holding it open makes this fail, and then the -wal/-shm pair stays for it.
      try {
        this.db.pragma('journal_mode = DELETE');
      } catch {
        /* still WAL: fine for readers that can write, as before */
      }
    }
    this.db.close();
  }

  /** What a kill -9 leaves (in-process crash tests): outcomes not yet committed are lost. */
  abandon(): void {
    clearTimeout(this.soonTimer);
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
   * transaction per file: within SOON_MS, at `flush()` (each batch ends with one), or at close.
   * A crash in between only costs a re-check: the object is in the bucket, and the next pass
   * recognises it by its ETag or x-amz-meta-md5.
   */
  soon(write: () => void): void {
    this.pendingWrites.push(write);
    if (!this.soonTimer) {
      this.soonTimer = setTimeout(() => {
        try {
          this.flush();
        } catch {
          /* kept queued by flush; the batch's own flush (or close) tries again */
        }
      }, SOON_MS);
      this.soonTimer.unref();
    }
  }

  flush(): void {
    clearTimeout(this.soonTimer);
    this.soonTimer = undefined;
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

  // ── files: marking work ─────────────────────────────────────────────────────────────────
  /** A hint that `rel` may have changed: bump its generation and (re)start its debounce. */
  markDirty(pair: string, rel: string, key: string, now: number, debounceMs: number, maxDelayMs: number): void {
    this.st(
      `INSERT INTO files (pair, rel, key, state, dirty_since, due_at, updated_at)
       VALUES (@pair, @rel, @key, 'dirty', @now, @now + @debounce, @now)
       ${DIRTY_ON_CONFLICT}`,
    ).run({ pair, rel, key, now, debounce: debounceMs, maxDelay: maxDelayMs });
  }

  /** markDirty for many rows in one statement (half the time of one statement per row), in order. */
  markManyDirty(
    pair: string,
    items: readonly { rel: string; key: string }[],
    now: number,
    debounceMs: number,
    maxDelayMs: number,
  ): void {
    if (!items.length) return;
    this.st(
      `INSERT INTO files (pair, rel, key, state, dirty_since, due_at, updated_at)
       SELECT @pair, j.value ->> 0, j.value ->> 1, 'dirty', @now, @now + @debounce, @now FROM json_each(@items) AS j WHERE true
       ${DIRTY_ON_CONFLICT}`,
    ).run({
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
    this.st("UPDATE files SET due_at = ? WHERE state = 'dirty' AND pair IN (SELECT value FROM json_each(?))").run(
      now,
      JSON.stringify(pairs),
    );
  }

  /**
   * Take up to `limit` due rows of these pairs and lease them until `leaseUntil`, so the next pick
   * skips them. Rows of any other pair (removed from the config, or paused) are never taken: no
   * engine would work on them, and their lease would be waited out.
   */
  takeDue(now: number, limit: number, leaseUntil: number, pairs: readonly string[]): FileRow[] {
    return this.tx(() => {
      const rows = selectFiles(
        this.sql,
        "WHERE state = 'dirty' AND due_at <= ? AND pair IN (SELECT value FROM json_each(?)) ORDER BY due_at LIMIT ?",
        now,
        JSON.stringify(pairs),
        limit,
      );
      const lease = this.st('UPDATE files SET due_at = ? WHERE pair = ? AND rel = ?');
      for (const r of rows) lease.run(leaseUntil, r.pair, r.rel);
      return rows;
    });
  }

  /** When the next row of these pairs is due (see takeDue). */
  nextDueAt(pairs: readonly string[]): number | undefined {
    const r = this.st(
      "SELECT min(due_at) AS d FROM files WHERE state = 'dirty' AND pair IN (SELECT value FROM json_each(?))",
    ).get(JSON.stringify(pairs)) as { d: number | null };
    return r.d ?? undefined;
  }

  pendingCount(pair?: string): number {
    const r = (
      pair === undefined
        ? this.st("SELECT count(*) AS n FROM files WHERE state = 'dirty'").get()
        : this.st("SELECT count(*) AS n FROM files WHERE state = 'dirty' AND pair = ?").get(pair)
    ) as { n: number };
    return r.n;
  }

  getFile(pair: string, rel: string): FileRow | undefined {
    return selectFile(this.sql, 'WHERE pair = ? AND rel = ?', pair, rel);
  }

  // ── files: outcomes (each guarded by the generation the work started from) ─────────────
  /**
   * The object at `key` now holds exactly this content. If the file changed while we worked
   * (generation moved on), the row stays dirty and becomes due after a fresh debounce; its
   * maxDelayMs starts again now, so a file that never stops changing is shipped at most once
   * per maxDelayMs, not at every change after the first capped shipment.
   */
  recordSynced(
    pair: string,
    rel: string,
    gen: number,
    stat: LocalStat,
    c: SyncedContent,
    now: number,
    debounceMs: number,
  ): void {
    // Positional parameters: one write per file, and binding by name costs an object and a lookup each.
    this.st(
      `UPDATE files SET present = 1, kind = 'file', size = ?, mtime_ns = ?, ctime_ns = ?, ino = ?,
         hashed_at = ?, md5 = ?, part_size = ?, local_etag = ?,
         etag = ?, etag_kind = ?, remote_size = ?, synced_generation = ?,
         attempts = 0, error_code = NULL, error = NULL, updated_at = ?,
         state = CASE WHEN generation = ? THEN 'clean' ELSE 'dirty' END,
         dirty_since = CASE WHEN generation = ? THEN NULL ELSE ? END,
         due_at = CASE WHEN generation = ? THEN NULL ELSE ? END
       WHERE pair = ? AND rel = ?`,
    ).run(
      stat.size,
      stat.mtimeNs,
      stat.ctimeNs,
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
      now + debounceMs,
      pair,
      rel,
    );
  }

  /** The local file is gone and the remote side is settled (deleted, trashed or kept). */
  recordGone(pair: string, rel: string, gen: number, now: number, debounceMs: number): void {
    this.st(
      `UPDATE files SET present = 0, synced_generation = @gen, attempts = 0, error_code = NULL, error = NULL, updated_at = @now,
         etag = NULL, etag_kind = NULL, remote_size = NULL,
         state = CASE WHEN generation = @gen THEN 'clean' ELSE 'dirty' END,
         dirty_since = CASE WHEN generation = @gen THEN NULL ELSE @now END,
         due_at = CASE WHEN generation = @gen THEN NULL ELSE @now + @debounce END
       WHERE pair = @pair AND rel = @rel`,
    ).run({ pair, rel, gen, now, debounce: debounceMs });
  }

  /** Due now if the row still carries exactly this lease (nothing since has set its due time). */
  unlease(pair: string, rel: string, lease: number, now: number): void {
    this.st("UPDATE files SET due_at = ? WHERE pair = ? AND rel = ? AND state = 'dirty' AND due_at = ?").run(
      now,
      pair,
      rel,
      lease,
    );
  }

  postpone(pair: string, rel: string, dueAt: number): void {
    this.st('UPDATE files SET due_at = ? WHERE pair = ? AND rel = ?').run(dueAt, pair, rel);
  }

  /** A listed object with no local file and no history: a row so the planner can decide on it. */
  markRemoteOnly(pair: string, rel: string): void {
    this.st("UPDATE files SET kind = 'remote', present = 0 WHERE pair = ? AND rel = ? AND md5 IS NULL").run(pair, rel);
  }

  /** Mark a row as a tombstone whose delete is pending (keeps md5/size to pair a rename). */
  recordAbsent(pair: string, rel: string): void {
    this.st('UPDATE files SET present = 0 WHERE pair = ? AND rel = ?').run(pair, rel);
  }

  /** `rel`'s file is gone: a file that lost its key to it (KEY_COLLISION) may take the key over now. */
  retryCollisions(pair: string, rel: string, now: number): void {
    this.st(
      `UPDATE files SET state = 'dirty', generation = generation + 1, attempts = 0, dirty_since = @now, due_at = @now, updated_at = @now
       WHERE pair = @pair AND state = 'failed' AND error_code = 'KEY_COLLISION' AND rel <> @rel
         AND key = (SELECT key FROM files WHERE pair = @pair AND rel = @rel)`,
    ).run({ pair, rel, now });
  }

  forget(pair: string, rel: string, gen?: number): void {
    if (gen === undefined) this.st('DELETE FROM files WHERE pair = ? AND rel = ?').run(pair, rel);
    else this.st('DELETE FROM files WHERE pair = ? AND rel = ? AND generation = ?').run(pair, rel, gen);
  }

  /**
   * A failure: retried at `retryAt`, or (null) only when the file changes again. A file that
   * changed meanwhile is due again at `retryAt` too (at once without one): due at once, a file
   * that changes faster than it can be read looped read → abort → read. Its maxDelayMs counts
   * from this failure.
   */
  recordFailure(
    pair: string,
    rel: string,
    gen: number,
    code: string,
    message: string,
    retryAt: number | null,
    now: number,
  ): void {
    this.st(
      `UPDATE files SET attempts = attempts + 1, error_code = @code, error = @message, updated_at = @now,
         state = CASE WHEN generation <> @gen THEN 'dirty' WHEN @retryAt IS NULL THEN 'failed' ELSE 'dirty' END,
         dirty_since = CASE WHEN generation <> @gen OR @retryAt IS NOT NULL THEN @now ELSE NULL END,
         due_at = CASE WHEN generation <> @gen THEN coalesce(@retryAt, @now) WHEN @retryAt IS NULL THEN NULL ELSE @retryAt END
       WHERE pair = @pair AND rel = @rel`,
    ).run({ pair, rel, gen, code, message, retryAt, now });
    this.errors.add(now, pair, rel, code, message);
  }

  /** Not mirrored on purpose (symlink, FIFO, over-long key …): listed in status, retried on change. */
  recordSkipped(
    pair: string,
    rel: string,
    gen: number,
    kind: FileRow['kind'],
    code: string,
    message: string,
    now: number,
  ): void {
    this.st(
      `UPDATE files SET kind = @kind, error_code = @code, error = @message, updated_at = @now, synced_generation = @gen,
         state = CASE WHEN generation = @gen THEN 'skipped' ELSE 'dirty' END,
         due_at = CASE WHEN generation = @gen THEN NULL ELSE @now END
       WHERE pair = @pair AND rel = @rel`,
    ).run({ pair, rel, gen, kind, code, message, now });
  }

  recordHeld(pair: string, rel: string, gen: number, reason: string, now: number): void {
    this.st(
      `UPDATE files SET present = 0, error_code = 'DELETES_HELD', error = @reason, updated_at = @now,
         state = CASE WHEN generation = @gen THEN 'held' ELSE 'dirty' END,
         due_at = CASE WHEN generation = @gen THEN NULL ELSE @now END
       WHERE pair = @pair AND rel = @rel`,
    ).run({ pair, rel, gen, reason, now });
  }
}
