import { describe, expect, it } from 'vitest';
import { chooseWatcher, mayUseParcel, type WatcherFacts } from '../src/plan/watcher-choice.js';

const facts = (f: Partial<WatcherFacts> = {}): WatcherFacts => ({
  setting: 'auto',
  platform: 'linux',
  parcelLoadError: null,
  followSymlinks: false,
  treeEntries: null,
  ...f,
});

describe('chooseWatcher', () => {
  it.each<[string, Partial<WatcherFacts>, 'chokidar' | 'parcel', string]>([
    // Never parcel by default: it lost a file created just after deletes, under load.
    [
      'auto on Linux',
      {},
      'chokidar',
      'auto: chokidar, one inotify watch per file; "watcher": "parcel" would need one inotify watch per directory but can miss events',
    ],
    [
      'auto on Linux, tree counted',
      { treeEntries: 200_000 },
      'chokidar',
      'auto: chokidar, one inotify watch per file (200000 directories and files); "watcher": "parcel" would need one inotify watch per directory but can miss events',
    ],
    [
      'auto on macOS',
      { platform: 'darwin' },
      'chokidar',
      'auto: chokidar, one inotify watch per file; "watcher": "parcel" would need one FSEvents stream per tree but can miss events',
    ],
    [
      'auto on Windows',
      { platform: 'win32' },
      'chokidar',
      'auto: chokidar, one inotify watch per file; "watcher": "parcel" would need one ReadDirectoryChangesW handle per tree but can miss events',
    ],
    ['auto on FreeBSD', { platform: 'freebsd' }, 'chokidar', '@parcel/watcher has no native backend on freebsd'],
    [
      'auto, binary missing',
      { parcelLoadError: 'No prebuild or local build of @parcel/watcher found' },
      'chokidar',
      '@parcel/watcher did not load (No prebuild or local build of @parcel/watcher found)',
    ],
    [
      'auto, pair follows symlinks',
      { followSymlinks: true },
      'chokidar',
      'the pair follows symlinks, which only the chokidar watcher does',
    ],
    ['set to chokidar', { setting: 'chokidar' }, 'chokidar', 'watcher is set to "chokidar"'],
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
    ['parcel', false, true],
    ['chokidar', false, false],
    ['auto', true, false],
    ['parcel', true, false],
  ])('setting %s, followSymlinks %s: parcel load tried: %s', (setting, follow, tried) => {
    expect(mayUseParcel(setting, follow)).toBe(tried);
  });
});
