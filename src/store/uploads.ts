import type { Sql } from './sql.js';

/** A multipart upload as `UploadTable.begin` records it. */
export interface UploadBegin {
  pair: string;
  bucket: string;
  rel: string;
  key: string;
  uploadId: string;
  md5: string;
  size: number;
  partSize: number;
  mtimeNs: string;
  /** With the rest of the file's identity the upload can be resumed after a restart (not copies). */
  ctimeNs?: string;
  ino?: string;
  /** Fingerprint of the headers it was created with (see settingsFingerprint). */
  settings?: string;
}

/** A part the server confirmed. */
export interface UploadPartRecord {
  n: number;
  size: number;
  md5: string;
  etag: string;
}

/**
 * The `uploads` table: multipart uploads (and multipart copies) under way, with their confirmed
 * parts (`upload_parts`), so that one cut short by a crash is resumed or aborted at the next start.
 * One record per upload id, kept until the upload is completed or really gone: a file may have
 * several (a retry after an abort that failed).
 */
export class UploadTable {
  constructor(private readonly sql: Sql) {}

  begin(u: UploadBegin, now: number): void {
    const resumable = u.ctimeNs !== undefined && u.ino !== undefined ? 1 : 0;
    this.sql
      .st(
        `INSERT INTO uploads (pair, bucket, rel, key, upload_id, md5, size, part_size, mtime_ns, ctime_ns, ino, resumable, settings, parts, created_at)
       VALUES (@pair, @bucket, @rel, @key, @uploadId, @md5, @size, @partSize, @mtimeNs, @ctimeNs, @ino, @resumable, @settings, '[]', @now)`,
      )
      .run({ ctimeNs: null, ino: null, settings: null, ...u, resumable, now });
  }
  recordPart(pair: string, uploadId: string, p: UploadPartRecord): void {
    this.sql
      .st(
        `INSERT OR REPLACE INTO upload_parts (pair, upload_id, n, size, md5, etag) VALUES (@pair, @uploadId, @n, @size, @md5, @etag)`,
      )
      .run({ pair, uploadId, ...p });
  }
  parts(pair: string, uploadId: string): UploadPartRecord[] {
    return this.sql
      .st('SELECT n, size, md5, etag FROM upload_parts WHERE pair = ? AND upload_id = ? ORDER BY n')
      .all(pair, uploadId) as UploadPartRecord[];
  }
  /** An abort was decided: whatever happens to the abort, the upload is never resumed. */
  giveUp(pair: string, uploadId: string): void {
    this.sql.st('UPDATE uploads SET resumable = 0 WHERE pair = ? AND upload_id = ?').run(pair, uploadId);
  }
  /** The upload is completed or gone (aborted, or unknown to the server). */
  end(pair: string, uploadId: string): void {
    this.sql.st('DELETE FROM upload_parts WHERE pair = ? AND upload_id = ?').run(pair, uploadId);
    this.sql.st('DELETE FROM uploads WHERE pair = ? AND upload_id = ?').run(pair, uploadId);
  }
  all(): UploadRecord[] {
    return this.sql.st(`SELECT ${COLUMNS} FROM uploads ORDER BY created_at, rowid`).all() as UploadRecord[];
  }
  /** The file's uploads that may be resumed, oldest first. */
  resumableOf(pair: string, rel: string): UploadRecord[] {
    return this.sql
      .st(`SELECT ${COLUMNS} FROM uploads WHERE pair = ? AND rel = ? AND resumable = 1 ORDER BY created_at, rowid`)
      .all(pair, rel) as UploadRecord[];
  }
  count(): number {
    return this.sql.st('SELECT count(*) FROM uploads').pluck().get() as number;
  }
}

const COLUMNS =
  'pair, bucket, rel, key, upload_id, md5, size, part_size, mtime_ns, ctime_ns, ino, resumable, settings, created_at';

export interface UploadRecord {
  pair: string;
  /** Null for a record written before the bucket was recorded (journal version 1). */
  bucket: string | null;
  rel: string;
  key: string;
  upload_id: string;
  md5: string;
  size: number;
  part_size: number;
  mtime_ns: string;
  ctime_ns: string | null;
  ino: string | null;
  resumable: 0 | 1;
  settings: string | null;
  created_at: number;
}
