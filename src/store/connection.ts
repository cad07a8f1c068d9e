import type DatabaseCtor from 'better-sqlite3';
import type { Database as Db } from 'better-sqlite3';
import { createRequire } from 'node:module';

// Required, not imported: see src/watch/filter.ts (Node's export lexer over a CommonJS package).
const require = createRequire(import.meta.url);
const Database = require('better-sqlite3') as typeof DatabaseCtor;
import { existsSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { MirrorError } from '../errors.js';
import { makeStateDir, prepareStateFile, restrictStateFile } from '../local/state-files.js';
import { journalCheck } from '../plan/journal-check.js';
import { migrate } from './schema.js';
import { unwritableError } from './unwritable.js';

export const JOURNAL_FILE = 'journal.db';
/** The meta key a writer leaves when it closes with every outcome recorded. */
export const CLEAN_CLOSE = 'clean-close';
const SIDE_FILES = ['-wal', '-shm'] as const;

/** A journal that could not be used and was renamed, so a new one is built from the tree and the bucket. */
export interface SetAside {
  from: string;
  to: string;
  reason: string;
}

export interface Connection {
  db: Db;
  path: string;
  setAside?: SetAside;
}

class CorruptJournal extends Error {}

function isCorrupt(e: unknown): boolean {
  const code = (e as { code?: unknown } | undefined)?.code;
  return e instanceof CorruptJournal || (typeof code === 'string' && /^SQLITE_(NOTADB|CORRUPT)/.test(code));
}

/**
 * The journal's connection: created with the state dir's permissions, WAL and migrated for a
 * writer; an existing file opened as it is for a reader (`status`). A writer that finds the journal
 * corrupt (not a SQLite file, or `PRAGMA quick_check` fails) renames it aside and starts a new one:
 * the journal is a cache of the tree and the bucket, and the next reconciliation rebuilds it.
 */
export function openConnection(stateDir: string, readonly: boolean): Connection {
  const path = join(stateDir, JOURNAL_FILE);
  if (readonly) return { db: opened(path, () => reader(path), true), path };
  // A -wal without its database belongs to a journal that was deleted: SQLite would replay it into
  // the new one, so it goes aside first.
  const orphan =
    !existsSync(path) && existsSync(path + SIDE_FILES[0]) ? setAside(path, 'the journal was deleted') : undefined;
  opened(path, () => prepare(stateDir, path), false);
  try {
    return { db: opened(path, () => writer(path), false), path, ...(orphan ? { setAside: orphan } : {}) };
  } catch (e) {
    if (!(e instanceof MirrorError && e.cause && isCorrupt(e.cause))) throw e;
    const aside = setAside(path, (e.cause as Error).message);
    return { db: opened(path, () => writer(path), false), path, setAside: aside };
  }
}

function prepare(stateDir: string, path: string): void {
  makeStateDir(stateDir);
  prepareStateFile(path);
  for (const side of SIDE_FILES) restrictStateFile(path + side);
}

function reader(path: string): Db {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  return db;
}

function writer(path: string): Db {
  const db = new Database(path);
  try {
    db.pragma('busy_timeout = 5000');
    if (journalCheck({ closedCleanly: closedCleanly(db) }).action === 'check') {
      const check = db.pragma('quick_check', { simple: true });
      if (check !== 'ok') throw new CorruptJournal(`PRAGMA quick_check: ${String(check)}`);
    }
    db.pragma('journal_mode = WAL');
    // NORMAL in WAL mode: a commit is durable against a process crash (kill -9); only an OS
    // crash may lose the last transactions, and every row can be re-derived by reconciliation.
    db.pragma('synchronous = NORMAL');
    migrate(db);
    return db;
  } catch (e) {
    db.close();
    throw e;
  }
}

/** null: no meta table to ask (a new journal). A damaged page read here throws SQLITE_CORRUPT. */
function closedCleanly(db: Db): boolean | null {
  const hasMeta = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get();
  if (!hasMeta) return null;
  return !!db.prepare('SELECT 1 FROM meta WHERE key = ?').get(CLEAN_CLOSE);
}

/** Runs `open`, turning what it throws into the stateDir's errors (a MirrorError passes as it is). */
function opened<T>(path: string, open: () => T, readonly: boolean): T {
  try {
    return open();
  } catch (e) {
    if (e instanceof MirrorError) throw e;
    if (!readonly) {
      const u = unwritableError(e, path);
      if (u) throw u;
    }
    throw new MirrorError('STATE_DIR_UNUSABLE', `cannot open journal ${path}: ${(e as Error).message}`, {
      hint: readonly
        ? 'has the daemon (or sync --once) run with this stateDir yet?'
        : 'stateDir must be a writable directory',
      cause: e,
    });
  }
}

/** Renames the journal and its -wal/-shm to `<name>.broken-<time>` beside it; returns where. */
function setAside(path: string, reason: string): SetAside {
  const to = `${path}.broken-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  for (const side of ['', ...SIDE_FILES]) {
    try {
      renameSync(path + side, to + side);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw unwritableError(e, path) ?? e;
    }
  }
  return { from: path, to, reason };
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
