import { readFileSync, statfsSync } from 'node:fs';

function readNumber(path: string): number | null {
  try {
    const n = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
    return Number.isFinite(n) ? n : null;
  } catch {
    return null; // not Linux, or /proc not mounted
  }
}

/** The kernel's inotify limits where it has them (Linux), for the advice a failed watch gets. */
export function inotifyLimits(): { watches: number | null; instances: number | null } {
  return {
    watches: readNumber('/proc/sys/fs/inotify/max_user_watches'),
    instances: readNumber('/proc/sys/fs/inotify/max_user_instances'),
  };
}

/** The root's filesystem type (statfs f_type), or null where it cannot be read. */
export function filesystemType(root: string): number | null {
  try {
    return statfsSync(root).type;
  } catch {
    return null;
  }
}
