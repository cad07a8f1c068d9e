import { describe, expect, it } from 'vitest';
import { BufferPool, ByteBudget } from '../src/local/budget.js';

/** The global bound on bytes held for transfers (src/local/budget.ts): pure, no I/O, no timers. */
describe('ByteBudget', () => {
  it('rejects a limit that is not a positive integer, naming it', () => {
    for (const bad of [0, -1, 1.5, Number.NaN])
      expect(() => new ByteBudget(bad)).toThrow(/ByteBudget limit must be a positive integer/);
  });

  it('tryAcquire takes free bytes at once and refuses when they are not free; a release gives them back once', () => {
    const b = new ByteBudget(10);
    const r1 = b.tryAcquire(6)!;
    expect(b.inUse).toBe(6);
    expect(b.tryAcquire(5)).toBeUndefined();
    const r2 = b.tryAcquire(4)!;
    expect(b.inUse).toBe(10);
    r1();
    r1();
    expect(b.inUse).toBe(4);
    r2();
    expect(b.inUse).toBe(0);
  });

  it('tryAcquire never jumps the queue: while someone waits, it refuses even bytes that are free', async () => {
    const b = new ByteBudget(10);
    const held = b.tryAcquire(8)!;
    let granted = false;
    const waiting = b.acquire(5).then((r) => {
      granted = true;
      return r;
    });
    expect(b.tryAcquire(1)).toBeUndefined();
    held();
    const r = await waiting;
    expect(granted).toBe(true);
    expect(b.inUse).toBe(5);
    r();
    expect(b.inUse).toBe(0);
  });

  it('acquire is first come, first served, and clamps a request larger than the limit so it can run alone', async () => {
    const b = new ByteBudget(10);
    const order: string[] = [];
    const first = await b.acquire(25);
    expect(b.inUse).toBe(10);
    const a = b.acquire(4).then((r) => (order.push('a'), r));
    const c = b.acquire(7).then((r) => (order.push('c'), r));
    first();
    const ra = await a;
    expect(order).toEqual(['a']);
    ra();
    (await c)();
    expect(order).toEqual(['a', 'c']);
    expect(b.inUse).toBe(0);
  });
});

/** Part buffers for reuse (src/local/budget.ts): pure, no I/O. */
describe('BufferPool', () => {
  it('gives back the same buffers for parts of one size, keeping at most maxBytes of them idle', () => {
    const pool = new BufferPool(3 * 8);
    const a = pool.take(8);
    const b = pool.take(8);
    expect(a).not.toBe(b);
    pool.give(a);
    pool.give(b);
    expect([pool.take(8), pool.take(8)].sort()).toEqual([a, b].sort());
    // Four given back, room for three: the fourth is left to the garbage collector.
    const four = [a, b, pool.take(8), pool.take(8)];
    for (const x of four) pool.give(x);
    const again = [pool.take(8), pool.take(8), pool.take(8), pool.take(8)];
    expect(again.filter((x) => four.includes(x))).toHaveLength(3);
  });

  it('a new part size replaces the idle buffers of the old one; a size not pooled is allocated fresh', () => {
    const pool = new BufferPool(64);
    const small = pool.take(8);
    pool.give(small);
    expect(pool.take(16)).not.toBe(small);
    const big = pool.take(16);
    pool.give(big);
    expect(pool.take(8)).not.toBe(small);
    expect(pool.take(16)).toBe(big);
  });
});
