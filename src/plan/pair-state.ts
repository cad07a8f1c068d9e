/**
 * The one list of pair states: `status` (text and JSON), its exit code and the metrics all name a
 * pair's state from it, decided here once.
 */
export const PAIR_STATES = [
  'never-synced',
  'in-sync',
  'syncing',
  'held',
  'offline',
  'degraded',
  'paused',
  'error',
] as const;
export type PairState = (typeof PAIR_STATES)[number];

/** The states that need an operator: `status` exits 1 and an alert fires. */
const UNHEALTHY: ReadonlySet<PairState> = new Set(['error', 'held', 'offline', 'degraded']);

export function isUnhealthy(s: PairState): boolean {
  return UNHEALTHY.has(s);
}

export interface PairStateInput {
  /**
   * The journal's word on the pair (`ok`, `deletes-held`, `error`); null: no row yet, or no
   * journal at all; `unreadable`: the journal or the record cannot be read or is stale.
   */
  journal: string | null;
  /** Why, when the journal gives one (a hold's reason, the pair's last error). */
  journalReason: string | null;
  /** Held deletes, failed rows, rows retrying, rows pending (retrying ones included), transfers. */
  held: number;
  failed: number;
  retrying: number;
  pending: number;
  inFlight: number;
  /** What the running process says (all false, and `reconciled` true, when none runs). */
  offline: { lastError: string | null } | null;
  degraded: { cause: string } | null;
  paused: boolean;
  /** The running process has reconciled the pair (nothing runs: true, the journal is all we know). */
  reconciled: boolean;
  /** The pair was wholly in sync at least once. */
  everSynced: boolean;
}

export interface PairStateView {
  state: PairState;
  reason: string;
}

/**
 * What needs the operator outranks progress (a hold, an outage, a blind watcher), progress
 * outranks "in sync", and a pair never wholly in sync with nothing under way is `never-synced`.
 */
export function pairState(i: PairStateInput): PairStateView {
  if (i.journal === 'unreadable' || i.journal === 'error')
    return { state: 'error', reason: i.journalReason ?? 'the pair is in error' };
  if (i.journal === 'deletes-held' || i.held > 0)
    return {
      state: 'held',
      reason: i.journalReason ?? `${i.held} delete(s) held by the mass-delete guard: release with s3mirror resume`,
    };
  if (i.offline)
    return { state: 'offline', reason: `the bucket does not answer: ${i.offline.lastError ?? 'no answer'}` };
  if (i.degraded) return { state: 'degraded', reason: `watching failed: ${i.degraded.cause}` };
  if (i.failed > 0) return { state: 'error', reason: `${i.failed} file(s) failed (see problems)` };
  if (i.paused) return { state: 'paused', reason: 'the bandwidth setting pauses every transfer now' };
  if (!i.reconciled) return { state: 'syncing', reason: 'comparing the tree with the journal and the bucket' };
  if (i.pending > 0 || i.inFlight > 0)
    return {
      state: 'syncing',
      reason: `${i.pending} file(s) pending, ${i.inFlight} in flight${i.retrying ? `, ${i.retrying} retrying` : ''}`,
    };
  if (!i.everSynced)
    return {
      state: 'never-synced',
      reason: i.journal === null ? 'not mirrored yet: s3mirror has not run for this pair' : 'never wholly in sync yet',
    };
  return { state: 'in-sync', reason: 'every change seen is confirmed in the bucket' };
}
