/**
 * The recovery-point watermark: a time before which every local change is known to be in the
 * bucket. With nothing waiting and the tree watched, that is the last moment the daemon looked
 * (an idle mirror stays current); a change still waiting holds it at the moment that change was
 * seen; without a working watcher, changes since the last full rescan may be unseen, so it is no
 * later than that rescan.
 */
export interface WatermarkInput {
  /** When the daemon last looked at the pair's pending work (its scheduler's last turn), ms. */
  checkedAt: number;
  /** The oldest change not yet confirmed (pending, retrying, failed or held), ms; null: none. */
  oldestPendingSince: number | null;
  /** Watching works; else when the last full rescan ended (null: none yet). */
  watched: boolean;
  lastRescanAt: number | null;
  /** The pair has been reconciled since the process started (before that nothing is known). */
  reconciled: boolean;
  /** The last time the pair was wholly in sync, from the journal (null: never). */
  lastSyncAt: number | null;
}

export interface Watermark {
  /** ms since the epoch; null: no point is known to be safe yet. */
  at: number | null;
  reason: string;
}

export function watermark(i: WatermarkInput): Watermark {
  if (!i.reconciled)
    return i.lastSyncAt === null
      ? { at: null, reason: 'not reconciled yet, and never in sync' }
      : { at: i.lastSyncAt, reason: 'not reconciled yet: the last time it was in sync' };
  let at = i.checkedAt;
  let reason = 'nothing pending: the last check';
  if (!i.watched) {
    if (i.lastRescanAt === null) return { at: i.lastSyncAt, reason: 'not watched, and not rescanned yet' };
    if (i.lastRescanAt < at) {
      at = i.lastRescanAt;
      reason = 'not watched: the last full rescan';
    }
  }
  if (i.oldestPendingSince !== null && i.oldestPendingSince <= at) {
    at = Math.max(0, i.oldestPendingSince - 1);
    reason = 'a change is waiting: just before the oldest';
  }
  return { at, reason };
}
