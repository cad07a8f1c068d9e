import { auditDueAt } from '../plan/trust.js';
import type { Runtime } from './runtime.js';

/** setTimeout's limit (a longer delay fires at once). */
const MAX_TIMER_MS = 2_147_483_647;
/** A failed audit is tried again no sooner than this (or the interval, if shorter). */
const RETRY_FLOOR_MS = 60_000;

/**
 * The daemon's audits: each pair's bucket is listed again once its last listing is
 * `remoteAuditIntervalMs` old, while the daemon runs (rescans in between walk the tree only). The
 * timer is armed for the pair whose listing runs out first; `0` turns audits off here, since
 * every rescan then lists.
 */
export class AuditTimer {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly d: {
      rt: Runtime;
      /** Pairs whose bucket answers (and is not offline now). */
      auditable: () => string[];
      /** Rescans the pair, listing its bucket where the journal is no longer trusted. */
      audit: (name: string) => Promise<void>;
    },
  ) {}

  arm(): void {
    clearTimeout(this.timer);
    const { rt } = this.d;
    const interval = rt.cfg.remoteAuditIntervalMs;
    if (this.stopped || interval <= 0) return;
    const now = rt.now();
    let next = Number.POSITIVE_INFINITY;
    for (const name of this.d.auditable()) {
      const listed = rt.journal.pairs.get(name)?.last_listed_at ?? null;
      next = Math.min(next, listed === null ? now : auditDueAt(listed, interval));
    }
    if (next === Number.POSITIVE_INFINITY) return;
    // Overdue: its audit failed (or could not run); tried again after a while, not in a loop.
    const delay = Math.min(next > now ? next - now + 1 : Math.min(interval, RETRY_FLOOR_MS), MAX_TIMER_MS);
    this.timer = setTimeout(() => void this.run(), delay);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private async run(): Promise<void> {
    const { rt } = this.d;
    for (const name of this.d.auditable()) {
      if (this.stopped) return;
      const engine = rt.engines.get(name);
      if (engine && !rt.trust.of(engine.pair).trust) await this.d.audit(name).catch(() => undefined);
    }
    this.arm();
  }
}
