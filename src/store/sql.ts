import type { Database, Statement } from 'better-sqlite3';

/** One connection's statements, each prepared once, and its transactions. */
export class Sql {
  private readonly stmts = new Map<string, Statement>();
  /** One transaction runner for every call: `db.transaction(fn)` builds five wrappers each time. */
  private readonly run: (fn: () => unknown) => unknown;
  /** Told of every failed write (a statement's run or a commit), before the error is thrown on. */
  onWriteError: ((e: unknown) => void) | undefined;

  constructor(private readonly db: Database) {
    this.run = db.transaction((fn: () => unknown) => fn());
  }

  st(sql: string): Statement {
    let s = this.stmts.get(sql);
    if (!s) {
      s = this.watched(this.db.prepare(sql));
      this.stmts.set(sql, s);
    }
    return s;
  }

  /**
   * A statement that returns each row as an array in column order: better-sqlite3 builds an
   * object property by property, which costs twice as much for wide rows. Cached apart from `st`,
   * because raw mode sticks to the statement.
   */
  raw(sql: string): Statement {
    const id = `\0raw\0${sql}`;
    let s = this.stmts.get(id);
    if (!s) {
      s = this.db.prepare(sql).raw(true);
      this.stmts.set(id, s);
    }
    return s;
  }

  get inTransaction(): boolean {
    return this.db.inTransaction;
  }

  tx<T>(fn: () => T): T {
    try {
      return this.run(fn) as T;
    } catch (e) {
      this.onWriteError?.(e);
      throw e;
    }
  }

  /** Writes that fail are reported wherever they run, so no caller can swallow a full disk unseen. */
  private watched(s: Statement): Statement {
    if (s.reader) return s;
    const run = s.run.bind(s);
    s.run = (...args: unknown[]) => {
      try {
        return run(...args);
      } catch (e) {
        this.onWriteError?.(e);
        throw e;
      }
    };
    return s;
  }
}
