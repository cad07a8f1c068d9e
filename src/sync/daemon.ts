import type { Config } from '../config.js';
import { errorSummary, isConfigClass, type MirrorError } from '../errors.js';
import type { Logger } from '../log.js';
import { EventAggregator } from '../watch/events.js';
import { type PairWatcher, Watcher } from '../watch/watcher.js';
import { eventSink } from './event-sink.js';
import { type OutageWatch, outageWatch } from './outage.js';
import { JournalGuard } from './journal-guard.js';
import { applyReload, readReloaded, type ReloadHost } from './reload.js';
import type { DaemonOptions } from './daemon-options.js';
import { RootWatch } from './root-watch.js';
import { Runtime } from './runtime.js';
import { Watching } from './watching.js';
import { AuditTimer } from './audits.js';
import { openMetrics } from './metrics-endpoint.js';

const PREFLIGHT_RETRY_MS = 10_000;
const ROOT_CHECK_MS = 10_000;

/**
 * `s3mirror run`: watch → journal → scheduler, until SIGINT/SIGTERM. Events are only hints that
 * mark rows dirty (batched into one transaction per tick); the scheduler does the rest.
 */
export class Daemon {
  readonly rt: Runtime;
  private readonly watcher: PairWatcher;
  private readonly watching: Watching;
  private readonly events: EventAggregator;
  private rescanTimer: NodeJS.Timeout | undefined;
  private rootTimer: NodeJS.Timeout | undefined;
  private readonly roots: RootWatch;
  private loop: Promise<void> | undefined;
  private stopping = false;
  private rescanning: Promise<void> | undefined;
  private stopped: Promise<void> | undefined;
  private failWith!: (e: MirrorError) => void;
  /**
   * Settles if the daemon stops on its own, once it has stopped, with the error that stopped it: a
   * config-class error first seen on a later bucket check (at start, `start()` throws it instead).
   */
  readonly failed = new Promise<MirrorError>((resolve) => (this.failWith = resolve));
  /** The error the daemon is stopping (or stopped) over, if it stops on its own. */
  failure: MirrorError | undefined;
  private readonly ready = new Set<string>();
  private metrics: { close(): Promise<void> } | null = null;
  readonly outage: OutageWatch;
  /** Reloads, root checks, bucket checks and rescans run one at a time: each may re-key or re-watch a pair. */
  private serial: Promise<unknown> = Promise.resolve();
  private readonly guard: JournalGuard;
  private readonly audits: AuditTimer;

  constructor(
    /** The config in force: the one started with, or the last reload applied. */
    public cfg: Config,
    private readonly log: Logger,
    private readonly extra: DaemonOptions = {},
  ) {
    this.rt = Runtime.open(cfg, { mode: 'daemon', log, ...extra });
    this.watcher = extra.watcher ?? new Watcher();
    this.watching = new Watching({
      rt: this.rt,
      watcher: this.watcher,
      rescan: (name, opts) => this.rescanPair(name, opts),
      serial: (fn) => this.exclusive(fn),
      ready: (name) => this.ready.has(name),
      stopping: () => this.stopping,
    });
    this.events = new EventAggregator(eventSink(this.rt, (pair, dir) => this.watching.refilter(pair, dir)));
    this.roots = new RootWatch({
      pairs: () => this.cfg.pairs,
      stopping: () => this.stopping,
      watch: (name) => this.watching.watch(name),
      unwatch: (name) => this.watcher.remove(name),
      rescanIfReady: async (name) => {
        if (this.ready.has(name)) await this.rescanPair(name);
      },
      wake: () => this.rt.scheduler.wake(),
      log,
    });
    this.outage = outageWatch(this.rt, log, extra.probeSleep);
    this.guard = new JournalGuard(this.rt, log, this.rescanOnce);
    this.audits = new AuditTimer({
      rt: this.rt,
      auditable: () => [...this.ready].filter((n) => !this.outage.offline(n)),
      audit: (name) => this.exclusive(() => this.rescanPair(name)),
    });
  }

