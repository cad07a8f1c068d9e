/** What the caller knows of a delete that may be one half of a rename. */
export interface PartnerFacts {
  mode: 'once' | 'daemon';
  now: number;
  /** Since when the tombstone's row has been dirty (null: not recorded, counts as now). */
  dirtySince: number | null;
  /** The deleted file's size as the journal knew it (null: never stat'ed). */
  size: number | null;
  debounceMs: number;
  maxDelayMs: number;
  /**
   * Is a new file that could be this size still pending? A journal query, so it is asked only
   * when the answer decides.
   */
  newFileOfSizePending: (size: number) => boolean;
}

export type PartnerVerdict = { action: 'wait'; until: number; reason: string } | { action: 'delete'; reason: string };

/** How long a waiting delete is postponed each time: half a debounce, at least 100 ms. */
const MIN_WAIT_MS = 100;

/**
 * Whether a delete waits for a rename's other half. In the daemon a move arrives as a delete and
 * a new file, which may be examined apart: while a new file of the same size is still settling,
 * the delete is postponed, so the pair can become a server-side copy instead of a delete and an
 * upload. Pure: the caller asks the journal and postpones the row.
 */
export function awaitRenamePartner(f: PartnerFacts): PartnerVerdict {
  if (f.mode === 'once') return { action: 'delete', reason: 'a pass sends its deletes after its copies' };
  if (f.size === null) return { action: 'delete', reason: 'size unknown: no rename to pair with' };
  if (f.now - (f.dirtySince ?? f.now) >= f.maxDelayMs)
    return { action: 'delete', reason: 'waited maxDelayMs for a rename partner' };
  if (!f.newFileOfSizePending(f.size)) return { action: 'delete', reason: 'no new file of that size pending' };
  return {
    action: 'wait',
    until: f.now + Math.max(MIN_WAIT_MS, Math.round(f.debounceMs / 2)),
    reason: 'a new file of the same size is settling: it may be the far end of a rename',
  };
}
