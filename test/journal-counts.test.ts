import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Journal } from '../src/store/journal.js';

// The per-pair counters (`file_counts`, kept by triggers) are what status, the status writer and
// the mass-delete guard read instead of counting a pair's rows. After any sequence of the
// journal's writes they equal what counting the rows says, and a path's new row never reuses a
// generation of a row deleted before it.

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function journal(): Journal {
  const d = mkdtempSync(join(tmpdir(), 's3mirror-counts-'));
  dirs.push(d);
  return Journal.open(d);
}

/** Each run has pairs of its own in one journal (opening one per run costs most of the time). */
let PAIRS: readonly string[] = [];
let run = 0;
const RELS = ['a', 'b', 'c', 'd/e', 'd/f'] as const;
const CODES = ['S3_REQUEST_FAILED', 'UNSUPPORTED_FILE', 'KEY_COLLISION', 'DELETE_RELEASED'] as const;

/** What counting the rows says: the queries status ran before the counters. */
function counted(j: Journal, pair: string) {
  const groups = j.db
    .prepare(
      `SELECT state, present, count(*) AS n, coalesce(sum(size), 0) AS bytes FROM files WHERE pair = ?
       GROUP BY state, present ORDER BY state, present`,
    )
    .all(pair);
  const retrying = j.db
    .prepare(
      `SELECT count(*) FROM files WHERE pair = ? AND state = 'dirty'
       AND (attempts > 0 OR (error_code IS NOT NULL AND error_code NOT IN ('DELETE_RELEASED', 'DELETES_HELD')
                             AND NOT (error_code = 'UNSUPPORTED_FILE' AND kind IN ('symlink', 'special'))))`,
    )
    .pluck()
    .get(pair);
  const one = (sql: string) => j.db.prepare(sql).pluck().get(pair);
  return {
    groups,
    retrying,
    pending: one("SELECT count(*) FROM files WHERE pair = ? AND state = 'dirty'"),
    known: one("SELECT count(*) FROM files WHERE pair = ? AND (present = 1 OR state <> 'clean')"),
    problems: !!one("SELECT 1 FROM files WHERE pair = ? AND state IN ('failed', 'held') LIMIT 1"),
  };
}

function fromCounters(j: Journal, pair: string) {
  const groups = j.query
    .stateCounts(pair)
    .map((c) => ({ state: c.state, present: c.present, n: c.n, bytes: c.bytes }))
    .sort((x, y) => (x.state < y.state ? -1 : x.state > y.state ? 1 : x.present - y.present));
  return {
    groups,
    retrying: j.query.retryingCount(pair),
    pending: j.pendingCount(pair),
    known: j.query.knownFiles(pair),
    problems: j.query.hasProblems(pair),
  };
}

type Op =
  | { op: 'dirty' | 'delete-pending' | 'remote-only' | 'drop' | 'collisions' | 'held'; pair: number; rel: number }
  | { op: 'synced' | 'settled' | 'skip'; pair: number; rel: number; size: number; stale: boolean }
  | { op: 'fail'; pair: number; rel: number; code: number; retry: boolean; stale: boolean }
  | { op: 'many'; pair: number; rels: number[] }
  | { op: 'release' | 'retries-due' | 'take' | 'rekey'; pair: number };

const at = { pair: fc.nat(1), rel: fc.nat(RELS.length - 1) };
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constantFrom('dirty', 'delete-pending', 'remote-only', 'drop', 'collisions', 'held'), ...at }),
  fc.record({ op: fc.constantFrom('synced', 'settled', 'skip'), ...at, size: fc.nat(5000), stale: fc.boolean() }),
  fc.record({
    op: fc.constant('fail'),
    ...at,
    code: fc.nat(CODES.length - 1),
    retry: fc.boolean(),
    stale: fc.boolean(),
  }),
  fc.record({ op: fc.constant('many'), pair: at.pair, rels: fc.array(at.rel, { maxLength: 4 }) }),
  fc.record({ op: fc.constantFrom('release', 'retries-due', 'take', 'rekey'), pair: at.pair }),
);

