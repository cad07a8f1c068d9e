import type { PairConfig } from '../config.js';
import { type KeyRange, underPrefix } from '../plan/key-range.js';
import { pathOfRel } from '../plan/keys.js';
import { currentKeyOfPrevious, leftAtPreviousPrefix } from '../plan/moves.js';
import type { Journal } from '../store/journal.js';
import type { Filter } from '../watch/filter.js';
import { type WalkItem, type WalkStats, walkBatches } from '../watch/walker.js';
import type { ListingFeed } from './listing-feed.js';
import { type MarchResult, type MarkSink, march } from './march.js';

/** A march over one range of a pair's keys, and what its walk found beside the files. */
export interface PartResult extends MarchResult {
  /** Directories listed whose own keys are in the range. */
  dirs: number;
  /** `rel: error` of each directory that could not be read. */
  unreadable: string[];
  /** The most walk entries held at once. */
  held: number;
  /** Parts the pass was split into, and those of them a worker thread did (src/sync/march-parts.ts). */
  parts: number;
  workers: number;
}

/**
 * Walks the part of the tree in `range` (everything without one) and marches it against the
 * journal's rows and remote table: the same in the main thread and in a march worker
 * (src/sync/march-worker.ts), which differ only in where the marks go.
 */
export async function marchPart(p: {
  journal: Journal;
  pair: PairConfig;
  filter: Filter;
  feed: ListingFeed | undefined;
  now: number;
  range?: KeyRange;
  marks?: MarkSink;
}): Promise<PartResult> {
  const { journal, pair } = p;
  const stats: WalkStats = { loops: [], dirs: 0, held: 0, peak: 0 };
  const unreadable: string[] = [];
  const movedFrom = journal.pairs.get(pair.name)?.moved_from ?? null;
  const previous = {
    has: (key: string) => journal.march.hasKey(pair.name, currentKeyOfPrevious(pair.prefix, movedFrom ?? '', key)),
  };
  const walked = walkBatches(
    pair.path,
    p.filter,
    { followSymlinks: pair.followSymlinks, ...(p.range ? { range: underPrefix(p.range, pair.prefix) } : {}) },
    stats,
  );
  const m = await march({
    journal,
    pair: pair.name,
    walk: noteUnreadable(walked, unreadable),
    feed: p.feed,
    trash: pair.prefix + pair.trashPrefix,
    ctx: {
      prefix: pair.prefix,
      deleteKeep: pair.delete === 'keep',
      keptExcluded: (rel) => !pair.deleteExcluded && p.filter.excludes(pathOfRel(rel)),
      leftAtPreviousPrefix: (key) => leftAtPreviousPrefix(pair.prefix, movedFrom, key, previous),
    },
    now: p.now,
    ...(p.range ? { range: p.range } : {}),
    ...(p.marks ? { marks: p.marks } : {}),
  }).catch(async (e: unknown) => {
    await walked.return(undefined);
    throw e;
  });
  return { ...m, dirs: stats.dirs, unreadable, held: stats.peak, parts: 1, workers: 0 };
}

/** The walk's items passed on, its unreadable directories noted as status reports them. */
async function* noteUnreadable(
  batches: AsyncIterable<readonly WalkItem[]>,
  out: string[],
): AsyncGenerator<readonly WalkItem[]> {
  for await (const items of batches) {
    for (const item of items) if (item.unreadable) out.push(`${item.unreadable.rel || '.'}: ${item.unreadable.error}`);
    yield items;
  }
}
