import { describe, expect, it } from 'vitest';
import { CLOCK_STEP_MS, clockWentBack, IDLE_WAIT_MS, loopWait, ROOM_WAIT_MS } from '../src/plan/loop-wait.js';

// The daemon loop's sleep after a round that dispatched nothing (src/sync/scheduler.ts).
describe('loopWait', () => {
  const cases: [string, number | undefined, number, number, number][] = [
    ['nothing pending: the longest sleep, a wake-up ends it', undefined, 1000, 1000, IDLE_WAIT_MS],
    ['rows due when the loop looked, no room for them: until a wake-up or a second', 1000, 1000, 1000, ROOM_WAIT_MS],
    ['a row due long before the loop looked, no room: the same', 400, 1000, 1005, ROOM_WAIT_MS],
    ['a row due a millisecond after the loop looked, the clock now past it: 1 ms', 1001, 1000, 1001, 1],
    ['the clock read behind the timer that woke the loop: 1 ms, not a second', 1000, 999, 1000, 1],
    ['a row due later: exactly until then', 1250, 1000, 1000, 250],
    ['a row due far ahead: the longest sleep, the loop looks again then', 60_000, 1000, 1000, IDLE_WAIT_MS],
  ];
  it.each(cases)('%s', (_name, next, looked, now, ms) => {
    expect(loopWait(next, looked, now)).toBe(ms);
  });
});

describe('clockWentBack', () => {
  const cases: [string, number | undefined, number, number][] = [
    ['the first look: nothing to compare', undefined, 1000, 0],
    ['time moved on', 1000, 6000, 0],
    ['a timer read a millisecond behind: not a step', 1000, 999, 0],
    ['back by exactly the tolerance: not a step', 10_000, 10_000 - CLOCK_STEP_MS, 0],
    ['back by an hour (NTP, a VM restored): the hour', 3_600_000 + 5000, 5000, 3_600_000],
  ];
  it.each(cases)('%s', (_name, last, now, back) => {
    expect(clockWentBack(last, now)).toBe(back);
  });
});
