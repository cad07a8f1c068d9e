import type { Sql } from './sql.js';

/**
 * The `uploads` table: multipart uploads (and multipart copies) under way, with their parts, so
 * that one cut short by a crash is found (and aborted) at the next start.
 */
export class UploadTable {
  constructor(private readonly sql: Sql) {}

  begin(u: { pair: string; rel: string; key: string; uploadId: string; md5: string; size: number; partSize: number; mtimeNs: string }, now: number): void {
    this.sql.st(
      `INSERT OR REPLACE INTO uploads (pair, rel, key, upload_id, md5, size, part_size, mtime_ns, parts, created_at)
       VALUES (@pair, @rel, @key, @uploadId, @md5, @size, @partSize, @mtimeNs, '[]', @now)`,
    ).run({ ...u, now });
  }
  recordPart(pair: string, rel: string, uploadId: string, n: number, etag: string): void {
    this.sql.st(
      `UPDATE uploads SET parts = json_insert(parts, '$[#]', json_object('n', ?, 'etag', ?)) WHERE pair = ? AND rel = ? AND upload_id = ?`,
    ).run(n, etag, pair, rel, uploadId);
  }
  end(pair: string, rel: string): void {
    this.sql.st('DELETE FROM uploads WHERE pair = ? AND rel = ?').run(pair, rel);
  }
  all(): { pair: string; rel: string; key: string; upload_id: string }[] {
    return this.sql.st('SELECT pair, rel, key, upload_id FROM uploads').all() as { pair: string; rel: string; key: string; upload_id: string }[];
  }
}
