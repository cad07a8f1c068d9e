import { describe, expect, it } from 'vitest';
import { type BandwidthClock, BandwidthLimit } from '../src/sync/bandwidth.js';

const MiB = 1024 * 1024;

/** A clock that moves only when the limit sleeps: elapsed time is exactly what it waited. */
function virtualClock(minute = 600): BandwidthClock & { t: number; minute: number } {
  const c = {
    t: 0,
    minute,
    now: () => c.t,
    minuteOfDay: () => c.minute,
    // A turn of the event loop per sleep, as a timer would give: a paused taker must not spin.
    sleep: (ms: number) => {
      c.t += ms;
      return new Promise<void>((r) => setImmediate(r));
    },
  };
  return c;
}

describe('BandwidthLimit', () => {
  it('holds the average rate whatever the body sizes: each body waits until those before it are paid for', async () => {
    const clock = virtualClock();
    const limit = new BandwidthLimit('4MiB/s', { once: false, clock });
    const sizes = [MiB / 2, 3 * MiB, 64 * 1024, 8 * MiB, 1, MiB, 7 * MiB - 64 * 1024 - 1 - MiB / 2];
    expect(sizes.reduce((a, b) => a + b)).toBe(19 * MiB);
    for (const n of [MiB, ...sizes]) await limit.take(n);
    // 20 MiB at 4 MiB/s: every body but the last is paid for by the time the last may go.
    const last = sizes[sizes.length - 1]!;
    expect(clock.t / 1000).toBeCloseTo((20 * MiB - last) / (4 * MiB), 2);
  });

  it('off never waits; takers are served in turn', async () => {
    const clock = virtualClock();
    const limit = new BandwidthLimit('off', { once: false, clock });
    const order: number[] = [];
    await Promise.all([1, 2, 3].map((i) => limit.take(100 * MiB).then(() => order.push(i))));
    expect(order).toEqual([1, 2, 3]);
    expect(clock.t).toBe(0);
  });

  it('pause holds every taker until the setting changes; a one-shot pass is never paused', async () => {
    const clock = virtualClock();
    const limit = new BandwidthLimit('pause', { once: false, clock });
    expect(limit.current().rate.kind).toBe('pause');
    let sent = false;
    const taking = limit.take(1024).then(() => (sent = true));
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    expect(sent).toBe(false);
    limit.set('off');
    await taking;
    expect(sent).toBe(true);
    const once = new BandwidthLimit('pause', { once: true, clock });
    expect(once.current().rate.kind).toBe('off');
    await once.take(1024);
  });

  it('follows the timetable: paused at 13:00, 1 MiB/s at 08:00', async () => {
    const clock = virtualClock(13 * 60);
    const limit = new BandwidthLimit('08:00,1MiB/s 12:30,pause 19:00,off', { once: false, clock });
    expect(limit.current()).toMatchObject({ rate: { kind: 'pause' }, until: 19 * 60 });
    clock.minute = 8 * 60;
    await limit.take(MiB);
    await limit.take(MiB);
    expect(clock.t / 1000).toBeCloseTo(1, 1);
  });
});
