import type { EventEmitter } from 'node:events';
import type { WatcherBackend } from '../plan/watcher-choice.js';
import type { Filter } from './filter.js';

/**
 * `dirGone`: a directory left the tree and its files may get no events of their own (parcel
 * reports a directory moved out as one path): every file the journal knows under it is looked at.
 */
type ChangeKind = 'add' | 'change' | 'unlink' | 'addDir' | 'unlinkDir' | 'dirGone';
export interface ChangeEvent {
  pair: string;
  rel: string;
  kind: ChangeKind;
}

/** One pair's tree to watch. */
export interface WatchTarget {
  pair: string;
  root: string;
  filter: Filter;
  followSymlinks: boolean;
  /** Absolute paths never watched (the stateDir). */
  ignoreAbs: readonly string[];
  /** Which library watches it (default chokidar); see src/plan/watcher-choice.ts. */
  backend?: WatcherBackend;
}

export interface WatcherEvents {
  change: [ChangeEvent];
  error: [{ pair: string; error: Error }];
  ready: [string];
  /** Events may have been lost under `under` ('' for the whole tree): walk it again at once. */
  rescan: [{ pair: string; under: string }];
  /**
   * A backend that can lose events without a word names the directories ('' for the root) each of
   * its batches touched: they are read again shortly after (src/plan/dir-recheck.ts).
   */
  recheck: [{ pair: string; dirs: string[] }];
}

/**
 * What the daemon needs of a watcher: the seam tests replace with one that fails. `add` for a
 * pair already watched watches it anew (the new watch is ready before the old one closes, so no
 * change falls between them); it resolves once the tree is watched, any errors reported before.
 */
export interface PairWatcher extends EventEmitter<WatcherEvents> {
  add(t: WatchTarget): Promise<void>;
  remove(pair: string): Promise<void>;
  close(): Promise<void>;
}
