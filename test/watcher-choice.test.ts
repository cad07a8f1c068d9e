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
    ['auto on Linux', {}, 'parcel', 'auto: one inotify watch per directory, not one per file'],
    [
      'auto on Linux, tree counted',
      { treeEntries: 200_000 },
      'parcel',
      'auto: one inotify watch per directory, not one per file for 200000 directories and files',
    ],
    ['auto on macOS', { platform: 'darwin' }, 'parcel', 'auto: one FSEvents stream per tree'],
    ['auto on Windows', { platform: 'win32' }, 'parcel', 'auto: one ReadDirectoryChangesW handle per tree'],
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
    ['auto', false, true],
    ['parcel', false, true],
    ['chokidar', false, false],
    ['auto', true, false],
    ['parcel', true, false],
  ])('setting %s, followSymlinks %s: parcel load tried: %s', (setting, follow, tried) => {
    expect(mayUseParcel(setting, follow)).toBe(tried);
  });
});
