import { type Filter, IGNORE_FILE } from './filter.js';
import { walk } from './walker.js';
import type { ChangeEvent } from './seam.js';

/** An event about one file: what the journal marks dirty. */
export interface FileEvent {
  pair: string;
  rel: string;
  kind: 'add' | 'change' | 'unlink';
}

/** What the aggregator needs to walk one pair's tree. */
interface PairTree {
  root: string;
  filter: Filter;
  followSymlinks: boolean;
}

/** Runs `fn` once after `ms`; the function returned cancels it. */
export type Schedule = (fn: () => void, ms: number) => () => void;

const realSchedule: Schedule = (fn, ms) => {
  const t = setTimeout(fn, ms);
  return () => clearTimeout(t);
};

export interface AggregatorOptions {
  tree: (pair: string) => PairTree;
  /** One tick's file events, in arrival order (every pair's); called once per tick, even if empty. */
  onChanges: (events: readonly FileEvent[]) => void;
  /** The files found under a directory that appeared: once per walked directory, even if empty. */
  onFound: (pair: string, rels: readonly string[]) => void;
  /**
   * A directory left and its files may get no events of their own (a `dirGone`): once per
   * directory per batch (not for one under another that left), after the batch's file events.
   */
  onDirGone?: (pair: string, dirRel: string) => void;
  /**
   * What a directory's filters exclude changed (its ignore file was written or removed): once per
   * directory per batch, after the batch's file events.
   */
  onFilterChanged?: (pair: string, dirRel: string) => void;
  /** How long events gather before a batch goes out (default 10 ms). */
  delayMs?: number;
  /** Tests only: a timer they fire themselves. */
  schedule?: Schedule;
}

/** A walk of a directory that appeared, while it runs. */
interface DirWalk {
  pair: string;
  rel: string;
  /** Something left under it meanwhile: what it finds proves nothing about what is there now. */
  spoiled: boolean;
  /** Directories under it that appeared meanwhile: walked after it, unless it found them. */
  waiting: Set<string>;
}

/** How many directories found by walks are remembered for the watcher's late `addDir`s. */
const SEEN_MAX = 100_000;

/**
 * Watcher events in, path batches out, in the manner of Syncthing's watch aggregator: a burst
 * (an unpacked archive, an editor's save dance) becomes one batch, so one journal transaction.
 * Events are hints, so directory events become walks: a directory that appears (moved in, or
 * created with content) may bring files no event names. A tree that appears is walked once, not
 * once per directory in it (chokidar reports each one as it crawls the tree): a directory under
 * one being walked waits for that walk and is walked only if the walk did not find it, and one a
 * finished walk found is not walked again when its own `addDir` comes late (once; anything that
 * leaves under it since forgets that). It holds only the pending batch, the walks under way and
 * the directories they found; the filters it invalidates belong to the pairs.
 */
export class EventAggregator {
  private buffer: ChangeEvent[] = [];
  private cancel: (() => void) | undefined;
  private readonly walks = new Set<Promise<void>>();
  private readonly walking = new Map<string, DirWalk>();
  /** Directories (`pair\0rel`) a finished walk found, whose own `addDir` may still come. */
  private readonly seen = new Set<string>();
  private readonly delayMs: number;
  private readonly schedule: Schedule;

  constructor(private readonly opts: AggregatorOptions) {
    this.delayMs = opts.delayMs ?? 10;
    this.schedule = opts.schedule ?? realSchedule;
  }

  push(e: ChangeEvent): void {
    this.buffer.push(e);
    this.cancel ??= this.schedule(() => this.flush(), this.delayMs);
  }

  /** Whether events wait for the next batch. */
  get pending(): boolean {
    return this.buffer.length > 0;
  }

  /** Sends the waiting events at once (at stop, so none is lost), and cancels the pending tick. */
  flush(): void {
    this.cancel?.();
    this.cancel = undefined;
    const events = this.buffer;
    this.buffer = [];
    const files: FileEvent[] = [];
    const dirs: ChangeEvent[] = [];
    const refiltered = new Map<string, { pair: string; dir: string }>();
    const gone: ChangeEvent[] = [];
    for (const e of events) {
      if (e.kind === 'addDir') dirs.push(e);
      else if (e.kind === 'dirGone') gone.push(e);
      // A directory that leaves (a file that does is its own event): walks' findings there are void.
      if (e.kind === 'dirGone' || e.kind === 'unlinkDir') this.left(e.pair, e.rel);
      if (e.kind !== 'addDir' && e.kind !== 'dirGone' && e.kind !== 'unlinkDir') {
        // A changed ignore file changes what its directory excludes: read it again at next use.
        if (isIgnoreFile(e.rel)) {
          const dir = parentOf(e.rel);
          this.opts.tree(e.pair).filter.invalidate(dir);
          refiltered.set(`${e.pair}\0${dir}`, { pair: e.pair, dir });
        }
        files.push({ pair: e.pair, rel: e.rel, kind: e.kind });
      }
      // An unlinkDir needs nothing: each file under it gets an unlink event of its own.
    }
    this.opts.onChanges(files);
    for (const g of outermost(gone)) this.opts.onDirGone?.(g.pair, g.rel);
    for (const r of refiltered.values()) this.opts.onFilterChanged?.(r.pair, r.dir);
    for (const d of outermost(dirs)) this.appeared(d.pair, d.rel);
  }

