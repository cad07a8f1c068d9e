import type { BucketProvider } from '../bucket.js';
import type { PairConfig } from '../config.js';
import type { Logger } from '../log.js';
import { probeDelay } from '../plan/outage.js';
import type { Journal } from '../store/journal.js';
import { unwritableError } from '../store/unwritable.js';
import type { LinkEvent, Links } from './links.js';
import type { Runtime } from './runtime.js';
import type { Scheduler } from './scheduler.js';

export interface OutageDeps {
  links: Links;
  /** The watched buckets (Links.watch): a probe's answer is what brings a bucket back. */
  buckets: BucketProvider;
  /** The pairs in force (a reload may change them). */
  pairs: () => readonly PairConfig[];
  scheduler: Scheduler;
  journal: Journal;
  log: Logger;
  now: () => number;
  /** Tests: how a probe waits its turn (default a timer), so a virtual clock can count probes. */
  sleep?: (ms: number) => Promise<void>;
  /** Each pair's offline state as status shows it (null: online again). */
  onState: (pair: string, state: { since: number; lastError: string | null } | null) => void;
}

/**
 * The daemon's outage mode. A bucket that went offline (src/plan/outage.ts) gets no per-file
 * attempts: its pairs are taken out of the scheduler, so nothing is read, hashed or sent while the
 * server is down, and one cheap request (HeadBucket) per bucket, whatever the number of its pairs,
 * probes it: 5 s after the outage, then every 10 s, never two within 10 s. The first answer brings
 * it back: the pairs return, and rows waiting out a retry backoff are due at once.
 */
export class OutageWatch {
  private readonly probing = new Map<string, Promise<void>>();
  private stopped = false;
  private readonly sleepers = new Set<() => void>();
  private unsubscribe: (() => void) | undefined;
  /** When each bucket was last probed: a bucket offline again soon after is not probed sooner. */
  private readonly lastProbe = new Map<string, number>();
  /** Probes sent, over all buckets. */
  probes = 0;

  constructor(private readonly d: OutageDeps) {}

  start(): void {
    this.unsubscribe = this.d.links.onChange((e) => {
      this.changed(e);
      if (e.change === 'online') for (const wake of [...this.answerWaiters]) wake();
    });
  }

  private readonly answerWaiters = new Set<() => void>();

  /** Whether the pair's bucket is offline (an unknown pair is not). */
  offline(pair: string): boolean {
    const p = this.d.pairs().find((q) => q.name === pair);
    return p !== undefined && this.d.links.isOffline(p.bucket);
  }

  /** Wait `ms`, or less if a bucket answers again (or the watch stops) meanwhile. */
  waitOrAnswer(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      const waiters = this.answerWaiters;
      waiters.add(done);
      function done() {
        clearTimeout(t);
        waiters.delete(done);
        resolve();
      }
    });
  }

  private pairsOf(bucket: string): PairConfig[] {
    return this.d.pairs().filter((p) => p.bucket === bucket);
  }

  private changed(e: LinkEvent): void {
    if (this.stopped) return;
    const { scheduler, log } = this.d;
    for (const p of this.pairsOf(e.bucket)) {
      if (e.change === 'offline') {
        scheduler.gates.setOffline(p.name, true);
        this.d.onState(p.name, { since: e.state.offlineSince!, lastError: e.state.lastError });
        log.warn(
          { pair: p.name, bucket: e.bucket, error: e.state.lastError, reason: e.reason },
          'bucket offline: per-file attempts stop; probing it until it answers',
        );
      } else {
        const due = this.retriesDue(p.name);
        this.d.onState(p.name, null);
        scheduler.gates.setOffline(p.name, false);
        log.info({ pair: p.name, bucket: e.bucket, due }, 'bucket online again: pending work resumes at once');
      }
    }
    if (e.change === 'offline' && !this.probing.has(e.bucket)) {
      const p = this.probe(e.bucket).finally(() => this.probing.delete(e.bucket));
      this.probing.set(e.bucket, p);
    }
  }

  /**
   * Rows waiting out a retry backoff become due at once. A journal that cannot take the write has
   * paused every pair (JournalGuard) and rescans them once it can: it must not keep the pair offline.
   */
  private retriesDue(pair: string): number | null {
    const { journal } = this.d;
    try {
      return journal.makeRetriesDue(this.d.now(), pair);
    } catch (e) {
      if (!unwritableError(e, journal.path)) throw e;
      return null;
    }
  }

  private async probe(bucket: string): Promise<void> {
    const { links } = this.d;
    for (let failed = 0; !this.stopped && links.isOffline(bucket); failed++) {
      const last = this.lastProbe.get(bucket);
      await this.sleep(probeDelay(failed, last === undefined ? undefined : this.d.now() - last));
      if (this.stopped || !links.isOffline(bucket)) return;
      this.probes++;
      this.lastProbe.set(bucket, this.d.now());
      // The watched bucket notes the outcome: an answer brings the bucket back (changed()).
      await this.d.buckets
        .bucket(bucket)
        .check()
        .catch(() => undefined);
      const s = links.state(bucket);
      if (s.offlineSince !== null)
        for (const p of this.pairsOf(bucket)) this.d.onState(p.name, { since: s.offlineSince, lastError: s.lastError });
    }
  }

  /** Ends early when the watch stops, so stop() never waits out a probe interval. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = this.d.sleep ? undefined : setTimeout(done, ms);
      const sleepers = this.sleepers;
      sleepers.add(done);
      this.d.sleep?.(ms).then(done, done);
      function done() {
        clearTimeout(t);
        sleepers.delete(done);
        resolve();
      }
    });
  }

  /** Stop probing; the pairs' offline marks no longer matter once the daemon stops. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    for (const wake of [...this.sleepers, ...this.answerWaiters]) wake();
    await Promise.all(this.probing.values());
  }
}

/** The daemon's outage watch over a runtime's buckets and pairs. */
export function outageWatch(rt: Runtime, log: Logger, sleep?: (ms: number) => Promise<void>): OutageWatch {
  return new OutageWatch({
    links: rt.links,
    buckets: rt.buckets,
    pairs: () => rt.cfg.pairs,
    scheduler: rt.scheduler,
    journal: rt.journal,
    log,
    now: rt.now,
    ...(sleep ? { sleep } : {}),
    onState: (pair, state) => rt.noteOffline(pair, state),
  });
}
