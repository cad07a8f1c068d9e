/**
 * What a failed watch means for a pair and what the operator can do about it. Pure: the caller
 * reads the kernel's limit and the filesystem type, and counts the tree; this decides the words.
 */

/** The sysctl whose limit inotify ENOSPC means, named in every message about it. */
export const WATCH_LIMIT_SYSCTL = 'fs.inotify.max_user_watches';

export interface WatchFailureFacts {
  /** The error code the watcher gave (`ENOSPC`, `EMFILE`, …), or `EVENTLESS_FS` for a root on a filesystem without events. */
  code: string;
  message: string;
  /** The inotify watch limit now, where the kernel has it. */
  watchLimit: number | null;
  /** The sysctl that sets it, when not `fs.inotify.max_user_watches` (a user namespace's own). */
  watchSysctl?: string;
  /** `fs.inotify.max_user_instances` now, where the kernel has it. */
  instanceLimit: number | null;
  /** Directories and files in the pair's tree, from the last walk (null before the first). */
  treeEntries: number | null;
  /** The filesystem of the root, when it reports no changes made elsewhere. */
  filesystem?: string;
  degradedRescanMs: number;
}

export interface WatchFailure {
  /** What failed, in a sentence. */
  cause: string;
  /** How to make watching work again. */
  fix: string;
  /** Whether watching is worth trying again (an eventless filesystem stays so). */
  retryWatch: boolean;
}

/** Filesystems whose files can change without the local kernel hearing of it (statfs f_type). */
const EVENTLESS: ReadonlyMap<number, string> = new Map([
  [0x6969, 'nfs'],
  [0x517b, 'smb'],
  [0xff534d42, 'cifs'],
  [0xfe534d42, 'smb2'],
  [0x01021997, '9p'],
  [0x00c36400, 'ceph'],
  [0x5346414f, 'afs'],
  [0x73757245, 'coda'],
]);

/** The name of a filesystem type that reports no remote changes, or null for one that does. */
export function eventlessFilesystem(fsType: number): string | null {
  return EVENTLESS.get(fsType) ?? null;
}

/**
 * The watch limit this tree needs: one watch per directory and file, plus headroom for growth
 * and for the user's other watching processes, rounded up to a multiple of 1,024. When the limit
 * is already above that, other processes hold the rest: the tree's share is added on top.
 */
export function watchesNeeded(treeEntries: number, currentLimit: number | null): number {
  const need = treeEntries + Math.max(8192, Math.ceil(treeEntries / 4));
  const base = currentLimit !== null && currentLimit >= need ? currentLimit + need : need;
  return Math.ceil(base / 1024) * 1024;
}

export function watchFailure(f: WatchFailureFacts): WatchFailure {
  const every = `changes are found by a rescan every ${interval(f.degradedRescanMs)} until watching works again`;
  if (f.code === 'EVENTLESS_FS') {
    return {
      cause: `the pair's root is on ${f.filesystem ?? 'a network filesystem'}, which does not report changes made on other machines; ${every}`,
      fix: 'mirror a local filesystem (run s3mirror on the machine that holds the files), or accept the rescans (degradedRescanMs)',
      retryWatch: false,
    };
  }
  if (f.code === 'ENOSPC') {
    const now = f.watchLimit === null ? 'unknown here' : String(f.watchLimit);
    const tree = f.treeEntries === null ? 'not counted yet' : `${f.treeEntries} directories and files`;
    const target = watchesNeeded(f.treeEntries ?? 0, f.watchLimit);
    const name = f.watchSysctl ?? WATCH_LIMIT_SYSCTL;
    return {
      cause: `inotify watch limit reached (${name} is ${now}; this tree has ${tree}): some files are not watched; ${every}`,
      fix: `raise it to at least ${target}: sudo sysctl ${name}=${target}, and to keep it after a reboot: echo ${name}=${target} | sudo tee /etc/sysctl.d/60-s3mirror.conf`,
      retryWatch: true,
    };
  }
  if (f.code === 'EMFILE') {
    const now = f.instanceLimit === null ? 'unknown here' : String(f.instanceLimit);
    return {
      cause: `too many open files or inotify instances (fs.inotify.max_user_instances is ${now}): the pair is not fully watched; ${every}`,
      fix: 'raise the open-file limit (LimitNOFILE= in the service unit, ulimit -n) or fs.inotify.max_user_instances (sudo sysctl fs.inotify.max_user_instances=1024, kept in /etc/sysctl.d/60-s3mirror.conf)',
      retryWatch: true,
    };
  }
  return {
    cause: `the watcher failed (${f.code}: ${f.message}); ${every}`,
    fix: 'see the log for the failing path; watching is tried again at each rescan, and a restart watches anew',
    retryWatch: true,
  };
}

function interval(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`;
}
