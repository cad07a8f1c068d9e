// Every statement the journal prepares while a daemon works (scheduler, engine, deletes, event
// sink, status writer), while `sync --once` and an audit run, and while `status` reads, is
// captured, and its plan is asked of SQLite: none may read every row of `files` or `remote`
// (a SCAN), nor every row of a pair (a search on `pair` alone), except the cold statements named
// below, each with the reason it may. A statement added to a hot path without an index fails
// here. Real files, a real daemon and watcher, a real S3 server.
import Database from 'better-sqlite3';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readStatus } from '../src/status/status.js';
import { Journal } from '../src/store/journal.js';
import type { Daemon } from '../src/sync/daemon.js';
import { IGNORE_FILE } from '../src/watch/filter.js';
import { audit, daemon, eventually, expectMirror, once, scratch, type Scratch } from './support/mirror.js';

let s: Scratch | undefined;
let d: Daemon | undefined;
afterEach(async () => {
  await d?.stop();
  d = undefined;
  s?.cleanup();
  s = undefined;
});

/**
 * Statements that may read a whole pair, whitespace aside: each runs once per pass, per listing
 * or per delete flush, never per row or per second.
 */
const COLD: ReadonlyMap<string, string> = new Map([
  [
    'SELECT rel, key, present, state, kind, size, mtime_ns, ctime_ns, ino, etag, remote_size, error_code FROM files WHERE pair = ?',
    'reconcile compares every row of the pair with the walk, once a pass',
  ],
  [
    'SELECT rel, key, present, state, kind, size, mtime_ns, ctime_ns, ino, etag, remote_size, error_code, rowid FROM files WHERE pair = ? ORDER BY key, rowid LIMIT ?',
    "the reconcile march's first page of rows in key order: the index in order, cut by LIMIT, once a pass",
  ],
  ['SELECT key, size, etag FROM remote WHERE pair = ?', 'a listing is compared with the last one, once a listing'],
  ['SELECT * FROM remote WHERE pair = ?', 'a pass that does not list reads the last listing instead'],
  [
    'SELECT key FROM (SELECT key, row_number() OVER (ORDER BY key) AS n, count(*) OVER () AS total FROM remote WHERE pair = ?) WHERE n % ? = 0 AND n < total',
    'where to cut the next listing, once a listing',
  ],
  [
    'SELECT count(*) AS n FROM remote WHERE pair = ?',
    "the mass-delete guard's object count: once a pass or a delete flush",
  ],
  ['SELECT rel FROM files WHERE pair = ?', 'a pair moved to another bucket or prefix is re-keyed, once'],
  ['DELETE FROM remote WHERE pair = ?', "a re-keyed pair forgets the old location's listing, once"],
]);

const oneLine = (sql: string) => sql.replace(/\s+/g, ' ').trim();

/** Every statement prepared on any SQLite connection while `fn` runs. */
async function captured(fn: () => Promise<void>): Promise<Set<string>> {
  const seen = new Set<string>();
  const proto = Database.prototype as unknown as { prepare: (sql: string) => unknown };
  const prepare = proto.prepare;
  proto.prepare = function (this: unknown, sql: string) {
    seen.add(sql);
    return prepare.call(this, sql);
  };
  try {
    await fn();
  } finally {
    proto.prepare = prepare;
  }
  return seen;
}

/** `sql`'s plan, its parameters bound to NULL (a plan does not depend on their values). */
function planOf(db: Database.Database, sql: string): string[] {
  const st = db.prepare(`EXPLAIN QUERY PLAN ${sql}`);
  const named = [...new Set([...sql.matchAll(/[@$:]([A-Za-z_]\w*)/g)].map((m) => m[1]!))];
  const args = named.length
    ? [Object.fromEntries(named.map((n) => [n, null]))]
    : Array.from({ length: (sql.match(/\?/g) ?? []).length }, () => null);
  return (st.all(...args) as { detail: string }[]).map((r) => r.detail);
}

/**
 * Plan lines that read every row of `files` or `remote`, or every row of one pair, through the
 * table or a full index. A partial index (`files_due`, `files_unsettled`, `files_tombstone`)
 * holds only the rows with work or a problem in hand, not the pair's history: reading it is fine.
 */
function fullReads(sql: string, plan: readonly string[], partial: ReadonlySet<string>): string[] {
  const names = new Set(['files', 'remote']);
  for (const m of sql.matchAll(/\b(?:files|remote)\s+(?:AS\s+)?([a-z]\w*)\b/gi))
    if (!/^(WHERE|SET|ON|USING|ORDER|GROUP|LIMIT|VALUES|JOIN)$/i.test(m[1]!)) names.add(m[1]!);
  return plan.filter((line) => {
    const m = /^(SCAN|SEARCH) (\w+)(?: USING (?:COVERING )?INDEX (\w+))?(.*)$/.exec(line);
    if (!m || !names.has(m[2]!) || (m[3] && partial.has(m[3]))) return false;
    return m[1] === 'SCAN' || /\(pair=\?\)$/.test(m[4]!);
  });
}

describe('query plans', () => {
  it('no statement run per row or per second reads every row of a pair', async () => {
    s = await scratch('plans');
    const sc = s;
    const cfg = sc.config({ maxDeletePercent: 100 }, { watcher: 'chokidar' });
    for (let i = 0; i < 20; i++) sc.write(`d${i % 3}/f${i}.txt`, `file ${i}`);
    const sql = await captured(async () => {
      await once(cfg);
      d = daemon(cfg);
      await d.start();
      sc.write('new.txt', 'new');
      sc.write('d0/f0.txt', 'changed');
      rmSync(join(sc.root, 'd1/f1.txt'));
      renameSync(join(sc.root, 'd2/f2.txt'), join(sc.root, 'd2/moved.txt'));
      const outside = join(sc.dir, 'outside');
      mkdirSync(join(outside, 'in/deep'), { recursive: true });
      writeFileSync(join(outside, 'in/deep/x.txt'), 'moved in');
      renameSync(join(outside, 'in'), join(sc.root, 'in'));
      writeFileSync(join(sc.root, IGNORE_FILE), 'd0/f3.txt\n');
      await eventually(() => expectMirror(sc.root, sc.bucket), 20_000);
      await eventually(() => expect(readStatus(cfg).pairs[0]!.verdict).toBe('in sync'), 20_000);
      await d.stop();
      d = undefined;
      await audit(cfg);
    });
    const j = Journal.open(join(sc.dir, 'plans'));
    try {
      const partial = new Set(
        j.db
          .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND sql LIKE '% WHERE %'")
          .pluck()
          .all() as string[],
      );
      expect([...partial].sort()).toEqual(['files_due', 'files_tombstone', 'files_unsettled']);
      const bad: Record<string, string[]> = {};
      for (const text of sql) {
        // Only the journal's two tables that grow with the tree (the lock's connection has its own).
        if (!/^\s*(SELECT|INSERT|UPDATE|DELETE|WITH)\b/i.test(text) || !/\b(files|remote)\b/.test(text)) continue;
        if (COLD.has(oneLine(text))) continue;
        const reads = fullReads(text, planOf(j.db, text), partial);
        if (reads.length) bad[oneLine(text)] = reads;
      }
      expect(bad).toEqual({});
      // The workload reached the statements this test is for.
      const all = [...sql].join('\n');
      for (const hot of ['INSERT INTO files', 'FROM file_counts', 'json_each', 'UPDATE files SET'])
        expect(all).toContain(hot);
    } finally {
      j.close();
    }
  });
});
