import { closeSync, openSync, statfsSync, unlinkSync, writeSync } from 'node:fs';
import { STATE_FILE_MODE } from './state-files.js';

const CHUNK = 64 * 1024;

/**
 * A file of zeros kept in the stateDir so that, when its disk fills up, removing it leaves the
 * journal room to record why the daemon paused (status shows it) instead of failing in silence.
 */
export class SpaceReserve {
  constructor(
    readonly path: string,
    readonly bytes: number,
  ) {}

  /** Creates the reserve if it is missing; false when there is no room for it (yet). */
  ensure(): boolean {
    let fd: number;
    try {
      fd = openSync(this.path, 'wx', STATE_FILE_MODE);
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === 'EEXIST';
    }
    try {
      const zeros = Buffer.alloc(CHUNK);
      for (let n = 0; n < this.bytes; n += CHUNK) writeSync(fd, zeros, 0, Math.min(CHUNK, this.bytes - n));
      closeSync(fd);
      return true;
    } catch {
      closeSync(fd);
      this.release();
      return false;
    }
  }

  /** Gives its space back; true if there was a reserve to remove. */
  release(): boolean {
    try {
      unlinkSync(this.path);
      return true;
    } catch {
      return false;
    }
  }
}

/** Bytes an unprivileged process may still write on the filesystem holding `dir`. */
export function freeBytes(dir: string): number {
  const s = statfsSync(dir);
  return s.bavail * s.bsize;
}
