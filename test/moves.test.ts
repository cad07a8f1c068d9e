import { describe, expect, it } from 'vitest';
import { previousPrefixSource, underPreviousPrefix } from '../src/plan/moves.js';

// The two rules of a prefix change (src/plan/moves.ts): copy what is already stored under the
// previous prefix, and never treat the previous prefix's objects as ours to delete.

const MD5 = '0cc175b9c0f1b6a831c399e269772661';
const OTHER = '900150983cd24fb0d6963f7d28e17f72';
const row = { rel: 'd/cafe\u0301.txt', size: 5, md5: MD5, etag: MD5 };
const file = { size: 5, md5: MD5 };

describe('previousPrefixSource', () => {
  it.each([
    ['no previous prefix', null, row, file, null],
    ['never confirmed (no ETag)', 'a/', { ...row, etag: null }, file, null],
    ['never hashed', 'a/', { ...row, md5: null }, file, null],
    ['content changed since', 'a/', row, { ...file, md5: OTHER }, null],
    ['size changed since', 'a/', row, { ...file, size: 6 }, null],
    ['same content: copy the NFC key under the previous prefix, if it still has our ETag', 'a/', row, file, { key: 'a/d/caf\u00e9.txt', ifMatch: MD5 }],
    ['the previous prefix was the bucket root', '', row, file, { key: 'd/caf\u00e9.txt', ifMatch: MD5 }],
  ] as const)('%s', (_rule, movedFrom, r, local, want) => {
    expect(previousPrefixSource(movedFrom, r, local)).toEqual(want);
  });
});

describe('underPreviousPrefix', () => {
  it.each([
    ['no previous prefix', 'b/', null, 'b/x', false],
    ['previous prefix beside the current one: not listed anyway', 'b/', 'a/', 'a/x', false],
    ['previous prefix inside the current one: its keys are left alone', '', 'old/', 'old/x', true],
    ['… and only its keys', '', 'old/', 'older/x', false],
    ['previous prefix deeper inside', 'a/', 'a/b/', 'a/b/c', true],
    ['previous prefix outside the current one (moved down)', 'a/b/', 'a/', 'a/b/c', false],
  ] as const)('%s', (_rule, prefix, movedFrom, key, want) => {
    expect(underPreviousPrefix(prefix, movedFrom, key)).toBe(want);
  });
});
