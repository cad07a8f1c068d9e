import { describe, expect, it } from 'vitest';
import { dirKey, dueRechecks, queueRechecks, splitDirKey } from '../src/plan/dir-recheck.js';

const k = (dir: string) => dirKey('p', dir);

describe('queueRechecks', () => {
  it.each<[string, [string, number][], string[], [string, number][]]>([
    [
      'a batch: each directory once, due after the delay',
      [],
      ['', 'a', '', 'a', 'b'],
      [
        ['', 1100],
        ['a', 1100],
        ['b', 1100],
      ],
    ],
    ['a directory already waiting keeps its time, busy or not', [['a', 900]], ['a', 'b'], [['b', 1100]]],
    ['nothing touched, nothing queued', [['a', 900]], [], []],
  ])('%s', (_what, waiting, touched, added) => {
    const add = queueRechecks({
      now: 100,
      waiting: new Map(waiting.map(([d, at]) => [k(d), at])),
      touched: touched.map(k),
      delayMs: 1000,
    });
    expect([...add]).toEqual(added.map(([d, at]) => [k(d), at]));
  });

  it('the same directory of two pairs is two directories', () => {
    const add = queueRechecks({
      now: 0,
      waiting: new Map(),
      touched: [dirKey('p', 'a'), dirKey('q', 'a')],
      delayMs: 5,
    });
    expect(add.size).toBe(2);
    expect(splitDirKey(dirKey('q', 'a/b'))).toEqual({ pair: 'q', dir: 'a/b' });
  });
});

describe('dueRechecks', () => {
  it.each<[string, [string, number][], number, string[], number | null, string]>([
    ['nothing waits', [], 4, [], null, '0 directories due'],
    [
      'not due yet: the next run at the first due',
      [
        ['a', 1500],
        ['b', 1200],
      ],
      4,
      [],
      1200,
      '0 directories due',
    ],
    [
      'due ones are read, the rest wait',
      [
        ['a', 1000],
        ['b', 1500],
      ],
      4,
      ['a'],
      1500,
      '1 directories due',
    ],
    [
      'more due than a run reads: earliest first, the rest at once after',
      [
        ['c', 900],
        ['a', 700],
        ['b', 800],
      ],
      2,
      ['a', 'b'],
      1000,
      '3 directories due, 2 read now: the rest at once after',
    ],
    [
      'due an hour ahead (queued before the clock stepped back an hour): due now',
      [
        ['a', 1000 + 3_600_000],
        ['b', 1500],
      ],
      4,
      ['a'],
      1500,
      '1 directories due',
    ],
  ])('%s', (_what, waiting, maxPerRun, run, nextAt, reason) => {
    const r = dueRechecks({
      now: 1000,
      waiting: new Map(waiting.map(([d, at]) => [k(d), at])),
      maxPerRun,
      delayMs: 1000,
    });
    expect(r).toEqual({ run: run.map(k), nextAt, reason });
  });
});