  /** A directory appeared: walked, unless a walk under way or done already covers it. */
  private appeared(pair: string, rel: string): void {
    if (this.seen.delete(`${pair}\0${rel}`)) return;
    for (let i = rel.lastIndexOf('/'); i > 0; i = rel.lastIndexOf('/', i - 1)) {
      const w = this.walking.get(`${pair}\0${rel.slice(0, i)}`);
      if (w) {
        w.waiting.add(rel);
        return;
      }
    }
    this.track(this.walkNewDir(pair, rel));
  }

  /** Directory `rel` left: what walks found there, or will find, is no proof any more. */
  private left(pair: string, rel: string): void {
    for (const w of this.walking.values()) if (w.pair === pair && isUnder(rel, w.rel)) w.spoiled = true;
    if (!this.seen.size) return;
    for (const k of this.seen) if (isUnder(k, `${pair}\0${rel}`) || k === `${pair}\0${rel}`) this.seen.delete(k);
  }

  /** After a walk: what it found is remembered (in place of what was remembered under it). */
  private walked(w: DirWalk, rels: readonly string[] | undefined): void {
    const id = (r: string) => `${w.pair}\0${r}`;
    for (const k of this.seen) if (isUnder(k, id(w.rel))) this.seen.delete(k);
    const found = new Set<string>();
    if (rels && !w.spoiled)
      for (const r of rels)
        for (let i = r.lastIndexOf('/'); i > w.rel.length; i = r.lastIndexOf('/', i - 1)) {
          const dir = r.slice(0, i);
          if (found.has(dir)) break;
          found.add(dir);
        }
    for (const d of w.waiting) if (!found.delete(d)) this.appeared(w.pair, d);
    for (const d of found) {
      if (this.seen.size >= SEEN_MAX) this.seen.delete(this.seen.values().next().value!);
      this.seen.add(id(d));
    }
  }

  /** Resolves once every directory walk under way has reported. */
  async settled(): Promise<void> {
    while (this.walks.size) await Promise.all(this.walks);
  }

  private track(p: Promise<void>): void {
    this.walks.add(p);
    // A sink that throws is seen by settled(), not as an unhandled rejection.
    const done = () => void this.walks.delete(p);
    p.then(done, done);
  }

  private async walkNewDir(pair: string, rel: string): Promise<void> {
    const t = this.opts.tree(pair);
    const w: DirWalk = { pair, rel, spoiled: false, waiting: new Set() };
    const id = `${pair}\0${rel}`;
    // A walk of the same directory under way saw it before this appearance: this one runs too.
    const before = this.walking.get(id);
    this.walking.set(id, w);
    let rels: string[] | undefined;
    try {
      const r = await walk(t.root, t.filter, { followSymlinks: t.followSymlinks, under: rel });
      rels = r.entries.map((x) => x.rel);
    } catch {
      // gone again: its unlink events (or the next rescan) say so
    } finally {
      if (this.walking.get(id) === w) {
        if (before) this.walking.set(id, before);
        else this.walking.delete(id);
      }
      this.walked(w, rels);
    }
    if (rels) this.opts.onFound(pair, rels);
  }
}

/** The directories of the list that lie under no other of the same pair. */
function outermost(dirs: readonly ChangeEvent[]): ChangeEvent[] {
  const keys = new Set(dirs.map((d) => `${d.pair}\0${d.rel}`));
  const under = (d: ChangeEvent) => {
    for (let i = d.rel.lastIndexOf('/'); i > 0; i = d.rel.lastIndexOf('/', i - 1))
      if (keys.has(`${d.pair}\0${d.rel.slice(0, i)}`)) return true;
    return false;
  };
  const seen = new Set<string>();
  return dirs.filter((d) => {
    const k = `${d.pair}\0${d.rel}`;
    if (seen.has(k) || under(d)) return false;
    seen.add(k);
    return true;
  });
}

/** Whether `rel` lies strictly under `dir` ('' is the root). */
function isUnder(rel: string, dir: string): boolean {
  return dir === '' ? rel !== '' : rel.length > dir.length && rel.startsWith(dir) && rel[dir.length] === '/';
}

function isIgnoreFile(rel: string): boolean {
  return rel === IGNORE_FILE || rel.endsWith(`/${IGNORE_FILE}`);
}

function parentOf(rel: string): string {
  const i = rel.lastIndexOf('/');
  return i < 0 ? '' : rel.slice(0, i);
}
