import { compareKeys } from '../plan/key-order.js';
import type { KeyRange } from '../plan/key-range.js';
import {
  decideKey,
  inSync,
  type KeyContext,
  type KeyRow,
  type KeySides,
  syncSignature,
} from '../plan/reconcile-key.js';
import type { Journal } from '../store/journal.js';
import type { KeyedObject, RowCursor, SignedRow } from '../store/march.js';
import { WalkReader } from '../watch/walk-reader.js';
import type { WalkEntry, WalkItem } from '../watch/walker.js';
import type { ListingFeed } from './listing-feed.js';

/** Rows and objects read per query; marks written per transaction. */
const MARCH_PAGE = 1000;

/** The pair's rows in (key, rowid) order as signed rows, a keyset page at a time. */
class RowReader {
  private buf: SignedRow[] = [];
  private i = 0;
  private done = false;
  private cursor: RowCursor | null = null;
  /** The most rows held at once. */
  peak = 0;
  constructor(
    private readonly journal: Journal,
    private readonly pair: string,
    private readonly range: KeyRange | undefined,
  ) {}
  /** Reads the next page as soon as this one is used up, so rows the marks add are never met. */
  peek(): SignedRow | undefined {
    if (this.i >= this.buf.length && !this.done) {
      const page = this.journal.march.rowsAfter(this.pair, this.cursor, MARCH_PAGE, this.range);
      this.buf = page.rows;
      this.i = 0;
      this.peak = Math.max(this.peak, this.buf.length);
      if (page.last) this.cursor = page.last;
      else this.done = true;
    }
    return this.buf[this.i];
  }
  take(): SignedRow {
    return this.buf[this.i++]!;
  }
}

/** The remote table in key order, read no further than the listing running beside has reached. */
class ObjectReader {
  private buf: KeyedObject[] = [];
  private i = 0;
  private done = false;
  private cursor = '';
  /** Objects met (trash excluded). */
  count = 0;
  /** The most objects held at once. */
  peak = 0;
  constructor(
    private readonly journal: Journal,
    private readonly pair: string,
    private readonly trash: string,
    private readonly feed: ListingFeed | undefined,
    private readonly range: KeyRange | undefined,
  ) {}
  /** Can the next object (or the end) be told without a query or a wait? Skips the trash. */
  get ready(): boolean {
    while (this.i < this.buf.length && this.buf[this.i]!.key.startsWith(this.trash)) this.i++;
    return this.i < this.buf.length || this.done;
  }

  /** The next object when `ready`. */
  next(): KeyedObject | undefined {
    return this.buf[this.i];
  }

  async peek(): Promise<KeyedObject | undefined> {
    for (;;) {
      if (this.ready) return this.buf[this.i];
      const complete = !this.feed || this.feed.complete;
      const upTo = complete ? null : this.feed!.watermark;
      if (upTo !== null && compareKeys(upTo, this.cursor) <= 0) {
        await this.feed!.progress();
        continue;
      }
      this.buf = this.journal.march.objectsAfter(this.pair, this.cursor, upTo, MARCH_PAGE, this.range);
      this.i = 0;
      this.peak = Math.max(this.peak, this.buf.length);
      const last = this.buf[this.buf.length - 1];
      if (last) this.cursor = last.key;
      else if (upTo === null) this.done = true;
      else this.cursor = upTo; // nothing listed in (cursor, upTo]
    }
  }
  take(): KeyedObject {
    this.count++;
    return this.buf[this.i++]!;
  }
}

export type MarchResult = MarchCounts & { objects: number; cancelled: number };

interface MarchCounts {
  dirty: number;
  localFiles: number;
  /** The most walk entries, rows and objects held at once: by the march for one key, and read ahead. */
  peak: { group: number; rows: number; objects: number };
}

/** What the march decided for a key's file, written (or passed on) in batches. */
export interface MarkSink {
  add(action: MarkAction, rel: string, key: string): void;
  flush(): void;
}
export type MarkAction = 'dirty' | 'gone' | 'remote-only' | 'cancel';

/**
 * Reconciliation as three sorted streams met in lockstep by key, in the manner of rclone's march:
 * the walk, the journal's rows and the remote table (filled by the listing beside it). Each key's
 * sides are decided by plan/reconcile-key.ts; the marks are written a thousand at a time (or
 * given to `marks`). With `range`, only the keys in it: the walk must be limited to it too.
 */
