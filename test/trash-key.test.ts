import { describe, expect, it } from 'vitest';
import { trashKey } from '../src/plan/trash.js';

const T = Date.UTC(2026, 11, 6, 17, 5, 9, 42); // 2026-12-06T17:05:09.042Z

describe('trashKey: <prefix><trashPrefix><YYYY-MM-DD>/<HHMMSS.mmm>-<unique>/<path>', () => {
  it.each([
    ['no prefix', '', '.s3mirror-trash/', 'a.txt', T, 'a1b2c3', '.s3mirror-trash/2026-12-06/170509.042-a1b2c3/a.txt'],
    [
      'pair prefix and nested path',
      'docs/',
      '.s3mirror-trash/',
      'd/e/f.txt',
      T,
      '000001',
      'docs/.s3mirror-trash/2026-12-06/170509.042-000001/d/e/f.txt',
    ],
    ['custom trash prefix', 'p/', 'bin/', 'x', T, 'ffffff', 'p/bin/2026-12-06/170509.042-ffffff/x'],
    [
      'UTC midnight belongs to the new day',
      '',
      't/',
      'x',
      Date.UTC(2027, 0, 1, 0, 0, 0, 0),
      'u',
      't/2027-01-01/000000.000-u/x',
    ],
    [
      'the last millisecond of a day',
      '',
      't/',
      'x',
      Date.UTC(2026, 11, 31, 23, 59, 59, 999),
      'u',
      't/2026-12-31/235959.999-u/x',
    ],
    ['an NFD path becomes its NFC key', '', 't/', 'cafe\u0301.txt', T, 'u', 't/2026-12-06/170509.042-u/caf\u00e9.txt'],
    [
      'an object under an NFD key (a key-only row) keeps its key',
      '',
      't/',
      '/cafe\u0301.txt',
      T,
      'u',
      't/2026-12-06/170509.042-u/cafe\u0301.txt',
    ],
  ])('%s', (_name, prefix, trashPrefix, rel, now, unique, want) => {
    expect(trashKey(prefix, trashPrefix, rel, now, unique)).toBe(want);
  });

  it('two deletes of one path in the same millisecond land on two keys, both under the day', () => {
    const a = trashKey('p/', '.t/', 'same.txt', T, 'aaaaaa');
    const b = trashKey('p/', '.t/', 'same.txt', T, 'bbbbbb');
    expect(a).not.toBe(b);
    for (const k of [a, b]) expect(k.startsWith('p/.t/2026-12-06/')).toBe(true);
  });
});
