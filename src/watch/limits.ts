import { readdirSync, readFileSync, readlinkSync, statfsSync, statSync } from 'node:fs';

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

/**
 * inotify watches this user's processes hold now (Linux: their fdinfo), or null where they cannot
 * be counted. The limit is per user, so other users' processes are not counted.
 */
export function inotifyWatchesInUse(): number | null {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  } catch {
    return null;
  }
  const uid = process.getuid?.();
  let n = 0;
  for (const pid of pids) {
    try {
      if (uid !== undefined && statSync(`/proc/${pid}`).uid !== uid) continue;
      for (const fd of readdirSync(`/proc/${pid}/fd`)) {
        if (readlinkSync(`/proc/${pid}/fd/${fd}`) !== 'anon_inode:inotify') continue;
        const info = readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8');
        for (let i = info.indexOf('inotify wd:'); i >= 0; i = info.indexOf('inotify wd:', i + 1)) n++;
      }
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return n;
}

/** The root's filesystem type (statfs f_type), or null where it cannot be read. */
export function filesystemType(root: string): number | null {
  try {
    return statfsSync(root).type;
  } catch {
    return null;
  }
}
