import type { EventEmitter } from 'node:events';
import { type Dirent, existsSync, lstatSync, readdirSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join, sep } from 'node:path';
import type { AsyncSubscription, Event } from '@parcel/watcher';
import type { ChangeEvent, WatcherEvents, WatchTarget } from './seam.js';
import { TreeWatcher } from './tree-watcher.js';

type ParcelModule = typeof import('@parcel/watcher');

let loading: Promise<ParcelModule | Error> | undefined;

/** @parcel/watcher with its native binary, or why it did not load (no prebuild for this platform). */
function loadParcel(): Promise<ParcelModule | Error> {
  loading ??= import('@parcel/watcher').then(
    (m) => ((m as { default?: ParcelModule }).default ?? m) as ParcelModule,
    (e: unknown) => (e instanceof Error ? e : new Error(String(e))),
  );
  return loading;
}

/** Why @parcel/watcher cannot be used here, or null if its binary loads. */
export async function parcelLoadError(): Promise<string | null> {
  const m = await loadParcel();
  return m instanceof Error ? m.message.split('\n')[0]! : null;
}

/**
 * Excluded directories handed to parcel so it neither crawls nor watches them. Parcel tests each
 * path against every one, so past this many the rest are watched and filtered here instead.
 */
const MAX_IGNORED_DIRS = 256;

/** parcel's errors carry strerror text, not a code: the codes src/plan/watch-health.ts advises on. */
function withCode(e: unknown): Error {
  const error = e instanceof Error ? e : new Error(String(e));
  const code = /No space left on device/.test(error.message)
    ? 'ENOSPC'
    : /Too many open files/.test(error.message)
      ? 'EMFILE'
      : undefined;
  if (code) (error as NodeJS.ErrnoException).code = code;
  return error;
}

/**
 * Linux: the same directory by another path. parcel keeps one crawl of a directory per path while
 * any subscription holds it, so a new watch of a tree still watched (a changed ignore file, a
 * retry) would reuse the old crawl: by this path it crawls afresh and the old watch closes after.
 */
const PROC_ROOT = '/proc/self/root';
const procRoot = process.platform === 'linux' && existsSync(PROC_ROOT);

/**
 * One pair under parcel: a subscription of the root and one of each directory that appeared with
 * subdirectories (parcel's inotify backend watches such a directory, not what it holds), and the
 * pair's directories, so a directory's removal is told from a file's.
 */
class ParcelTree {
  private sub: AsyncSubscription | undefined;
  /** The path the root is subscribed by: the root, or the same directory under /proc/self/root. */
  private base: string;
  private dirs = new Set<string>();
  private ignore: string[] = [];
  /** Subtrees watched on their own, by directory; changed one at a time, in event order. */
  private readonly subtrees = new Map<string, AsyncSubscription>();
  private chain: Promise<void> = Promise.resolve();
  private closed = false;
  /** The parents of the paths this batch reported: named in one `recheck` at its end. */
  private readonly touched = new Set<string>();

  constructor(
    private readonly t: WatchTarget,
    private readonly parcel: ParcelModule,
    private readonly out: EventEmitter<WatcherEvents>,
    /** Whether a watch of the same root is still open: then this one needs the other path. */
    otherPath: boolean,
  ) {
    this.base = otherPath && procRoot ? PROC_ROOT + t.root : t.root;
  }

