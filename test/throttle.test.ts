import { describe, expect, it } from 'vitest';
import { afterSuccess, afterThrottle, type ThrottleState, UNTHROTTLED, withMax } from '../src/plan/throttle.js';
import { type AttemptOutcome, BucketThrottles } from '../src/sync/throttle.js';

const st = (cap: number | null, epoch = 0, successes = 0): ThrottleState => ({ cap, epoch, successes });

describe('afterThrottle', () => {
  it.each([
    // state, attempt's epoch, in flight, max → cap, epoch
    { name: 'uncapped: half of what was in flight', s: UNTHROTTLED, epoch: 0, inFlight: 12, max: 16, cap: 6, next: 1 },
    {
      name: 'uncapped with more in flight than concurrency: half of concurrency',
      s: UNTHROTTLED,
      epoch: 0,
      inFlight: 40,
      max: 16,
      cap: 8,
      next: 1,
    },
    { name: 'capped: half the cap', s: st(8, 1), epoch: 1, inFlight: 8, max: 16, cap: 4, next: 2 },
    { name: 'never below one', s: st(1, 3), epoch: 3, inFlight: 1, max: 16, cap: 1, next: 4 },
    { name: 'one in flight, uncapped: one', s: UNTHROTTLED, epoch: 0, inFlight: 1, max: 16, cap: 1, next: 1 },
  ])('$name', (t) => {
    const v = afterThrottle(t.s, { epoch: t.epoch, inFlight: t.inFlight, max: t.max });
    expect(v.state).toEqual({ cap: t.cap, epoch: t.next, successes: 0 });
    expect(v.reason).toContain(`at most ${t.cap}`);
  });

  it('an attempt that began before the last decrease halves nothing', () => {
    const s = st(4, 2, 3);
    const v = afterThrottle(s, { epoch: 1, inFlight: 4, max: 16 });
    expect(v.state).toBe(s);
    expect(v.reason).toMatch(/already counted/);
  });
});

describe('afterSuccess', () => {
  it.each([
    { name: 'uncapped stays uncapped', s: UNTHROTTLED, max: 16, to: UNTHROTTLED },
    { name: 'a success counts toward the round', s: st(4, 1, 1), max: 16, to: st(4, 1, 2) },
    { name: 'a whole round raises the cap by one', s: st(4, 1, 3), max: 16, to: st(5, 1, 0) },
    { name: 'never above concurrency', s: st(16, 1, 15), max: 16, to: st(16, 1, 0) },
    { name: 'a cap of one: each success is a round', s: st(1, 5, 0), max: 16, to: st(2, 5, 0) },
  ])('$name', (t) => {
    expect(afterSuccess(t.s, { max: t.max, full: true }).state).toEqual(t.to);
  });

  it('a success with the cap not full changes nothing', () => {
    const s = st(4, 1, 3);
    const v = afterSuccess(s, { max: 16, full: false });
    expect(v.state).toBe(s);
    expect(v.reason).toMatch(/not full/);
  });
});

describe('withMax', () => {
  it('a lower concurrency lowers a cap above it and leaves others', () => {
    expect(withMax(st(12, 2, 5), 8)).toEqual(st(8, 2, 0));
    expect(withMax(st(4, 2, 1), 8)).toEqual(st(4, 2, 1));
    expect(withMax(UNTHROTTLED, 8)).toBe(UNTHROTTLED);
  });
});

const turn = () => new Promise((r) => setImmediate(r));

describe('BucketThrottles', () => {
  it('admits everything until the bucket throttles, then at most the cap, parts after other requests', async () => {
    const decreases: (number | null)[] = [];
    const t = new BucketThrottles(16, (_b, v) => decreases.push(v.state.cap));
    const ends = await Promise.all(Array.from({ length: 8 }, () => t.admit('b', 'PutObjectCommand')));
    expect(t.capOf('b')).toBeNull();
    // All eight were in flight when the first throttling answer came: at most four from now on.
    ends[0]!('throttled');
    ends[1]!('throttled');
    expect(decreases).toEqual([4]);
    expect(t.capOf('b')).toBe(4);
    const order: string[] = [];
    const waiting = [
      t.admit('b', 'UploadPartCommand').then((end) => (order.push('part'), end)),
      t.admit('b', 'PutObjectCommand').then((end) => (order.push('put'), end)),
    ];
    await turn();
    expect(order).toEqual([]);
    // Six in flight, cap four: two must end before one more goes, and the PUT goes first.
    ends[2]!('ok');
    ends[3]!('ok');
    await turn();
    expect(order).toEqual([]);
    ends[4]!('other');
    await turn();
    expect(order).toEqual(['put']);
    ends[5]!('ok');
    await turn();
    expect(order).toEqual(['put', 'part']);
    for (const end of [ends[6]!, ends[7]!, ...(await Promise.all(waiting))]) end('ok');
    // Another bucket is not affected.
    await t.admit('other', 'PutObjectCommand');
    expect(t.capOf('other')).toBeNull();
  });

  it('a round of successes raises the cap; an outcome reported twice counts once', async () => {
    const t = new BucketThrottles(16);
    const first = await t.admit('b', 'HeadObjectCommand');
    const second = await t.admit('b', 'HeadObjectCommand');
    first('throttled');
    expect(t.capOf('b')).toBe(1);
    second('throttled'); // began before the decrease
    expect(t.capOf('b')).toBe(1);
    const end: (o: AttemptOutcome) => void = await t.admit('b', 'HeadObjectCommand');
    end('ok');
    end('ok');
    expect(t.capOf('b')).toBe(2);
    // Two allowed, one used: its success holds nothing back, so it raises nothing.
    const alone = await t.admit('b', 'HeadObjectCommand');
    alone('ok');
    expect(t.capOf('b')).toBe(2);
    t.setMax(1);
    expect(t.capOf('b')).toBe(1);
  });
});