  async start(): Promise<void> {
    const { rt, cfg } = this;
    this.metrics = await openMetrics({ rt, cfg, log: this.log, stop: () => this.stop() });
    // A signal during start: stop() drains what was begun; nothing more may begin after it.
    if (this.stopping) return void (await this.metrics?.close());
    this.guard.start();
    rt.startStatusWriter();
    rt.startBandwidthWatch();
    this.outage.start();
    this.watcher.on('change', (e) => this.events.push(e));
    // Watch first, then reconcile: a change made during the walk is caught by one or the other.
    for (const p of cfg.pairs) await this.watch(p.name);
    const names = cfg.pairs.map((p) => p.name);
    this.guard.tolerate(() => rt.journal.makeAllDue(rt.now(), names));
    const pending = new Set(names);
    for (const name of pending) rt.scheduler.gates.pause(name);
    this.loop = rt.scheduler.runForever(this.guard.loopError);
    try {
      await this.checkBuckets(pending);
    } catch (e) {
      await this.stop();
      throw e;
    }
    if (this.stopping) return;
    // Only where the bucket answers: a failed abort keeps its record for a later start.
    await rt
      .abortStaleUploads(new Set(pending))
      .catch((e: unknown) => this.log.warn({ error: errorSummary(e) }, 'could not abort stale uploads'));
    if (this.stopping) return;
    if (pending.size) void this.retryBuckets(pending);
    this.rootTimer = setInterval(
      () => void this.exclusive(() => this.roots.check()),
      this.extra.rootCheckMs ?? ROOT_CHECK_MS,
    );
    this.rootTimer.unref();
    this.startRescans();
    this.audits.arm();
    this.watching.start();
    this.log.info({ pairs: cfg.pairs.map((p) => p.name) }, 'running');
  }

  private startRescans(): void {
    clearInterval(this.rescanTimer);
    if (this.cfg.rescanIntervalMs <= 0) return;
    this.rescanTimer = setInterval(() => void this.rescanOnce(), this.cfg.rescanIntervalMs);
    this.rescanTimer.unref();
  }

