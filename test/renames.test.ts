import { describe, expect, it } from 'vitest';
import {
  baseName,
  matchRenames,
  sourceHolds,
  type RenameCandidate,
  type SourceObject,
  type SourceRecord,
} from '../src/plan/renames.js';

/** Rename pairing (src/plan/renames.ts): uploads of new content matched to pending deletes of the same content. */

const A = '0cc175b9c0f1b6a831c399e269772661';
const B = '92eb5ffee6ae2fec3ad71c777531578f';

/** A candidate from a relative path; the name is its base name, as the engine builds them. */
const c = (rel: string, size = 10, md5 = A): RenameCandidate => ({
  id: rel,
  size,
  md5,
  name: rel.slice(rel.lastIndexOf('/') + 1),
});

const entries = (m: Map<string, string>) => [...m].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));

function permutations<T>(xs: readonly T[]): T[][] {
  if (xs.length <= 1) return [[...xs]];
  return xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((rest) => [x, ...rest]));
}

describe('matchRenames', () => {
  it.each<[string, RenameCandidate[], RenameCandidate[], [string, string][]]>([
    ['nothing to match', [], [], []],
    ['uploads but no tombstones', [c('new/x')], [], []],
    ['tombstones but no uploads', [], [c('old/x')], []],
    ['same size and md5 → pair', [c('new/x')], [c('old/x')], [['new/x', 'old/x']]],
    ['same size and md5, different name → still a pair', [c('new/x')], [c('old/y')], [['new/x', 'old/y']]],
    ['size differs → no pair', [c('new/x', 10)], [c('old/x', 11)], []],
    ['md5 differs → no pair', [c('new/x', 10, A)], [c('old/x', 10, B)], []],
    ['size and md5 both must match', [c('new/x', 10, A)], [c('old/p', 11, A), c('old/q', 10, B)], []],
    [
      'each upload finds its own content',
      [c('new/x', 10, A), c('new/y', 20, B)],
      [c('old/y', 20, B), c('old/x', 10, A)],
      [
        ['new/x', 'old/x'],
        ['new/y', 'old/y'],
      ],
    ],
    [
      'one tombstone, two uploads of it → used once (first upload)',
      [c('new/x'), c('new/y')],
      [c('old/z')],
      [['new/x', 'old/z']],
    ],
    [
      'two tombstones, two uploads → each used once',
      [c('new/p'), c('new/q')],
      [c('old/r'), c('old/s')],
      [
        ['new/p', 'old/r'],
        ['new/q', 'old/s'],
      ],
    ],
    [
      'same basename preferred over the lexically first',
      [c('new/x.txt')],
      [c('a/y.txt'), c('b/x.txt')],
      [['new/x.txt', 'b/x.txt']],
    ],
    [
      'basename, not the whole path, is compared',
      [c('2024/photo.jpg')],
      [c('2023/other.jpg'), c('z/deep/photo.jpg')],
      [['2024/photo.jpg', 'z/deep/photo.jpg']],
    ],
    [
      'without a same-name candidate: the lexically first id',
      [c('new/x')],
      [c('old/z'), c('old/m'), c('old/q')],
      [['new/x', 'old/m']],
    ],
    [
      'a same-name tombstone with other content is not used',
      [c('new/x', 10, A)],
      [c('old/x', 10, B), c('old/y', 10, A)],
      [['new/x', 'old/y']],
    ],
    [
      'a folder rename keeps every name',
      [c('new/a'), c('new/b'), c('new/c')],
      [c('old/c'), c('old/a'), c('old/b')],
      [
        ['new/a', 'old/a'],
        ['new/b', 'old/b'],
        ['new/c', 'old/c'],
      ],
    ],
  ])('%s', (_what, uploads, tombstones, expected) => {
    expect(entries(matchRenames(uploads, tombstones))).toEqual(expected);
  });

  it('does not mutate its inputs', () => {
    const uploads = [c('new/x'), c('new/y')];
    const tombstones = [c('old/z'), c('old/y')];
    const before = JSON.stringify([uploads, tombstones]);
    matchRenames(uploads, tombstones);
    expect(JSON.stringify([uploads, tombstones])).toBe(before);
  });

  it('is deterministic: every order of the tombstones gives the same pairs', () => {
    const uploads = [c('new/x'), c('new/y', 20, B), c('new/w')];
    const tombstones = [c('old/q'), c('old/y', 20, B), c('old/w'), c('old/p'), c('old/x', 20, B)];
    const expected: [string, string][] = [
      ['new/w', 'old/w'],
      ['new/x', 'old/p'],
      ['new/y', 'old/y'],
    ];
    for (const order of permutations(tombstones)) expect(entries(matchRenames(uploads, order))).toEqual(expected);
  });

  it('gives each upload a distinct tombstone when there are plenty', () => {
    const uploads = Array.from({ length: 20 }, (_, i) => c(`new/${i}`));
    const tombstones = Array.from({ length: 30 }, (_, i) => c(`old/${i}`));
    const m = matchRenames(uploads, tombstones);
    expect(m.size).toBe(20);
    expect(new Set(m.values()).size).toBe(20);
  });
});

