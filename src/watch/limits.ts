import { readFileSync, statfsSync } from 'node:fs';

function readNumber(path: string): number | null {
  try {
    const n = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
    return Number.isFinite(n) ? n : null;
  } catch {
    return null; // not Linux, or /proc not mounted
  }
}

/**
 * The kernel's inotify watch limit where it has one (Linux), and the sysctl that sets it: the
 * machine's `fs.inotify.max_user_watches`, or inside a user namespace (a container) a lower
 * `user.max_inotify_watches` of its own.
 */
export function inotifyLimits(): {
  watches: number | null;
  watchSysctl: string;
  instances: number | null;
} {
  const machine = readNumber('/proc/sys/fs/inotify/max_user_watches');
  const ns = readNumber('/proc/sys/user/max_inotify_watches');
  const nsLower = ns !== null && (machine === null || ns < machine);
  return {
    watches: nsLower ? ns : machine,
    watchSysctl: nsLower ? 'user.max_inotify_watches' : 'fs.inotify.max_user_watches',
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
