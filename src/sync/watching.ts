import { errorSummary } from '../errors.js';
import { eventlessFilesystem, watchFailure } from '../plan/watch-health.js';
import { chooseWatcher, mayUseParcel } from '../plan/watcher-choice.js';
import { filesystemType, inotifyLimits, inotifyWatchesInUse } from '../watch/limits.js';
import { parcelLoadError } from '../watch/parcel.js';
import type { PairWatcher } from '../watch/watcher.js';
import { DirRecheck } from './dir-recheck.js';
import { rescanSubtree } from './event-sink.js';
import type { Runtime } from './runtime.js';

const EVENTLESS = 'EVENTLESS_FS';

/** inotify watches this user may still add (null: no limit, or it cannot be read). */
function freeWatches(): number | null {
  const limit = inotifyLimits().watches;
  if (limit === null) return null;
  return Math.max(0, limit - (inotifyWatchesInUse() ?? 0));
}
/**
 * A limit that has not changed since the last failed try is tried again only every this many
 * rescans: watching a large tree anew costs a walk of its own.
 */
const SAME_LIMIT_TRY_EVERY = 10;

interface WatchingDeps {
  rt: Runtime;
  watcher: PairWatcher;
  /** A rescan of the whole pair that records its own failure (the daemon's). */
  rescan: (name: string, opts: { list: boolean }) => Promise<void>;
  /** Runs `fn` when no reload, root check or rescan runs (the daemon's `exclusive`). */
  serial: (fn: () => Promise<void>) => Promise<void>;
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
  /** Pairs whose backend was chosen before their tree was counted. */
  private readonly uncounted = new Set<string>();
  /** Per degraded pair: the watch limit at its last failed try, and the rescans since. */
  private readonly tries = new Map<string, { limit: number | null; skipped: number }>();
  /** Directories a lossy backend's batches touched, read again shortly after. */
  private readonly recheck: DirRecheck;

  constructor(private readonly d: WatchingDeps) {
    this.recheck = new DirRecheck(d.rt, d.serial);
    d.watcher.on('error', ({ pair, error }) => this.onError(pair, error));
    d.watcher.on('recheck', ({ pair, dirs }) => {
      if (!d.stopping() && d.rt.engines.has(pair)) this.recheck.touch(pair, dirs);
    });
    // Events may have been lost there: the subtree is looked at again at once.
    d.watcher.on('rescan', ({ pair, under }) => {
      if (!d.stopping() && d.rt.engines.has(pair))
        void d
          .serial(() => rescanSubtree(d.rt, pair, under))
          .then(
            () => d.rt.scheduler.wake(),
            (e: unknown) =>
              d.rt.opts.log.error({ pair, error: errorSummary(e).message }, 'rescan after a watcher error failed'),
          );
    });
  }

  /** Which library watches the pair, and why (no effects): see src/plan/watcher-choice.ts. */
  private async decide(name: string, followSymlinks: boolean) {
    const setting = this.d.rt.cfg.watcher;
    const auto = setting === 'auto' && process.platform === 'linux';
    const treeEntries = this.d.rt.treeEntries.get(name) ?? (auto ? this.journalFiles(name) : null);
    const choice = chooseWatcher({
      setting,
      platform: process.platform,
      parcelLoadError: mayUseParcel(setting, followSymlinks) ? await parcelLoadError() : null,
      followSymlinks,
      treeEntries,
      freeWatches: auto ? freeWatches() : null,
    });
    return { choice, uncounted: auto && treeEntries === null };
  }

  /** decide(), and status and the log say so when it changes. */
  private async choose(name: string, followSymlinks: boolean) {
    const { rt } = this.d;
    const { choice, uncounted } = await this.decide(name, followSymlinks);
    if (uncounted) this.uncounted.add(name);
    else this.uncounted.delete(name);
    if (rt.status.watchers.get(name)?.backend !== choice.backend)
      rt.opts.log.info(
        { pair: name, watcher: choice.backend, reason: choice.reason },
        `watching with ${choice.backend}`,
      );
    rt.status.watchers.set(name, choice);
    return choice.backend;
  }

  /** Chosen before the tree was counted: the first walk's count decides again (refresh). */
  private rechoose(name: string): void {
    if (!this.uncounted.delete(name)) return;
    void this.d
      .serial(async () => {
        if (this.d.stopping() || !this.d.rt.engines.has(name)) return;
        const p = this.d.rt.engines.get(name)!.pair;
        const current = this.d.rt.status.watchers.get(name)?.backend;
        // Watched anew only if the count changes the choice; the new watch is ready before the old closes.
        const { choice } = await this.decide(name, p.followSymlinks);
        if (choice.backend !== current) await this.watch(name);
        // Same backend: only the reason changes (it now names the count).
        else this.d.rt.status.watchers.set(name, choice);
      })
      .catch((e: unknown) => {
        if (!this.d.stopping())
          this.d.rt.opts.log.error({ pair: name, error: errorSummary(e).message }, 'choosing the watcher again failed');
      });
  }

