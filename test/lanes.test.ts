import { describe, expect, it } from 'vitest';
import { laneOf, laneShare, SMALL_FILE_BYTES, transferBudgetBytes } from '../src/plan/lanes.js';
import { Lanes, PairLanes } from '../src/sync/lanes.js';

const MiB = 1024 * 1024;

describe('laneOf', () => {
  it.each([
    [0, 'small'],
    [10 * 1024, 'small'],
    [SMALL_FILE_BYTES, 'small'],
    [SMALL_FILE_BYTES + 1, 'large'],
    [48 * MiB, 'large'],
  ] as const)('%i bytes → %s', (bytes, lane) => {
    const v = laneOf(bytes);
    expect(v.lane).toBe(lane);
    expect(v.reason).toMatch(/bytes/);
  });
});

describe('laneShare', () => {
  const budget = transferBudgetBytes(8 * MiB);
  it.each([
    // concurrency, pairs → slots, largeSlots, largeBytes, smallBytes
    { c: 16, pairs: 1, slots: 16, large: 12, largeBytes: 64 * MiB, smallBytes: 16 * MiB },
    { c: 16, pairs: 2, slots: 8, large: 6, largeBytes: 32 * MiB, smallBytes: 8 * MiB },
    { c: 16, pairs: 4, slots: 4, large: 3, largeBytes: 16 * MiB, smallBytes: 4 * MiB },
    // Floors: every pair keeps two slots and two parts in flight, so many pairs exceed the totals.
    { c: 16, pairs: 10, slots: 2, large: 1, largeBytes: 16 * MiB, smallBytes: 4 * MiB },
    { c: 2, pairs: 1, slots: 2, large: 1, largeBytes: 64 * MiB, smallBytes: 16 * MiB },
    // One slot cannot be split: nothing is kept for small files.
    { c: 1, pairs: 1, slots: 1, large: 1, largeBytes: 64 * MiB, smallBytes: 16 * MiB },
    { c: 1, pairs: 3, slots: 1, large: 1, largeBytes: 21 * MiB + 349525, smallBytes: 5 * MiB + 349525 },
    { c: 512, pairs: 1, slots: 512, large: 384, largeBytes: 64 * MiB, smallBytes: 16 * MiB },
  ])('concurrency $c, $pairs pair(s): $slots slots, $large for large files', (t) => {
    const s = laneShare({ concurrency: t.c, pairs: t.pairs, budgetBytes: budget, partSizeBytes: 8 * MiB });
    expect(s).toMatchObject({ slots: t.slots, largeSlots: t.large, examineSlots: t.slots });
    expect(s.largeBytes).toBe(t.largeBytes);
    expect(s.smallBytes).toBe(t.smallBytes);
    expect(s.reason).toContain(`${t.slots} transfer slots`);
  });

  it('zero pairs counts as one', () => {
    const s = laneShare({ concurrency: 8, pairs: 0, budgetBytes: budget, partSizeBytes: 8 * MiB });
    expect(s.slots).toBe(8);
  });
});

/** A task that runs until `finish()`; `started` tells whether it has begun. */
function task() {
  let finish!: () => void;
  const done = new Promise<void>((r) => (finish = r));
  const t = { started: false, finish, run: () => ((t.started = true), done) };
  return t;
}

describe('PairLanes', () => {
  const share = laneShare({ concurrency: 4, pairs: 1, budgetBytes: 64 * MiB, partSizeBytes: 8 * MiB });

  it('large transfers never take the slots kept for small files; small ones run while large ones wait', async () => {
    const lanes = new PairLanes(share);
    expect(share).toMatchObject({ slots: 4, largeSlots: 3 });
    const large = [task(), task(), task(), task()];
    const runs = large.map((t) => lanes.run(50 * MiB, t.run));
    await new Promise((r) => setImmediate(r));
    expect(large.map((t) => t.started)).toEqual([true, true, true, false]);
    const small = task();
    const smallRun = lanes.run(10 * 1024, small.run);
    await new Promise((r) => setImmediate(r));
    expect(small.started).toBe(true);
    expect(lanes.idle).toBe(false);
    small.finish();
    await smallRun;
    large[0]!.finish();
    await runs[0];
    await new Promise((r) => setImmediate(r));
    expect(large[3]!.started).toBe(true);
    for (const t of large) t.finish();
    await Promise.all(runs);
    expect(lanes.idle).toBe(true);
  });

  it('small files queue ahead of waiting large transfers when every slot is busy', async () => {
    const lanes = new PairLanes(share);
    const small = [task(), task(), task(), task()];
    const runs = small.map((t) => lanes.run(0, t.run));
    const large = task();
    const order: string[] = [];
    const largeRun = lanes.run(2 * MiB, () => (order.push('large'), large.run()));
    const late = task();
    const lateRun = lanes.run(100, () => (order.push('small'), late.run()));
    small[0]!.finish();
    await runs[0];
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual(['small']);
    for (const t of [...small, large, late]) t.finish();
    await Promise.all([...runs, largeRun, lateRun]);
    expect(order).toEqual(['small', 'large']);
  });

  it('each lane has its own byte budget, resized with the share', () => {
    const lanes = new PairLanes(share);
    expect(lanes.budgetFor(10)).toBe(lanes.small);
    expect(lanes.budgetFor(2 * MiB)).toBe(lanes.large);
    const heldLarge = lanes.large.tryAcquire(64 * MiB);
    expect(heldLarge).toBeDefined();
    expect(lanes.small.tryAcquire(1024)).toBeDefined();
    lanes.apply({ ...share, largeBytes: 128 * MiB });
    expect(lanes.large.tryAcquire(64 * MiB)).toBeDefined();
  });
});

describe('Lanes', () => {
  it('re-shares every pair when pairs come and go and when concurrency changes', () => {
    const l = new Lanes({ concurrency: 16, budgetBytes: 64 * MiB, partSizeBytes: 8 * MiB });
    const a = l.of('a');
    expect(a.concurrency).toBe(16);
    const b = l.of('b');
    expect([a.concurrency, b.concurrency]).toEqual([8, 8]);
    expect(a.large.limit).toBe(32 * MiB);
    expect(l.of('a')).toBe(a);
    l.drop('b');
    expect(a.concurrency).toBe(16);
    expect(a.large.limit).toBe(64 * MiB);
    l.setConcurrency(4);
    expect(a.concurrency).toBe(4);
    expect(l.idle).toBe(true);
  });
});
