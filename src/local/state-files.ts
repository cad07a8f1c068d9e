import { chmodSync, closeSync, constants, fchmodSync, lstatSync, mkdirSync, openSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/**
 * The state files list every path of every pair: the service's user writes them, its group
 * (status readers, README "Install as a service") reads them, others get nothing, whatever the
 * umask. SQLite gives a database's -wal, -shm and -journal files the database file's own mode.
 */
export const STATE_FILE_MODE = 0o640;
const STATE_DIR_MODE = 0o750;

/** mkdir -p; the directories it creates get STATE_DIR_MODE (the umask may have narrowed them). */
export function makeStateDir(dir: string): void {
  const first = mkdirSync(dir, { recursive: true, mode: STATE_DIR_MODE });
  if (first === undefined) return;
  const top = resolve(first);
  for (let d = resolve(dir); ; d = dirname(d)) {
    chmodSync(d, STATE_DIR_MODE);
    if (d === top || dirname(d) === d) break;
  }
}

/**
 * Create a state file with exactly STATE_FILE_MODE. One that exists already loses what others
 * may do with it (an older s3mirror created them under the umask), and keeps the rest of its mode.
 */
export function prepareStateFile(path: string): void {
  let fd: number;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, STATE_FILE_MODE);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    restrictStateFile(path);
    return;
  }
  try {
    fchmodSync(fd, STATE_FILE_MODE);
  } finally {
    closeSync(fd);
  }
}

export function restrictStateFile(path: string): void {
  let mode: number;
  try {
    mode = lstatSync(path).mode & 0o7777;
  } catch {
    return; // not there: created later with the database's mode
  }
  if (mode & 0o007) chmodSync(path, mode & ~0o007);
}
