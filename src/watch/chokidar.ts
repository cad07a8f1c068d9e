import { EventEmitter } from 'node:events';
import { relative, sep } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import type { PairWatcher, WatcherEvents, WatchTarget } from './seam.js';

/**
 * The backend that knows chokidar: one inotify watch per file and directory on Linux, symlinks
 * followed where the pair says so. Options are explicit: no initial scan (our walker reconciles),
 * symlinks as configured, and `atomic` off, because it silently drops `*~` and `.*.swp` paths the
 * walker would still upload; our own debounce coalesces editors' save dances.
 */
export class ChokidarWatcher extends EventEmitter<WatcherEvents> implements PairWatcher {
  private readonly watchers = new Map<string, FSWatcher>();
  /** Watchers being replaced: closed once their successor is ready, or at close(). */
  private readonly retiring = new Set<FSWatcher>();
  private closed = false;
  /** Adds still waiting for their watcher's first scan: close() ends the wait (it never comes). */
  private readonly waiting = new Set<() => void>();

  add({ pair, root, filter, followSymlinks, ignoreAbs }: WatchTarget): Promise<void> {
    if (this.closed) return Promise.resolve();
    const previous = this.watchers.get(pair);
    if (previous) this.retiring.add(previous);
    const rel = (abs: string) => relative(root, abs).split(sep).join('/');
    const w = watch(root, {
      ignoreInitial: true,
      followSymlinks,
      atomic: false,
      alwaysStat: false,
      persistent: true,
      ignored: (abs: string, stats?: { isDirectory(): boolean }) => {
        if (ignoreAbs.some((p) => abs === p || abs.startsWith(p + sep))) return true;
        const r = rel(abs);
        if (!r || r.startsWith('..')) return false;
        return filter.excludes(r, stats?.isDirectory() ?? false);
      },
    });
    for (const kind of ['add', 'change', 'unlink', 'addDir', 'unlinkDir'] as const) {
      w.on(kind, (abs: string) => {
        const r = rel(abs);
        if (r && !r.startsWith('..')) this.emit('change', { pair, rel: r, kind });
      });
    }
    w.on('error', (error: unknown) => this.emit('error', { pair, error: error as Error }));
    this.watchers.set(pair, w);
    return new Promise((resolve) => {
      const done = () => {
        this.waiting.delete(done);
        resolve();
      };
      this.waiting.add(done);
      w.once('ready', () => {
        this.emit('ready', pair);
        if (previous && this.retiring.delete(previous)) void previous.close();
        done();
      });
    });
  }

  /** Stop watching one pair (before watching its root anew, e.g. after a remount). */
  async remove(pair: string): Promise<void> {
    const w = this.watchers.get(pair);
    this.watchers.delete(pair);
    await w?.close();
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.watchers.values(), ...this.retiring].map((w) => w.close()));
    this.watchers.clear();
    this.retiring.clear();
    for (const done of [...this.waiting]) done();
  }
}
