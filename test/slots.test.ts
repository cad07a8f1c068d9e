import { describe, expect, it } from 'vitest';
import { Slots } from '../src/sync/slots.js';

/** A task that runs until `finish()` (or `fail()`); `started` tells whether it has begun. */
function task(name: string, log: string[]) {
  let finish!: (v: string) => void;
  let fail!: (e: Error) => void;
  const done = new Promise<string>((ok, no) => {
    finish = ok;
    fail = no;
  });
  const t = {
    started: false,
    finish: () => finish(name),
    fail: () => fail(new Error(name)),
    run: () => {
      t.started = true;
      log.push(name);
      return done;
    },
  };
  return t;
}

const turn = () => new Promise<void>((r) => setImmediate(r));

describe('Slots', () => {
  it('runs at most `concurrency` at once, starts a free slot at once, and settles as each task does', async () => {
    const log: string[] = [];
    const s = new Slots(2);
    const [a, b, c] = ['a', 'b', 'c'].map((n) => task(n, log));
    const pa = s.add(a!.run);
    const pb = s.add(b!.run);
    const pc = s.add(c!.run);
    expect([a!.started, b!.started, c!.started]).toEqual([true, true, false]);
    expect([s.pending, s.size]).toEqual([2, 1]);
    a!.finish();
    expect(await pa).toBe('a');
    expect(c!.started).toBe(true);
    b!.fail();
    await expect(pb).rejects.toThrow('b');
    c!.finish();
    expect(await pc).toBe('c');
    expect([s.pending, s.size]).toEqual([0, 0]);
  });

  it('starts urgent tasks before the others, each kind in order', async () => {
    const log: string[] = [];
    const s = new Slots(1);
    const first = task('first', log);
    const rest = ['n1', 'u1', 'n2', 'u2'].map((n) => task(n, log));
    const all = [s.add(first.run), ...rest.map((t, i) => s.add(t.run, { urgent: i % 2 === 1 }))];
    first.finish();
    for (const t of [rest[1], rest[3], rest[0], rest[2]]) {
      await turn();
      t!.finish();
    }
    await Promise.all(all);
    expect(log).toEqual(['first', 'u1', 'u2', 'n1', 'n2']);
  });

  it('a raised limit starts waiting tasks at once; a lowered one lets running tasks finish', async () => {
    const log: string[] = [];
    const s = new Slots(1);
    const ts = ['a', 'b', 'c', 'd'].map((n) => task(n, log));
    const ps = ts.map((t) => s.add(t.run));
    s.concurrency = 3;
    expect(log).toEqual(['a', 'b', 'c']);
    s.concurrency = 1;
    for (const t of ts.slice(0, 3)) t.finish();
    await Promise.all(ps.slice(0, 3));
    expect(log).toEqual(['a', 'b', 'c', 'd']);
    expect(s.pending).toBe(1);
    ts[3]!.finish();
    await ps[3];
    expect(s.pending).toBe(0);
  });

  it('keeps order over a long queue (the head index compacts)', async () => {
    const s = new Slots(1);
    const order: number[] = [];
    await Promise.all(Array.from({ length: 5000 }, (_, i) => s.add(async () => void order.push(i))));
    expect(order).toEqual(Array.from({ length: 5000 }, (_, i) => i));
  });

  it('a task that throws before its first await rejects its own promise and frees its slot', async () => {
    const s = new Slots(1);
    const boom = () => {
      throw new Error('sync');
    };
    await expect(s.add(boom as () => Promise<void>)).rejects.toThrow('sync');
    expect(await s.add(async () => 'next')).toBe('next');
  });
});
