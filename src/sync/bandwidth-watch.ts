import type { Logger } from '../log.js';
import { describeRate, timeOfDay } from '../plan/bandwidth.js';
import type { BandwidthLimit } from './bandwidth.js';

/**
 * Puts the `bandwidth` setting's pause into effect (the scheduler takes no rows while it holds:
 * changes keep being recorded, nothing is sent) and logs each change of the rate in force, at
 * the timetable's boundaries and after a reload.
 */
export class BandwidthWatch {
  private timer: NodeJS.Timeout | undefined;
  private last: string | undefined;

  constructor(
    private readonly d: {
      bandwidth: Pick<BandwidthLimit, 'current'>;
      pauseAll: (paused: boolean) => void;
      log: Logger;
    },
  ) {}

  start(everyMs = 1000): void {
    this.check();
    this.timer = setInterval(() => this.check(), everyMs);
    this.timer.unref();
  }

  check(): void {
    const r = this.d.bandwidth.current();
    this.d.pauseAll(r.rate.kind === 'pause');
    const rate = describeRate(r.rate);
    const until = r.until === null ? null : timeOfDay(r.until);
    const key = `${rate} ${until}`;
    if (key === this.last) return;
    this.last = key;
    this.d.log.info({ bandwidth: rate, until, reason: r.reason }, `bandwidth: ${rate}`);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
