// A small tmpfs for a test's stateDir: a disk that really fills up (ENOSPC, SQLITE_FULL) or turns
// read-only, which file permissions cannot give a test that runs as root. Needs root (mount).
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync, statfsSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export const canMount = process.getuid?.() === 0;

export interface Tmpfs {
  dir: string;
  /** Writes a filler file until the filesystem is full (or only `leaveBytes` are free). */
  fill(leaveBytes?: number): void;
  /** Removes the filler. */
  free(): void;
  readonly(ro: boolean): void;
  unmount(): void;
}

export function mountTmpfs(dir: string, sizeBytes: number): Tmpfs {
  mkdirSync(dir, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes},mode=0755`, 'tmpfs', dir]);
  const filler = join(dir, 'filler');
  return {
    dir,
    fill(leaveBytes = 0) {
      const fd = openSync(filler, 'a');
      const chunk = Buffer.alloc(4096, 1);
      try {
        for (;;) {
          const s = statfsSync(dir);
          if (s.bavail * s.bsize <= leaveBytes) break;
          writeSync(fd, chunk);
        }
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
      } finally {
        closeSync(fd);
      }
    },
    free() {
      rmSync(filler, { force: true });
    },
    readonly(ro) {
      execFileSync('mount', ['-o', `remount,${ro ? 'ro' : 'rw'}`, dir]);
    },
    unmount() {
      execFileSync('umount', ['-l', dir]);
    },
  };
}
