import { describe, expect, it } from 'vitest';
import { duration, progressLine, progressView } from '../src/plan/progress.js';

describe('progress', () => {
  it.each([
    [
      { done: 0, total: 100, bytes: 0, elapsedMs: 0 },
      { done: 0, total: 100, etaS: null },
    ],
    [
      { done: 50, total: 100, bytes: 0, elapsedMs: 10_000 },
      { done: 50, total: 100, etaS: 10 },
    ],
    // More done than found at the start (changes arrived): the total grows with it.
    [
      { done: 120, total: 100, bytes: 0, elapsedMs: 1000 },
      { done: 120, total: 120, etaS: 0 },
    ],
  ])('%o → %o', (sample, view) => {
    expect(progressView(sample)).toMatchObject(view);
  });

  it('a plain line names files, bytes, rates and the time left', () => {
    expect(progressLine({ done: 250, total: 1000, bytes: 10 * 1024 * 1024, elapsedMs: 5000 })).toBe(
      'progress: 250/1000 files, 10.0 MiB sent, 50 files/s, 2.0 MiB/s, ETA 15 s',
    );
  });

  it.each([
    [null, '?'],
    [59, '59 s'],
    [125, '2 min 5 s'],
    [7322, '2 h 2 min'],
  ])('duration(%s) = %s', (s, text) => expect(duration(s)).toBe(text));
});
