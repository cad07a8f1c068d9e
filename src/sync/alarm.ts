/**
 * A loop's wait: `sleep(ms)` ends early at `wake()`, and `next()` is the next `wake()` itself.
 * `virtual` (tests with an injected clock) replaces the timer: it resolves once the clock has
 * advanced by `ms`.
 */
export class Alarm {
  private wakeUp: (() => void) | undefined;
  private waiters: (() => void)[] = [];

  constructor(private readonly virtual?: (ms: number) => Promise<void>) {}

  wake(): void {
    this.wakeUp?.();
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  next(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  async sleep(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const t = this.virtual ? undefined : setTimeout(done, Math.max(0, ms));
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wakeUp = done;
      this.virtual?.(Math.max(0, ms)).then(done, done);
    });
    this.wakeUp = undefined;
  }
}
