import { lstatSync, readdirSync, statSync, type BigIntStats } from 'node:fs';
import { join, sep } from 'node:path';
import type { LocalStat } from '../store/types.js';
import type { Filter } from './filter.js';
import { kindOf, toLocalStat } from './stat.js';

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
}

/** The longest the walk keeps the event loop to itself. */
const SLICE_MS = 2;

/**
 * Our own startup/rescan walk (the watcher's initial scan is off). It yields to the event loop
 * every couple of milliseconds, so a daemon stays responsive during a large rescan and the
 * listing that runs beside it is sent at once and its pages are answered as they arrive.
 */
export async function walk(root: string, filter: Filter, opts: { followSymlinks: boolean; under?: string }): Promise<WalkResult> {
  const out: WalkResult = { entries: [], unreadable: [], loops: [] };
  const start = opts.under ?? '';
  const rootStat = statSync(join(root, start), { bigint: true });
  // Each directory carries the identities of its ancestors: a followed symlink that leads to one
  // of them is a loop. (A link to a sibling is followed: that is what following means.)
  const stack: { rel: string; chain: readonly string[] }[] = [{ rel: start, chain: [`${rootStat.dev}:${rootStat.ino}`] }];
  let sliceEnd = performance.now() + SLICE_MS;
  const pause = async () => {
    await new Promise<void>((r) => setImmediate(r));
    sliceEnd = performance.now() + SLICE_MS;
  };
  while (stack.length) {
    const { rel: dirRel, chain } = stack.pop()!;
    let names: string[];
    const dirAbs = join(root, dirRel);
    // Each entry's path is this plus its name (from readdir: no separator, nothing to normalise).
    const under = dirAbs.endsWith(sep) ? dirAbs : dirAbs + sep;
    try {
      names = readdirSync(dirAbs);
    } catch (e) {
      out.unreadable.push({ rel: dirRel, error: (e as Error).message });
      continue;
    }
    names.sort();
    for (let i = 0; i < names.length; i++) {
      const name = names[i]!;
      if ((i & 63) === 63 && performance.now() > sliceEnd) await pause();
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
      if (kind === 'symlink' && opts.followSymlinks) {
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
        stack.push({ rel, chain: [...chain, id] });
        continue;
      }
      if (filter.excludes(rel)) continue;
      out.entries.push({ rel, kind, stat: toLocalStat(st) });
    }
    if (performance.now() > sliceEnd) await pause();
  }
  return out;
}
