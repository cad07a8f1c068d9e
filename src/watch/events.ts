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

/**
 * Watcher events in, path batches out, in the manner of Syncthing's watch aggregator: a burst
 * (an unpacked archive, an editor's save dance) becomes one batch, so one journal transaction.
 * Events are hints, so directory events become walks: a directory that appears (moved in, or
 * created with content) may bring files no event names. It holds only the pending batch and the
 * walks under way; the filters it invalidates belong to the pairs.
 */
export class EventAggregator {
  private buffer: ChangeEvent[] = [];
  private cancel: (() => void) | undefined;
  private readonly walks = new Set<Promise<void>>();
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
      else if (e.kind !== 'unlinkDir') {
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
    for (const d of dirs) this.track(this.walkNewDir(d.pair, d.rel));
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
    let rels: string[];
    try {
      const r = await walk(t.root, t.filter, { followSymlinks: t.followSymlinks, under: rel });
      rels = r.entries.map((x) => x.rel);
    } catch {
      return; // gone again: its unlink events (or the next rescan) say so
    }
    this.opts.onFound(pair, rels);
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

function isIgnoreFile(rel: string): boolean {
  return rel === IGNORE_FILE || rel.endsWith(`/${IGNORE_FILE}`);
}

function parentOf(rel: string): string {
  const i = rel.lastIndexOf('/');
  return i < 0 ? '' : rel.slice(0, i);
}
