/**
 * What a config reload (SIGHUP) changes, and what the daemon must do for it: pure, from the
 * running config and the new one. A field this module does not know is treated as the most
 * disruptive change of its kind (a restart at the top level, a pair set up anew), so a field added
 * later is never applied half-way by mistake.
 */

/** A config as this module reads it: plain fields compared by value. */
export type ConfigView = Readonly<Record<string, unknown>> & { readonly pairs: readonly PairView[] };
type PairView = Readonly<Record<string, unknown>> & { readonly name: string };

/** What one changed pair field asks of the daemon; a new engine is always made for the pair. */
interface PairEffect {
  /** Watch the root again (another root, filter or symlink rule). */
  rewatch: boolean;
  /** Walk the tree and list the prefix again (what is mirrored, or where, changed). */
  rescan: boolean;
  /** Check the bucket before the pair's rows flow again. */
  checkBucket: boolean;
}

const NEW_ENGINE: PairEffect = { rewatch: false, rescan: false, checkBucket: false };
const RESCAN: PairEffect = { rewatch: false, rescan: true, checkBucket: false };
const REWATCH: PairEffect = { rewatch: true, rescan: true, checkBucket: false };
const EVERYTHING: PairEffect = { rewatch: true, rescan: true, checkBucket: true };

const PAIR_FIELDS: Readonly<Record<string, PairEffect>> = {
  path: REWATCH,
  bucket: EVERYTHING,
  // Keys derive from the prefix: the journal is re-keyed and the tree copied to the new prefix.
  prefix: RESCAN,
  exclude: REWATCH,
  followSymlinks: REWATCH,
  // Which objects are ours to delete changed: the listing is compared again.
  deleteExcluded: RESCAN,
  delete: NEW_ENGINE,
  trashPrefix: NEW_ENGINE,
  maxDeletePercent: NEW_ENGINE,
  maxDeleteCount: NEW_ENGINE,
  storageClass: NEW_ENGINE,
  sse: NEW_ENGINE,
  kmsKeyId: NEW_ENGINE,
  cacheControl: NEW_ENGINE,
};

/** Top-level fields a running daemon takes over as they are. Any other change needs a restart. */
const LIVE_FIELDS: ReadonlySet<string> = new Set([
  'concurrency',
  'bandwidth',
  'debounceMs',
  'maxDelayMs',
  'rescanIntervalMs',
  'drainTimeoutMs',
  // Read at every sweep of unfinished uploads.
  'abortIncompleteAfterMs',
  // Read at every trust decision and by the audit timer.
  'remoteAuditIntervalMs',
]);
/** Not settings: where the config was read from, and the pairs (compared one by one). */
const NOT_SETTINGS: ReadonlySet<string> = new Set(['source', 'pairs']);

const RESTART_WHY: Readonly<Record<string, string>> = {
  stateDir: 'the journal and lock stay where the process opened them',
  s3: 'the S3 client is built once per process',
  multipart: 'uploads under way use the part size they started with',
  metrics: 'the metrics listener is opened once, at start',
};

export type PairAction =
  | { op: 'add'; name: string; reason: string }
  | { op: 'remove'; name: string; reason: string }
  | ({ op: 'update'; name: string; reason: string; changed: string[] } & PairEffect)
  | { op: 'keep'; name: string; reason: string };

export type ReloadPlan =
  | { action: 'refuse'; reason: string; restartNeeded: { field: string; why: string }[] }
  | { action: 'apply' | 'none'; reason: string; settings: string[]; pairs: PairAction[] };

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function changedFields(a: Readonly<Record<string, unknown>>, b: Readonly<Record<string, unknown>>): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].filter((k) => !NOT_SETTINGS.has(k) && !same(a[k], b[k])).sort();
}

function pairUpdate(name: string, changed: string[]): PairAction {
  const effect = { ...NEW_ENGINE };
  for (const f of changed) {
    const e = PAIR_FIELDS[f] ?? EVERYTHING;
    effect.rewatch ||= e.rewatch;
    effect.rescan ||= e.rescan;
    effect.checkBucket ||= e.checkBucket;
  }
  return { op: 'update', name, reason: `changed: ${changed.join(', ')}`, changed, ...effect };
}

/**
 * The running config against the new one. All or nothing: a change that needs a restart refuses
 * the whole reload, so the daemon never runs half of each. Removals come first, then updates, then
 * additions, so a path or prefix handed from one pair to another is free before it is taken.
 */
export function planReload(running: ConfigView, next: ConfigView): ReloadPlan {
  const top = changedFields(running, next);
  const restartNeeded = top
    .filter((f) => !LIVE_FIELDS.has(f))
    .map((field) => ({ field, why: RESTART_WHY[field] ?? 'it is read only at start' }));
  if (restartNeeded.length) {
    return {
      action: 'refuse',
      reason: `${restartNeeded.map((r) => r.field).join(', ')} changed, which needs a restart`,
      restartNeeded,
    };
  }
  const old = new Map(running.pairs.map((p) => [p.name, p]));
  const now = new Map(next.pairs.map((p) => [p.name, p]));
  const removed: PairAction[] = [...old.keys()]
    .filter((n) => !now.has(n))
    .map((name) => ({ op: 'remove', name, reason: 'no longer in the config' }));
  const updated: PairAction[] = [];
  const kept: PairAction[] = [];
  const added: PairAction[] = [];
  for (const [name, p] of now) {
    const was = old.get(name);
    if (!was) {
      added.push({ op: 'add', name, reason: 'new in the config' });
      continue;
    }
    const changed = changedFields(was, p);
    if (changed.length) updated.push(pairUpdate(name, changed));
    else kept.push({ op: 'keep', name, reason: 'unchanged' });
  }
  const pairs = [...removed, ...updated, ...added, ...kept];
  const any = top.length > 0 || removed.length + updated.length + added.length > 0;
  return {
    action: any ? 'apply' : 'none',
    reason: any ? 'the changes apply without a restart' : 'nothing changed',
    settings: top,
    pairs,
  };
}
