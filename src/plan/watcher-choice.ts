/**
 * Which library watches a pair, and why: decided per pair from the `watcher` setting, the
 * platform, whether @parcel/watcher's native binary loaded (when it is set), whether the pair
 * follows symlinks, and on Linux the tree's size against the inotify watches left. `auto` on Linux
 * chooses between chokidar (small trees only: a watch and a JS object per path) and node (Node's
 * fs.watch on each directory): parcel holds every path of the tree in native memory, about 230
 * bytes a file, so it is used only when set. Pure: the
 * caller tries the load and reads the counts; this decides.
 */

export type WatcherSetting = 'auto' | 'chokidar' | 'parcel' | 'node';
export type WatcherBackend = 'chokidar' | 'parcel' | 'node';

export interface WatcherFacts {
  setting: WatcherSetting;
  /** `process.platform`. */
  platform: string;
  /** Why @parcel/watcher's binary did not load, or null if it did (not asked when not needed). */
  parcelLoadError: string | null;
  followSymlinks: boolean;
  /** Directories and files at the pair's last walk, or the journal's files before it (null: unknown). */
  treeEntries: number | null;
  /** inotify watches this user may still add: the limit less those in use (null: no limit known). */
  freeWatches: number | null;
}

/**
 * chokidar holds one inotify watch per directory and file: past this share of the watches left,
 * the tree is watched by node (one per directory), so other watchers keep room.
 */
const CHOKIDAR_SHARE = 0.5;

/**
 * chokidar also holds a JS object per path (6–10 KB a file measured: a daemon on 50,000 files
 * peaked at 504 MiB), so past this many entries node watches the tree whatever the watches left.
 */
const CHOKIDAR_MAX_ENTRIES = 10_000;

export interface WatcherChoice {
  backend: WatcherBackend;
  /** Said in status (`pairs[].watcher`) and in the log when the pair is watched. */
  reason: string;
}

/** What the node backend costs on Linux, said in the reasons `auto` gives. */
const NODE_COST = 'one inotify watch per directory, nothing held per file';

/** Whether the choice needs parcel's binary at all: only then is its load tried. */
export function mayUseParcel(setting: WatcherSetting, followSymlinks: boolean): boolean {
  return setting === 'parcel' && !followSymlinks;
}

export function chooseWatcher(f: WatcherFacts): WatcherChoice {
  if (f.setting === 'chokidar') return { backend: 'chokidar', reason: 'watcher is set to "chokidar"' };
  // parcel and node never follow a symlink; chokidar does, with loop detection, as the walker does.
  if (f.followSymlinks)
    return { backend: 'chokidar', reason: 'the pair follows symlinks, which only the chokidar watcher does' };
  if (f.setting === 'node') return { backend: 'node', reason: 'watcher is set to "node"' };
  if (f.setting === 'parcel')
    return f.parcelLoadError === null
      ? { backend: 'parcel', reason: 'watcher is set to "parcel"' }
      : { backend: 'chokidar', reason: `@parcel/watcher did not load (${f.parcelLoadError})` };
  // Elsewhere than Linux no watch limit is saved: chokidar, which reports each file precisely.
  if (f.platform !== 'linux')
    return { backend: 'chokidar', reason: `auto: chokidar, no inotify watches to save on ${f.platform}` };
  // Not counted yet (a first start): node costs little whatever the size; the walk decides again.
  if (f.treeEntries === null)
    return { backend: 'node', reason: `auto: node (${NODE_COST}) until the first walk counts the tree` };
  if (f.freeWatches === null)
    return { backend: 'chokidar', reason: 'auto: chokidar, the inotify watch limit cannot be read' };
  const share = Math.floor(f.freeWatches * CHOKIDAR_SHARE);
  const size = `${f.treeEntries} directories and files`;
  if (f.treeEntries > share)
    return {
      backend: 'node',
      reason: `auto: node (${NODE_COST}): ${size} exceed half of the ${f.freeWatches} inotify watches free`,
    };
  if (f.treeEntries > CHOKIDAR_MAX_ENTRIES)
    return {
      backend: 'node',
      reason: `auto: node (${NODE_COST}): ${size} are more than ${CHOKIDAR_MAX_ENTRIES}, past which chokidar's memory per file costs too much`,
    };
  return {
    backend: 'chokidar',
    reason: `auto: chokidar (one inotify watch per file, each event precise): ${size} fit in half of the ${f.freeWatches} inotify watches free`,
  };
}
