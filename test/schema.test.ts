import Database from 'better-sqlite3';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Journal, JOURNAL_FILE } from '../src/store/journal.js';
import { migrate, SCHEMA_VERSION } from '../src/store/schema.js';

// Journal migrations (PRAGMA user_version): a journal written by an older s3mirror is brought up to
// date when it is opened, keeping what it records.

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** A journal at `version`, made by the migrations themselves, as that s3mirror left it. */
function journalAt(version: number, fill: (db: Database.Database) => void): string {
  dir = mkdtempSync(join(tmpdir(), 's3mirror-schema-'));
  const stateDir = join(dir, 'state');
  mkdirSync(stateDir);
  const db = new Database(join(stateDir, JOURNAL_FILE));
  migrate(db, version);
  expect(db.pragma('user_version', { simple: true })).toBe(version);
  fill(db);
  db.close();
  return stateDir;
}

const upload = (pair: string, rel: string, uploadId: string, now: number) =>
  [
    {
      pair,
      bucket: 'b',
      rel,
      key: `pre/${rel}`,
      uploadId,
      md5: 'd41d8cd98f00b204e9800998ecf8427e',
      size: 11 << 20,
      partSize: 5 << 20,
      mtimeNs: '1700000000123456789',
    },
    now,
  ] as const;

