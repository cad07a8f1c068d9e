import { crashIsHandled, rethrowCrash, untilCrash } from '../failpoints.js';
import { clockWentBack, loopWait } from '../plan/loop-wait.js';
import type { Journal } from '../store/journal.js';
import type { FileRow } from '../store/types.js';
import type { Mode } from './deps.js';
import { Alarm } from './alarm.js';
import { DeleteFlushes } from './delete-flushes.js';
import type { PairEngine } from './engine.js';
import { PairGates } from './pair-gates.js';
import { PairLoad } from './pair-load.js';

const LEASE_MS = 10 * 60_000;
const ERROR_PAUSE_MS = 1000;

/**
 * Turns due journal rows into batches for the pair engines, with back-pressure per pair: it takes
 * more of a pair's rows only while that pair has few batches being examined and few rows at work,
 * so a pair whose bucket is slow never holds another pair's rows back. Each row is done when its
 * own work is, not when its batch is. Rows are leased when taken so they are not picked twice; a
 * crash simply leaves them dirty for the next start.
 */
export class Scheduler {
  /** Rows at work, each with its pair. */
  private readonly inFlight = new Map<string, string>();
  private readonly load = new PairLoad();
  /** The daemon's delete flushes. */
  private readonly flushes: DeleteFlushes;
  /** Rows taken again while in flight, with the lease that taking gave them. */
  private readonly retaken = new Map<string, number>();
  private readonly batches = new Set<Promise<void>>();
  /** Each batch's pair, so a reload can wait for one pair's work alone. */
  private readonly batchPair = new Map<Promise<void>, string>();
  private readonly alarm: Alarm;
  /** Pause, offline, hold and the bandwidth pause: callers close and open them here. */
  readonly gates = new PairGates(() => this.wake());
  private stopped = false;
  private abandoned = false;

  constructor(
    private readonly journal: Journal,
    private readonly engines: ReadonlyMap<string, PairEngine>,
    private readonly opts: {
      mode: Mode;
      concurrency: number;
      now: () => number;
      sleep?: (ms: number) => Promise<void>;
      /** The wall clock went back this many ms; every pending row was made due. */
      onClockBack?: (ms: number) => void;
    },
  ) {
    this.alarm = new Alarm(opts.sleep);
    this.flushes = new DeleteFlushes({
      now: opts.now,
      onError: (e) => {
        this.failure ??= e;
      },
      onDone: () => this.wake(),
      abandoned: () => this.abandoned,
    });
  }

  /** A reload changed `concurrency`: batches are sized to it from the next one on. */
  resize(concurrency: number): void {
    this.opts.concurrency = concurrency;
  }

  private get batchSize(): number {
    return Math.max(64, this.opts.concurrency * 8);
  }

  /** A batch's error that no outcome could record, for the loop to raise. */
  private failure: unknown;

  private raiseFailure(): void {
    const e = this.failure;
    this.failure = undefined;
    if (e !== undefined) throw e;
  }

  /** The pairs whose rows may be taken: configured (they have an engine), with every gate open. */
  private active(): string[] {
    return this.gates.open(this.engines.keys());
  }

  /** Something changed: a batch examined or done, a row done while a pair waited for room. */
  wake(): void {
    this.alarm.wake();
  }

  stop(): void {
    this.stopped = true;
    this.wake();
  }

  /** The runtime crashed (in-process tests) and its journal is closed: nothing more to do. */
  abandon(): void {
    this.abandoned = true;
    this.stop();
  }

  private lastLooked: number | undefined;

  /** The time, read once a round: after a step back of the wall clock, what was pending is due now. */
  private look(): number {
    const now = this.opts.now();
    const back = clockWentBack(this.lastLooked, now);
    this.lastLooked = now;
    if (back) {
      this.journal.makeAllDue(now, [...this.engines.keys()]);
      this.opts.onClockBack?.(back);
    }
    return now;
  }

  /** Take one round of the rows due at `now` of the pairs with room. Returns how many were dispatched. */
  private dispatch(now: number): number {
    const pairs = this.load.withRoom(this.active(), this.batchSize);
    if (!pairs.length) return 0;
    const lease = now + LEASE_MS;
    const rows: FileRow[] = [];
    for (const r of this.journal.takeDue(now, this.batchSize, lease, pairs)) {
      // Due again while its batch still works on it (a new event, a postponed delete): it goes
      // back to due when that work ends, rather than waiting out the lease just taken.
      if (this.inFlight.has(id(r))) this.retaken.set(id(r), lease);
      else rows.push(r);
    }
    if (!rows.length) return 0;
    const byPair = new Map<string, FileRow[]>();
    for (const r of rows) {
      this.inFlight.set(id(r), r.pair);
      this.load.of(r.pair).rows++;
      const list = byPair.get(r.pair);
      if (list) list.push(r);
      else byPair.set(r.pair, [r]);
    }
    for (const [pair, list] of byPair) this.startBatch(pair, list);
    return rows.length;
  }