export async function march(m: {
  journal: Journal;
  pair: string;
  walk: AsyncIterator<readonly WalkItem[]>;
  feed: ListingFeed | undefined;
  trash: string;
  ctx: Omit<KeyContext, 'unknown'>;
  now: number;
  range?: KeyRange;
  marks?: MarkSink;
}): Promise<MarchResult> {
  const { journal, pair } = m;
  const walk = new WalkReader(m.walk, m.ctx.prefix);
  const rows = new RowReader(journal, pair, m.range);
  const objects = new ObjectReader(journal, pair, m.trash, m.feed, m.range);
  const unknown: string[] = [];
  const ctx: KeyContext = { ...m.ctx, unknown: (rel) => unknown.some((u) => u === '' || rel.startsWith(u)) };
  const batch = m.marks ?? new MarkBatch(journal, pair, m.now);
  const counts = { dirty: 0, localFiles: 0, objects: 0, cancelled: 0, peak: { group: 0, rows: 0, objects: 0 } };
  // Awaits only when the walk's batch or the object page runs out: a promise per key would cost
  // as much as the key's lstat.
  const least = (a: string | undefined, b: string | undefined) =>
    a === undefined || (b !== undefined && compareKeys(b, a) < 0) ? b : a;
  // One key's sides, filled anew for each key: decideKey keeps none of them, and a pass meets
  // every file, most of them in sync.
  const entries: WalkEntry[] = [];
  const signed: SignedRow[] = [];
  let keyRows: KeyRow[] = [];
  const sides: { -readonly [K in keyof KeySides]: KeySides[K] } = {
    key: '',
    entries,
    rows: keyRows,
    object: undefined,
  };
  for (;;) {
    if (!walk.ready) await walk.fill();
    const w = walk.next();
    const wKey = walk.nextKey();
    const o = objects.ready ? objects.next() : await objects.peek();
    const key = least(least(wKey, rows.peek()?.key), o?.key);
    if (key === undefined) break;
    if (w?.unreadable && wKey === key) {
      // Before any row under it (its key is the directory's, `dir/`): their files are unknown.
      unknown.push(w.unreadable.rel ? `${w.unreadable.rel}/` : '');
      walk.take();
      continue;
    }
    entries.length = 0;
    for (let x = w; x?.entry && walk.nextKey() === key; x = walk.next()) {
      entries.push(x.entry);
      walk.take();
      if (!walk.ready) await walk.fill();
    }
    signed.length = 0;
    while (rows.peek()?.key === key) signed.push(rows.take());
    const object = o?.key === key ? objects.take() : undefined;
    counts.localFiles += entries.length;
    counts.peak.group = Math.max(counts.peak.group, entries.length + signed.length + (object ? 1 : 0));
    // Nearly every key: one file, one clean row, its object, as recorded (inSync, by signature).
    // Any other key reads its rows whole.
    const e = entries[0];
    const r = signed[0];
    if (e && r && object && entries.length === 1 && signed.length === 1 && r.sig !== null && e.rel === r.rel) {
      if (r.sig === syncSignature(e.stat, object)) continue;
    }
    keyRows = signed.length ? journal.march.rowsAt(pair, key) : [];
    sides.key = key;
    sides.rows = keyRows;
    sides.object = object;
    if (inSync(sides)) continue;
    for (const d of decideKey(sides, ctx)) {
      if (d.action === 'none') continue;
      if (d.action === 'cancel') counts.cancelled++;
      else counts.dirty++;
      batch.add(d.action, d.rel, key);
    }
  }
  batch.flush();
  counts.objects = objects.count;
  counts.peak.rows = rows.peak;
  counts.peak.objects = objects.peak;
  return counts;
}

/** Marks of the march, written in transactions of MARCH_PAGE. */
export class MarkBatch implements MarkSink {
  private dirty: { rel: string; key: string }[] = [];
  private gone: string[] = [];
  private remoteOnly: string[] = [];
  private cancelled: string[] = [];
  constructor(
    private readonly journal: Journal,
    private readonly pair: string,
    private readonly now: number,
  ) {}
  add(action: MarkAction, rel: string, key: string): void {
    if (action === 'cancel') this.cancelled.push(rel);
    else this.dirty.push({ rel, key });
    if (action === 'gone') this.gone.push(rel);
    if (action === 'remote-only') this.remoteOnly.push(rel);
    if (this.dirty.length + this.cancelled.length >= MARCH_PAGE) this.flush();
  }
  flush(): void {
    const { journal, pair } = this;
    if (!this.dirty.length && !this.cancelled.length) return;
    journal.tx(() => {
      journal.markManyDirty({ pair, items: this.dirty, now: this.now, debounceMs: 0, maxDelayMs: 0 });
      // Known gone now, so a new file with the same content can pair with it as a rename.
      for (const rel of this.gone) journal.markDeletePending(pair, rel);
      // Remote-only objects have no local file: their rows say so, for the planner.
      for (const rel of this.remoteOnly) journal.markRemoteOnly(pair, rel);
      for (const rel of this.cancelled) journal.dropRow(pair, rel);
    });
    this.dirty = [];
    this.gone = [];
    this.remoteOnly = [];
    this.cancelled = [];
  }
}
