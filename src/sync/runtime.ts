import type { Config, PairConfig } from '../config.js';
import type { MirrorError } from '../errors.js';
import type { Logger } from '../log.js';
import { StateLock } from '../store/lock.js';
import type { ClientOptions } from '../s3/client.js';
import { RequestCounter } from '../s3/counter.js';
import type { BucketProvider } from '../bucket.js';
import { s3Buckets } from './clients.js';
import { checkBuckets } from './preflight.js';
import { BandwidthLimit } from './bandwidth.js';
import { BandwidthWatch } from './bandwidth-watch.js';
import { BucketThrottles } from './throttle.js';
import { warnIfSetAside } from './journal-aside.js';
import { Journal } from '../store/journal.js';
import type { Mode } from './deps.js';
import type { PairEngine } from './engine.js';
import { openEngine } from './pair-open.js';
import type { Filter } from '../watch/filter.js';
import { reconcile, type ReconcileResult } from './reconcile.js';
import { Scheduler } from './scheduler.js';
import { StaleUploads } from './stale-uploads.js';
import { HashCache } from './hash-cache.js';
import { Links } from './links.js';
import type { DegradedRecord } from '../status/record.js';
import { StatusWriter } from './status-writer.js';
import { Transfers } from './transfers.js';
import { Lanes } from './lanes.js';
import { JournalTrust } from './trust.js';

export interface RuntimeOptions {
  mode: Mode;
  log: Logger;
  now?: () => number;
  credentials?: ClientOptions['credentials'];
  /** Where the buckets are; default: the SDK over one pooled client (tests pass an in-memory one). */
  buckets?: BucketProvider;
  /** Objects above this are copied part by part (default S3's 5 GiB); tests lower it. */
  copyLimitBytes?: number;
  /**
   * Tests only: multipart sizes below the config's 5 MiB floor, so tiny files go multipart
   * against a server that accepts tiny parts (the in-memory S3's `minPartSize`).
   */
  multipart?: Config['multipart'];
  /**
   * Tests only: how the scheduler waits for the next due row (a once pass's retry backoff). A
   * test with a virtual clock (`now`) advances it here instead of waiting real time.
   */
  sleep?: (ms: number) => Promise<void>;
  /** `sync --once --audit`: list every pair's bucket, whatever the journal could be trusted with. */
  audit?: boolean;
}

/** Everything one process needs, wired once: lock, journal, pooled client, queue, engines. */
export class Runtime {
  readonly journal: Journal;
  readonly counter = new RequestCounter();
  readonly hashes = new HashCache();
  readonly buckets: BucketProvider;
  /** Whether each bucket answers (every request through `buckets` is noted). */
  readonly links: Links;
  /** Every byte uploaded, at the rate the `bandwidth` setting puts in force. */
  readonly bandwidth: BandwidthLimit;
  readonly bandwidthWatch: BandwidthWatch;
  /** Each bucket's attempts in flight, capped while it throttles. */
  readonly throttles: BucketThrottles;
  readonly transfers: Transfers;
  /** Each pair's transfer and examination slots and byte budgets. */
  readonly lanes: Lanes;
  readonly engines = new Map<string, PairEngine>();
  readonly scheduler: Scheduler;
  readonly now: () => number;
  readonly startedAt: number;
  /** Each pair's directories and files at its last walk: the inotify watches it needs. */
  readonly treeEntries = new Map<string, number>();
  /** Whether a pair's journal may stand in for listing its bucket. */
  readonly trust: JournalTrust;
  readonly status: StatusWriter;
  private readonly stale: StaleUploads;

  private current: Config;

