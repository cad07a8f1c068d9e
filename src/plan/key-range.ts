import { compareKeys } from './key-order.js';

/** Keys from `lo` (inclusive) to `hi` (exclusive; null: no end), in S3's order. */
export interface KeyRange {
  lo: string;
  hi: string | null;
}

export function inRange(key: string, r: KeyRange): boolean {
  return compareKeys(key, r.lo) >= 0 && (r.hi === null || compareKeys(key, r.hi) < 0);
}

/**
 * Can a key that starts with `p` lie in `r`? Such keys are never below `p`; and if `p` is below
 * `lo` without being a start of it, they differ from `lo` within `p`, so all of them are below.
 */
export function prefixMeets(p: string, r: KeyRange): boolean {
  if (r.hi !== null && compareKeys(p, r.hi) >= 0) return false;
  return compareKeys(p, r.lo) >= 0 || r.lo.startsWith(p);
}

/**
 * The ranges a pass over `rows` keys splits into, `parts` at most: cut at the keys `keyAt` gives
 * for row offsets spread evenly, kept only where they carry the prefix (a walk under the prefix
 * must be able to start there) and rise. One range covers everything when nothing can be cut.
 */
export function splitRanges(p: {
  rows: number;
  parts: number;
  prefix: string;
  keyAt: (offset: number) => string | undefined;
}): KeyRange[] {
  const cuts: string[] = [];
  for (let i = 1; i < p.parts; i++) {
    const k = p.keyAt(Math.floor((p.rows * i) / p.parts));
    if (k === undefined || !k.startsWith(p.prefix) || k === p.prefix) continue;
    const prev = cuts[cuts.length - 1];
    if (prev === undefined || compareKeys(k, prev) > 0) cuts.push(k);
  }
  const out: KeyRange[] = [];
  let lo = '';
  for (const c of cuts) {
    out.push({ lo, hi: c });
    lo = c;
  }
  out.push({ lo, hi: null });
  return out;
}

/** A range of full keys as the walk under `prefix` sees it (cuts carry the prefix; see splitRanges). */
export function underPrefix(r: KeyRange, prefix: string): KeyRange {
  const strip = (k: string) => (k.startsWith(prefix) ? k.slice(prefix.length) : '');
  return { lo: r.lo === '' ? '' : strip(r.lo), hi: r.hi === null ? null : strip(r.hi) };
}

/**
 * Rows a thread's share of a pass must reach before the pass is split: a march costs about 9 µs a
 * row, a worker thread tens of milliseconds to start and load the journal.
 */
const ROWS_PER_PART = 50_000;

/** How many parts (threads) a pass over `rows` rows is split into, given the cores there are. */
export function partsFor(rows: number, cores: number): number {
  return Math.max(1, Math.min(cores, Math.floor(rows / ROWS_PER_PART)));
}
