/**
 * The net under a watcher that can lose events without a word (@parcel/watcher drops inotify's
 * queue overflow, and has lost a file created among deletes): every directory an event batch
 * touched is read again shortly after, against the journal, so a sibling whose event was lost
 * is found within seconds rather than at the periodic rescan. Pure: the caller keeps the queue,
 * reads the directories and arms the timer.
 */

/** How long after the first event that touched a directory it is read again. */
export const RECHECK_DELAY_MS = 1000;
/** At most this many directories are read per run; the rest wait for the next one. */
export const RECHECK_MAX_PER_RUN = 64;

/** `pair\0dir`: a directory ('' for the root) of one pair. */
export type DirKey = string;

export const dirKey = (pair: string, dir: string): DirKey => `${pair}\0${dir}`;

export function splitDirKey(k: DirKey): { pair: string; dir: string } {
  const i = k.indexOf('\0');
  return { pair: k.slice(0, i), dir: k.slice(i + 1) };
}

/**
 * The directories a batch adds to the queue, each with the time it is due. One already waiting
 * keeps its time: a directory busy for minutes is read once per delay, not once per batch, and
 * not postponed for ever by its own events.
 */
export function queueRechecks(f: {
  now: number;
  waiting: ReadonlyMap<DirKey, number>;
  touched: readonly DirKey[];
  delayMs: number;
}): Map<DirKey, number> {
  const add = new Map<DirKey, number>();
  for (const k of f.touched) if (!f.waiting.has(k) && !add.has(k)) add.set(k, f.now + f.delayMs);
  return add;
}

export interface RecheckRun {
  /** Directories to read now, earliest due first. */
  run: DirKey[];
  /** When the next run is due (null: nothing waits). */
  nextAt: number | null;
  reason: string;
}

/**
 * The directories due now, at most `maxPerRun` of them; the rest are due at the next run. A due
 * time more than `delayMs` ahead was set before the wall clock stepped back: it is due now.
 */
export function dueRechecks(f: {
  now: number;
  waiting: ReadonlyMap<DirKey, number>;
  maxPerRun: number;
  delayMs: number;
}): RecheckRun {
  const isDue = (at: number) => at <= f.now || at - f.now > f.delayMs;
  const due = [...f.waiting].filter(([, at]) => isDue(at)).sort((a, b) => a[1] - b[1]);
  const run = due.slice(0, f.maxPerRun).map(([k]) => k);
  const taken = new Set(run);
  let next = Number.POSITIVE_INFINITY;
  for (const [k, at] of f.waiting) if (!taken.has(k) && at < next) next = at;
  const nextAt = next === Number.POSITIVE_INFINITY ? null : Math.max(f.now, next);
  const reason =
    due.length > run.length
      ? `${due.length} directories due, ${run.length} read now: the rest at once after`
      : `${run.length} directories due`;
  return { run, nextAt, reason };
}
