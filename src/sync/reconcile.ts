import { type BigIntStats, readdirSync, statSync } from 'node:fs';
import type { PairConfig } from '../config.js';
import { keyFor, keyOfRel, relForKey } from '../plan/keys.js';
import { leftAtPreviousPrefix, previousKeysListed } from '../plan/moves.js';
import { sameStat, type StatView } from '../plan/planner.js';
import type { Bucket } from '../bucket.js';
import type { Journal, ReconcileRow } from '../store/journal.js';
import type { Filter } from '../watch/filter.js';
import { walk } from '../watch/walker.js';
import { recheckFailed } from '../plan/retry.js';

export interface RootCheck {
  problem: string | null;
  empty: boolean;
  dev?: string;
  ino?: string;
}

/** Is the pair root what we think it is? (missing, not a directory, another device = unmounted) */
export function checkRoot(pair: PairConfig, journal: Journal): RootCheck {
  let st: BigIntStats;
  try {
    st = statSync(pair.path, { bigint: true });
  } catch (e) {
    return { problem: `root ${pair.path} is missing (${(e as NodeJS.ErrnoException).code ?? 'error'})`, empty: true };
  }
  if (!st.isDirectory()) return { problem: `root ${pair.path} is not a directory`, empty: true };
  const dev = st.dev.toString();
  const ino = st.ino.toString();
  const rec = journal.pairs.get(pair.name);
  let empty = false;
  try {
    empty = readdirSync(pair.path).length === 0;
  } catch (e) {
    return { problem: `root ${pair.path} is unreadable: ${(e as Error).message}`, empty: true, dev, ino };
  }
  if (rec?.root_dev && rec.root_dev !== dev) {
    return { problem: `root ${pair.path} is on another device than recorded (unmounted?)`, empty, dev, ino };
  }
  return { problem: null, empty, dev, ino };
}

/** A listing page holds up to 1,000 keys: the listing is cut where pages of the last one ended. */
const LIST_PAGE_KEYS = 1000;

export interface ReconcileResult {
  dirty: number;
  localFiles: number;
  /** Directories walked (0 when the root was not walked). */
  localDirs: number;
  remoteObjects: number;
  /** Whether the bucket was listed (else the journal's picture of it was used). */
  listed: boolean;
  unreadable: string[];
  rootProblem: string | null;
}

/** The stat a row recorded, as the planner's sameStat compares it. */
function statOf(r: ReconcileRow): StatView {
  return { size: r.size, mtimeNs: r.mtime_ns, ctimeNs: r.ctime_ns, ino: r.ino };
}

/**
 * Startup (and periodic) reconciliation: walk the disk and list the bucket (in parallel), compare
 * both with the journal, and mark every row that may need work dirty and due now. Nothing is
 * decided here: the planner does that per row. Unchanged stat + unchanged listing = no work.
 */