  private constructor(
    cfg: Config,
    private readonly lock: StateLock,
    readonly opts: RuntimeOptions,
  ) {
    this.current = cfg = opts.multipart ? { ...cfg, multipart: opts.multipart } : cfg;
    this.now = opts.now ?? Date.now;
    this.startedAt = this.now();
    this.journal = Journal.open(cfg.stateDir);
    warnIfSetAside(this.journal, opts.log);
    this.trust = new JournalTrust({ journal: this.journal, cfg: () => this.cfg, now: this.now, audit: !!opts.audit });
    this.links = new Links(this.now, opts.mode === 'daemon');
    this.throttles = new BucketThrottles(cfg.concurrency, (bucket, v) =>
      opts.log.warn({ bucket, cap: v.state.cap, reason: v.reason }, 'the bucket throttles: fewer requests at once'),
    );
    const { links, throttles, counter } = this;
    const credentials = opts.credentials;
    this.buckets = links.watch(
      opts.buckets ?? s3Buckets(cfg, { links, throttles, counter, ...(credentials ? { credentials } : {}) }),
    );
    this.lanes = Lanes.forConfig(cfg);
    this.bandwidth = new BandwidthLimit(cfg.bandwidth, { once: opts.mode === 'once' });
    this.transfers = new Transfers(this.buckets, this.journal, this.lanes, {
      bandwidth: this.bandwidth,
      concurrency: cfg.concurrency,
      partSizeBytes: cfg.multipart.partSizeBytes,
      now: this.now,
      ...(opts.copyLimitBytes ? { copyLimitBytes: opts.copyLimitBytes } : {}),
    });
    for (const p of cfg.pairs) this.openPair(p);
    this.scheduler = new Scheduler(this.journal, this.engines, {
      mode: opts.mode,
      concurrency: cfg.concurrency,
      now: this.now,
      ...(opts.sleep ? { sleep: opts.sleep } : {}),
      onClockBack: (ms) => opts.log.warn({ ms }, 'the system clock went back: every pending change is due now'),
    });
    const pauseAll = (paused: boolean) => this.scheduler.gates.pauseAll(paused);
    this.bandwidthWatch = new BandwidthWatch({ bandwidth: this.bandwidth, pauseAll, log: opts.log });
    this.stale = new StaleUploads({
      journal: this.journal,
      buckets: this.buckets,
      cfg: () => this.cfg,
      log: opts.log,
      now: this.now,
      isActive: (id) => this.transfers.isActive(id),
    });
    this.status = new StatusWriter({
      journal: this.journal,
      engines: this.engines,
      transfers: this.transfers,
      counter: this.counter,
      throttles: this.throttles,
      bandwidth: this.bandwidth,
      mode: opts.mode,
      startedAt: this.startedAt,
      now: this.now,
      log: opts.log,
    });
  }

  /** The config in force: the one started with, or the last reload applied (`reconfigure`). */
  get cfg(): Config {
    return this.current;
  }

  /**
   * A pair of the config (at start, or added or changed by a reload) gets its engine. A new bucket
   * or prefix re-keys its rows first, so the tree is mirrored to the new location.
   */
  openPair(p: PairConfig, filter?: Filter): void {
    this.engines.set(p.name, openEngine(this, p, filter));
  }

  /** A pair a reload removed or is about to set up anew: no engine, and nothing this process knew of it. */
  closePair(name: string): void {
    this.engines.delete(name);
    this.lanes.drop(name);
    this.status.forget(name);
    this.treeEntries.delete(name);
  }

  /** A reload's top-level settings (the planner let through only what applies live). */
  reconfigure(next: Config): void {
    this.current = this.opts.multipart ? { ...next, multipart: this.opts.multipart } : next;
    this.throttles.setMax(next.concurrency);
    this.bandwidth.set(next.bandwidth);
    this.bandwidthWatch.check();
    this.lanes.setConcurrency(next.concurrency);
    this.scheduler.resize(next.concurrency);
  }

  static open(cfg: Config, opts: RuntimeOptions): Runtime {
    const lock = StateLock.acquire(cfg.stateDir);
    try {
      return new Runtime(cfg, lock, opts);
    } catch (e) {
      lock.release();
      throw e;
    }
  }

  /** Which pairs can reach their bucket (`only`: these pairs)? See `checkBuckets`. */
  preflight(only?: ReadonlySet<string>): Promise<Map<string, MirrorError>> {
    return checkBuckets(this, only);
  }

  /**
   * Multipart uploads nobody works on: kept where their file is unchanged (its upload resumes),
   * aborted otherwise, and orphans on the server swept (see StaleUploads). At start, and in the
   * daemon at every rescan, so a failed abort does not leave parts billed until the next restart.
   */
  abortStaleUploads(unusable: ReadonlySet<string> = new Set()): Promise<void> {
    return this.stale.sweep(unusable);
  }

