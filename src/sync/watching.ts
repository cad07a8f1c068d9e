import { errorSummary } from '../errors.js';
import type { Logger } from '../log.js';
import { eventlessFilesystem, watchFailure } from '../plan/watch-health.js';
import { filesystemType, inotifyLimits } from '../watch/limits.js';
import type { PairWatcher } from '../watch/watcher.js';
import type { Runtime } from './runtime.js';

const EVENTLESS = 'EVENTLESS_FS';

interface WatchingDeps {
  rt: Runtime;
  watcher: PairWatcher;
  log: Logger;
  /** A rescan of the whole pair that records its own failure (the daemon's). */
  rescan: (name: string, opts: { list: boolean }) => Promise<void>;
  /** A rescan of one subtree, after what its filters exclude changed. */
  rescanUnder: (name: string, under: string) => Promise<void>;
  /** Whether the pair's bucket has answered: only then is it rescanned. */
  ready: (name: string) => boolean;
  stopping: () => boolean;
}

/**
 * Keeps each pair watched, or says that it is not. A watch that fails (inotify ENOSPC or EMFILE,
 * any watcher error, a root on a filesystem without events) makes the pair `degraded`: status
 * names the cause and the fix, the pair is never "in sync", and it is rescanned every
 * `degradedRescanMs` and watched anew until a watch reports no error.
 */
export class Watching {
  /** Pairs whose current watch reported an error since it began. */
  private readonly failedNow = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  /** Per pair: directories whose filters changed, waiting for the pair's next refilter run. */
  private readonly refilterDirs = new Map<string, Set<string>>();
  private readonly refiltering = new Map<string, Promise<void>>();

  constructor(private readonly d: WatchingDeps) {
    d.watcher.on('error', ({ pair, error }) => this.onError(pair, error));
  }

  /** Watch the pair (anew if it is watched): degraded if the watch fails, no longer if it works. */
  async watch(name: string): Promise<void> {
    const { rt } = this.d;
    const engine = rt.engines.get(name)!;
    const p = engine.pair;
    this.failedNow.delete(name);
    await this.d.watcher.add({
      pair: name,
      root: p.path,
      filter: engine.filter,
      followSymlinks: p.followSymlinks,
      ignoreAbs: [rt.cfg.stateDir],
    });
    if (this.d.stopping()) return;
    const type = filesystemType(p.path);
    const eventless = type === null ? null : eventlessFilesystem(type);
    if (eventless) {
      if (rt.degradedOf(name)?.code !== EVENTLESS) this.degrade(name, EVENTLESS, eventless);
    } else if (!this.failedNow.has(name)) rt.clearDegraded(name);
  }

  /** Rescans degraded pairs every `degradedRescanMs`. */
  start(): void {
    this.timer = setInterval(() => {
      this.ticking ??= this.tick().finally(() => (this.ticking = undefined));
    }, this.d.rt.cfg.degradedRescanMs);
    this.timer.unref();
  }

  /**
   * What a directory's filters exclude changed (its `.s3mirrorignore` was edited): watch the pair
   * anew, so directories that were excluded are watched, and rescan the directory. Edits in one
   * burst share one run.
   */
  refilter(name: string, under: string): void {
    let dirs = this.refilterDirs.get(name);
    if (dirs) {
      dirs.add(under);
      return;
    }
    dirs = new Set([under]);
    this.refilterDirs.set(name, dirs);
    const run = (this.refiltering.get(name) ?? Promise.resolve()).then(async () => {
      this.refilterDirs.delete(name);
      if (this.d.stopping()) return;
      try {
        await this.watch(name);
        for (const dir of dirs) if (!this.d.stopping()) await this.d.rescanUnder(name, dir);
        this.d.rt.scheduler.wake();
      } catch (e) {
        if (!this.d.stopping())
          this.d.log.error({ pair: name, error: errorSummary(e).message }, 'rescan after a filter change failed');
      }
    });
    this.refiltering.set(name, run);
  }

  /** After a walk: the advice names the tree's size. */
  refresh(name: string): void {
    const cur = this.d.rt.degradedOf(name);
    if (cur?.code !== 'ENOSPC') return;
    const f = this.failure(name, cur.code, '');
    this.d.rt.noteDegraded(name, { ...cur, cause: f.cause, fix: f.fix }, true);
  }

  /** Stops the timer; resolves once a rescan or refilter under way is done. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await Promise.all([this.ticking, ...this.refiltering.values()]);
  }

  private async tick(): Promise<void> {
    const { rt } = this.d;
    for (const name of rt.engines.keys()) {
      const cur = rt.degradedOf(name);
      if (!cur || this.d.stopping() || !this.d.ready(name)) continue;
      // Watched first, then walked: a change made meanwhile is caught by one or the other.
      if (cur.code !== EVENTLESS) await this.watch(name);
      if (this.d.stopping()) return;
      // The local tree is what a blind watcher misses; the bucket is listed at the periodic rescan.
      await this.d.rescan(name, { list: false });
      this.refresh(name);
    }
    if (!this.d.stopping()) rt.scheduler.wake();
  }

  private onError(pair: string, error: Error): void {
    if (this.d.stopping()) return;
    this.failedNow.add(pair);
    const code = (error as NodeJS.ErrnoException).code ?? 'WATCHER_ERROR';
    const cur = this.d.rt.degradedOf(pair);
    if (cur && cur.code !== EVENTLESS) {
      // ENOSPC comes once per file the kernel refused: counted, logged once.
      this.d.rt.noteDegraded(pair, { ...cur, errors: cur.errors + 1 }, true);
      this.d.log.debug({ pair, code, error: error.message }, 'watcher error (pair already degraded)');
      return;
    }
    this.degrade(pair, code, errorSummary(error).message);
  }

  private degrade(name: string, code: string, message: string): void {
    const f = this.failure(name, code, message);
    this.d.rt.noteDegraded(name, {
      since: this.d.rt.now(),
      code,
      cause: f.cause,
      fix: f.fix,
      errors: code === EVENTLESS ? 0 : 1,
      rescanEveryMs: this.d.rt.cfg.degradedRescanMs,
    });
  }

  private failure(name: string, code: string, message: string) {
    const limits = inotifyLimits();
    return watchFailure({
      code,
      message,
      watchLimit: limits.watches,
      watchSysctl: limits.watchSysctl,
      instanceLimit: limits.instances,
      treeEntries: this.d.rt.treeEntries.get(name) ?? null,
      ...(code === EVENTLESS ? { filesystem: message } : {}),
      degradedRescanMs: this.d.rt.cfg.degradedRescanMs,
    });
  }
}
