import { describe, expect, test } from 'vitest';
import { MINUTES, Throughput } from '../src/plan/throughput.js';

const MIN = 60_000;
const T0 = 1_700_000_000_000 - (1_700_000_000_000 % MIN);

describe('bytes per minute over the last hour', () => {
  test('bytes of one minute add up in its bucket, the last one', () => {
    const t = new Throughput(T0);
    t.add(100, T0 + 1_000);
    t.add(50, T0 + 59_999);
    const r = t.read(T0 + 59_999);
    expect(r.bytes).toHaveLength(MINUTES);
    expect(r.bytes.at(-1)).toBe(150);
    expect(r.minuteStart).toBe(T0 - (MINUTES - 1) * MIN);
  });

  test('a new minute moves the older ones back by one', () => {
    const t = new Throughput(T0);
    t.add(7, T0);
    t.add(3, T0 + MIN);
    const r = t.read(T0 + MIN);
    expect(r.bytes.slice(-2)).toEqual([7, 3]);
    expect(r.minuteStart).toBe(T0 + MIN - (MINUTES - 1) * MIN);
  });

  test('minutes with nothing sent read 0, and an hour of silence forgets everything', () => {
    const t = new Throughput(T0);
    t.add(9, T0);
    expect(t.read(T0 + 5 * MIN).bytes.slice(-6)).toEqual([9, 0, 0, 0, 0, 0]);
    expect(t.read(T0 + 3 * 60 * MIN).bytes.every((b) => b === 0)).toBe(true);
  });

  test('a clock that goes back does not move the buckets', () => {
    const t = new Throughput(T0 + 10 * MIN);
    t.add(4, T0);
    expect(t.read(T0).bytes.at(-1)).toBe(4);
  });
});
