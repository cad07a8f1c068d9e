import type { EventEmitter } from 'node:events';
import { type Dirent, existsSync, type FSWatcher, lstatSync, watch } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join, sep } from 'node:path';
import type { ChangeEvent, WatcherEvents, WatchTarget } from './seam.js';
import { TreeWatcher } from './tree-watcher.js';

/** fs.watch's errors keep their errno code (ENOSPC, EMFILE) for the advice in src/plan/watch-health.ts. */
function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}

function parentOf(rel: string): string {
  const i = rel.lastIndexOf('/');
  return i < 0 ? '' : rel.slice(0, i);
}

/**
 * One pair under Node's own fs.watch: one watch per directory (on Linux one inotify watch, which
 * reports the names of the files in it), and nothing per file. @parcel/watcher keeps every path
 * of the tree in native memory (about 230 bytes a file, 220 MiB at a million files); this keeps a
 * handle and a path per directory.
 */
class DirTree {
  /** The watched directories by '/'-separated path under the root ('' is the root). */
  private readonly watches = new Map<string, FSWatcher>();
  private chain: Promise<void> = Promise.resolve();
  private closed = false;
  /** The directories events touched since the last flush: named in one `recheck`. */
  private readonly touched = new Set<string>();
  private flushing = false;

  constructor(
    private readonly t: WatchTarget,
    private readonly out: EventEmitter<WatcherEvents>,
  ) {}

  /** Watches every directory the filters keep; throws if one cannot be watched (the limit). */
  async start(): Promise<void> {
    try {
      await this.watchTree('', true);
    } catch (e) {
      this.closeAll();
      throw e;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.chain;
    this.closeAll();
  }

  private closeAll(): void {
    for (const w of this.watches.values()) w.close();
    this.watches.clear();
  }

  /** Watches `rel` and the directories under it that the filters keep, the parent before its children. */
  private async watchTree(rel: string, strict: boolean): Promise<void> {
    const { root, filter, ignoreAbs } = this.t;
    const stack = [rel];
    for (let dir = stack.pop(); dir !== undefined; dir = stack.pop()) {
      if (this.closed) return;
      if (!this.watches.has(dir) && !this.watchDir(dir, strict)) continue;
      let entries: Dirent[];
      try {
        entries = await readdir(join(root, dir), { withFileTypes: true });
      } catch {
        continue; // gone again, or unreadable: not watched below
      }
      for (const e of entries) {
        if (!e.isDirectory()) continue;
        const sub = dir ? `${dir}/${e.name}` : e.name;
        if (ignoreAbs.includes(join(root, sub)) || filter.excludes(sub, true)) continue;
        stack.push(sub);
      }
    }
  }

  /** One directory's watch; false if it is gone. A watch limit throws when `strict`, else is reported. */
  private watchDir(dir: string, strict: boolean): boolean {
    let w: FSWatcher;
    try {
      w = watch(join(this.t.root, dir), { persistent: true }, (type, name) => this.onEvent(dir, type, name));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // Gone again, or unreadable (parcel could not watch it either): not watched.
      if (dir !== '' && (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EACCES' || code === 'EPERM'))
        return false;
      if (strict) throw e;
      this.out.emit('error', { pair: this.t.pair, error: asError(e) });
      return false;
    }
    // Events may have been lost under it: the pair degrades, and the directory is walked at once.
    w.on('error', (e) => {
      if (this.closed || this.watches.get(dir) !== w) return;
      // Windows reports the removal of a watched directory as an error: it is gone, no fault (a
      // root that left is the daemon's root check's to judge).
      if (!existsSync(join(this.t.root, dir))) {
        if (dir) this.gone(dir);
        return;
      }
      this.out.emit('error', { pair: this.t.pair, error: asError(e) });
      this.out.emit('rescan', { pair: this.t.pair, under: dir });
    });
    this.watches.set(dir, w);
    return true;
  }

  private emit(rel: string, kind: ChangeEvent['kind']): void {
    this.touch(parentOf(rel));
    this.out.emit('change', { pair: this.t.pair, rel, kind });
  }

  /**
   * The kernel's queue can overflow and its events are then dropped without a word: every
   * directory an event touched is named in a `recheck` once the current events are handled.
   */
  private touch(dir: string): void {
    this.touched.add(dir);
    if (this.flushing) return;
    this.flushing = true;
    setImmediate(() => {
      this.flushing = false;
      if (this.closed || !this.touched.size) return;
      this.out.emit('recheck', { pair: this.t.pair, dirs: [...this.touched] });
      this.touched.clear();
    });
  }

  private onEvent(dir: string, type: string, name: string | Buffer | null): void {
    if (this.closed) return;
    const { root, filter, ignoreAbs } = this.t;
    if (name === null) {
      // A name the platform did not give: the directory is read again.
      this.touch(dir);
      return;
    }
    const rel = dir ? `${dir}/${name.toString()}` : name.toString();
    const real = join(root, rel);
    if (ignoreAbs.some((p) => real === p || real.startsWith(p + sep))) return;
    let isDir: boolean;
    try {
      isDir = lstatSync(real).isDirectory();
    } catch {
      this.gone(rel);
      return;
    }
    if (filter.excludes(rel, isDir)) return;
    if (!isDir) {
      // A directory replaced by a file: what was under it has left.
      if (this.watches.has(rel)) this.gone(rel);
      this.emit(rel, type === 'rename' ? 'add' : 'change');
    } else if (!this.watches.has(rel)) this.appeared(rel);
  }

  /** A path that is gone: a watched directory's subtree leaves; anything else may have been a file. */
  private gone(rel: string): void {
    if (this.watches.has(rel)) {
      for (const [d, w] of this.watches)
        if (d === rel || d.startsWith(`${rel}/`)) {
          w.close();
          this.watches.delete(d);
        }
      this.emit(rel, 'dirGone');
    } else if (!this.t.filter.excludes(rel)) {
      this.emit(rel, 'unlink');
      // Perhaps a directory that appeared unseen: the rows under it, if any.
      this.emit(rel, 'dirGone');
    }
  }

  /**
   * A directory created or moved in: its tree is watched first and then reported once, so the
   * walk the report causes finds every file made before the watches, and the watches see the rest.
   */
  private appeared(rel: string): void {
    this.chain = this.chain.then(async () => {
      if (this.closed || this.watches.has(rel)) return;
      await this.watchTree(rel, false);
      if (!this.closed && this.watches.has(rel)) this.emit(rel, 'addDir');
    });
  }
}

/**
 * The backend on Node's fs.watch: one watch per directory, never one per file, and no per-file
 * state. Like parcel it reports names, not kinds: lstat tells them apart, the pair's Filter decides
 * every event, and symlinks are never followed. A kernel queue overflow is dropped without a
 * word, so every directory an event touched is named in a `recheck`; a watch's error degrades the
 * pair and walks the directory at once.
 */
export class DirsWatcher extends TreeWatcher<DirTree> {
  protected async makeTree(t: WatchTarget): Promise<DirTree> {
    return new DirTree(t, this);
  }

  protected startError(e: unknown): Error {
    return asError(e);
  }
}
