import type { Config, PairConfig } from '../config.js';
import { type DistrustCause, listingFingerprint, trust, type TrustVerdict } from '../plan/trust.js';
import type { Journal } from '../store/journal.js';

/**
 * Whether each pair's journal may stand in for a listing of its bucket (plan/trust.ts decides).
 * At open the journal says whether the previous process closed it cleanly; until a pair is
 * listed again, an unclean close (or an audit asked for) keeps that pair from being trusted.
 */
export class JournalTrust {
  private distrust: { since: number; cause: DistrustCause } | null;

  constructor(private readonly d: { journal: Journal; cfg: () => Config; now: () => number; audit?: boolean }) {
    const clean = d.journal.takeCleanClose();
    const since = d.now();
    this.distrust = d.audit ? { since, cause: 'audit' } : clean ? null : { since, cause: 'unclean' };
  }

  of(pair: PairConfig): TrustVerdict {
    const row = this.d.journal.pairs.get(pair.name);
    return trust({
      distrust: this.distrust,
      lastListedAt: row?.last_listed_at ?? null,
      listedFingerprint: row?.listed_fingerprint ?? null,
      fingerprint: this.fingerprint(pair),
      now: this.d.now(),
      auditIntervalMs: this.d.cfg().remoteAuditIntervalMs,
    });
  }

  /** Whether to list the pair's bucket, and why: as `list` asks, else as far as the journal is trusted. */
  decide(pair: PairConfig, list?: boolean): { list: boolean; reason: string } {
    if (list !== undefined)
      return { list, reason: list ? 'a listing was asked for' : 'compared with the journal only' };
    const v = this.of(pair);
    return { list: !v.trust, reason: v.reason };
  }

  /** Where the pair's bucket is listed now. */
  fingerprint(pair: PairConfig): string {
    return listingFingerprint({ endpoint: this.d.cfg().s3.endpoint ?? null, ...pair });
  }

  /** The pairs among `names` whose journal is not trusted now: their bucket is checked first. */
  untrusted(pairs: readonly PairConfig[], names: ReadonlySet<string>): Set<string> {
    return new Set(pairs.filter((p) => names.has(p.name) && !this.of(p).trust).map((p) => p.name));
  }

  /** Outcomes may have gone unrecorded from now on (a journal that failed writes): every pair is listed again. */
  lost(cause: DistrustCause): void {
    this.distrust = { since: this.d.now(), cause };
  }
}
