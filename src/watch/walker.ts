import { lstatSync, readdirSync, statSync, type BigIntStats } from 'node:fs';
import { join, sep } from 'node:path';
import { openDirInTree, treePath, type TreeDir } from '../local/safe-open.js';
import type { LocalStat } from '../model.js';
import type { Filter } from './filter.js';
import { kindOf, toLocalStat } from '../local/stat.js';
import { compareKeys } from '../plan/key-order.js';
import { inRange, type KeyRange, prefixMeets } from '../plan/key-range.js';

export interface WalkEntry {
  rel: string;
  kind: 'file' | 'symlink' | 'special';
  stat: LocalStat;
}

export interface WalkResult {
  entries: WalkEntry[];
  /** Directories we could not read: their contents are unknown, not deleted. */
  unreadable: { rel: string; error: string }[];
  /** Symlinked directories not followed again because they lead back into the walk. */
  loops: string[];
  /** Directories listed, the root included: with the entries, the watches the tree needs. */
  dirs: number;
}

/** The longest the walk keeps the event loop to itself. */
const SLICE_MS = 2;

/** One item of a walk in key order: a file, or a directory whose contents are unknown. */
export type WalkItem =
  | { entry: WalkEntry; unreadable?: undefined /** NFC(rel): the key under the prefix. */; key: string }
  | {
      entry?: undefined;
      unreadable: { rel: string; error: string } /** NFC(rel) + '/', '' for the root. */;
      key: string;
    };

/** What a walk in key order found beside its items, and what it holds now. */
export interface WalkStats {
  loops: string[];
  dirs: number;
  /** Entries listed and not yet yielded (the memory the walk holds). */
  held: number;
  /** The most entries held at once. */
  peak: number;
}

/**
 * `shallow`: only the entries of `under` itself, not of its subdirectories. `range`: only the
 * entries whose keys (NFC, under the prefix) lie in it, and directories only where their keys can;
 * one of several walks that split a tree between threads (src/sync/march-parts.ts).
 */
type WalkOpts = { followSymlinks: boolean; under?: string; shallow?: boolean; range?: KeyRange };

/** A directory of the key space: one physical directory, or several whose names have one NFC form. */
type Frame = { key: string; dirs: { rel: string; chain: readonly string[] }[] };
/** A file's child is yielded as its WalkItem as it is: no second object per file. */
type Child =
  | { key: string; rel: string; entry: WalkEntry; frame?: undefined }
  | { key: string; rel: string; entry?: undefined; frame: Frame };

const byKey = (a: Child, b: Child): number => compareKeys(a.key, b.key) || (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0);

/**
 * Our own startup/rescan walk (the watcher's initial scan is off), in S3's key order: each
 * directory's entries sorted by their keys (NFC names, a directory as `name/`), depth first, so the
 * items come in the order of their keys and a reconciliation can meet them with the journal's rows
 * and the listing in lockstep. Directories whose names have one NFC form are walked as one (their
 * keys interleave). It yields to the event loop every couple of milliseconds, so a daemon stays
 * responsive during a large rescan and the listing that runs beside it is answered as it arrives.
 */
export async function* walkInOrder(
  root: string,
  filter: Filter,
  opts: WalkOpts,
  stats: WalkStats = { loops: [], dirs: 0, held: 0, peak: 0 },
): AsyncGenerator<WalkItem> {
  for await (const items of walkBatches(root, filter, opts, stats)) yield* items;
}

/**
 * walkInOrder's items, in the same order, as the runs between two directory listings: a consumer
 * that takes them from an array pays no promise per file (a reconciliation meets tens of
 * thousands of files per second, where one await per file costs as much as their lstat).
 */
export async function* walkBatches(
  root: string,
  filter: Filter,
  opts: WalkOpts,
  stats: WalkStats = { loops: [], dirs: 0, held: 0, peak: 0 },
): AsyncGenerator<WalkItem[]> {
  const start = opts.under ?? '';
  const rootStat = statSync(join(root, start), { bigint: true });
  // Each directory carries the identities of its ancestors: a followed symlink that leads to one
  // of them is a loop. (A link to a sibling is followed: that is what following means.)
  const first: Frame = {
    key: start ? `${start.normalize('NFC')}/` : '',
    dirs: [{ rel: start, chain: [`${rootStat.dev}:${rootStat.ino}`] }],
  };
  let sliceEnd = performance.now() + SLICE_MS;
  const pause = async () => {
    await new Promise<void>((r) => setImmediate(r));
    sliceEnd = performance.now() + SLICE_MS;
  };
  const sliceOver = () => performance.now() > sliceEnd;
  const levels: { children: Child[]; i: number }[] = [];
  let frame: Frame | undefined = first;
  let out: WalkItem[] = [];
  for (;;) {
    if (frame) {
      // What came before this directory goes first: its listing may take a while (and pause).
      if (out.length) yield out;
      out = [];
      const children: Child[] = [];
      for (const { rel: dirRel, chain } of frame.dirs) {
        const failed = await listOne({ root, dirRel, chain, filter, opts, stats, children, frame, sliceOver, pause });
        if (failed) out.push({ unreadable: { rel: dirRel, error: failed }, key: frame.key });
      }
      levels.push({ children: group(children), i: 0 });
      stats.held += children.length;
      stats.peak = Math.max(stats.peak, stats.held);
      frame = undefined;
      if (sliceOver()) await pause();
    }
    const top = levels[levels.length - 1];
    if (!top) {
      if (out.length) yield out;
      return;
    }
    const c = top.children[top.i++];
    if (!c) {
      levels.pop();
      continue;
    }
    stats.held--;
    if (c.entry) out.push(c);
    else if (!opts.shallow) frame = c.frame;
  }
}

