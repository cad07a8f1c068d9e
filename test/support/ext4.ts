// A small ext4 filesystem in a loop-mounted image, mounted with errors=remount-ro: the kernel's own
// way to turn a filesystem read-only under processes that hold files open for writing (a tmpfs
// refuses that remount with EBUSY). Needs root, loop devices and mkfs.ext4.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, truncateSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { canMount } from './tmpfs.js';

const runs = (cmd: string, ...args: string[]) => spawnSync(cmd, args, { stdio: 'ignore' }).error === undefined;

export const canLoopExt4 =
  canMount &&
  existsSync('/sys/fs/ext4') &&
  existsSync('/dev/loop-control') &&
  runs('mkfs.ext4', '-V') &&
  runs('e2fsck', '-V');

export interface Ext4 {
  dir: string;
  /** An ext4 error, as a failing disk gives one: the kernel remounts the filesystem read-only at once. */
  fail(): void;
  /** What an operator does next, once nothing holds it: unmount, e2fsck, mount read-write again. */
  repair(): void;
  unmount(): void;
}

export function mountExt4(dir: string, sizeBytes: number): Ext4 {
  const image = `${dir}.ext4`;
  writeFileSync(image, '');
  truncateSync(image, sizeBytes);
  execFileSync('mkfs.ext4', ['-q', '-F', image]);
  mkdirSync(dir, { recursive: true });
  const mount = () => execFileSync('mount', ['-o', 'loop,errors=remount-ro', image, dir]);
  mount();
  let mounted = true;
  const unmount = () => {
    if (mounted) execFileSync('umount', [dir]);
    mounted = false;
  };
  return {
    dir,
    fail() {
      const device = execFileSync('findmnt', ['-n', '-o', 'SOURCE', dir], { encoding: 'utf8' }).trim();
      writeFileSync(`/sys/fs/ext4/${basename(device)}/trigger_fs_error`, 's3mirror test: disk error\n');
    },
    repair() {
      unmount();
      try {
        execFileSync('e2fsck', ['-f', '-y', image], { stdio: 'pipe' });
      } catch (e) {
        // 1 and 2: errors found and corrected, as after any ext4 error.
        if (![1, 2].includes((e as { status?: number }).status ?? -1)) throw e;
      }
      mount();
      mounted = true;
    },
    unmount,
  };
}
