import { MirrorError } from '../errors.js';

/** SQLite's answers (better-sqlite3's `SqliteError.code`) for a database it cannot write. */
const SQLITE_UNWRITABLE = /^SQLITE_(FULL|READONLY|IOERR|CANTOPEN)/;
/** The fs errors of a full, read-only or failing filesystem (or an exhausted quota). */
const FS_UNWRITABLE = new Set(['ENOSPC', 'EDQUOT', 'EROFS', 'EIO']);

function why(code: string): string {
  if (code === 'SQLITE_FULL' || code === 'ENOSPC' || code === 'EDQUOT') return 'the disk is full';
  if (code.startsWith('SQLITE_READONLY') || code === 'EROFS') return 'the filesystem is read-only';
  return 'the filesystem failed';
}

/**
 * The error a full, read-only or failing stateDir gives, as `STATE_DIR_UNWRITABLE` naming `path`;
 * undefined for any other error. SQLite keeps the journal consistent through such a failure (the
 * transaction is rolled back), so the hint can promise that the next run continues.
 */
export function unwritableError(e: unknown, path: string): MirrorError | undefined {
  if (e instanceof MirrorError) return e.code === 'STATE_DIR_UNWRITABLE' ? e : undefined;
  const code = (e as { code?: unknown } | undefined)?.code;
  if (typeof code !== 'string' || !(SQLITE_UNWRITABLE.test(code) || FS_UNWRITABLE.has(code))) return undefined;
  return new MirrorError('STATE_DIR_UNWRITABLE', `cannot write ${path}: ${why(code)} (${code})`, {
    hint: 'free space on the stateDir filesystem or make it writable; the journal stays consistent and the next run continues from it',
    cause: e,
  });
}