/** Performs one write; what it returns is of no interest. */
function apply(j: Journal, o: Op, now: number): unknown {
  const pair = PAIRS[o.pair]!;
  const mark = { now, debounceMs: 10, maxDelayMs: 100 };
  if (!('rel' in o)) {
    if (o.op === 'many')
      j.markManyDirty({ pair, items: o.rels.map((i) => ({ rel: RELS[i]!, key: RELS[i]! })), ...mark });
    else if (o.op === 'release') j.pairs.releaseHeld(pair, now);
    else if (o.op === 'retries-due') j.makeRetriesDue(now, pair);
    else if (o.op === 'take') j.takeDue(now + 1000, 3, now + 5000, [pair]);
    else j.pairs.rekey(pair, { bucket: 'b', prefix: `k${now}/` }, (rel) => `k${now}/${rel}`, now);
    return;
  }
  const rel = RELS[o.rel]!;
  const row = j.getFile(pair, rel);
  const gen = (stale: boolean) => (row?.generation ?? 1) - (stale ? 1 : 0);
  switch (o.op) {
    case 'dirty':
      return j.markDirty({ pair, rel, key: rel, ...mark });
    case 'delete-pending':
      return j.markDeletePending(pair, rel);
    case 'remote-only':
      return j.markRemoteOnly(pair, rel);
    case 'drop':
      return j.dropRow(pair, rel, row?.generation);
    case 'collisions':
      return j.retryCollisions(pair, rel, now);
    case 'held':
      return j.recordHeld(pair, rel, gen(false), 'too many', now);
    case 'synced':
      return j.recordSynced({
        pair,
        rel,
        gen: gen(o.stale),
        stat: { size: o.size, mtimeNs: '1', ctimeNs: '1', ino: '1' },
        content: { md5: 'm', partSize: 0, localEtag: 'e', etag: 'e', etagKind: 'md5' },
        now,
        debounceMs: 10,
      });
    case 'settled':
      return j.recordRemovalSettled(pair, rel, gen(o.stale), now, 10);
    case 'skip':
      return j.recordSkipped({
        pair,
        rel,
        gen: gen(o.stale),
        kind: o.size % 2 ? 'symlink' : 'special',
        code: 'UNSUPPORTED_FILE',
        message: 'not a file',
        now,
      });
    case 'fail':
      return j.recordFailure({
        pair,
        rel,
        gen: gen(o.stale),
        code: CODES[o.code]!,
        message: 'failed',
        retryAt: o.retry ? now + 100 : null,
        now,
      });
  }
}

describe('journal counters', () => {
  it('equal the count of the rows after any sequence of writes (fast-check)', () => {
    const j = journal();
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 40 }), (ops) => {
        run++;
        PAIRS = [`p${run}`, `q${run}`];
        for (const name of PAIRS) j.pairs.upsert({ name, root: `/r/${name}`, bucket: 'b', prefix: '' });
        {
          const seen = new Map<string, number>();
          ops.forEach((o, i) => {
            apply(j, o, 1_000_000 + i * 50);
            // A path's generation only grows, across deletes of its row too.
            for (const pair of PAIRS)
              for (const rel of RELS) {
                const g = j.getFile(pair, rel)?.generation;
                const id = `${pair}/${rel}`;
                if (g === undefined) continue;
                expect(g).toBeGreaterThanOrEqual(seen.get(id) ?? 0);
                seen.set(id, g);
              }
          });
          for (const pair of PAIRS) expect(fromCounters(j, pair)).toEqual(counted(j, pair));
          expect(j.pendingCount()).toBe(j.db.prepare("SELECT count(*) FROM files WHERE state = 'dirty'").pluck().get());
        }
      }),
      { numRuns: 500, seed: 20261207 },
    );
    j.close();
  });
});
