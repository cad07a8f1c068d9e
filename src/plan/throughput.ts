/**
 * Bytes sent per minute over the last hour, for the status page's chart: a ring of 60 minute
 * buckets, advanced by the clock it is given (no timer of its own).
 */
export const MINUTES = 60;
const MINUTE_MS = 60_000;

export class Throughput {
  private readonly buckets = new Array<number>(MINUTES).fill(0);
  /** The minute (ms, a multiple of MINUTE_MS) the last bucket counts. */
  private current: number;

  constructor(now: number) {
    this.current = Math.floor(now / MINUTE_MS) * MINUTE_MS;
  }

  /** Minutes that passed since the last call start empty. */
  private advance(now: number): void {
    const minute = Math.floor(now / MINUTE_MS) * MINUTE_MS;
    if (minute <= this.current) return;
    const steps = Math.min(MINUTES, (minute - this.current) / MINUTE_MS);
    for (let i = 0; i < steps; i++) {
      this.buckets.shift();
      this.buckets.push(0);
    }
    this.current = minute;
  }

  add(bytes: number, now: number): void {
    this.advance(now);
    this.buckets[MINUTES - 1]! += bytes;
  }

  /** Oldest minute first; the last is the minute `now` is in. */
  read(now: number): { minuteStart: number; bytes: number[] } {
    this.advance(now);
    return { minuteStart: this.current - (MINUTES - 1) * MINUTE_MS, bytes: [...this.buckets] };
  }
}
