import { join } from 'node:path';
import { errorSummary, type MirrorError } from '../errors.js';
import { freeBytes, SpaceReserve } from '../local/reserve.js';
import type { Logger } from '../log.js';
import type { Runtime } from './runtime.js';

const RESERVE_FILE = 'space.reserve';
const RESERVE_BYTES = 1024 * 1024;
/** What a recovered journal must be able to grow by before work resumes. */
const PROBE_BYTES = 256 * 1024;
const RETRY_MS = 5_000;

/**
 * Keeps the daemon alive through a full or read-only stateDir (exiting would be a crash loop
 * under systemd): the first failed write pauses every pair, frees the space reserve so the pairs'
 * `error` state and the status record can still be written, and retries until the journal can
 * grow again; then the reserve is restored, the pairs are rescanned (events that could not be
 * recorded meanwhile were dropped) and work resumes. SQLite rolls back a failed transaction, so
 * the journal stays as its last commit left it throughout.
 */
export class JournalGuard {
  private down: { since: number; error: MirrorError } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly reserve: SpaceReserve;

  /** `recovered`: once the journal takes writes again, what was missed while it did not (a rescan). */
  constructor(
    private readonly rt: Runtime,
    private readonly log: Logger,
    private readonly recovered: () => Promise<void>,
    private readonly retryMs = RETRY_MS,
  ) {
    this.reserve = new SpaceReserve(join(rt.cfg.stateDir, RESERVE_FILE), RESERVE_BYTES);
  }

  start(): void {
    this.reserve.ensure();
    this.rt.journal.onUnwritable((e) => this.trip(e));
  }

  get isDown(): boolean {
    return this.down !== undefined;
  }

  /** A journal write this guard answers for while the journal is down (the rescan after it redoes it). */
  tolerate(write: () => void): void {
    try {
      write();
    } catch (e) {
      if (!this.isDown) throw e;
    }
  }

  /** For the scheduler's loop: a journal that cannot be written has paused every pair already. */
  readonly loopError = (e: unknown): void => {
    if (!this.isDown) this.log.error({ error: errorSummary(e) }, 'scheduler error; going on');
  };

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private trip(error: MirrorError): void {
    if (this.down || this.stopped) return;
    const { rt, log } = this;
    this.down = { since: rt.now(), error };
    // Outcomes may go unrecorded from here: the rescan after recovery lists every bucket again.
    rt.trust.lost('unwritable');
    rt.scheduler.gates.hold();
    const freed = this.reserve.release();
    log.error(
      { error: errorSummary(error), reserveFreed: freed },
      `the journal cannot be written; every pair is paused and the stateDir is tried again every ${this.retryMs / 1000}s`,
    );
    // Outside the failing statement: a transaction it belongs to is being rolled back.
    setImmediate(() => this.markPairs());
    this.schedule();
  }

  private markPairs(): void {
    const { rt, log } = this;
    if (!this.down || this.stopped) return;
    const { error, since } = this.down;
    try {
      for (const name of rt.engines.keys())
        rt.journal.pairs.setState(name, 'error', `${error.code}: ${error.message}`, since);
      rt.writeStatus();
    } catch (e) {
      log.warn({ error: errorSummary(e) }, 'could not record the paused state in the journal either');
    }
  }

  private schedule(): void {
    // A timer's rejection would be unhandled, and end the daemon: the crash loop this guard prevents.
    this.timer = setTimeout(
      () =>
        void this.retry().catch((e: unknown) =>
          this.log.error(
            { error: errorSummary(e) },
            'the rescan after the journal recovered failed; the next rescan repeats it',
          ),
        ),
      this.retryMs,
    );
    this.timer.unref();
  }

  private async retry(): Promise<void> {
    if (this.stopped || !this.down) return;
    const { rt, log } = this;
    try {
      if (freeBytes(this.rt.cfg.stateDir) < RESERVE_BYTES + PROBE_BYTES) throw this.down.error;
      rt.journal.probeWrite(PROBE_BYTES);
    } catch {
      this.schedule();
      return;
    }
    this.reserve.ensure();
    const since = this.down.since;
    this.down = undefined;
    log.info({ downSinceMs: rt.now() - since }, 'the journal takes writes again; rescanning every pair');
    try {
      await this.recovered();
    } finally {
      // A write that failed during the rescan has paused every pair again: that hold stands.
      if (!this.stopped && !this.down) rt.scheduler.gates.release();
    }
  }
}
