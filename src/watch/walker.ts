import { lstatSync, readdirSync, statSync, type BigIntStats } from 'node:fs';
import { join, sep } from 'node:path';
import { openDirInTree, treePath, type TreeDir } from '../local/safe-open.js';
import type { LocalStat } from '../model.js';
import type { Filter } from './filter.js';
import { kindOf, toLocalStat } from '../local/stat.js';

interface WalkEntry {
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

/**
 * Our own startup/rescan walk (the watcher's initial scan is off). It yields to the event loop
 * every couple of milliseconds, so a daemon stays responsive during a large rescan and the
 * listing that runs beside it is sent at once and its pages are answered as they arrive.
 */
export async function walk(
  root: string,
  filter: Filter,
  /** `shallow`: only the entries of `under` itself, not of its subdirectories. */
  opts: { followSymlinks: boolean; under?: string; shallow?: boolean },
): Promise<WalkResult> {
  const out: WalkResult = { entries: [], unreadable: [], loops: [], dirs: 0 };
  const start = opts.under ?? '';
  const rootStat = statSync(join(root, start), { bigint: true });
  // Each directory carries the identities of its ancestors: a followed symlink that leads to one
  // of them is a loop. (A link to a sibling is followed: that is what following means.)
  const stack: Frame[] = [{ rel: start, chain: [`${rootStat.dev}:${rootStat.ino}`] }];
  let sliceEnd = performance.now() + SLICE_MS;
  const pause = async () => {
    await new Promise<void>((r) => setImmediate(r));
    sliceEnd = performance.now() + SLICE_MS;
  };
  while (stack.length) {
    const { rel: dirRel, chain } = stack.pop()!;
    let names: string[];
    let dir: TreeDir | null;
    // Listed and lstat'ed through the directory as opened: if a directory on the way becomes a
    // symlink meanwhile, nothing outside the tree is listed in its place (unless following).
    try {
      dir = openDirInTree(treePath(root, dirRel, opts.followSymlinks));
      if (!dir) continue; // gone, or not a directory of the tree any more
    } catch (e) {
      out.unreadable.push({ rel: dirRel, error: (e as Error).message });
      continue;
    }
    const found: WalkEntry[] = [];
    const below: typeof stack = [];
    try {
      try {
        names = readdirSync(dir.path);
        out.dirs++;
      } catch (e) {
        out.unreadable.push({ rel: dirRel, error: (e as Error).message });
        continue;
      }
      const sliceOver = () => performance.now() > sliceEnd;
      await listDir({
        dir,
        dirRel,
        names,
        chain,
        filter,
        follow: opts.followSymlinks,
        out,
        found,
        below,
        sliceOver,
        pause,
      });
      if (!dir.stillAt()) continue;
    } finally {
      dir.close();
    }
    out.entries.push(...found);
    if (!opts.shallow) stack.push(...below);
    if (performance.now() > sliceEnd) await pause();
  }
  return out;
}

type Frame = { rel: string; chain: readonly string[] };

interface DirList {
  dir: TreeDir;
  dirRel: string;
  /** The directory's entry names, as readdir gave them. */
  names: string[];
  /** The identities of the directory and its ancestors: a followed link back to one is a loop. */
  chain: readonly string[];
  filter: Filter;
  follow: boolean;
  /** Where loops are reported. */
  out: WalkResult;
  found: WalkEntry[];
  below: Frame[];
  sliceOver: () => boolean;
  pause: () => Promise<void>;
}

/** One directory's entries: files into `found`, directories to walk into `below`. */
async function listDir(d: DirList): Promise<void> {
  const { dir, dirRel, names, chain, filter, follow, out, found, below, sliceOver, pause } = d;
  // Each entry's path is this plus its name (from readdir: no separator, nothing to normalise).
  const under = dir.path.endsWith(sep) ? dir.path : dir.path + sep;
  names.sort();
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    if ((i & 63) === 63 && sliceOver()) await pause();
    const rel = dirRel ? `${dirRel}/${name}` : name;
    const abs = under + name;
    let st: BigIntStats;
    try {
      st = lstatSync(abs, { bigint: true });
    } catch {
      continue; // vanished since readdir: the watcher (or next rescan) reports it
    }
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
      if (filter.excludes(rel, true)) continue;
      const id = `${st.dev}:${st.ino}`;
      if (viaLink && chain.includes(id)) {
        out.loops.push(rel);
        continue;
      }
      below.push({ rel, chain: [...chain, id] });
      continue;
    }
    if (filter.excludes(rel)) continue;
    found.push({ rel, kind, stat: toLocalStat(st) });
  }
}
