import Database from 'better-sqlite3';
import { join } from 'node:path';

/** The journal as SQLite sees it: `PRAGMA quick_check` of the file a run left behind. */
export function quickCheck(stateDir: string): string {
  const db = new Database(join(stateDir, 'journal.db'), { readonly: true, fileMustExist: true });
  try {
    return String(db.pragma('quick_check', { simple: true }));
  } finally {
    db.close();
  }
}