/** Sorted in key order, directories of one key merged into one frame. */
function group(children: Child[]): Child[] {
  children.sort(byKey);
  const out: Child[] = [];
  for (const c of children) {
    const prev = out[out.length - 1];
    if (c.frame && prev?.frame && prev.key === c.key) prev.frame.dirs.push(...c.frame.dirs);
    else out.push(c);
  }
  return out;
}

/** Lists one physical directory into `children`; the error when it cannot be read. */
async function listOne(l: {
  root: string;
  dirRel: string;
  chain: readonly string[];
  filter: Filter;
  opts: WalkOpts;
  stats: WalkStats;
  children: Child[];
  frame: Frame;
  sliceOver: () => boolean;
  pause: () => Promise<void>;
}): Promise<string | undefined> {
  const { dirRel, stats } = l;
  let dir: TreeDir | null;
  // Listed through the directory as opened, and its findings kept only if it is still at its
  // place once its entries are lstat'ed: if a directory on the way becomes a symlink meanwhile,
  // nothing outside the tree is taken for its contents (unless following).
  try {
    dir = openDirInTree(treePath(l.root, dirRel, l.opts.followSymlinks));
    if (!dir) return undefined; // gone, or not a directory of the tree any more
  } catch (e) {
    return (e as Error).message;
  }
  const found: Child[] = [];
  const below: { rel: string; chain: readonly string[] }[] = [];
  try {
    let names: string[];
    try {
      names = readdirSync(dir.path);
      // A directory two ranged walks share is counted by the one its own key belongs to.
      if (!l.opts.range || inRange(l.frame.key, l.opts.range)) stats.dirs++;
    } catch (e) {
      return (e as Error).message;
    }
    const out = { loops: stats.loops };
    await listDir({
      dir,
      dirRel,
      names,
      chain: l.chain,
      base: l.frame.key,
      filter: l.filter,
      follow: l.opts.followSymlinks,
      range: l.opts.range,
      out,
      found,
      below,
      sliceOver: l.sliceOver,
      pause: l.pause,
    });
    if (!dir.stillAt()) return undefined;
  } finally {
    dir.close();
  }
  const base = l.frame.key;
  for (const c of found) l.children.push(c);
  for (const d of below) {
    const key = `${base + nameOf(d.rel).normalize('NFC')}/`;
    l.children.push({ key, rel: d.rel, frame: { key, dirs: [d] } });
  }
  return undefined;
}

const nameOf = (rel: string): string => rel.slice(rel.lastIndexOf('/') + 1);

/** The whole walk at once (a subtree rescan): entries in key order. */
export async function walk(root: string, filter: Filter, opts: WalkOpts): Promise<WalkResult> {
  const stats: WalkStats = { loops: [], dirs: 0, held: 0, peak: 0 };
  const out: WalkResult = { entries: [], unreadable: [], loops: stats.loops, dirs: 0 };
  for await (const item of walkInOrder(root, filter, opts, stats)) {
    if (item.entry) out.entries.push(item.entry);
    else out.unreadable.push(item.unreadable);
  }
  out.dirs = stats.dirs;
  return out;
}

interface DirList {
  dir: TreeDir;
  dirRel: string;
  /** The directory's entry names, as readdir gave them. */
  names: string[];
  /** The identities of the directory and its ancestors: a followed link back to one is a loop. */
  chain: readonly string[];
  /** The directory's key (NFC, with a trailing '/'; '' for the root). */
  base: string;
  filter: Filter;
  follow: boolean;
  range: KeyRange | undefined;
  /** Where loops are reported. */
  out: { loops: string[] };
  found: Child[];
  below: { rel: string; chain: readonly string[] }[];
  sliceOver: () => boolean;
  pause: () => Promise<void>;
}

/** One directory's entries: files into `found`, directories to walk into `below`. */
async function listDir(d: DirList): Promise<void> {
  const { dir, dirRel, names, chain, base, filter, follow, range, out, found, below, sliceOver, pause } = d;
  // Each entry's path is this plus its name (from readdir: no separator, nothing to normalise).
  const under = dir.treePath.endsWith(sep) ? dir.treePath : dir.treePath + sep;
  // Asked once per directory: in most trees no rule can exclude anything here.
  const filtered = filter.mayExcludeIn(dirRel);
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    if ((i & 63) === 63 && sliceOver()) await pause();
    const rel = dirRel ? `${dirRel}/${name}` : name;
    // Outside the range whatever it is: not even lstat'ed.
    const key = range ? base + name.normalize('NFC') : '';
    if (range && !prefixMeets(key, range)) continue;
    const abs = under + name;
    let st: BigIntStats | undefined;
    try {
      st = lstatSync(abs, { bigint: true, throwIfNoEntry: false });
    } catch {
      continue; // no longer reachable (ENOTDIR, EACCES): the watcher (or next rescan) reports it
    }
    if (!st) continue; // vanished since readdir: likewise
    let kind = kindOf(st);
    const viaLink = kind === 'symlink';
    if (kind === 'symlink' && follow) {
      try {
        st = statSync(abs, { bigint: true });
        kind = kindOf(st);
      } catch {
        kind = 'symlink'; // dangling: listed as skipped
      }
    }
    if (kind === 'dir') {
      if (range && !prefixMeets(`${key}/`, range)) continue;
      if (filtered && filter.excludes(rel, true)) continue;
      const id = `${st.dev}:${st.ino}`;
      if (viaLink && chain.includes(id)) {
        out.loops.push(rel);
        continue;
      }
      below.push({ rel, chain: [...chain, id] });
      continue;
    }
    if (range && !inRange(key, range)) continue;
    if (filtered && filter.excludes(rel)) continue;
    found.push({ key: range ? key : base + name.normalize('NFC'), rel, entry: { rel, kind, stat: toLocalStat(st) } });
  }
}