  /** Subscribes the root; throws if the tree cannot be watched. */
  async start(): Promise<void> {
    const { root, ignoreAbs } = this.t;
    const { dirs, excluded } = await this.walkDirs();
    const under = (abs: string) => (abs.startsWith(root + sep) ? this.base + abs.slice(root.length) : abs);
    this.ignore = [...ignoreAbs, ...excluded.slice(0, MAX_IGNORED_DIRS)].map(under);
    this.dirs = dirs;
    this.sub = await this.parcel.subscribe(this.base, (err, events) => this.onEvents(err, events), {
      ignore: this.ignore,
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.chain;
    await Promise.all([this.sub, ...this.subtrees.values()].map((s) => s?.unsubscribe()));
    this.subtrees.clear();
  }

  /** Whether this tree is subscribed by its root's own path. */
  get byRoot(): boolean {
    return this.base === this.t.root;
  }

  /** The pair's directories, and those its filters exclude (not crawled or watched by parcel). */
  private async walkDirs(): Promise<{ dirs: Set<string>; excluded: string[] }> {
    const { root, filter, ignoreAbs } = this.t;
    const dirs = new Set<string>();
    const excluded: string[] = [];
    const stack = [''];
    for (let dir = stack.pop(); dir !== undefined; dir = stack.pop()) {
      let entries: Dirent[];
      try {
        entries = await readdir(join(root, dir), { withFileTypes: true });
      } catch {
        if (dir) excluded.push(join(root, dir)); // unreadable: parcel could not watch it either
        continue;
      }
      for (const e of entries) {
        if (!e.isDirectory()) continue;
        const rel = dir ? `${dir}/${e.name}` : e.name;
        const abs = join(root, rel);
        if (ignoreAbs.includes(abs)) continue;
        if (filter.excludes(rel, true)) excluded.push(abs);
        else {
          dirs.add(rel);
          stack.push(rel);
        }
      }
    }
    return { dirs, excluded };
  }

  /** The '/'-separated path under the root, or null for the root, a path outside it, or the stateDir. */
  private rel(abs: string): string | null {
    const from = [this.base, this.t.root].find((b) => abs.startsWith(b + sep));
    if (from === undefined) return null;
    const r = abs
      .slice(from.length + 1)
      .split(sep)
      .join('/');
    const real = join(this.t.root, r);
    if (this.t.ignoreAbs.some((p) => real === p || real.startsWith(p + sep))) return null;
    return r || null;
  }

  private emit(rel: string, kind: ChangeEvent['kind']): void {
    this.touched.add(parentOf(rel));
    this.out.emit('change', { pair: this.t.pair, rel, kind });
  }

  private onEvents(err: Error | null, events: Event[]): void {
    if (this.closed) return;
    const { pair, filter, root } = this.t;
    if (err) {
      // Events may be lost from anywhere in the tree: the pair degrades, and is walked at once.
      this.out.emit('error', { pair, error: withCode(err) });
      this.out.emit('rescan', { pair, under: '' });
    }
    for (const e of events) {
      const rel = this.rel(e.path);
      if (rel === null) continue;
      if (e.type === 'delete') {
        this.dirGone(rel);
        continue;
      }
      let isDir: boolean;
      try {
        isDir = lstatSync(join(root, rel)).isDirectory();
      } catch {
        continue; // gone again: its delete event follows
      }
      if (filter.excludes(rel, isDir)) continue;
      if (!isDir) this.emit(rel, e.type === 'create' ? 'add' : 'change');
      else if (!this.dirs.has(rel)) this.dirAppeared(rel);
    }
    // parcel drops an overflowed inotify queue without a word: a busy directory is read again.
    if (this.touched.size) this.out.emit('recheck', { pair, dirs: [...this.touched] });
    this.touched.clear();
  }

  private dirGone(rel: string): void {
    this.closeSubtrees(rel);
    if (this.dirs.has(rel)) {
      for (const d of this.dirs) if (d === rel || d.startsWith(`${rel}/`)) this.dirs.delete(d);
      this.emit(rel, 'dirGone');
    } else if (!this.t.filter.excludes(rel)) {
      this.emit(rel, 'unlink');
      // Perhaps a directory that appeared unseen (inside one moved in): the rows under it, if any.
      this.emit(rel, 'dirGone');
    }
  }

  /** A directory created or moved in: walked; if it holds directories, watched as a tree of its own. */
  private dirAppeared(rel: string): void {
    this.dirs.add(rel);
    this.emit(rel, 'addDir');
    try {
      if (!this.hasSubdirs(rel)) return;
    } catch {
      return; // gone again
    }
    this.chain = this.chain.then(() => this.watchSubtree(rel));
  }

  private hasSubdirs(rel: string): boolean {
    return readdirSync(join(this.t.root, rel), { withFileTypes: true }).some(
      (e) => e.isDirectory() && !this.t.filter.excludes(`${rel}/${e.name}`, true),
    );
  }

  /** Watches the subtree, then walks it again: files made there before its watch began. */
  private async watchSubtree(rel: string): Promise<void> {
    if (this.closed || this.subtrees.has(rel)) return;
    const abs = join(this.t.root, rel);
    try {
      const sub = await this.parcel.subscribe(abs, (err, events) => this.onEvents(err, events), {
        ignore: this.ignore.map((p) => (p.startsWith(this.base + sep) ? this.t.root + p.slice(this.base.length) : p)),
      });
      this.subtrees.set(rel, sub);
      this.emit(rel, 'addDir');
    } catch (e) {
      // Gone again (its delete event says so), or not watchable: the pair degrades.
      if (existsSync(abs)) this.out.emit('error', { pair: this.t.pair, error: withCode(e) });
    }
  }

  private closeSubtrees(rel: string): void {
    const gone = [...this.subtrees.keys()].filter((d) => d === rel || d.startsWith(`${rel}/`));
    if (!gone.length) return;
    this.chain = this.chain.then(async () => {
      for (const d of gone) {
        const sub = this.subtrees.get(d);
        this.subtrees.delete(d);
        await sub?.unsubscribe().catch(() => {});
      }
    });
  }
}

function parentOf(rel: string): string {
  const i = rel.lastIndexOf('/');
  return i < 0 ? '' : rel.slice(0, i);
}

/**
 * The backend that knows @parcel/watcher: recursive watching at one inotify watch per directory
 * (not per file). It reports paths, not kinds: what each path is comes from lstat here, the
 * pair's Filter decides what counts, and symlinks are never followed (pairs that follow them
 * are watched by chokidar). Overflowed events are dropped by parcel without a word, so every
 * directory a batch touched is named in a `recheck` and read again shortly after; an error it
 * reports degrades the pair and walks it at once.
 */
export class ParcelWatcher extends TreeWatcher<ParcelTree> {
  protected async makeTree(t: WatchTarget): Promise<ParcelTree | Error> {
    const parcel = await loadParcel();
    if (parcel instanceof Error) return parcel;
    return new ParcelTree(t, parcel, this, this.trees.get(t.pair)?.byRoot === true);
  }

  protected startError(e: unknown): Error {
    return withCode(e);
  }
}
