import { crashIsHandled } from '../failpoints.js';
import type { PairEngine } from './engine.js';

/** A pair's delete flush that deferred its deletes (deferGuard) is tried again after this, or sooner if more come. */
const FLUSH_RETRY_MS = 1000;

/**
 * The daemon's delete flushes, at most one per pair at a time. A pair's deletes go once nothing
 * of it could still turn them into moves (PairEngine.readyToFlush), while its uploads go on, and
 * the scheduler's loop never awaits them, so a slow bucket's DeleteObjects holds back no other
 * pair. Deletes that came while a flush was on its way go as soon as it ends; a flush that
 * deferred the guard's verdict is tried again after FLUSH_RETRY_MS, or sooner if more come.
 */
export class DeleteFlushes {
  private readonly running = new Map<string, Promise<void>>();
  /** When, and at what pending count, each pair's last flush began (for a deferral's retry). */
  private readonly last = new Map<string, { at: number; pending: number }>();

  constructor(
    private readonly opts: {
      now: () => number;
      /** A flush's error that no outcome could record (the journal cannot be written). */
      onError: (e: unknown) => void;
      /** A flush ended: rows it postponed may be due. */
      onDone: () => void;
      abandoned: () => boolean;
    },
  ) {}

  /** Begin a flush for each pair that is ready for one and not offline. */
  startReady(engines: ReadonlyMap<string, PairEngine>, offline: ReadonlySet<string>): void {
    const now = this.opts.now();
    for (const [name, e] of engines) {
      const pending = e.pendingDeletes;
      if (!pending || offline.has(name) || this.running.has(name) || !e.readyToFlush) continue;
      const last = this.last.get(name);
      if (e.deletesDeferred && last && last.pending === pending && now - last.at < FLUSH_RETRY_MS) continue;
      this.last.set(name, { at: now, pending });
      const p = e
        .flushDeletes()
        .catch((err: unknown) => this.opts.onError(err))
        .finally(() => {
          this.running.delete(name);
          this.opts.onDone();
        });
      this.running.set(name, p);
      crashIsHandled(p, this.opts.abandoned);
    }
  }

  /** The pair's flush under way, if any. */
  of(pair: string): Promise<void> | undefined {
    return this.running.get(pair);
  }

  async settled(): Promise<void> {
    await Promise.allSettled(this.running.values());
  }
}
