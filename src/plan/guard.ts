/** What the guard weighs: the pair's deletes in hand and what the journal and listing know. */
export interface GuardFacts {
  /** Why the root cannot be trusted (missing, not a directory, another device), or null. */
  rootProblem: string | null;
  /** The root directory has no entries at all. */
  rootEmpty: boolean;
  /** Files the journal knows as present-or-pending for this pair. */
  knownFiles: number;
  /** Objects under the pair's prefix now, per the last listing and our own writes and deletes. */
  objects: number;
  /** Deletes about to be sent that were not released by `resume --allow-deletes`. */
  pending: number;
  /** Deletes already sent in the current window (the pass, or the last 60 s in the daemon). */
  recent: number;
  maxDeletePercent: number;
  maxDeleteCount: number;
}

export type GuardVerdict = { hold: false } | { hold: true; reason: string };

/**
 * The mass-delete guard (README "Mass-delete guard"): deletes are held, never executed, when the
 * evidence says the local side is not what it seems. Pure: the caller gathers the facts.
 */
export function guardDeletes(f: GuardFacts): GuardVerdict {
  if (f.pending === 0) return { hold: false };
  if (f.rootProblem) return { hold: true, reason: f.rootProblem };
  if (f.rootEmpty && f.knownFiles > 0) {
    return { hold: true, reason: `root directory is empty while the journal knows ${f.knownFiles} files` };
  }
  const total = f.pending + f.recent;
  if (total > f.maxDeleteCount) {
    return { hold: true, reason: `${total} deletes exceed maxDeleteCount ${f.maxDeleteCount}` };
  }
  // The share is of what the prefix held before this window's deletes began.
  const base = f.objects + f.recent;
  const limit = Math.floor((base * f.maxDeletePercent) / 100);
  if (base > 0 && total > limit) {
    return { hold: true, reason: `${total} deletes of ${base} objects exceed maxDeletePercent ${f.maxDeletePercent}%` };
  }
  return { hold: false };
}
