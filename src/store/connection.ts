import Database, { type Database as Db } from 'better-sqlite3';
import { join } from 'node:path';
import { MirrorError } from '../errors.js';
import { makeStateDir, prepareStateFile, restrictStateFile } from '../local/state-files.js';
import { migrate } from './schema.js';

export const JOURNAL_FILE = 'journal.db';

/**
 * The journal's connection: created with the state dir's permissions, WAL and migrated for a
 * writer; an existing file opened as it is for a reader (`status`).
 */
export function openConnection(stateDir: string, readonly: boolean): { db: Db; path: string } {
  const path = join(stateDir, JOURNAL_FILE);
  let db: Db;
  try {
    if (!readonly) {
      makeStateDir(stateDir);
      prepareStateFile(path);
      for (const side of ['-wal', '-shm']) restrictStateFile(path + side);
    }
    db = new Database(path, { readonly, fileMustExist: readonly });
  } catch (e) {
    throw new MirrorError('STATE_DIR_UNUSABLE', `cannot open journal ${path}: ${(e as Error).message}`, {
      hint: readonly
        ? 'has the daemon (or sync --once) run with this stateDir yet?'
        : 'stateDir must be a writable directory',
    });
  }
  db.pragma('busy_timeout = 5000');
  if (!readonly) {
    db.pragma('journal_mode = WAL');
    // NORMAL in WAL mode: a commit is durable against a process crash (kill -9); only an OS
    // crash may lose the last transactions, and every row can be re-derived by reconciliation.
    db.pragma('synchronous = NORMAL');
    migrate(db);
  }
  return { db, path };
}

export function closeConnection(db: Db, writer: boolean): void {
  if (writer) {
    // A WAL database can only be read by someone who can create its -shm file, i.e. write the
    // state dir. Leaving it in rollback mode lets `status` run as a user who can only read it
    // while no s3mirror is running; the next writer switches back to WAL. Best effort: a
    // reader holding it open makes this fail, and then the -wal/-shm pair stays for it.
    try {
      db.pragma('journal_mode = DELETE');
    } catch {
      /* still WAL: readers that can write the state dir read it all the same */
    }
  }
  db.close();
}
