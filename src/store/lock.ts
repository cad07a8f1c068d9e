import type DatabaseCtor from 'better-sqlite3';
import type { Database as Db } from 'better-sqlite3';
import { createRequire } from 'node:module';

// Required, not imported: see src/watch/filter.ts (Node's export lexer over a CommonJS package).
const require = createRequire(import.meta.url);
const Database = require('better-sqlite3') as typeof DatabaseCtor;
import { chmodSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MirrorError } from '../errors.js';
import { makeStateDir, prepareStateFile, STATE_FILE_MODE } from '../local/state-files.js';
import { unwritableError } from './unwritable.js';

const LOCK_FILE = 'lock.db';
/** How long taking the lock waits for a reader (isLocked) to let go. */
const READER_WAIT_MS = 1000;
/** The lock holder's pid, for `status` and for the message a second process gets. */
export const PID_FILE = 'daemon.pid';

/**
 * One process per stateDir. The lock is an exclusive SQLite transaction on `lock.db`, i.e. a POSIX
 * fcntl lock: the kernel drops it when the process dies, so a kill -9 never leaves a stale lock,
 * and no native flock addon is needed.
 */
export class StateLock {
  private constructor(
    private readonly db: Db,
    private readonly stateDir: string,
  ) {}

  static acquire(stateDir: string): StateLock {
    try {
      makeStateDir(stateDir);
      prepareStateFile(join(stateDir, LOCK_FILE));
    } catch (e) {
      throw (
        unwritableError(e, stateDir) ??
        new MirrorError('STATE_DIR_UNUSABLE', `cannot create stateDir ${stateDir}: ${(e as Error).message}`)
      );
    }
    // A `status` asking isLocked() holds a shared lock on lock.db for the moment of its read: wait
    // that out, so a start never fails for a reader. A holder keeps its lock, and is refused after this.
    const db = new Database(join(stateDir, LOCK_FILE), { timeout: READER_WAIT_MS });
    try {
      db.pragma('journal_mode = DELETE');
      db.exec('CREATE TABLE IF NOT EXISTS held (pid INTEGER)');
      db.exec('BEGIN EXCLUSIVE');
    } catch (e) {
      db.close();
      if ((e as { code?: string }).code?.startsWith('SQLITE_BUSY')) {
        const pid = readPid(stateDir);
        throw new MirrorError(
          'STATE_DIR_BUSY',
          `stateDir ${stateDir} is in use by another s3mirror${pid ? ` (pid ${pid})` : ''}`,
          {
            hint: 'stop the running daemon first, or give this config its own stateDir',
          },
        );
      }
      throw (
        unwritableError(e, join(stateDir, LOCK_FILE)) ??
        new MirrorError('STATE_DIR_UNUSABLE', `cannot lock ${stateDir}: ${(e as Error).message}`)
      );
    }
    const lock = new StateLock(db, stateDir);
    // Right after the lock, and atomically (a reader sees the old file or the whole new one, never
    // an empty one). Readers still meet the moment in between: see lockHolder.
    const tmp = join(stateDir, `${PID_FILE}.${process.pid}.tmp`);
    try {
      writeFileSync(tmp, `${process.pid}\n`, { mode: STATE_FILE_MODE });
      chmodSync(tmp, STATE_FILE_MODE);
      renameSync(tmp, join(stateDir, PID_FILE));
    } catch (e) {
      lock.release();
      rmSync(tmp, { force: true });
      throw unwritableError(e, tmp) ?? e;
    }
    return lock;
  }

  release(): void {
    // Before the lock goes: whoever takes it next writes its own.
    try {
      if (readPid(this.stateDir) === process.pid) unlinkSync(join(this.stateDir, PID_FILE));
    } catch {
      /* best effort: a stale pid file names a dead process, which lockHolder sees through */
    }
    try {
      this.db.exec('ROLLBACK');
    } catch {
      /* already released */
    }
    this.db.close();
  }
}

export function readPid(stateDir: string): number | undefined {
  try {
    const n = Number(readFileSync(join(stateDir, PID_FILE), 'utf8').trim());
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/** Is some process holding the lock? Works read-only (a shared lock attempt is refused while it is held). */
export function isLocked(stateDir: string): boolean {
  let db: Db | undefined;
  try {
    db = new Database(join(stateDir, LOCK_FILE), { readonly: true, fileMustExist: true, timeout: 0 });
    db.prepare('SELECT count(*) FROM held').get();
    return false;
  } catch (e) {
    return !!(e as { code?: string }).code?.startsWith('SQLITE_BUSY');
  } finally {
    db?.close();
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists, as another user (status run by someone other than the service user).
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export interface HolderWait {
  /** How long to wait for a holder's pid file (default 2 s; it is written right after the lock). */
  waitMs?: number;
  now?: () => number;
  sleep?: (ms: number) => void;
}

/**
 * Who holds the lock, if anyone. Taking the lock and writing the pid file are two steps, so a
 * holder can be seen before its pid file is written, while the file is missing or still names
 * the previous (dead) holder: wait for it rather than answer "running, pid unknown" or the
 * previous holder's pid. null only if a holder never writes one within `waitMs`.
 */
export function lockHolder(stateDir: string, opts: HolderWait = {}): { running: boolean; pid: number | null } {
  const now = opts.now ?? Date.now;
  const sleep = opts.sleep ?? sleepSync;
  const deadline = now() + (opts.waitMs ?? 2000);
  for (;;) {
    if (!isLocked(stateDir)) return { running: false, pid: null };
    const pid = readPid(stateDir);
    if (pid !== undefined && alive(pid)) return { running: true, pid };
    if (now() >= deadline) return { running: true, pid: null };
    sleep(5);
  }
}
