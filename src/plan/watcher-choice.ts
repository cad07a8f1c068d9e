/**
 * Which library watches a pair, and why: decided per pair from the `watcher` setting, the
 * platform, whether @parcel/watcher's native binary loaded, and whether the pair follows
 * symlinks. Pure: the caller tries the load; this decides.
 */

export type WatcherSetting = 'auto' | 'chokidar' | 'parcel';
export type WatcherBackend = 'chokidar' | 'parcel';

export interface WatcherFacts {
  setting: WatcherSetting;
  /** `process.platform`. */
  platform: string;
  /** Why @parcel/watcher's binary did not load, or null if it did (not asked when not needed). */
  parcelLoadError: string | null;
  followSymlinks: boolean;
  /** Directories and files at the pair's last walk (null before the first). */
  treeEntries: number | null;
}

export interface WatcherChoice {
  backend: WatcherBackend;
  /** Said in status (`pairs[].watcher`) and in the log when the pair is watched. */
  reason: string;
}

/** Where parcel has a native recursive backend: inotify, FSEvents, ReadDirectoryChangesW. */
const PARCEL_NATIVE: ReadonlyMap<string, string> = new Map([
  ['linux', 'one inotify watch per directory, not one per file'],
  ['darwin', 'one FSEvents stream per tree'],
  ['win32', 'one ReadDirectoryChangesW handle per tree'],
]);

/** Whether the choice needs parcel's binary at all: only then is its load tried. */
export function mayUseParcel(setting: WatcherSetting, followSymlinks: boolean): boolean {
  return setting === 'parcel' && !followSymlinks;
}

export function chooseWatcher(f: WatcherFacts): WatcherChoice {
  if (f.setting === 'chokidar') return { backend: 'chokidar', reason: 'watcher is set to "chokidar"' };
  // parcel never follows a symlink; chokidar does, with loop detection, as the walker does.
  if (f.followSymlinks)
    return { backend: 'chokidar', reason: 'the pair follows symlinks, which only the chokidar watcher does' };
  if (f.parcelLoadError !== null)
    return { backend: 'chokidar', reason: `@parcel/watcher did not load (${f.parcelLoadError})` };
  if (f.setting === 'parcel') return { backend: 'parcel', reason: 'watcher is set to "parcel"' };
  const native = PARCEL_NATIVE.get(f.platform);
  if (!native) return { backend: 'chokidar', reason: `@parcel/watcher has no native backend on ${f.platform}` };
  // Not parcel by default, whatever the tree's size: under load, parcel 2.6's inotify backend lost
  // a file created just after deletes in the same directory (test/rules.int.test.ts, 2 runs in 7),
  // and a lost event is a change that waits for the next rescan.
  const size = f.treeEntries === null ? '' : ` (${f.treeEntries} directories and files)`;
  return {
    backend: 'chokidar',
    reason: `auto: chokidar, one inotify watch per file${size}; "watcher": "parcel" would need ${native.replace(/, not one per file$/, '')} but can miss events`,
  };
}
