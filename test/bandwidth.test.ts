import { describe, expect, it } from 'vitest';
import { describeRate, parseBandwidth, rateAt } from '../src/plan/bandwidth.js';
import { parseConfig } from '../src/config.js';

const MiB = 1024 * 1024;
const ok = (text: string) => {
  const r = parseBandwidth(text);
  if (!r.ok) throw new Error(r.errors.join('; '));
  return r.value;
};

describe('parseBandwidth', () => {
  it.each([
    ['off', { kind: 'off' }],
    ['pause', { kind: 'pause' }],
    ['50MiB/s', { kind: 'limit', bytesPerSec: 50 * MiB }],
    ['50M', { kind: 'limit', bytesPerSec: 50 * MiB }],
    ['1.5MiB/s', { kind: 'limit', bytesPerSec: 1.5 * MiB }],
    ['10MB/s', { kind: 'limit', bytesPerSec: 10_000_000 }],
    ['512k', { kind: 'limit', bytesPerSec: 512 * 1024 }],
    ['2GiB/s', { kind: 'limit', bytesPerSec: 2 * 1024 * MiB }],
    ['4096', { kind: 'limit', bytesPerSec: 4096 }],
  ])('%s', (text, rate) => {
    expect(ok(text)).toEqual([{ at: 0, rate }]);
  });

  it('a timetable is sorted by time of day', () => {
    expect(ok('19:00,off 08:00,10MiB/s 12:30,pause')).toEqual([
      { at: 8 * 60, rate: { kind: 'limit', bytesPerSec: 10 * MiB } },
      { at: 12 * 60 + 30, rate: { kind: 'pause' } },
      { at: 19 * 60, rate: { kind: 'off' } },
    ]);
  });

  it.each([
    ['', /empty/],
    ['fast', /"fast" is not a rate such as "50MiB\/s"/],
    ['50XB/s', /"50XB\/s" is not a rate/],
    ['100', /below the least rate, 1 KiB\/s/],
    ['25:00,1M', /"25:00,1M" is not a timetable entry/],
    ['08:00', /"08:00" is not a rate/],
    ['08:00,1M 08:00,off', /08:00 appears twice/],
    ['08:00,1M,2M', /is not a timetable entry/],
    ['08:00,quick', /08:00: "quick" is not a rate/],
  ])('%j is refused: %s', (text, why) => {
    const r = parseBandwidth(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.join('\n')).toMatch(why);
  });

  it('every problem of a timetable is named, not only the first', () => {
    const r = parseBandwidth('08:00,fast 99:00,1M');
    expect(r.ok ? [] : r.errors).toHaveLength(2);
  });
});

describe('rateAt', () => {
  const day = ok('08:00,10MiB/s 12:30,pause 19:00,off');
  it.each([
    [0, 'off', 8 * 60, /19:00 entry \(from the day before\), until 08:00/],
    [7 * 60 + 59, 'off', 8 * 60, /from the day before/],
    [8 * 60, 'limit', 12 * 60 + 30, /08:00 entry, until 12:30/],
    [13 * 60, 'pause', 19 * 60, /12:30 entry, until 19:00/],
    [23 * 60 + 59, 'off', 8 * 60, /19:00 entry, until 08:00/],
  ])('minute %i: %s until %i', (minute, kind, until, why) => {
    const r = rateAt(day, minute);
    expect(r.rate.kind).toBe(kind);
    expect(r.until).toBe(until);
    expect(r.reason).toMatch(why);
  });

  it('one rate holds all day', () => {
    expect(rateAt(ok('5MiB/s'), 600)).toMatchObject({ rate: { kind: 'limit' }, until: null });
  });

  it('a one-entry timetable holds all day too, the entry carrying over midnight', () => {
    expect(rateAt(ok('09:00,1M'), 60)).toMatchObject({ rate: { kind: 'limit' }, until: 9 * 60 });
  });
});

describe('describeRate', () => {
  it.each([
    [{ kind: 'off' } as const, 'unlimited'],
    [{ kind: 'pause' } as const, 'paused'],
    [{ kind: 'limit', bytesPerSec: 50 * MiB } as const, '50 MiB/s'],
    [{ kind: 'limit', bytesPerSec: 512 * 1024 } as const, '512 KiB/s'],
  ])('%j → %s', (rate, text) => expect(describeRate(rate)).toBe(text));
});

describe('config `bandwidth`', () => {
  const base = { stateDir: '/s', pairs: [{ name: 'p', path: '/r', bucket: 'bkt' }] };
  it('defaults to off', () => expect(parseConfig(base, '/').bandwidth).toBe('off'));
  it('names each problem', () => {
    expect(() => parseConfig({ ...base, bandwidth: '08:00,fast 19:00,off' }, '/')).toThrow(
      /bandwidth: 08:00: "fast" is not a rate/,
    );
    expect(() => parseConfig({ ...base, bandwidth: 50 }, '/')).toThrow(/bandwidth: must be a rate such as/);
  });
});