  /** `list` unset: listed unless the journal is trusted (JournalTrust); `false`: a degraded pair's rescans. */
  async reconcilePair(name: string, opts: { list?: boolean } = {}): Promise<ReconcileResult & { trust: string }> {
    const engine = this.engines.get(name)!;
    const { list, reason: trust } = this.trust.decide(engine.pair, opts.list);
    const startedAt = this.now();
    const r = await reconcile(engine.pair, {
      journal: this.journal,
      bucket: this.buckets.bucket(engine.pair.bucket),
      filter: engine.filter,
      now: this.now,
      list,
      fingerprint: this.trust.fingerprint(engine.pair),
    });
    if (!r.rootProblem) this.treeEntries.set(name, r.localFiles + r.localDirs);
    const log = this.opts.log.child({ pair: name });
    if (r.rootProblem) {
      this.status.reconciled.delete(name);
      this.journal.pairs.setState(name, 'error', r.rootProblem, this.now());
      log.error({ code: 'PAIR_PATH_MISSING' }, r.rootProblem);
    } else {
      this.status.reconciledAt(name, startedAt, r.dirty > 0);
      if (this.journal.pairs.get(name)?.state === 'error') this.journal.pairs.setState(name, 'ok', null, this.now());
    }
    for (const u of r.unreadable) {
      this.journal.errors.add(this.now(), name, null, 'FILE_UNREADABLE', `directory unreadable: ${u}`);
      log.warn({ code: 'FILE_UNREADABLE' }, `directory unreadable: ${u}`);
    }
    const { dirty, localFiles, remoteObjects, listed, parts, workers } = r;
    log.info({ dirty, localFiles, remoteObjects, listed, trust, parts, workers }, 'reconciled');
    return { ...r, trust };
  }

  /**
   * A pair's watching failed (or is worth less than it seems): status shows it `degraded` with
   * what to do, never "in sync". Recorded in the error log and logged once per failure, not per
   * file the kernel refused; `again` updates what status shows (new counts) without either.
   */
  noteDegraded(pair: string, d: DegradedRecord, again = false): void {
    this.status.degraded.set(pair, d);
    if (again) return;
    this.journal.errors.add(d.since, pair, null, 'WATCHER_ERROR', `${d.cause}. Fix: ${d.fix}`);
    this.opts.log.error({ pair, code: d.code, cause: d.cause, fix: d.fix }, 'watching failed: pair degraded');
  }

  /** A pair's bucket is offline since `since` (null: online again): status shows it. */
  noteOffline(pair: string, state: { since: number; lastError: string | null } | null): void {
    if (state) this.status.offline.set(pair, state);
    else this.status.offline.delete(pair);
  }

  degradedOf(pair: string): DegradedRecord | undefined {
    return this.status.degraded.get(pair);
  }

  /** Watched again without an error: the pair's events can be trusted again. */
  clearDegraded(pair: string): void {
    if (this.status.degraded.delete(pair))
      this.opts.log.warn({ pair }, 'watching works again: pair no longer degraded');
  }

  /** What status shows about this process; written to the journal so status needs no IPC. */
  writeStatus(): void {
    this.status.write();
  }

  startStatusWriter(ms = 1000): void {
    this.status.start(ms);
  }

  /** The daemon's: the bandwidth timetable's pauses take effect (a one-shot pass is never paused). */
  startBandwidthWatch(): void {
    this.bandwidthWatch.start();
  }

  /** After an in-process crash (a FailpointCrash): free the journal and lock as the kernel would, writing nothing. */
  abandon(): void {
    this.status.stop();
    this.bandwidthWatch.stop();
    this.scheduler.abandon();
    this.journal.abandon();
    this.lock.release();
  }

  close(): void {
    this.status.stop();
    this.bandwidthWatch.stop();
    try {
      this.writeStatus();
    } catch {
      /* best effort */
    }
    this.buckets.close();
    try {
      // Clean only if every request's outcome is known: one that may have landed unrecorded needs a listing.
      this.journal.close({ clean: !this.links.uncertain });
    } finally {
      this.lock.release();
    }
  }
}
