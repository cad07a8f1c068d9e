import { describe, expect, it } from 'vitest';
import { chooseWatcher, mayUseParcel, type WatcherFacts } from '../src/plan/watcher-choice.js';

const facts = (f: Partial<WatcherFacts> = {}): WatcherFacts => ({
  setting: 'auto',
  platform: 'linux',
  parcelLoadError: null,
  followSymlinks: false,
  treeEntries: 1000,
  freeWatches: 100_000,
  ...f,
});

describe('chooseWatcher', () => {
  it.each<[string, Partial<WatcherFacts>, 'chokidar' | 'parcel' | 'node', string]>([
    [
      'auto on Linux, a tree well inside the watches free',
      {},
      'chokidar',
      'auto: chokidar (one inotify watch per file, each event precise): 1000 directories and files fit in half of the 100000 inotify watches free',
    ],
    [
      'auto on Linux, exactly half',
      { treeEntries: 5000, freeWatches: 10_000 },
      'chokidar',
      'auto: chokidar (one inotify watch per file, each event precise): 5000 directories and files fit in half of the 10000 inotify watches free',
    ],
    [
      'auto on Linux, more than half',
      { treeEntries: 5001, freeWatches: 10_000 },
      'node',
      'auto: node (one inotify watch per directory, nothing held per file): 5001 directories and files exceed half of the 10000 inotify watches free',
    ],
    [
      'auto on Linux, as many as chokidar takes',
      { treeEntries: 10_000 },
      'chokidar',
      'auto: chokidar (one inotify watch per file, each event precise): 10000 directories and files fit in half of the 100000 inotify watches free',
    ],
    [
      'auto on Linux, past what chokidar takes, though the watches would fit',
      { treeEntries: 10_001 },
      'node',
      "auto: node (one inotify watch per directory, nothing held per file): 10001 directories and files are more than 10000, past which chokidar's memory per file costs too much",
    ],
    [
      'auto on Linux, 200,000 files against the default limit with 10,000 in use',
      { treeEntries: 202_000, freeWatches: 8192 * 16 - 10_000 },
      'node',
      'auto: node (one inotify watch per directory, nothing held per file): 202000 directories and files exceed half of the 121072 inotify watches free',
    ],
    [
      'auto on Linux, no watch free at all',
      { treeEntries: 1, freeWatches: 0 },
      'node',
      'auto: node (one inotify watch per directory, nothing held per file): 1 directories and files exceed half of the 0 inotify watches free',
    ],
    [
      'auto on Linux, not counted yet (a first start)',
      { treeEntries: null },
      'node',
      'auto: node (one inotify watch per directory, nothing held per file) until the first walk counts the tree',
    ],
    [
      'auto on Linux, the limit cannot be read',
      { freeWatches: null },
      'chokidar',
      'auto: chokidar, the inotify watch limit cannot be read',
    ],
    [
      'auto on macOS',
      { platform: 'darwin', freeWatches: null },
      'chokidar',
      'auto: chokidar, no inotify watches to save on darwin',
    ],
    [
      'auto on Windows',
      { platform: 'win32', freeWatches: null },
      'chokidar',
      'auto: chokidar, no inotify watches to save on win32',
    ],
    ['auto on FreeBSD', { platform: 'freebsd' }, 'chokidar', 'auto: chokidar, no inotify watches to save on freebsd'],
    [
      'auto on Linux, a large tree: parcel is not needed, so its binary does not matter',
      { parcelLoadError: 'No prebuild or local build of @parcel/watcher found', treeEntries: 1e6 },
      'node',
      'auto: node (one inotify watch per directory, nothing held per file): 1000000 directories and files exceed half of the 100000 inotify watches free',
    ],
    ['set to node, a small tree', { setting: 'node', platform: 'darwin' }, 'node', 'watcher is set to "node"'],
    [
      'set to node, pair follows symlinks',
      { setting: 'node', followSymlinks: true },
      'chokidar',
      'the pair follows symlinks, which only the chokidar watcher does',
    ],
    [
      'auto, pair follows symlinks, a large tree',
      { followSymlinks: true, treeEntries: 1e6 },
      'chokidar',
      'the pair follows symlinks, which only the chokidar watcher does',
    ],
    [
      'set to chokidar, a large tree',
      { setting: 'chokidar', treeEntries: 1e6 },
      'chokidar',
      'watcher is set to "chokidar"',
    ],
    ['set to parcel', { setting: 'parcel', platform: 'freebsd' }, 'parcel', 'watcher is set to "parcel"'],
    [
      'set to parcel, binary missing',
      { setting: 'parcel', parcelLoadError: 'boom' },
      'chokidar',
      '@parcel/watcher did not load (boom)',
    ],
    [
      'set to parcel, pair follows symlinks',
      { setting: 'parcel', followSymlinks: true },
      'chokidar',
      'the pair follows symlinks, which only the chokidar watcher does',
    ],
  ])('%s → %s', (_what, f, backend, reason) => {
    expect(chooseWatcher(facts(f))).toEqual({ backend, reason });
  });

  it.each<[WatcherFacts['setting'], boolean, boolean]>([
    ['auto', false, false],
    ['node', false, false],
    ['parcel', false, true],
    ['chokidar', false, false],
    ['auto', true, false],
    ['parcel', true, false],
  ])('setting %s, followSymlinks %s: parcel load tried: %s', (setting, follow, tried) => {
    expect(mayUseParcel(setting, follow)).toBe(tried);
  });
});
