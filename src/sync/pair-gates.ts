/**
 * Which pairs' rows the scheduler may take: each closed gate keeps rows waiting in the journal
 * instead of failing one by one. `wake` is called when a gate opens, so the loop looks again.
 */
export class PairGates {
  private readonly paused = new Set<string>();
  /** Pairs whose bucket is offline (src/sync/outage.ts): no per-file attempts until it answers. */
  readonly offline = new Set<string>();
  private held = false;
  private bandwidthPaused = false;

  constructor(private readonly wake: () => void) {}

  /** A pair whose bucket is unusable. */
  pause(pair: string): void {
    this.paused.add(pair);
  }
  resume(pair: string): void {
    this.paused.delete(pair);
    this.wake();
  }

  setOffline(pair: string, offline: boolean): void {
    if (offline) this.offline.add(pair);
    else if (this.offline.delete(pair)) this.wake();
  }

  /** Every pair waits (the journal cannot be written) until `release()`. */
  hold(): void {
    this.held = true;
  }
  release(): void {
    this.held = false;
    this.wake();
  }

  /** The `bandwidth` setting pauses every transfer: rows wait in the journal, changes are still recorded. */
  pauseAll(paused: boolean): void {
    const was = this.bandwidthPaused;
    this.bandwidthPaused = paused;
    if (was && !paused) this.wake();
  }

  get transfersPaused(): boolean {
    return this.bandwidthPaused;
  }

  /** Of these configured pairs, those whose rows may be taken: not paused, not offline. */
  open(pairs: Iterable<string>): string[] {
    const out: string[] = [];
    if (this.held || this.bandwidthPaused) return out;
    for (const name of pairs) if (!this.paused.has(name) && !this.offline.has(name)) out.push(name);
    return out;
  }
}