describe('journal migrations', () => {
  it('v1 → current: multipart records are kept, and keyed by upload id from then on', () => {
    const stateDir = journalAt(1, (db) => {
      db.prepare(
        `INSERT INTO uploads (pair, rel, key, upload_id, md5, size, part_size, mtime_ns, parts, created_at)
         VALUES ('p', 'big.bin', 'pre/big.bin', 'id-v1', 'abc', 11534336, 5242880, '1700000000123456789', '[{"n":1,"etag":"e1"}]', 5)`,
      ).run();
      db.prepare(
        "INSERT INTO files (pair, rel, key, state, updated_at) VALUES ('p', 'big.bin', 'pre/big.bin', 'dirty', 5)",
      ).run();
    });

    const j = Journal.open(stateDir);
    try {
      expect(j.db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
      expect(SCHEMA_VERSION).toBeGreaterThanOrEqual(2);
      expect(
        j.db
          .prepare(
            'SELECT pair, bucket, upload_id, rel, key, md5, size, part_size, mtime_ns, parts, created_at FROM uploads',
          )
          .all(),
      ).toEqual([
        {
          pair: 'p',
          bucket: null,
          upload_id: 'id-v1',
          rel: 'big.bin',
          key: 'pre/big.bin',
          md5: 'abc',
          size: 11534336,
          part_size: 5242880,
          mtime_ns: '1700000000123456789',
          parts: '[{"n":1,"etag":"e1"}]',
          created_at: 5,
        },
      ]);
      expect(j.getFile('p', 'big.bin')?.state).toBe('dirty');

      // Two more uploads of the same file (each after an abort that failed): three records.
      j.uploads.begin(...upload('p', 'big.bin', 'id-2', 6));
      j.uploads.begin(...upload('p', 'big.bin', 'id-3', 7));
      j.uploads.recordPart('p', 'id-2', { n: 1, size: 5 << 20, md5: 'm1', etag: 'e2' });
      expect(j.uploads.all().map((u) => [u.upload_id, u.bucket])).toEqual([
        ['id-v1', null],
        ['id-2', 'b'],
        ['id-3', 'b'],
      ]);
      expect(j.uploads.count()).toBe(3);
      expect(j.uploads.parts('p', 'id-2')).toEqual([{ n: 1, size: 5 << 20, md5: 'm1', etag: 'e2' }]);

      // Each goes only when its own upload is gone, with its parts.
      j.uploads.end('p', 'id-2');
      expect(j.uploads.parts('p', 'id-2')).toEqual([]);
      expect(j.uploads.all().map((u) => u.upload_id)).toEqual(['id-v1', 'id-3']);
    } finally {
      j.close();
    }

    // Opening it again changes nothing.
    const again = Journal.open(stateDir);
    try {
      expect(again.db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
      expect(again.uploads.all().map((u) => u.upload_id)).toEqual(['id-v1', 'id-3']);
    } finally {
      again.close();
    }
  });

  it('v6 → current: counters hold what the rows say, settled tombstones go, a path starts above them', () => {
    const stateDir = journalAt(6, (db) => {
      const row = db.prepare(
        `INSERT INTO files (pair, rel, key, present, size, generation, state, attempts, error_code, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 5)`,
      );
      row.run('p', 'kept', 'kept', 1, 10, 1, 'clean', 0, null);
      row.run('p', 'gone', 'gone', 0, 20, 7, 'clean', 0, null);
      row.run('p', 'pending', 'pending', 1, null, 2, 'dirty', 1, 'S3_REQUEST_FAILED');
      row.run('p', 'held', 'held', 0, 30, 3, 'held', 0, 'DELETES_HELD');
      row.run('q', 'other', 'other', 1, 40, 1, 'clean', 0, null);
    });
    const j = Journal.open(stateDir);
    try {
      expect(j.db.prepare("SELECT rel FROM files WHERE pair = 'p' ORDER BY rel").pluck().all()).toEqual([
        'held',
        'kept',
        'pending',
      ]);
      const sorted = (pair: string) => j.query.stateCounts(pair).sort((a, b) => (a.state < b.state ? -1 : 1));
      expect(sorted('p')).toEqual([
        { state: 'clean', present: 1, n: 1, bytes: 10 },
        { state: 'dirty', present: 1, n: 1, bytes: 0 },
        { state: 'held', present: 0, n: 1, bytes: 30 },
      ]);
      expect(sorted('q')).toEqual([{ state: 'clean', present: 1, n: 1, bytes: 40 }]);
      expect(j.query.retryingCount('p')).toBe(1);
      expect(j.query.knownFiles('p')).toBe(3);
      // The purged tombstone's path comes back: its row starts above every generation deleted.
      j.markDirty({ pair: 'p', rel: 'gone', key: 'gone', now: 6, debounceMs: 0, maxDelayMs: 0 });
      expect(j.getFile('p', 'gone')?.generation).toBe(8);
      j.markDirty({ pair: 'q', rel: 'new', key: 'new', now: 6, debounceMs: 0, maxDelayMs: 0 });
      expect(j.getFile('q', 'new')?.generation).toBe(1);
    } finally {
      j.close();
    }
  });

  it('v7 → current: a delete released before stays released through a failure; a file seen again ends it', () => {
    const stateDir = journalAt(7, (db) => {
      const row = db.prepare(
        `INSERT INTO files (pair, rel, key, present, size, generation, state, error_code, updated_at)
         VALUES ('p', ?, ?, 0, 1, 1, 'dirty', ?, 5)`,
      );
      row.run('released', 'released', 'DELETE_RELEASED');
      row.run('pending', 'pending', null);
    });
    const j = Journal.open(stateDir);
    try {
      const released = () => j.db.prepare('SELECT rel FROM files WHERE released = 1 ORDER BY rel').pluck().all();
      expect(released()).toEqual(['released']);
      j.recordFailure({
        pair: 'p',
        rel: 'released',
        gen: 1,
        code: 'S3_REQUEST_FAILED',
        message: 'down',
        retryAt: null,
        now: 6,
      });
      j.markDirty({ pair: 'p', rel: 'released', key: 'released', now: 7, debounceMs: 0, maxDelayMs: 0 });
      expect(released()).toEqual(['released']);
      j.db.prepare("UPDATE files SET present = 1 WHERE rel = 'released'").run();
      expect(released()).toEqual([]);
    } finally {
      j.close();
    }
  });

  it('v5 → current: a pair listed before records no location, so its next start lists it; a clean close is marked', () => {
    const stateDir = journalAt(5, (db) => {
      db.prepare(
        "INSERT INTO pairs (name, root, bucket, prefix, last_listed_at) VALUES ('p', '/r', 'b', 'pre/', 5)",
      ).run();
    });
    const j = Journal.open(stateDir);
    try {
      expect(j.pairs.get('p')).toMatchObject({ last_listed_at: 5, listed_fingerprint: null });
      // An older s3mirror never marked its close: not clean.
      expect(j.takeCleanClose()).toBe(false);
      j.remote.replace('p', [], { now: 6, fingerprint: 'f' });
      expect(j.pairs.get('p')).toMatchObject({ last_listed_at: 6, listed_fingerprint: 'f' });
    } finally {
      j.close({ clean: true });
    }
    const again = Journal.open(stateDir);
    try {
      expect(again.takeCleanClose()).toBe(true);
      // Taken: a process that dies now leaves it unclean.
      expect(again.takeCleanClose()).toBe(false);
    } finally {
      again.close();
    }
  });

  it('v4 → current: an upload recorded without its headers keeps a NULL fingerprint; new ones record theirs', () => {
    const stateDir = journalAt(4, (db) => {
      db.prepare(
        `INSERT INTO uploads (pair, bucket, rel, key, upload_id, md5, size, part_size, mtime_ns, ctime_ns, ino, resumable, parts, created_at)
         VALUES ('p', 'b', 'big.bin', 'big.bin', 'id-v4', 'abc', 11534336, 5242880, '1', '2', '3', 1, '[]', 5)`,
      ).run();
    });
    const j = Journal.open(stateDir);
    try {
      expect(j.uploads.all()).toEqual([expect.objectContaining({ upload_id: 'id-v4', resumable: 1, settings: null })]);
      j.uploads.begin({ ...upload('p', 'big.bin', 'id-5', 6)[0], ctimeNs: '2', ino: '3', settings: 'f' }, 6);
      expect(j.uploads.resumableOf('p', 'big.bin').map((u) => [u.upload_id, u.settings])).toEqual([
        ['id-v4', null],
        ['id-5', 'f'],
      ]);
    } finally {
      j.close();
    }
  });

  it('v3 → current: an upload recorded without ctime and inode is never resumed; new ones can be', () => {
    const stateDir = journalAt(3, (db) => {
      db.prepare(
        `INSERT INTO uploads (pair, bucket, rel, key, upload_id, md5, size, part_size, mtime_ns, parts, created_at)
         VALUES ('p', 'b', 'big.bin', 'big.bin', 'id-v3', 'abc', 11534336, 5242880, '1', '[{"n":1,"etag":"e1"}]', 5)`,
      ).run();
    });
    const j = Journal.open(stateDir);
    try {
      expect(j.uploads.all()).toEqual([
        expect.objectContaining({ upload_id: 'id-v3', ctime_ns: null, ino: null, resumable: 0 }),
      ]);
      expect(j.uploads.resumableOf('p', 'big.bin')).toEqual([]);
      j.uploads.begin({ ...upload('p', 'big.bin', 'id-4', 6)[0], ctimeNs: '2', ino: '3' }, 6);
      expect(j.uploads.resumableOf('p', 'big.bin').map((u) => [u.upload_id, u.ctime_ns, u.ino])).toEqual([
        ['id-4', '2', '3'],
      ]);
      // Once its abort is decided, it is never picked up again, whatever the abort does.
      j.uploads.giveUp('p', 'id-4');
      expect(j.uploads.resumableOf('p', 'big.bin')).toEqual([]);
    } finally {
      j.close();
    }
  });

  it('a journal newer than this s3mirror is refused', () => {
    const stateDir = journalAt(SCHEMA_VERSION, (db) => db.pragma(`user_version = ${SCHEMA_VERSION + 1}`));
    expect(() => Journal.open(stateDir)).toThrow(/newer than this s3mirror/);
  });
});