  /** One rescan at a time (a large tree can take longer than the interval), and stop() waits for it. */
  private readonly rescanOnce = () =>
    (this.rescanning ??= this.exclusive(() => this.rescan()).finally(() => (this.rescanning = undefined)));

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.serial.then(fn);
    this.serial = run.catch(() => undefined);
    return run;
  }

  /** SIGHUP, once started: read the config again (tests pass `next`) and apply it (`applyReload`). */
  async reload(next?: Config): Promise<void> {
    await this.exclusive(async () => {
      const cfg = next ?? readReloaded(this.cfg.source, this.log);
      if (cfg && !this.stopping) await applyReload(this.reloadHost(), this.cfg, cfg);
    });
  }

  private reloadHost(): ReloadHost {
    return {
      rt: this.rt,
      log: this.log,
      ready: this.ready,
      running: () => !this.stopping,
      adopt: (next) => {
        this.cfg = next;
        this.startRescans();
        this.audits.arm();
      },
      watch: (name) => this.watch(name),
      watcher: this.watcher,
      events: this.events,
      rescan: (name) => this.rescanPair(name),
      // As at start: reconciled and resumed once its bucket answers; a config error stops the daemon.
      awaitBucket: async (name) => {
        const pending = new Set([name]);
        await this.checkBuckets(pending).catch(() => undefined);
        if (pending.size) void this.retryBuckets(pending);
      },
    };
  }

  private watch(name: string): Promise<void> {
    return this.roots.watch(name, this.rt.engines.get(name)!.pair.path);
  }

  /**
   * One round: pairs whose bucket answers are reconciled and unpaused; the rest stay paused (their
   * changes wait in the journal) and are logged.
   */
  private async checkBuckets(pending: Set<string>): Promise<void> {
    const bad = await this.rt.preflight(this.rt.trust.untrusted(this.cfg.pairs, pending));
    // A pair a reload removed is no longer waited for.
    for (const name of pending) if (!this.rt.engines.has(name)) pending.delete(name);
    for (const name of [...pending]) {
      const e = bad.get(name);
      if (isConfigClass(e)) throw e;
      if (e) {
        this.log.error(
          { pair: name, error: errorSummary(e) },
          `bucket not usable; retrying in ${this.retryMs / 1000}s`,
        );
        continue;
      }
      pending.delete(name);
      this.ready.add(name);
      await this.rescanPair(name);
      this.rt.scheduler.gates.resume(name);
    }
  }

  private get retryMs(): number {
    return this.extra.preflightRetryMs ?? PREFLIGHT_RETRY_MS;
  }

  /** In the background, so usable pairs never wait for a missing bucket. */
  private async retryBuckets(pending: Set<string>): Promise<void> {
    while (pending.size && !this.stopping) {
      // An offline bucket is probed by the outage watch; its first answer ends this wait.
      await this.outage.waitOrAnswer(this.retryMs);
      if (this.stopping) return;
      if ([...pending].every((n) => this.outage.offline(n))) continue;
      try {
        await this.exclusive(() => this.checkBuckets(pending));
      } catch (e) {
        if (!isConfigClass(e)) {
          this.log.error({ error: errorSummary(e) }, 'bucket check failed');
          continue;
        }
        // As at start: no retry can fix it, and exit 2 keeps systemd from restarting the daemon.
        this.log.error({ error: errorSummary(e) }, 'config error on a bucket check; stopping');
        // Set first: a SIGTERM during this stop must exit with it too, not with 0.
        this.failure = e;
        await this.stop();
        this.failWith(e);
        return;
      }
    }
  }

  private async rescan(): Promise<void> {
    for (const name of [...this.ready]) {
      if (this.stopping) return;
      // Nothing to learn from a bucket that does not answer; changes wait in the journal.
      if (!this.outage.offline(name)) await this.rescanPair(name);
    }
    if (this.stopping) return;
    this.rt.scheduler.wake();
    const unusable = new Set(
      this.cfg.pairs.map((p) => p.name).filter((n) => !this.ready.has(n) || this.outage.offline(n)),
    );
    await this.rt.abortStaleUploads(unusable).catch((e: unknown) => {
      if (!this.stopping) this.log.warn({ error: errorSummary(e) }, 'could not abort stale uploads');
    });
  }

  private async rescanPair(name: string, opts: { list?: boolean } = {}): Promise<void> {
    try {
      await this.rt.reconcilePair(name, opts);
      this.watching.refresh(name);
    } catch (e) {
      // Cut short by stop() closing the journal under it: nothing to record, the next start rescans.
      if (this.stopping) return;
      this.log.error({ pair: name, error: errorSummary(e) }, 'reconcile failed; retried at the next rescan');
      this.guard.tolerate(() => this.rt.journal.pairs.setState(name, 'error', errorSummary(e).message, this.rt.now()));
    }
  }

  /** Drain: stop watching, let transfers under way finish (bounded), flush the journal. */
  stop(): Promise<void> {
    // Every caller waits for the one drain (a signal while the daemon stops on its own).
    this.stopped ??= this.drainAndClose();
    return this.stopped;
  }

  private async drainAndClose(): Promise<void> {
    this.stopping = true;
    this.guard.stop();
    this.log.info('stopping: draining transfers');
    clearInterval(this.rescanTimer);
    this.audits.stop();
    if (this.rootTimer) clearInterval(this.rootTimer);
    await this.outage.stop();
    const watching = this.watching.stop();
    await this.watcher.close();
    if (this.events.pending) this.events.flush();
    this.rt.scheduler.stop();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), this.cfg.drainTimeoutMs)));
    const outcome = await Promise.race([
      Promise.all([this.loop, this.rt.scheduler.drain(), this.rescanning, this.serial, watching]).then(
        () => 'drained' as const,
      ),
      timeout,
    ]);
    clearTimeout(timer);
    if (outcome === 'timeout')
      this.log.warn('drain timed out; unfinished work stays in the journal and resumes at next start');
    await this.metrics?.close();
    this.rt.close();
    this.log.info('stopped');
  }
}
