import { describe, expect, it } from 'vitest';
import { leftAtPreviousPrefix, previousKeysListed, previousPrefixSource } from '../src/plan/moves.js';

// The two rules of a prefix change (src/plan/moves.ts): copy what is already stored under the
// previous prefix, and never treat the previous prefix's objects as ours to delete.

const MD5 = '0cc175b9c0f1b6a831c399e269772661';
const OTHER = '900150983cd24fb0d6963f7d28e17f72';
const row = { rel: 'd/cafe\u0301.txt', size: 5, md5: MD5, etag: MD5, part_size: 0, local_etag: MD5 };
const file = { size: 5, md5: MD5, partSize: 0, localEtag: MD5 };
// A multipart object sent as it was read: no whole-file MD5, its multipart ETag in 8 MiB parts.
const MP = `${OTHER}-2`;
const sentInParts = { ...row, md5: null, etag: MP, part_size: 8, local_etag: MP };
const fileInParts = { ...file, md5: MD5, partSize: 8, localEtag: MP };

describe('previousPrefixSource', () => {
  it.each([
    ['no previous prefix', null, row, file, null],
    ['never confirmed (no ETag)', 'a/', { ...row, etag: null }, file, null],
    ['never hashed', 'a/', { ...row, md5: null, local_etag: null }, file, null],
    [
      'sent in parts as read: same multipart ETag, same part size',
      'a/',
      sentInParts,
      fileInParts,
      { key: 'a/d/caf\u00e9.txt', ifMatch: MP },
    ],
    ['… hashed in another part size', 'a/', sentInParts, { ...fileInParts, partSize: 16 }, null],
    ['… another multipart ETag', 'a/', sentInParts, { ...fileInParts, localEtag: `${MD5}-2` }, null],
    ['content changed since', 'a/', row, { ...file, md5: OTHER }, null],
    ['size changed since', 'a/', row, { ...file, size: 6 }, null],
    [
      'same content: copy the NFC key under the previous prefix, if it still has our ETag',
      'a/',
      row,
      file,
      { key: 'a/d/caf\u00e9.txt', ifMatch: MD5 },
    ],
    ['the previous prefix was the bucket root', '', row, file, { key: 'd/caf\u00e9.txt', ifMatch: MD5 }],
  ] as const)('%s', (_rule, movedFrom, r, local, want) => {
    expect(previousPrefixSource(movedFrom, r, local)).toEqual(want);
  });
});

describe('leftAtPreviousPrefix', () => {
  const known = new Set(['a/x', 'docs/readme']);
  it.each([
    ['no previous prefix', 'b/', null, 'b/x', false],
    ["previous prefix beside the current one: a listed key is the current prefix's", 'b/', 'a/', 'b/x', false],
    ['previous prefix inside the current one: its keys are left alone', '', 'old/', 'old/x', true],
    ['… and only its keys', '', 'old/', 'older/x', false],
    ['previous prefix deeper inside', 'a/', 'a/b/', 'a/b/c', true],
    [
      'current prefix inside the previous one: a key we stored for a known path is left alone',
      'docs/',
      '',
      'docs/readme',
      true,
    ],
    ['… an object nobody of ours stored is not', 'docs/', '', 'docs/other', false],
  ] as const)('%s', (_rule, prefix, movedFrom, key, want) => {
    expect(leftAtPreviousPrefix(prefix, movedFrom, key, known)).toBe(want);
  });
});

describe('previousKeysListed', () => {
  it.each([
    ['no previous prefix', 'a/', null, false],
    ['beside', 'b/', 'a/', false],
    ['previous inside the current', '', 'a/', false],
    ['current inside the previous', 'a/b/', 'a/', true],
    ['current inside the bucket root', 'a/', '', true],
  ] as const)('%s', (_rule, prefix, movedFrom, want) => {
    expect(previousKeysListed(prefix, movedFrom)).toBe(want);
  });
});