export async function reconcile(
  pair: PairConfig,
  deps: {
    journal: Journal;
    bucket: Bucket;
    filter: Filter;
    now: () => number;
    list?: boolean;
    /** Where a listing is made (plan/trust.ts `listingFingerprint`), recorded with it. */
    fingerprint: string;
  },
): Promise<ReconcileResult> {
  const { journal, filter } = deps;
  const root = checkRoot(pair, journal);
  const trash = pair.prefix + pair.trashPrefix;
  // Started first (the walk yields to it): the listing is the long pole of a pass with no changes.
  // Cut where the last listing's pages ended, each page is requested without waiting for the
  // previous one to be parsed (listPrefix in src/s3/listing.ts).
  const listing =
    deps.list === false
      ? undefined
      : deps.bucket.list(pair.prefix, { splitAfter: journal.remote.splitKeys(pair.name, LIST_PAGE_KEYS) });
  if (root.problem) {
    // Learn the bucket anyway, but do not compare: a missing root says nothing about the files.
    if (listing)
      journal.remote.replace(
        pair.name,
        (await listing).filter((o) => !o.key.startsWith(trash)),
        { now: deps.now(), fingerprint: deps.fingerprint },
      );
    return {
      dirty: 0,
      localFiles: 0,
      localDirs: 0,
      remoteObjects: journal.remote.count(pair.name),
      listed: !!listing,
      unreadable: [],
      rootProblem: root.problem,
    };
  }
  const [walked, listed] = await Promise.all([
    walk(pair.path, filter, { followSymlinks: pair.followSymlinks }),
    listing,
  ]);
  const now = deps.now();
  let remote: Map<string, { size: number; etag: string }>;
  if (listed) {
    const objects = listed.filter((o) => !o.key.startsWith(trash));
    journal.remote.replace(pair.name, objects, { now, fingerprint: deps.fingerprint });
    // What the remote table now holds for the pair, without reading it back.
    remote = new Map();
    for (const o of objects) remote.set(o.key, o);
  } else {
    remote = new Map(journal.remote.of(pair.name).map((o) => [o.key, o]));
  }

  const rows = journal.query.reconcileRows(pair.name);
  const byRel = new Map<string, ReconcileRow>();
  const keysKnown = new Set<string>();
  for (const r of rows) {
    byRel.set(r.rel, r);
    keysKnown.add(r.key);
  }
  // A listed object whose key a local file maps to (an NFD name, an NFC key) is that file's.
  for (const e of walked.entries) keysKnown.add(byRel.get(e.rel)?.key ?? keyFor(pair.prefix, e.rel));
  const dirty: { rel: string; key: string }[] = [];
  const movedFrom = journal.pairs.get(pair.name)?.moved_from ?? null;
  const previousKeys = new Set<string>();
  if (previousKeysListed(pair.prefix, movedFrom)) for (const r of rows) previousKeys.add(keyOfRel(movedFrom, r.rel));

  const gone: string[] = [];
  const seen = new Set<string>();
  // How many files found now map to each key: a collision's loser waits while its holder is here.
  const keyUse = new Map<string, number>();
  const keys = walked.entries.map((e) => {
    const key = byRel.get(e.rel)?.key ?? keyFor(pair.prefix, e.rel);
    keyUse.set(key, (keyUse.get(key) ?? 0) + 1);
    return key;
  });
  const walkedKeys = new Set(keys);
  // Held deletes of keys a file found now maps to under another name: cancelled at once.
  const cancelled: string[] = [];
  walked.entries.forEach((e, i) => {
    seen.add(e.rel);
    const r = byRel.get(e.rel);
    const key = keys[i]!;
    // A file already pending keeps its due time and its failures: marking it again would throw
    // away its backoff and retry it at once.
    if (r && r.present === 1 && r.state === 'dirty') return;
    if (!r || r.present === 0 || r.state === 'dirty' || r.state === 'held') {
      dirty.push({ rel: e.rel, key });
      return;
    }
    if (r.state === 'skipped' || r.state === 'failed') {
      const changed = !sameStat(e.stat, statOf(r)) || r.kind !== e.kind;
      if (
        r.state === 'skipped'
          ? changed
          : recheckFailed({ code: r.error_code, changed, keyHeldByOther: keyUse.get(key)! > 1 })
      )
        dirty.push({ rel: e.rel, key });
      return;
    }
    const o = remote.get(key);
    if (!sameStat(e.stat, statOf(r)) || !o || o.etag !== r.etag || o.size !== r.remote_size)
      dirty.push({ rel: e.rel, key });
  });
  const under = walked.unreadable.map((u) => (u.rel ? `${u.rel}/` : ''));
  for (const r of rows) {
    if (seen.has(r.rel)) continue;
    if (r.present === 0 && r.state === 'clean' && !remote.has(r.key)) continue; // settled tombstone
    if (r.present === 0 && r.state === 'clean' && pair.delete === 'keep') continue;
    if (under.some((u) => u === '' || r.rel.startsWith(u))) continue; // unknown, not deleted
    // A file maps to its key under another name (NFD for NFC): the object is that file's.
    if (r.state === 'held' && walkedKeys.has(r.key)) {
      cancelled.push(r.rel);
      continue;
    }
    // A held delete stays held until `resume` (or its file comes back, above): deciding it again
    // would count it again, or let it pass a guard whose verdict has changed since.
    if (r.state === 'held' && remote.has(r.key)) continue;
    if (r.state !== 'dirty' || r.present === 1) dirty.push({ rel: r.rel, key: r.key });
    if (r.present === 1) gone.push(r.rel);
  }
  if (pair.delete !== 'keep') {
    for (const key of remote.keys()) {
      if (keysKnown.has(key)) continue;
      if (leftAtPreviousPrefix(pair.prefix, movedFrom, key, previousKeys)) continue;
      const rel = relForKey(pair.prefix, key);
      if (rel === undefined || rel.endsWith('/')) continue;
      dirty.push({ rel, key });
    }
  }
  journal.tx(() => {
    journal.markManyDirty({ pair: pair.name, items: dirty, now, debounceMs: 0, maxDelayMs: 0 });
    // Known gone now, so a new file with the same content can pair with it as a rename.
    for (const rel of gone) journal.markDeletePending(pair.name, rel);
    // Remote-only objects have no local file: mark their rows so the planner sees them as such.
    for (const d of dirty) if (!keysKnown.has(d.key) && !seen.has(d.rel)) journal.markRemoteOnly(pair.name, d.rel);
    for (const rel of cancelled) journal.dropRow(pair.name, rel);
    if (cancelled.length) journal.pairs.clearHoldIfNone(pair.name);
    if (root.dev && root.ino) journal.pairs.setRootIdentity(pair.name, root.dev, root.ino);
  });
  return {
    dirty: dirty.length,
    localFiles: walked.entries.length,
    localDirs: walked.dirs,
    remoteObjects: remote.size,
    listed: !!listed,
    unreadable: walked.unreadable.map((u) => `${u.rel || '.'}: ${u.error}`),
    rootProblem: null,
  };
}
