/**
 * When a pair's pending deletes go to the guard, and how many a call sends. The guard's verdict
 * itself is `guardDeletes` (guard.ts). Pure: PairDeletes (src/sync/deletes.ts) gathers the facts
 * and acts.
 */

/** Keys per DeleteObjects call: S3's limit. */
export const DELETE_BATCH_KEYS = 1000;

/** The daemon's rolling window in which the guard counts deletes already sent. */
const DELETE_WINDOW_MS = 60_000;

type Mode = 'once' | 'daemon';

/** Send times the guard still counts: all of a pass, the last 60 s of the daemon. */
export function inDeleteWindow(sentAt: readonly number[], mode: Mode, now: number): number[] {
  return sentAt.filter((t) => mode === 'once' || t > now - DELETE_WINDOW_MS);
}

export type FlushTrigger = { action: 'flush'; reason: string } | { action: 'wait'; reason: string };

/** After a batch: the daemon sends a full DeleteObjects call's worth at once, other deletes when idle. */
export function flushAfterBatch(mode: Mode, pending: number): FlushTrigger {
  // A pass sends its deletes last (Scheduler.runOnce), so every rename in it can become a copy.
  if (mode === 'once') return { action: 'wait', reason: 'a pass sends its deletes last' };
  if (pending >= DELETE_BATCH_KEYS) return { action: 'flush', reason: 'a full DeleteObjects batch is pending' };
  return { action: 'wait', reason: 'deletes go when the pipeline is idle' };
}

export interface DeferFacts {
  /** The guard's verdict on the deletes in hand and the undecided ones. */
  hold: boolean;
  /** Deletes the journal knows are needed that are not in hand yet. */
  undecided: number;
  /** Why the root cannot be trusted, or null. */
  rootProblem: string | null;
  mode: Mode;
  now: number;
  /** Since when the verdict has been deferred (undefined: it is not). */
  deferredSince: number | undefined;
  maxDelayMs: number;
}

export type DeferVerdict = { action: 'defer'; since: number; reason: string } | { action: 'decide'; reason: string };

/**
 * A daemon whose verdict would be a hold while part of the picture is undecided waits for the
 * rest before holding: some of those deletes may yet prove to be the old keys of renames, which
 * the guard does not count (a moved folder is never held). Not forever: a pair that churns always
 * has some undecided delete, and a hold that never comes would hide a mass delete from status.
 */
export function deferGuard(f: DeferFacts): DeferVerdict {
  if (!f.hold) return { action: 'decide', reason: 'the guard lets the deletes go' };
  if (f.rootProblem) return { action: 'decide', reason: 'the root cannot be trusted: held at once' };
  if (f.mode === 'once') return { action: 'decide', reason: 'a pass decides on what it has examined' };
  if (f.undecided === 0) return { action: 'decide', reason: 'every delete is decided' };
  const since = f.deferredSince ?? f.now;
  if (f.now - since >= f.maxDelayMs) return { action: 'decide', reason: 'deferred for maxDelayMs already' };
  return { action: 'defer', since, reason: `${f.undecided} deletes are still undecided` };
}
