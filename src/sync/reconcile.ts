import { type BigIntStats, readdirSync, statSync } from 'node:fs';
import type { PairConfig } from '../config.js';
import type { Bucket } from '../bucket.js';
import type { Journal } from '../store/journal.js';
import type { Filter } from '../watch/filter.js';
import { ListingFeed } from './listing-feed.js';
import { marchPart } from './march-part.js';
import { marchInParts } from './march-parts.js';

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
  /**
   * The most walk entries, rows and objects held at once (a test observes that they do not grow
   * with the tree).
   */
  held?: { entries: number; rows: number; objects: number };
  /** Parts the walk and march were split into, and those of them worker threads did. */
  parts?: number;
  workers?: number;
}

/**
 * Startup (and periodic) reconciliation: walk the disk in key order while the bucket is listed
 * into the remote table, and meet both with the journal's rows key by key (src/sync/march.ts),
 * marking every row that may need work dirty and due now. Nothing is decided here: the planner
 * does that per row. Unchanged stat + unchanged listing = no work. Memory holds a directory's
 * entries, a page of rows and a page of objects, whatever the size of the tree.
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
    /** Threads a pass without a listing is split between (src/sync/march-parts.ts); tests set it. */
    parts?: number;
  },
): Promise<ReconcileResult> {
  const { journal, filter } = deps;
  const root = checkRoot(pair, journal);
  const trash = pair.prefix + pair.trashPrefix;
  // Started first (the walk yields to it): the listing is the long pole of a pass with no changes.
  // Cut where the last listing's pages ended, each page is requested without waiting for the
  // previous one to be parsed (listPrefix in src/s3/listing.ts), and written as it arrives.
  const feed =
    deps.list === false
      ? undefined
      : new ListingFeed({
          journal,
          bucket: deps.bucket,
          pair: pair.name,
          prefix: pair.prefix,
          trash,
          splitAfter: journal.remote.splitKeys(pair.name, LIST_PAGE_KEYS),
          now: deps.now,
          fingerprint: deps.fingerprint,
        });
  if (root.problem) {
    // Learn the bucket anyway, but do not compare: a missing root says nothing about the files.
    await feed?.finished();
    return {
      dirty: 0,
      localFiles: 0,
      localDirs: 0,
      remoteObjects: journal.remote.count(pair.name),
      listed: !!feed,
      unreadable: [],
      rootProblem: root.problem,
    };
  }
  const now = deps.now();
  // With the listing beside it, one march follows the listing's progress; without, the tree can
  // be split between threads.
  const m = await (feed
    ? marchPart({ journal, pair, filter, feed, now })
    : marchInParts({ journal, pair, filter, now, ...(deps.parts ? { parts: deps.parts } : {}) })
  ).catch((e: unknown) => {
    feed?.stop();
    throw e;
  });
  await feed?.finished();
  journal.tx(() => {
    if (m.cancelled) journal.pairs.clearHoldIfNone(pair.name);
    if (root.dev && root.ino) journal.pairs.setRootIdentity(pair.name, root.dev, root.ino);
  });
  return {
    dirty: m.dirty,
    localFiles: m.localFiles,
    localDirs: m.dirs,
    remoteObjects: feed ? feed.objects : m.objects,
    listed: !!feed,
    unreadable: m.unreadable,
    rootProblem: null,
    held: { entries: m.held + m.peak.group, rows: m.peak.rows, objects: m.peak.objects + (feed?.peak ?? 0) },
    parts: m.parts,
    workers: m.workers,
  };
}
