/**
 * May a pass trust the journal's picture of a pair's bucket instead of listing it? A full listing
 * (an audit) is what notices another writer's changes; between audits the journal knows the
 * bucket from our own confirmed writes, which holds only while every one of them was recorded
 * (a clean close), the pair still points where it was listed, and the listing is young enough.
 */

/** Why the journal as a whole is not trusted from `since` on, until each pair is listed again. */
export type DistrustCause = 'unclean' | 'audit' | 'unwritable';

export interface TrustInput {
  /** null: the journal was closed cleanly and nothing since has made it doubtful. */
  distrust: { since: number; cause: DistrustCause } | null;
  /** The pair's last full listing (ms), and the location it was made at (`listingFingerprint`). */
  lastListedAt: number | null;
  listedFingerprint: string | null;
  /** The pair as configured now. */
  fingerprint: string;
  now: number;
  auditIntervalMs: number;
}

export interface TrustVerdict {
  trust: boolean;
  reason: string;
}

/**
 * What a listing depends on: the server and bucket (another endpoint may hold another bucket of
 * that name), the keys it covers and which of them are kept (the trash is not).
 */
export interface ListedLocation {
  endpoint: string | null;
  bucket: string;
  prefix: string;
  exclude: readonly string[];
  trashPrefix: string;
}

const FIELDS = ['endpoint', 'bucket', 'prefix', 'exclude', 'trashPrefix'] as const;

/** Stored with the listing time: compared field by field at the next start. */
export function listingFingerprint(p: ListedLocation): string {
  return JSON.stringify(Object.fromEntries(FIELDS.map((f) => [f, p[f]])));
}

const CAUSES: Record<DistrustCause, string> = {
  unclean: 'the journal was not closed cleanly (a crash, kill -9 or power loss)',
  audit: 'an audit was asked for',
  unwritable: 'the journal could not be written for a while',
};

/** The first field of the location that differs from the one listed, or null when none does. */
function changedField(listed: string, now: string): string | null {
  let was: Record<string, unknown>;
  try {
    was = JSON.parse(listed) as Record<string, unknown>;
  } catch {
    return 'the recorded location';
  }
  const cur = JSON.parse(now) as Record<string, unknown>;
  for (const f of FIELDS)
    if (JSON.stringify(was[f]) !== JSON.stringify(cur[f])) return f === 'endpoint' ? 's3.endpoint' : f;
  return null;
}

export function trust(i: TrustInput): TrustVerdict {
  // First: a move to a new location forgets the listing time, but not where the listing was made.
  const changed = i.listedFingerprint === null ? null : changedField(i.listedFingerprint, i.fingerprint);
  if (changed) return { trust: false, reason: `${changed} changed since the last listing` };
  if (i.lastListedAt === null) return { trust: false, reason: 'the pair was never listed' };
  if (i.listedFingerprint === null)
    return { trust: false, reason: 'the location of the last listing was not recorded' };
  if (i.distrust && i.lastListedAt < i.distrust.since) return { trust: false, reason: CAUSES[i.distrust.cause] };
  const age = i.now - i.lastListedAt;
  if (age < 0) return { trust: false, reason: 'the clock went back since the last listing' };
  if (age >= i.auditIntervalMs)
    return { trust: false, reason: `the last listing is ${Math.round(age / 1000)}s old (remoteAuditIntervalMs)` };
  return { trust: true, reason: `listed ${Math.round(age / 1000)}s ago at this location, journal closed cleanly` };
}

/** When the trust of a pair listed at `lastListedAt` runs out: its next audit is due. */
export function auditDueAt(lastListedAt: number, auditIntervalMs: number): number {
  return lastListedAt + auditIntervalMs;
}

/**
 * Uploads the journal does not know are looked for with a listing, at most every `everyMs`: an
 * upload only a crash can leave unknown, and a crash makes the next start list.
 */
export function orphanSweepDue(i: {
  lastSweep: number | null;
  lastListedAt: number | null;
  now: number;
  everyMs: number;
}): boolean {
  if (i.lastSweep === null) return true;
  if (i.now < i.lastSweep) return true;
  if (i.lastListedAt === null || i.lastListedAt < i.lastSweep) return false;
  return i.now - i.lastSweep >= i.everyMs;
}