  private startBatch(pair: string, list: FileRow[]): void {
    // takeDue returns rows of active() pairs only, each of which has an engine.
    const engine = this.engines.get(pair)!;
    const owned = new Map(list.map((r) => [id(r), r]));
    const load = this.load.of(pair);
    load.examining++;
    let examining = true;
    const examined = () => {
      if (!examining) return;
      examining = false;
      load.examining--;
      this.wake();
    };
    const hooks = {
      examined,
      act: (row: FileRow, work: Promise<void>) => {
        work
          .catch((e: unknown) => {
            // Its failure could not be recorded (the journal cannot be written): the loop sees it.
            this.failure ??= e;
          })
          .finally(() => {
            if (owned.delete(id(row))) this.rowDone(row);
          })
          .catch((e: unknown) => {
            this.failure ??= e;
          });
      },
    };
    const p: Promise<void> = engine
      .processBatch(list, hooks)
      .catch((e) => {
        for (const r of owned.values()) engine.fail(r, e);
      })
      // Recording the failure failed too (the journal cannot be written): the loop sees it.
      .catch((e: unknown) => {
        this.failure ??= e;
      })
      .finally(() => {
        try {
          examined();
          for (const r of owned.values()) this.rowDone(r);
          owned.clear();
        } finally {
          this.batches.delete(p);
          this.batchPair.delete(p);
          this.wake();
        }
      });
    this.batches.add(p);
    this.batchPair.set(p, pair);
    crashIsHandled(p, () => this.abandoned);
  }

  /** A row's work is done: it may be taken again, at once if it was due again meanwhile. */
  private rowDone(r: FileRow): void {
    if (!this.inFlight.delete(id(r))) return;
    this.load.of(r.pair).rows--;
    const leased = this.retaken.get(id(r));
    this.retaken.delete(id(r));
    if (leased !== undefined) this.journal.unlease(r.pair, r.rel, leased, this.opts.now());
    if (this.load.takeStarved() || leased !== undefined) this.wake();
  }

  /** A pass's deletes, last: every pair's, whatever the flush found to do. */
  private async flushAll(): Promise<void> {
    const online = [...this.engines].filter(([name]) => !this.gates.offline.has(name));
    await Promise.all(online.map(([, e]) => e.flushDeletes()));
  }

  /** `sync --once`: everything pending is due now; return when nothing is left to try. */
  async runOnce(): Promise<void> {
    this.journal.makeAllDue(this.opts.now(), [...this.engines.keys()]);
    for (;;) {
      this.raiseFailure();
      if (this.dispatch(this.look()) > 0) continue;
      if (this.batches.size) {
        await untilCrash(this.alarm.next());
        continue;
      }
      // Deletes go last in a pass: every rename in it has had its chance to become a copy.
      if ([...this.engines.values()].some((e) => e.pendingDeletes > 0)) {
        await untilCrash(this.flushAll());
        continue;
      }
      const next = this.journal.nextDueAt(this.active());
      if (next === undefined) return;
      await untilCrash(this.alarm.sleep(next - this.opts.now()));
    }
  }

  /**
   * The daemon loop: runs until stop(). Deletes are flushed as each pair becomes ready for them.
   * An error (a journal that cannot be written) goes to `onError` and the loop goes on a second later.
   */
  async runForever(
    onError: (e: unknown) => void = (e) => {
      throw e;
    },
  ): Promise<void> {
    while (!this.stopped) {
      try {
        this.raiseFailure();
        const looked = this.look();
        if (this.dispatch(looked) > 0) continue;
        if (!this.gates.transfersPaused) this.flushes.startReady(this.engines, this.gates.offline);
        const next = this.journal.nextDueAt(this.active());
        await untilCrash(this.alarm.sleep(loopWait(next, looked, this.opts.now())));
      } catch (e) {
        rethrowCrash(e);
        onError(e);
        if (!this.stopped) await untilCrash(this.alarm.sleep(ERROR_PAUSE_MS));
      }
    }
  }

  /**
   * Nothing of this pair under way: its batches are done, and so is its delete flush. A reload
   * pauses the pair first, then waits here before it replaces the engine.
   */
  async quiesce(pair: string): Promise<void> {
    const mine = [...this.batchPair].filter(([, p]) => p === pair).map(([b]) => b);
    await Promise.allSettled([...mine, this.flushes.of(pair)]);
  }

  /** Drain: wait for batches under way (bounded by the caller) and the delete flushes begun. */
  async drain(): Promise<void> {
    await Promise.all(this.batches);
    await this.flushes.settled();
  }
}

function id(r: FileRow): string {
  return `${r.pair}\0${r.rel}`;
}
