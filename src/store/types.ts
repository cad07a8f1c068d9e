/** Row shapes of the journal (snake_case, as SQLite returns them). */
export interface PairRow {
  name: string;
  root: string;
  bucket: string;
  prefix: string;
  root_dev: string | null;
  root_ino: string | null;
  state: 'ok' | 'deletes-held' | 'error';
  hold_reason: string | null;
  held_at: number | null;
  released_at: number | null;
  last_error: string | null;
  last_sync_at: number | null;
  last_listed_at: number | null;
  /** The location and excludes of that listing (plan/trust.ts `listingFingerprint`). */
  listed_fingerprint: string | null;
  /** The prefix (same bucket) the pair mirrored to before the config changed it. */
  moved_from: string | null;
}

export interface FileRow {
  pair: string;
  rel: string;
  key: string;
  present: 0 | 1;
  kind: 'file' | 'symlink' | 'special' | 'remote';
  size: number | null;
  mtime_ns: string | null;
  ctime_ns: string | null;
  ino: string | null;
  hashed_at: number | null;
  md5: string | null;
  part_size: number | null;
  local_etag: string | null;
  etag: string | null;
  etag_kind: 'md5' | 'multipart' | 'opaque' | null;
  remote_size: number | null;
  generation: number;
  synced_generation: number;
  state: 'dirty' | 'clean' | 'failed' | 'skipped' | 'held';
  dirty_since: number | null;
  due_at: number | null;
  attempts: number;
  error_code: string | null;
  error: string | null;
  updated_at: number;
  /** 1: a delete `resume --allow-deletes` released; it passes the guard until it lands or the file is back. */
  released: 0 | 1;
}

/** What reconciliation compares of every row (FileQueries.reconcileRows). */
export type ReconcileRow = Pick<
  FileRow,
  | 'rel'
  | 'key'
  | 'present'
  | 'state'
  | 'kind'
  | 'size'
  | 'mtime_ns'
  | 'ctime_ns'
  | 'ino'
  | 'etag'
  | 'remote_size'
  | 'error_code'
>;

export interface RemoteRow {
  pair: string;
  key: string;
  size: number;
  etag: string;
  meta_md5: string | null;
  listed_at: number;
}

/**
 * Content as the journal can match it (rename sources): its whole-file MD5, or its multipart
 * ETag in a part size; null where not known.
 */
export interface ContentKey {
  md5: string | null;
  partSize: number | null;
  localEtag: string | null;
}
