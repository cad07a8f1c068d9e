import { type Bandwidth, parseBandwidth, type Rate, type RateNow, rateAt } from '../plan/bandwidth.js';

/** The clock the limit reads: milliseconds, and the local time of day in minutes. */
export interface BandwidthClock {
  now(): number;
  minuteOfDay(): number;
  sleep(ms: number): Promise<void>;
}

const systemClock: BandwidthClock = {
  now: () => performance.now(),
  minuteOfDay: () => {
    const d = new Date();
    return d.getHours() * 60 + d.getMinutes();
  },
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
};

const NOW = Promise.resolve();

/** While paused, takers look again this often (and at once when the setting changes). */
const PAUSE_POLL_MS = 1000;

/**
 * One token bucket for every byte the process uploads (single PUT bodies and parts), at the rate
 * the `bandwidth` setting puts in force now. A body larger than a second's worth goes at once and
 * is paid for afterwards (the credit goes negative), so the average holds however large the parts
 * are. Takers are served in turn. `once: true` (`sync --once`) treats `pause` as no limit: the
 * operator asked for that pass now.
 */
export class BandwidthLimit {
  private table: Bandwidth;
  /** Bytes that may go now (negative: owed). */
  private credit = 0;
  private last: number;
  private turn: Promise<void> = Promise.resolve();
  private wake: (() => void) | undefined;

  constructor(
    setting: string,
    private readonly opts: { once: boolean; clock?: BandwidthClock },
  ) {
    this.table = parsed(setting);
    this.last = this.clock.now();
  }

  private get clock(): BandwidthClock {
    return this.opts.clock ?? systemClock;
  }

  /** A reload's new setting: in force from the next byte on. */
  set(setting: string): void {
    this.table = parsed(setting);
    this.wake?.();
  }

  /** What is in force now (for status, the logs and the scheduler's pause). */
  current(): RateNow {
    const r = rateAt(this.table, this.clock.minuteOfDay());
    return this.opts.once && r.rate.kind === 'pause' ? { ...r, rate: { kind: 'off' } } : r;
  }

  /** Wait until `bytes` may be sent. */
  take(bytes: number): Promise<void> {
    // No limit at any time of day (the default): nothing to count, no clock to read per body.
    if (this.table.every((e) => e.rate.kind === 'off')) return NOW;
    const mine = this.turn.then(() => this.takeNow(bytes));
    this.turn = mine.catch(() => undefined);
    return mine;
  }

  private async takeNow(bytes: number): Promise<void> {
    for (;;) {
      const rate: Rate = this.current().rate;
      const now = this.clock.now();
      if (rate.kind === 'off') {
        this.last = now;
        this.credit = 0;
        return;
      }
      if (rate.kind === 'pause') {
        this.last = now;
        this.credit = 0;
        await this.waitOrWake(PAUSE_POLL_MS);
        continue;
      }
      const perMs = rate.bytesPerSec / 1000;
      this.credit = Math.min(rate.bytesPerSec, this.credit + (now - this.last) * perMs);
      this.last = now;
      if (this.credit >= 0) {
        this.credit -= bytes;
        return;
      }
      await this.waitOrWake(Math.min(PAUSE_POLL_MS, -this.credit / perMs));
    }
  }

  private async waitOrWake(ms: number): Promise<void> {
    let woken!: () => void;
    const wake = new Promise<void>((r) => (woken = r));
    this.wake = woken;
    await Promise.race([this.clock.sleep(ms), wake]);
    this.wake = undefined;
  }
}

function parsed(setting: string): Bandwidth {
  const r = parseBandwidth(setting);
  // The config was validated when loaded: a failure here is a bug, not an operator's mistake.
  if (!r.ok) throw new Error(`bandwidth setting "${setting}" did not parse: ${r.errors.join('; ')}`);
  return r.value;
}
