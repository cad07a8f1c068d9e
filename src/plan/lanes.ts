/**
 * How transfers share the process: each pair gets its own slots and byte budgets (a slow bucket
 * holds only its own pair's share), and within a pair small files keep slots and bytes of their
 * own (they never queue behind large uploads). Pure: src/sync/lanes.ts applies the shares.
 */

/** Files up to this size go by the small lane: one request each, done in well under a second. */
export const SMALL_FILE_BYTES = 1024 * 1024;

/** Bytes the small lanes hold between them (whole bodies, read ahead of their upload). */
const SMALL_BUDGET_BYTES = 16 * 1024 * 1024;
/** No pair's small lane holds less: four of the largest small files. */
const SMALL_BUDGET_MIN = 4 * SMALL_FILE_BYTES;

export type Lane = 'small' | 'large';

/**
 * The process's byte budget for large transfers. Eight parts in flight keep a link busy
 * (measured: 4 and 16 parts in flight move a multipart upload equally fast on loopback), and RSS
 * stays predictable whatever the concurrency.
 */
export function transferBudgetBytes(partSizeBytes: number): number {
  return Math.min(256 * 1024 * 1024, Math.max(64 * 1024 * 1024, 8 * partSizeBytes));
}

/** The lane a transfer of `bytes` goes by (deletes and other small requests: 0). */
export function laneOf(bytes: number): { lane: Lane; reason: string } {
  if (bytes <= SMALL_FILE_BYTES) return { lane: 'small', reason: `${bytes} bytes: at most ${SMALL_FILE_BYTES}` };
  return { lane: 'large', reason: `${bytes} bytes: over ${SMALL_FILE_BYTES}` };
}

export interface LaneShare {
  /** Transfers of the pair at once, both lanes together. */
  slots: number;
  /** Of them, the most large transfers may hold: the rest stay free for small files. */
  largeSlots: number;
  /** Examinations (stat, hash, HEAD) of the pair at once. */
  examineSlots: number;
  /** Bytes the pair's large transfers may hold (single PUTs over SMALL_FILE_BYTES and parts). */
  largeBytes: number;
  /** Bytes the pair's small files may hold. */
  smallBytes: number;
  reason: string;
}

export interface ShareFacts {
  /** The config's `concurrency`: transfers at once for the whole process. */
  concurrency: number;
  /** Pairs configured (at least one is assumed). */
  pairs: number;
  /** The process's byte budget for large transfers (Transfers sizes it from the part size). */
  budgetBytes: number;
  partSizeBytes: number;
}

/**
 * Each pair's share. The process-wide numbers are split evenly, so one pair can never hold what
 * another needs, with floors that keep every pair able to work: two slots (one of them kept for
 * small files) unless `concurrency` is 1, and two parts in flight. Many pairs can therefore exceed `concurrency` and the
 * budget a little; that is the price of isolation, and it is bounded by the floors.
 */
export function laneShare(f: ShareFacts): LaneShare {
  const pairs = Math.max(1, f.pairs);
  const slots = Math.max(Math.min(2, f.concurrency), Math.floor(f.concurrency / pairs));
  // One slot (concurrency 1) cannot be split: small files then only run ahead of queued large ones.
  const reserved = slots > 1 ? Math.max(1, Math.floor(slots / 4)) : 0;
  const largeBytes = Math.max(2 * f.partSizeBytes, Math.floor(f.budgetBytes / pairs));
  const smallBytes = Math.max(SMALL_BUDGET_MIN, Math.floor(SMALL_BUDGET_BYTES / pairs));
  const each = pairs === 1 ? 'one pair' : `${pairs} pairs`;
  return {
    slots,
    largeSlots: slots - reserved,
    examineSlots: slots,
    largeBytes,
    smallBytes,
    reason: `${each}: ${slots} transfer slots each, ${reserved} kept for small files`,
  };
}