describe('baseName', () => {
  it.each<[string, string]>([
    ['a/b/c.txt', 'c.txt'],
    ['c.txt', 'c.txt'],
    ['dir/', ''],
    ['', ''],
    ['a b/ü é.txt', 'ü é.txt'],
  ])('%j → %j', (rel, name) => {
    expect(baseName(rel)).toBe(name);
  });
});

describe('matchRenames: regressions', () => {
  // Greedy in upload order: an upload with no same-name candidate takes the lexically first
  // tombstone even when a later upload has that very name, so the documented "same file name wins"
  // fails and the pairs depend on the order of `uploads` (the engine passes them in completion order).
  it('same name wins regardless of the order of the uploads', () => {
    const tombstones = [c('old/y'), c('old/z')];
    const expected: [string, string][] = [
      ['new/x', 'old/z'],
      ['new/y', 'old/y'],
    ];
    expect(entries(matchRenames([c('new/y'), c('new/x')], tombstones))).toEqual(expected); // passes today
    expect(entries(matchRenames([c('new/x'), c('new/y')], tombstones))).toEqual(expected); // gives new/x→old/y, new/y→old/z
  });
});

describe('matchRenames: content known by its multipart ETag (sent in parts as read)', () => {
  const P = `8388608:${'d'.repeat(32)}-3`;
  const Q = `8388608:${'e'.repeat(32)}-3`;
  const up = (rel: string, parts: string | null, md5: string | null = A): RenameCandidate => ({
    ...c(rel),
    md5,
    parts,
  });
  const gone = (rel: string, parts: string | null, md5: string | null = null): RenameCandidate => ({
    ...c(rel),
    md5,
    parts,
  });
  it.each<[string, RenameCandidate[], RenameCandidate[], [string, string][]]>([
    [
      'no MD5 recorded, same multipart ETag and part size → pair',
      [up('new/x', P)],
      [gone('old/x', P)],
      [['new/x', 'old/x']],
    ],
    ['no MD5 recorded, another multipart ETag → no pair', [up('new/x', Q)], [gone('old/x', P)], []],
    [
      'the upload hashed in another part size (no parts of that size) → no pair',
      [up('new/x', null)],
      [gone('old/x', P)],
      [],
    ],
    ['two MD5-less candidates never pair on their missing MD5', [up('new/x', null, null)], [gone('old/x', null)], []],
    [
      'a source known both ways is used once',
      [up('new/x', P), up('new/y', null)],
      [gone('old/z', P, A)],
      [['new/x', 'old/z']],
    ],
    [
      'same name first, across both kinds of key',
      [up('new/a/f', P), up('new/b/g', P)],
      [gone('old/g', P), gone('old/f', null, A)],
      [
        ['new/a/f', 'old/f'],
        ['new/b/g', 'old/g'],
      ],
    ],
  ])('%s', (_what, uploads, tombstones, expected) => {
    expect(entries(matchRenames(uploads, tombstones))).toEqual(expected);
  });
});

describe('sourceHolds: may the old object be copied to the new key?', () => {
  const OURS = 'e2fc714c4727ee9395f324cd2e7f331f';
  const MP = 'a1b2c3d4e5f60718293a4b5c6d7e8f90-3';
  const rec = (etag: string | null = OURS, md5: string | null = A, size = 10): SourceRecord => ({ size, md5, etag });
  const obj = (etag: string, size = 10, metaMd5?: string | null): SourceObject => ({
    size,
    etag,
    ...(metaMd5 === undefined ? {} : { metaMd5 }),
  });
  it.each<[string, SourceObject | undefined, SourceRecord, boolean, boolean]>([
    ['object gone', undefined, rec(), false, false],
    ['our upload still in place', obj(OURS), rec(), false, true],
    ['our upload still in place, SSE-KMS', obj(OURS), rec(), true, true],
    ['size changed (overwritten)', obj(OURS, 11), rec(), false, false],
    ['overwritten by another client (new ETag, no x-amz-meta-md5)', obj(B), rec(), false, false],
    ['ETag is the MD5 of our content (we did not record it)', obj(A), rec(null), false, true],
    ['ETag equals our MD5 but SSE-KMS ETags are not MD5s', obj(A), rec(null), true, false],
    ['x-amz-meta-md5 matches', obj(MP, 10, A), rec(null), false, true],
    ['x-amz-meta-md5 differs, even though the ETag looks like our MD5', obj(A, 10, B), rec(null), false, false],
    ['x-amz-meta-md5 matches under SSE-KMS', obj(B, 10, A), rec(null), true, true],
    ['multipart ETag, identity unknown', obj(MP), rec(null), false, false],
    ['HEAD found no x-amz-meta-md5 (empty)', obj(MP, 10, ''), rec(null), false, false],
    ['sent in parts as read (no MD5): our upload still in place', obj(MP), rec(MP, null), false, true],
    ['sent in parts as read (no MD5): overwritten since', obj(B), rec(MP, null), false, false],
    ['no MD5 recorded, an x-amz-meta-md5 proves nothing against it', obj(B, 10, A), rec(MP, null), false, false],
  ])('%s', (_what, o, r, opaque, expected) => {
    expect(sourceHolds(o, r, opaque)).toBe(expected);
  });
});
