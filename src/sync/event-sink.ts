import { keyFor } from '../plan/keys.js';
import { unwritableError } from '../store/unwritable.js';
import type { AggregatorOptions, FileEvent } from '../watch/events.js';
import { walk } from '../watch/walker.js';
import type { Runtime } from './runtime.js';

/**
 * Where the watcher's batches land: each names paths that may have changed, so each only marks
 * journal rows dirty and wakes the scheduler, which does the rest.
 */
export function eventSink(
  rt: Runtime,
  onFilterChanged?: AggregatorOptions['onFilterChanged'],
): Omit<AggregatorOptions, 'delayMs' | 'schedule'> {
  return {
    ...(onFilterChanged ? { onFilterChanged } : {}),
    tree: (name) => {
      const { pair, filter } = rt.engines.get(name)!;
      return { root: pair.path, filter, followSymlinks: pair.followSymlinks };
    },
    onChanges: (events) => markChanged(rt, events),
    onFound: (name, rels) => markFound(rt, name, rels),
    // What the watcher could not name: every file known under the directory is an unlink.
    onDirGone: (name, dir) => {
      const rels = rt.journal.query.presentUnder(name, dir);
      if (rels.length)
        markChanged(
          rt,
          rels.map((rel) => ({ pair: name, rel, kind: 'unlink' as const })),
        );
    },
  };
}

/**
 * One tick's events in one transaction. Dropped if the journal cannot be written: the daemon
 * pauses (JournalGuard) and rescans every pair once it can, which finds these changes again.
 */
function markChanged(rt: Runtime, events: readonly FileEvent[]): void {
  for (const e of events) rt.status.monitor.watcherEvents(e.pair, 1);
  try {
    markChangedTx(rt, events);
  } catch (e) {
    if (!unwritableError(e, rt.journal.path)) throw e;
  }
}

function markChangedTx(rt: Runtime, events: readonly FileEvent[]): void {
  const { cfg } = rt;
  const now = rt.now();
  rt.journal.tx(() => {
    for (const e of events) {
      const pair = rt.engines.get(e.pair)!.pair;
      rt.journal.markDirty({
        pair: e.pair,
        rel: e.rel,
        key: keyFor(pair.prefix, e.rel),
        now,
        debounceMs: cfg.debounceMs,
        maxDelayMs: cfg.maxDelayMs,
      });
      // An unlink is a tombstone at once, so an add of the same content can pair with it.
      if (e.kind === 'unlink') {
        rt.journal.markDeletePending(e.pair, e.rel);
        rt.journal.retryCollisions(e.pair, e.rel, now);
      }
    }
  });
  rt.scheduler.wake();
}

/** The files of a directory that appeared (moved in, or created with content). */
function markFound(rt: Runtime, name: string, rels: readonly string[]): void {
  const { cfg } = rt;
  try {
    const { prefix } = rt.engines.get(name)!.pair;
    const items = rels.map((rel) => ({ rel, key: keyFor(prefix, rel) }));
    if (items.length)
      rt.journal.markManyDirty({
        pair: name,
        items,
        now: rt.now(),
        debounceMs: cfg.debounceMs,
        maxDelayMs: cfg.maxDelayMs,
      });
    rt.scheduler.wake();
  } catch {
    // The walk outlived stop() closing the journal: the next start reconciles the pair anyway.
  }
}

/**
 * After what a directory's filters exclude changed: every file now under it (newly included ones
 * too) and every row the journal has there (newly excluded ones too) is looked at again.
 */
export async function rescanSubtree(rt: Runtime, name: string, under: string): Promise<void> {
  const { pair, filter } = rt.engines.get(name)!;
  const items = new Map<string, string>();
  // Under a directory: its rows only, an indexed range; the whole tree: every row of the pair.
  if (under) for (const rel of rt.journal.query.presentUnder(name, under)) items.set(rel, keyFor(pair.prefix, rel));
  else for (const r of rt.journal.query.reconcileRows(name)) if (r.present === 1) items.set(r.rel, r.key);
  try {
    const walked = await walk(pair.path, filter, { followSymlinks: pair.followSymlinks, under });
    for (const e of walked.entries) if (!items.has(e.rel)) items.set(e.rel, keyFor(pair.prefix, e.rel));
  } catch {
    // The directory is gone: its rows are looked at (and found gone) all the same.
  }
  rt.journal.markManyDirty({
    pair: name,
    items: [...items].map(([rel, key]) => ({ rel, key })),
    now: rt.now(),
    debounceMs: rt.cfg.debounceMs,
    maxDelayMs: rt.cfg.maxDelayMs,
  });
}