  /** Before the first walk: the files the journal knows (none on a first start). */
  private journalFiles(name: string): number | null {
    const n = this.d.rt.journal.query.knownFiles(name);
    return n > 0 ? n : null;
  }

  /** Watch the pair (anew if it is watched): degraded if the watch fails, no longer if it works. */
  async watch(name: string): Promise<void> {
    const { rt } = this.d;
    const engine = rt.engines.get(name)!;
    const p = engine.pair;
    this.failedNow.delete(name);
    const backend = await this.choose(name, p.followSymlinks);
    await this.d.watcher.add({
      backend,
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
    } else if (!this.failedNow.has(name)) {
      this.tries.delete(name);
      rt.clearDegraded(name);
    }
  }

  /** Rescans degraded pairs every `degradedRescanMs`. */
  start(): void {
    this.timer = setInterval(() => {
      this.ticking ??= this.d.serial(() => this.tick()).finally(() => (this.ticking = undefined));
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
    const run = (this.refiltering.get(name) ?? Promise.resolve()).then(() =>
      this.d.serial(async () => {
        this.refilterDirs.delete(name);
        // Removed by a reload meanwhile: nothing to watch.
        if (this.d.stopping() || !this.d.rt.engines.has(name)) return;
        try {
          await this.watch(name);
          for (const dir of dirs) if (!this.d.stopping()) await rescanSubtree(this.d.rt, name, dir);
          this.d.rt.scheduler.wake();
        } catch (e) {
          if (!this.d.stopping())
            this.d.rt.opts.log.error(
              { pair: name, error: errorSummary(e).message },
              'rescan after a filter change failed',
            );
        }
      }),
    );
    this.refiltering.set(name, run);
  }

  /** After a walk: the advice names the tree's size, and a choice made before any count is made again. */
  refresh(name: string): void {
    this.rechoose(name);
    const cur = this.d.rt.degradedOf(name);
    if (cur?.code !== 'ENOSPC') return;
    const f = this.failure(name, cur.code, '');
    this.d.rt.noteDegraded(name, { ...cur, cause: f.cause, fix: f.fix }, true);
  }

  /** Stops the timer; resolves once a rescan or refilter under way is done. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await Promise.all([this.ticking, ...this.refiltering.values(), this.recheck.stop()]);
  }

  private async tick(): Promise<void> {
    const { rt } = this.d;
    try {
      for (const name of [...rt.engines.keys()]) {
        const cur = rt.degradedOf(name);
        if (!cur || this.d.stopping() || !this.d.ready(name)) continue;
        // Watched first, then walked: a change made meanwhile is caught by one or the other.
        if (this.worthWatching(name, cur.code)) await this.watch(name);
        if (this.d.stopping()) return;
        // The local tree is what a blind watcher misses; the bucket is listed at the periodic rescan.
        await this.d.rescan(name, { list: false });
        this.refresh(name);
      }
      if (!this.d.stopping()) rt.scheduler.wake();
    } catch (e) {
      if (!this.d.stopping()) this.d.rt.opts.log.error({ error: errorSummary(e).message }, 'degraded rescan failed');
    }
  }

  /** Out of watches with the same limit as last time: tried again only now and then. */
  private worthWatching(name: string, code: string): boolean {
    if (code === EVENTLESS) return false;
    const t = this.tries.get(name);
    if (!t || code !== 'ENOSPC' || inotifyLimits().watches !== t.limit) return true;
    // Other processes may have let watches go: every so often, try anyway.
    return ++t.skipped % SAME_LIMIT_TRY_EVERY === 0;
  }

  private onError(pair: string, error: Error): void {
    if (this.d.stopping()) return;
    // The limit as the kernel applied it, read once per failed try (not once per refused file).
    if (!this.failedNow.has(pair)) this.tries.set(pair, { limit: inotifyLimits().watches, skipped: 0 });
    this.failedNow.add(pair);
    const code = (error as NodeJS.ErrnoException).code ?? 'WATCHER_ERROR';
    const cur = this.d.rt.degradedOf(pair);
    if (cur && cur.code !== EVENTLESS) {
      // ENOSPC comes once per file the kernel refused: counted, logged once.
      this.d.rt.noteDegraded(pair, { ...cur, errors: cur.errors + 1 }, true);
      this.d.rt.opts.log.debug({ pair, code, error: error.message }, 'watcher error (pair already degraded)');
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
