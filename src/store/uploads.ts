import type { Sql } from './sql.js';

/**
 * The `uploads` table: multipart uploads (and multipart copies) under way, with their parts, so
 * that one cut short by a crash is found (and aborted) at the next start. One record per upload
 * id, kept until the upload is completed or really gone: a file may have several (a retry after
 * an abort that failed).
 */
export class UploadTable {
  constructor(private readonly sql: Sql) {}

  begin(
    u: {
      pair: string;
      bucket: string;
      rel: string;
      key: string;
      uploadId: string;
      md5: string;
      size: number;
      partSize: number;
      mtimeNs: string;
    },
    now: number,
  ): void {
    this.sql
      .st(
        `INSERT INTO uploads (pair, bucket, rel, key, upload_id, md5, size, part_size, mtime_ns, parts, created_at)
       VALUES (@pair, @bucket, @rel, @key, @uploadId, @md5, @size, @partSize, @mtimeNs, '[]', @now)`,
      )
      .run({ ...u, now });
  }
  recordPart(pair: string, rel: string, uploadId: string, n: number, etag: string): void {
    this.sql
      .st(
        `UPDATE uploads SET parts = json_insert(parts, '$[#]', json_object('n', CAST(? AS INTEGER), 'etag', ?)) WHERE pair = ? AND rel = ? AND upload_id = ?`,
      )
      .run(n, etag, pair, rel, uploadId);
  }
  /** The upload is completed or gone (aborted, or unknown to the server). */
  end(pair: string, uploadId: string): void {
    this.sql.st('DELETE FROM uploads WHERE pair = ? AND upload_id = ?').run(pair, uploadId);
  }
  all(): UploadRecord[] {
    return this.sql
      .st('SELECT pair, bucket, rel, key, upload_id FROM uploads ORDER BY created_at, rowid')
      .all() as UploadRecord[];
  }
  count(): number {
    return this.sql.st('SELECT count(*) FROM uploads').pluck().get() as number;
  }
}

export interface UploadRecord {
  pair: string;
  /** Null for a record written before the bucket was recorded (journal version 1). */
  bucket: string | null;
  rel: string;
  key: string;
  upload_id: string;
}
