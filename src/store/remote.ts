import type { Sql } from './sql.js';
import type { RemoteRow } from './types.js';

/** key, size, etag */
type KnownObject = [string, number, string];

/** The `remote` table: the objects under each pair's prefix, as listings and our writes say. */
export class RemoteTable {
  constructor(private readonly sql: Sql) {}

  /**
   * The listing is the truth about the prefix: rows it no longer has go, new or changed ones are
   * written (a changed object forgets its x-amz-meta-md5), and unchanged ones are left alone, so a
   * no-op restart writes almost nothing and what HEAD taught us survives. `fingerprint`: where
   * the listing was made (bucket, prefix, excludes), recorded with its time.
   */
  replace(
    pair: string,
    rows: readonly { key: string; size: number; etag: string }[],
    listed: { now: number; fingerprint: string },
  ): void {
    const { now } = listed;
    // Arrays, not objects: 10,000 rows in a third of the time.
    const known = new Map<string, KnownObject>();
    for (const r of this.sql.raw('SELECT key, size, etag FROM remote WHERE pair = ?').all(pair) as KnownObject[])
      known.set(r[0], r);
    this.sql.tx(() => {
      const put = this.sql.st(
        `INSERT INTO remote (pair, key, size, etag, listed_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (pair, key) DO UPDATE SET size = excluded.size, etag = excluded.etag, meta_md5 = NULL, listed_at = excluded.listed_at`,
      );
      for (const r of rows) {
        const k = known.get(r.key);
        known.delete(r.key);
        if (!k || k[1] !== r.size || k[2] !== r.etag) put.run(pair, r.key, r.size, r.etag, now);
      }
      const drop = this.sql.st('DELETE FROM remote WHERE pair = ? AND key = ?');
      for (const key of known.keys()) drop.run(pair, key);
      this.sql
        .st('UPDATE pairs SET last_listed_at = ?, listed_fingerprint = ? WHERE name = ?')
        .run(now, listed.fingerprint, pair);
    });
  }

  /**
   * Every `every`-th key of the pair in S3's order (UTF-8 bytes, which is SQLite's BINARY order),
   * the last key excluded: where to cut the next listing so that, if nothing changed, each range
   * is one page (listPrefix in src/s3/listing.ts).
   */
  splitKeys(pair: string, every: number): string[] {
    return this.sql
      .st(
        'SELECT key FROM (SELECT key, row_number() OVER (ORDER BY key) AS n, count(*) OVER () AS total FROM remote WHERE pair = ?) WHERE n % ? = 0 AND n < total',
      )
      .pluck()
      .all(pair, every) as string[];
  }
  of(pair: string): RemoteRow[] {
    return this.sql.st('SELECT * FROM remote WHERE pair = ?').all(pair) as RemoteRow[];
  }
  /** get() for many keys in one statement (a batch being examined). */
  getMany(pair: string, keys: readonly string[]): Map<string, RemoteRow> {
    const out = new Map<string, RemoteRow>();
    const rows = this.sql
      .st('SELECT * FROM remote WHERE pair = ? AND key IN (SELECT value FROM json_each(?))')
      .all(pair, JSON.stringify(keys)) as RemoteRow[];
    for (const r of rows) out.set(r.key, r);
    return out;
  }
  get(pair: string, key: string): RemoteRow | undefined {
    return this.sql.st('SELECT * FROM remote WHERE pair = ? AND key = ?').get(pair, key) as RemoteRow | undefined;
  }
  /** What one of our writes or a HEAD taught us about one object. */
  put(o: { pair: string; key: string; size: number; etag: string; metaMd5: string | null; now: number }): void {
    this.sql
      .st(
        `INSERT INTO remote (pair, key, size, etag, meta_md5, listed_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (pair, key) DO UPDATE SET size = excluded.size, etag = excluded.etag, meta_md5 = excluded.meta_md5, listed_at = excluded.listed_at`,
      )
      .run(o.pair, o.key, o.size, o.etag, o.metaMd5, o.now);
  }
  drop(pair: string, key: string): void {
    this.sql.st('DELETE FROM remote WHERE pair = ? AND key = ?').run(pair, key);
  }
  count(pair: string): number {
    return (this.sql.st('SELECT count(*) AS n FROM remote WHERE pair = ?').get(pair) as { n: number }).n;
  }
}
