import type { StatusCode } from '../errors.js';
import type { Sql } from './sql.js';

/** The `errors` table: a bounded history of recent errors for status; the logs keep the rest. */
export class ErrorLog {
  constructor(private readonly sql: Sql) {}

  add(at: number, pair: string | null, rel: string | null, code: StatusCode, message: string): void {
    this.sql
      .st('INSERT INTO errors (at, pair, rel, code, message) VALUES (?, ?, ?, ?, ?)')
      .run(at, pair, rel, code, message);
    // Keep a bounded history: status shows recent errors, the logs keep the rest.
    this.sql.st('DELETE FROM errors WHERE id <= (SELECT max(id) FROM errors) - 200').run();
  }
  recent(limit: number): { at: number; pair: string | null; rel: string | null; code: string; message: string }[] {
    return this.sql.st('SELECT at, pair, rel, code, message FROM errors ORDER BY id DESC LIMIT ?').all(limit) as never;
  }
}
