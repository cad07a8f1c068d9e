import type { StatusCode } from '../errors.js';
import type { Sql } from './sql.js';

/** The `errors` table: a bounded history of recent errors for status; the logs keep the rest. */
export class ErrorLog {
  /** Errors recorded by this process, per pair and code (the metrics' counters). */
  private readonly counts = new Map<string, Record<string, number>>();
  private readonly retries = new Map<string, number>();

  constructor(private readonly sql: Sql) {}

  countsOf(pair: string): Record<string, number> {
    return { ...this.counts.get(pair) };
  }

  retriesOf(pair: string): number {
    return this.retries.get(pair) ?? 0;
  }

  /** A failed attempt that will be tried again. */
  retried(pair: string): void {
    this.retries.set(pair, (this.retries.get(pair) ?? 0) + 1);
  }

  add(at: number, pair: string | null, rel: string | null, code: StatusCode, message: string): void {
    if (pair !== null) {
      const c = this.counts.get(pair) ?? {};
      c[code] = (c[code] ?? 0) + 1;
      this.counts.set(pair, c);
    }
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
