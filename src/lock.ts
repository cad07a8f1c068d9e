import Database, { type Database as Db } from 'better-sqlite3';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MirrorError } from './errors.js';

const LOCK_FILE = 'lock.db';
const PID_FILE = 'daemon.pid';

/**
 * One process per stateDir. The lock is an exclusive SQLite transaction on `lock.db`, i.e. a POSIX
 * fcntl lock: the kernel drops it when the process dies, so a kill -9 never leaves a stale lock,
 * and no native flock addon is needed.
 */
export class StateLock {
  private constructor(private readonly db: Db) {}

  static acquire(stateDir: string): StateLock {
    try {
      mkdirSync(stateDir, { recursive: true, mode: 0o750 });
    } catch (e) {
      throw new MirrorError('STATE_DIR_UNUSABLE', `cannot create stateDir ${stateDir}: ${(e as Error).message}`);
    }
    const db = new Database(join(stateDir, LOCK_FILE), { timeout: 0 });
    try {
      db.pragma('journal_mode = DELETE');
      db.exec('CREATE TABLE IF NOT EXISTS held (pid INTEGER)');
      db.exec('BEGIN EXCLUSIVE');
    } catch (e) {
      db.close();
      if ((e as { code?: string }).code?.startsWith('SQLITE_BUSY')) {
        const pid = readPid(stateDir);
        throw new MirrorError('STATE_DIR_BUSY', `stateDir ${stateDir} is in use by another s3mirror${pid ? ` (pid ${pid})` : ''}`, {
          hint: 'stop the running daemon first, or give this config its own stateDir',
        });
      }
      throw new MirrorError('STATE_DIR_UNUSABLE', `cannot lock ${stateDir}: ${(e as Error).message}`);
    }
    writeFileSync(join(stateDir, PID_FILE), `${process.pid}\n`);
    return new StateLock(db);
  }

  release(): void {
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
