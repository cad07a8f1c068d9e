import type { Database, Statement } from 'better-sqlite3';

/** One connection's statements, each prepared once, and its transactions. */
export class Sql {
  private readonly stmts = new Map<string, Statement>();

  constructor(private readonly db: Database) {}

  st(sql: string): Statement {
    let s = this.stmts.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.stmts.set(sql, s);
    }
    return s;
  }

  tx<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }
}
