import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareKeys } from '../src/plan/key-order.js';
import { inRange, type KeyRange, partsFor, prefixMeets, splitRanges, underPrefix } from '../src/plan/key-range.js';

// The ranges a large pass is split into between threads: a walk skips what lies outside its range
// (prefixMeets, before it even lstats an entry), so a prefix it skips must hold no key of the range.

const CHARS = ['a', 'b', '/', '-', '.', '0', '\u00e9', '\uE000', '\u{1F389}'];
const key = fc.array(fc.constantFrom(...CHARS), { maxLength: 5 }).map((c) => c.join(''));
const range: fc.Arbitrary<KeyRange> = fc
  .tuple(key, fc.option(key, { nil: null }))
  .filter(([a, b]) => a !== b)
  .map(([a, b]) => (b !== null && compareKeys(b, a) < 0 ? { lo: b, hi: a } : { lo: a, hi: b }));

describe('key ranges', () => {
  it('a prefix said not to meet a range has no key in it', () => {
    fc.assert(
      fc.property(key, key, range, (p, rest, r) => {
        if (inRange(p + rest, r)) expect(prefixMeets(p, r)).toBe(true);
      }),
      { numRuns: 5000 },
    );
  });

  it('a prefix said to meet a range has a key in it', () => {
    // The key is the prefix itself or the range's start, whichever is greater.
    fc.assert(
      fc.property(key, range, (p, r) => {
        if (!prefixMeets(p, r)) return;
        const k = compareKeys(p, r.lo) >= 0 ? p : r.lo;
        expect(k.startsWith(p) && inRange(k, r)).toBe(true);
      }),
      { numRuns: 5000 },
    );
  });

  it('the ranges of a split cover every key once, cut in order at keys under the prefix', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(key, { maxLength: 40 }),
        fc.integer({ min: 1, max: 5 }),
        fc.constantFrom('', 'a/', 'b'),
        fc.array(key, { maxLength: 30 }),
        (rowKeys, parts, prefix, probes) => {
          const sorted = rowKeys.map((k) => prefix + k).sort(compareKeys);
          const ranges = splitRanges({ rows: sorted.length, parts, prefix, keyAt: (o) => sorted[o] });
          expect(ranges.length).toBeLessThanOrEqual(parts);
          expect(ranges[0]!.lo).toBe('');
          expect(ranges[ranges.length - 1]!.hi).toBeNull();
          for (let i = 1; i < ranges.length; i++) {
            expect(ranges[i]!.lo).toBe(ranges[i - 1]!.hi);
            expect(compareKeys(ranges[i - 1]!.lo, ranges[i]!.lo)).toBeLessThan(0);
            expect(ranges[i]!.lo.startsWith(prefix)).toBe(true);
          }
          for (const k of [...sorted, ...probes, ...probes.map((p) => prefix + p)])
            expect(ranges.filter((r) => inRange(k, r))).toHaveLength(1);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('a walk under the prefix meets the keys of its range without the prefix', () => {
    const r = { lo: 'm/d5/f1', hi: 'm/d7' };
    expect(underPrefix(r, 'm/')).toEqual({ lo: 'd5/f1', hi: 'd7' });
    expect(underPrefix({ lo: '', hi: 'm/d7' }, 'm/')).toEqual({ lo: '', hi: 'd7' });
    expect(underPrefix({ lo: 'm/d7', hi: null }, 'm/')).toEqual({ lo: 'd7', hi: null });
  });

  it('a pass is split only where each thread gets 50,000 rows, and never into more parts than cores', () => {
    expect(partsFor(10_000, 2)).toBe(1);
    expect(partsFor(99_999, 2)).toBe(1);
    expect(partsFor(100_000, 2)).toBe(2);
    expect(partsFor(1_000_000, 2)).toBe(2);
    expect(partsFor(1_000_000, 8)).toBe(8);
    expect(partsFor(150_000, 8)).toBe(3);
    expect(partsFor(1_000_000, 1)).toBe(1);
    expect(partsFor(0, 4)).toBe(1);
  });
});
