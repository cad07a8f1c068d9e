/**
 * A global bound on bytes held in memory for transfers (whole small files and multipart parts),
 * shared by every upload in the process. FIFO, so a large part cannot be starved by small files.
 */
export class ByteBudget {
  private used = 0;
  private readonly waiters: { n: number; resolve: () => void }[] = [];

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit <= 0) throw new RangeError(`ByteBudget limit must be a positive integer, got ${limit}`);
  }

  get inUse(): number {
    return this.used;
  }

  /** Take `n` bytes now if they are free and nobody waits; undefined otherwise (never waits). */
  tryAcquire(n: number): (() => void) | undefined {
    if (this.waiters.length || this.used + n > this.limit) return undefined;
    this.used += n;
    return this.releaser(n);
  }

  /** Take `n` bytes (a request larger than the limit is clamped so it can still run alone). */
  async acquire(n: number): Promise<() => void> {
    const take = Math.min(n, this.limit);
    if (this.waiters.length === 0 && this.used + take <= this.limit) {
      this.used += take;
    } else {
      await new Promise<void>((resolve) => this.waiters.push({ n: take, resolve }));
    }
    return this.releaser(take);
  }

  private releaser(n: number): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.used -= n;
      this.drain();
    };
  }

  private drain(): void {
    while (this.waiters.length && this.used + this.waiters[0]!.n <= this.limit) {
      const w = this.waiters.shift()!;
      this.used += w.n;
      w.resolve();
    }
  }
}
