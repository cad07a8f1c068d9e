import type { Database } from 'better-sqlite3';

/**
 * Numbered migrations; `PRAGMA user_version` is the index of the last one applied. Never edit a
 * released migration: append a new one. Times are ms since the epoch (INTEGER) except file times
 * and identities (mtime/ctime in ns, inode, device), which exceed 2^53 and are stored as decimal
 * TEXT: compared for equality only, exact, and free of BigInt plumbing.
 */
/**
 * Part of migration 7 (never edit): whether the row `r` is retrying (status's count), as 0 or 1,
 * or (for `files`) summed over a group. A pending row whose last try failed, by its attempts or
 * by the error it carries; a skip's code (symlink, special file) and a hold are no failure.
 */
function retrying7(r: 'new' | 'old' | 'files'): string {
  const x = r === 'files' ? '' : `${r}.`;
  const one = `(${x}state = 'dirty' AND (${x}attempts > 0 OR (${x}error_code IS NOT NULL
    AND ${x}error_code NOT IN ('DELETE_RELEASED', 'DELETES_HELD')
    AND NOT (${x}error_code = 'UNSUPPORTED_FILE' AND ${x}kind IN ('symlink', 'special')))))`;
  return r === 'files' ? `sum(${one})` : one;
}

const MIGRATIONS: readonly string[] = [
  // 1: pairs, files (with tombstones), the remote listing, multipart uploads, recent errors, meta.
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;

  CREATE TABLE pairs (
    name TEXT PRIMARY KEY,
    root TEXT NOT NULL,
    bucket TEXT NOT NULL,
    prefix TEXT NOT NULL,
    root_dev TEXT,                 -- device of the root when last seen healthy (unmount detection)
    root_ino TEXT,
    state TEXT NOT NULL DEFAULT 'ok' CHECK (state IN ('ok','deletes-held','error')),
    hold_reason TEXT,
    held_at INTEGER,
    released_at INTEGER,           -- last 'resume --allow-deletes'
    last_error TEXT,
    last_sync_at INTEGER,          -- last time the pair had no pending work
    last_listed_at INTEGER
  ) STRICT;

  CREATE TABLE files (
    pair TEXT NOT NULL,
    rel TEXT NOT NULL,             -- raw local path relative to the root, '/'-separated
    key TEXT NOT NULL,             -- object key (prefix + NFC form of rel)
    present INTEGER NOT NULL DEFAULT 1,  -- 0: tombstone, the local file is gone
    kind TEXT NOT NULL DEFAULT 'file' CHECK (kind IN ('file','symlink','special','remote')),
    size INTEGER,
    mtime_ns TEXT,
    ctime_ns TEXT,
    ino TEXT,
    hashed_at INTEGER,
    md5 TEXT,                      -- whole-file MD5 (hex); kept on tombstones to pair renames
    part_size INTEGER,             -- part size the local ETag was computed with (0: single PUT)
    local_etag TEXT,
    etag TEXT,                     -- ETag S3 confirmed for key after our upload (unquoted)
    etag_kind TEXT CHECK (etag_kind IN ('md5','multipart','opaque')),
    remote_size INTEGER,
    generation INTEGER NOT NULL DEFAULT 1,
    synced_generation INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL CHECK (state IN ('dirty','clean','failed','skipped','held')),
    dirty_since INTEGER,
    due_at INTEGER,
    attempts INTEGER NOT NULL DEFAULT 0,
    error_code TEXT,
    error TEXT,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (pair, rel)
  ) STRICT;
  CREATE INDEX files_due ON files (due_at) WHERE state = 'dirty';
  CREATE INDEX files_key ON files (pair, key);
  CREATE INDEX files_tombstone ON files (pair, size, md5) WHERE present = 0;

  CREATE TABLE remote (
    pair TEXT NOT NULL,
    key TEXT NOT NULL,
    size INTEGER NOT NULL,
    etag TEXT NOT NULL,
    meta_md5 TEXT,                 -- x-amz-meta-md5 when learned by HEAD
    listed_at INTEGER NOT NULL,
    PRIMARY KEY (pair, key)
  ) STRICT;

  CREATE TABLE uploads (
    pair TEXT NOT NULL,
    rel TEXT NOT NULL,
    key TEXT NOT NULL,
    upload_id TEXT NOT NULL,
    md5 TEXT NOT NULL,
    size INTEGER NOT NULL,
    part_size INTEGER NOT NULL,
    mtime_ns TEXT NOT NULL,
    parts TEXT NOT NULL DEFAULT '[]',   -- JSON [{ "n": 1, "etag": "…" }]
    created_at INTEGER NOT NULL,
    PRIMARY KEY (pair, rel)
  ) STRICT;

  CREATE TABLE errors (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    pair TEXT,
    rel TEXT,
    code TEXT NOT NULL,
    message TEXT NOT NULL
  ) STRICT;
  `,
  // 2: multipart uploads keyed by upload id, not by file. Keyed by (pair, rel), a new upload of a
  // file replaced the record of an earlier one whose abort had failed, which then was never
  // aborted (its parts billed for good); now every upload stays recorded until it is gone. The
  // bucket is recorded too: a pair whose bucket changes in the config (or that is removed) still
  // has its old uploads aborted where they are (NULL for records from version 1).
  `
  CREATE TABLE uploads_by_id (
    pair TEXT NOT NULL,
    bucket TEXT,
    upload_id TEXT NOT NULL,
    rel TEXT NOT NULL,
    key TEXT NOT NULL,
    md5 TEXT NOT NULL,
    size INTEGER NOT NULL,
    part_size INTEGER NOT NULL,
    mtime_ns TEXT NOT NULL,
    parts TEXT NOT NULL DEFAULT '[]',   -- JSON [{ "n": 1, "etag": "…" }]
    created_at INTEGER NOT NULL,
    PRIMARY KEY (pair, upload_id)
  ) STRICT;
  INSERT INTO uploads_by_id (pair, upload_id, rel, key, md5, size, part_size, mtime_ns, parts, created_at)
    SELECT pair, upload_id, rel, key, md5, size, part_size, mtime_ns, parts, created_at FROM uploads;
  DROP TABLE uploads;
  ALTER TABLE uploads_by_id RENAME TO uploads;
  `,
  // 3: where a pair's objects were before its prefix changed in the config (same bucket; NULL when
  // the bucket changed, or never): the source of server-side copies to the new keys. Objects
  // there are never deleted.
  `
  ALTER TABLE pairs ADD COLUMN moved_from TEXT;
  `,
  // 4: resumable multipart uploads. An upload of a local file records the file's identity (size
  // and mtime were there; ctime and inode now) and each confirmed part's size and MD5 beside its
  // ETag, so a restart continues an unchanged file's upload instead of sending it again in full.
  // `resumable` is 0 for copies, for records from older versions and once an abort was decided.
  `
  ALTER TABLE uploads ADD COLUMN ctime_ns TEXT;
  ALTER TABLE uploads ADD COLUMN ino TEXT;
  ALTER TABLE uploads ADD COLUMN resumable INTEGER NOT NULL DEFAULT 0;
  CREATE TABLE upload_parts (
    pair TEXT NOT NULL,
    upload_id TEXT NOT NULL,
    n INTEGER NOT NULL,
    size INTEGER NOT NULL,
    md5 TEXT NOT NULL,
    etag TEXT NOT NULL,
    PRIMARY KEY (pair, upload_id, n)
  ) STRICT;
  `,
  // 5: a fingerprint of the headers a multipart upload was created with (content type, metadata,
  // storage class, encryption): an upload whose pair's settings changed since is not resumed,
  // since completing it would give the object the old headers. NULL for older records.
  `
  ALTER TABLE uploads ADD COLUMN settings TEXT;
  `,
  // 6: the location and excludes a pair's last full listing was made with (plan/trust.ts): a
  // restart trusts the journal instead of listing only while they are unchanged. NULL for older
  // rows, which are listed at the next start.
  `
  ALTER TABLE pairs ADD COLUMN listed_fingerprint TEXT;
  `,
  // 7: a journal whose cost does not grow with history. `file_counts` holds, per pair, state and
  // present, how many rows there are, their bytes and how many of them are retrying (status's
  // "retrying"): kept by triggers on every write to `files`, so status and the per-second status
  // write read a handful of rows instead of counting the pair. `retired` holds the highest
  // generation of any row of a pair that was deleted: a path's new row starts above it, so work
  // begun on a row that was since purged can never match the path's next row. Settled tombstones
  // (present = 0, clean) are deleted: nothing reads them (a listed object without a row is a
  // remote-only object, which the planner decides the same way). `files_unsettled` indexes the
  // rows that are not clean (pending, failed, held, skipped) by pair: a query that names
  // \`state <> 'clean'\` reads those, not the pair's history (test/query-plans.int.test.ts).
  `
  CREATE TABLE file_counts (
    pair TEXT NOT NULL,
    state TEXT NOT NULL,
    present INTEGER NOT NULL,
    n INTEGER NOT NULL,
    bytes INTEGER NOT NULL,
    retrying INTEGER NOT NULL,
    PRIMARY KEY (pair, state, present)
  ) STRICT, WITHOUT ROWID;
  CREATE TABLE retired (pair TEXT PRIMARY KEY, generation INTEGER NOT NULL) STRICT;
  INSERT INTO file_counts (pair, state, present, n, bytes, retrying)
    SELECT pair, state, present, count(*), coalesce(sum(size), 0), ${retrying7('files')} FROM files GROUP BY pair, state, present;
  CREATE TRIGGER files_counted_insert AFTER INSERT ON files BEGIN
    INSERT INTO file_counts (pair, state, present, n, bytes, retrying)
      VALUES (new.pair, new.state, new.present, 1, coalesce(new.size, 0), ${retrying7('new')})
      ON CONFLICT (pair, state, present) DO UPDATE
      SET n = n + 1, bytes = bytes + excluded.bytes, retrying = retrying + excluded.retrying;
  END;
  CREATE TRIGGER files_counted_delete AFTER DELETE ON files BEGIN
    UPDATE file_counts SET n = n - 1, bytes = bytes - coalesce(old.size, 0), retrying = retrying - ${retrying7('old')}
      WHERE pair = old.pair AND state = old.state AND present = old.present;
    INSERT INTO retired (pair, generation) VALUES (old.pair, old.generation)
      ON CONFLICT (pair) DO UPDATE SET generation = max(generation, excluded.generation);
  END;
  CREATE TRIGGER files_counted_update AFTER UPDATE OF pair, state, present, size, attempts, error_code, kind ON files
    WHEN old.pair IS NOT new.pair OR old.state IS NOT new.state OR old.present IS NOT new.present
      OR old.size IS NOT new.size OR ${retrying7('old')} <> ${retrying7('new')}
  BEGIN
    UPDATE file_counts SET n = n - 1, bytes = bytes - coalesce(old.size, 0), retrying = retrying - ${retrying7('old')}
      WHERE pair = old.pair AND state = old.state AND present = old.present;
    INSERT INTO file_counts (pair, state, present, n, bytes, retrying)
      VALUES (new.pair, new.state, new.present, 1, coalesce(new.size, 0), ${retrying7('new')})
      ON CONFLICT (pair, state, present) DO UPDATE
      SET n = n + 1, bytes = bytes + excluded.bytes, retrying = retrying + excluded.retrying;
  END;
  DELETE FROM files WHERE present = 0 AND state = 'clean';
  CREATE INDEX files_unsettled ON files (pair, state, size) WHERE state <> 'clean';
  `,
  // 8: a delete `resume --allow-deletes` released (1). The release is the tombstone's until its
  // delete lands (the row goes) or its file is seen again (present = 1, the trigger): a released
  // delete that fails (the server went down) is retried released, not held again by the guard,
  // though a failure's code and every look again (a new generation) pass over the row meanwhile.
  `
  ALTER TABLE files ADD COLUMN released INTEGER NOT NULL DEFAULT 0;
  UPDATE files SET released = 1 WHERE error_code = 'DELETE_RELEASED';
  CREATE TRIGGER files_release_ends AFTER UPDATE OF present ON files WHEN new.present = 1 AND new.released = 1
  BEGIN
    UPDATE files SET released = 0 WHERE pair = new.pair AND rel = new.rel;
  END;
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** Apply the migrations after the database's version, up to `to` (tests build older versions with it). */
export function migrate(db: Database, to = SCHEMA_VERSION): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > SCHEMA_VERSION) {
    throw new Error(`journal schema ${current} is newer than this s3mirror (${SCHEMA_VERSION}); upgrade s3mirror`);
  }
  for (let v = current; v < to; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}
