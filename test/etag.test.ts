import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  MAX_PARTS,
  MIN_PART,
  etagKind,
  etagParts,
  etagsOpaque,
  hexToBase64,
  md5Hex,
  multipartEtag,
  normalizeEtag,
  partCount,
  partSizeFor,
  type EtagKind,
} from '../src/plan/etag.js';

/** Unit tables for the ETag maths (src/plan/etag.ts). */

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const EMPTY_MD5 = 'd41d8cd98f00b204e9800998ecf8427e'; // RFC 1321 test suite: MD5("")
const ABC_MD5 = '900150983cd24fb0d6963f7d28e17f72'; // RFC 1321 test suite: MD5("abc")
const A_MD5 = '0cc175b9c0f1b6a831c399e269772661'; // RFC 1321 test suite: MD5("a")

/** Independent digest of one part, via node:crypto (not the module under test). */
const digest = (b: Buffer | string): Buffer => createHash('md5').update(b).digest();

describe('constants', () => {
  it('match S3 multipart limits', () => {
    expect(MAX_PARTS).toBe(10_000);
    expect(MIN_PART).toBe(5 * MiB);
  });
});

describe('normalizeEtag', () => {
  it.each<[string, string | null | undefined, string | undefined]>([
    ['quoted', `"${EMPTY_MD5}"`, EMPTY_MD5],
    ['unquoted', EMPTY_MD5, EMPTY_MD5],
    ['weak, quoted', `W/"${EMPTY_MD5}"`, EMPTY_MD5],
    ['weak, unquoted', `W/${EMPTY_MD5}`, EMPTY_MD5],
    ['upper case', EMPTY_MD5.toUpperCase(), EMPTY_MD5],
    ['upper case, quoted', `"${ABC_MD5.toUpperCase()}"`, ABC_MD5],
    ['multipart, quoted', `"${ABC_MD5}-12"`, `${ABC_MD5}-12`],
    ['surrounding whitespace', `  "${ABC_MD5}"\n`, ABC_MD5],
    ['doubled quotes', `""${ABC_MD5}""`, ABC_MD5],
    ['empty string', '', undefined],
    ['only quotes', '""', undefined],
    ['weak, empty', 'W/""', undefined],
    ['only whitespace', '   ', undefined],
    ['null', null, undefined],
    ['undefined', undefined, undefined],
  ])('%s: %j → %j', (_what, raw, expected) => {
    expect(normalizeEtag(raw)).toBe(expected);
  });
});

describe('etagKind', () => {
  it.each<[string, EtagKind]>([
    [EMPTY_MD5, 'md5'],
    [ABC_MD5, 'md5'],
    [`${ABC_MD5}-1`, 'multipart'],
    [`${ABC_MD5}-3`, 'multipart'],
    [`${ABC_MD5}-10000`, 'multipart'],
    [`${ABC_MD5}-0`, 'opaque'],
    [`${ABC_MD5}-01`, 'opaque'],
    [`${ABC_MD5}-100000`, 'opaque'],
    [`${ABC_MD5}-`, 'opaque'],
    [ABC_MD5.toUpperCase(), 'opaque'], // callers normalise first
    [ABC_MD5.slice(1), 'opaque'], // 31 hex
    [`${ABC_MD5}0`, 'opaque'], // 33 hex
    [`"${ABC_MD5}"`, 'opaque'], // still quoted
    ['z'.repeat(32), 'opaque'],
    ['abc', 'opaque'],
    ['', 'opaque'],
  ])('%j → %s', (etag, kind) => {
    expect(etagKind(etag)).toBe(kind);
  });
});

describe('etagsOpaque', () => {
  it.each<[string | undefined, boolean]>([
    [undefined, false],
    ['AES256', false],
    ['aws:kms', true],
    ['aws:kms:dsse', true],
  ])('sse %j → %s', (sse, opaque) => {
    expect(etagsOpaque(sse)).toBe(opaque);
  });
});

describe('etagParts', () => {
  it.each<[string, number | undefined]>([
    [`${ABC_MD5}-1`, 1],
    [`${ABC_MD5}-3`, 3],
    [`${ABC_MD5}-10000`, 10_000],
    [ABC_MD5, undefined],
    [`${ABC_MD5}-0`, undefined],
    [`${ABC_MD5}-`, undefined],
    ['', undefined],
  ])('%j → %j', (etag, parts) => {
    expect(etagParts(etag)).toBe(parts);
  });
});

describe('partSizeFor', () => {
  it.each<[string, number, number, number]>([
    ['empty file', 0, 8 * MiB, 8 * MiB],
    ['small file', 1, 8 * MiB, 8 * MiB],
    ['exactly 10,000 configured parts', 10_000 * 8 * MiB, 8 * MiB, 8 * MiB],
    ['one byte more than 10,000 parts', 10_000 * 8 * MiB + 1, 8 * MiB, 9 * MiB],
    ['exactly 10,000 parts of 5 MiB', 10_000 * 5 * MiB, 5 * MiB, 5 * MiB],
    ['one byte more than 10,000 parts of 5 MiB', 10_000 * 5 * MiB + 1, 5 * MiB, 6 * MiB],
    ['100 GiB at 8 MiB', 100 * GiB, 8 * MiB, 11 * MiB], // 10 MiB × 10,000 < 100 GiB ≤ 11 MiB × 10,000
    ['5 TiB (S3 maximum) at 8 MiB', 5 * 1024 * GiB, 8 * MiB, 525 * MiB], // 524 MiB × 10,000 < 5 TiB
    ['larger configured part size is kept', 100 * GiB, 64 * MiB, 64 * MiB],
    ['configured size that is not whole MiB, small file', 1000, 5 * MiB + 1, 5 * MiB + 1],
  ])('%s: size %d, configured %d → %d', (_what, size, configured, expected) => {
    expect(partSizeFor(size, configured)).toBe(expected);
  });

  it.each([1, 80 * GiB + 1, 100 * GiB, 123_456_789_012, 5 * 1024 * GiB])(
    'size %d: fits in 10,000 parts, grown size is the smallest whole MiB that fits',
    (size) => {
      const configured = 8 * MiB;
      const p = partSizeFor(size, configured);
      expect(Math.ceil(size / p)).toBeLessThanOrEqual(10_000);
      if (p !== configured) {
        expect(p % MiB).toBe(0);
        expect(p).toBeGreaterThan(configured);
        expect(Math.ceil(size / (p - MiB))).toBeGreaterThan(10_000);
      }
    },
  );
});

describe('partCount', () => {
  it.each<[number, number, number]>([
    [0, 5 * MiB, 1],
    [1, 5 * MiB, 1],
    [5 * MiB - 1, 5 * MiB, 1],
    [5 * MiB, 5 * MiB, 1],
    [5 * MiB + 1, 5 * MiB, 2],
    [10 * MiB, 5 * MiB, 2],
    [10 * MiB + 1, 5 * MiB, 3],
    [10_000 * 8 * MiB, 8 * MiB, 10_000],
  ])('size %d with part size %d → %d parts', (size, partSize, n) => {
    expect(partCount(size, partSize)).toBe(n);
  });
});

describe('md5Hex and hexToBase64 (RFC 1321 vectors)', () => {
  it.each<[string, string]>([
    ['', EMPTY_MD5],
    ['a', A_MD5],
    ['abc', ABC_MD5],
    ['message digest', 'f96b697d7cb7938d525a2f31aaf161d0'],
  ])('md5(%j) = %s', (input, hex) => {
    expect(md5Hex(input)).toBe(hex);
    expect(md5Hex(Buffer.from(input))).toBe(hex);
  });

  it.each<[string, string]>([
    [EMPTY_MD5, '1B2M2Y8AsgTpgAmY7PhCfg=='], // the Content-MD5 of an empty body
    [ABC_MD5, 'kAFQmDzST7DWlj99KOF/cg=='],
  ])('hexToBase64(%s) = %s', (hex, b64) => {
    expect(hexToBase64(hex)).toBe(b64);
  });
});

describe('multipartEtag', () => {
  const fiveMiBOfA = Buffer.alloc(5 * MiB, 0x61);

  /** Independently: md5 over the concatenated binary part digests, then "-N". */
  const reference = (parts: Buffer[]): string =>
    `${createHash('md5')
      .update(Buffer.concat(parts.map(digest)))
      .digest('hex')}-${parts.length}`;

  it.each<[string, Buffer[], string]>([
    // Literals computed outside node with coreutils: md5sum each part, xxd -r -p the hex digests, md5sum again.
    [
      'two 5 MiB parts of "a" and a 1-byte tail',
      [fiveMiBOfA, fiveMiBOfA, Buffer.from('a')],
      'dfe92959b4cbf327fc9795f4c14afa7c-3',
    ],
    ['one part "abc"', [Buffer.from('abc')], 'af5da9f45af7a300e3aded972f8ff687-1'],
  ])('%s → %s', (_what, parts, expected) => {
    expect(reference(parts)).toBe(expected); // the test's own arithmetic agrees with the literal
    expect(multipartEtag(parts.map(digest))).toBe(expected);
  });

  it('5 MiB of "a" has the expected part digest (vector sanity)', () => {
    expect(createHash('md5').update(fiveMiBOfA).digest('hex')).toBe('79b281060d337b9b2b84ccf390adcf74');
  });

  it('a single-part multipart ETag is not the plain MD5', () => {
    expect(multipartEtag([digest('abc')])).not.toBe(`${ABC_MD5}-1`);
  });

  it('depends on part order', () => {
    const a = digest('first');
    const b = digest('second');
    expect(multipartEtag([a, b])).toBe(reference([Buffer.from('first'), Buffer.from('second')]));
    expect(multipartEtag([a, b])).not.toBe(multipartEtag([b, a]));
  });

  it('splitting the same bytes differently gives a different ETag and part count', () => {
    const data = Buffer.alloc(12 * MiB, 0x62);
    const split = (size: number) => {
      const parts: Buffer[] = [];
      for (let at = 0; at < data.length; at += size) parts.push(data.subarray(at, at + size));
      return parts;
    };
    const at5 = multipartEtag(split(5 * MiB).map(digest));
    const at8 = multipartEtag(split(8 * MiB).map(digest));
    expect(at5).toBe(reference(split(5 * MiB)));
    expect(at8).toBe(reference(split(8 * MiB)));
    expect(at5.endsWith('-3')).toBe(true);
    expect(at8.endsWith('-2')).toBe(true);
    expect(at5.slice(0, 32)).not.toBe(at8.slice(0, 32));
  });

  it('produces an ETag that etagKind calls multipart and etagParts counts', () => {
    const e = multipartEtag([digest('x'), digest('y'), digest('z')]);
    expect(etagKind(e)).toBe('multipart');
    expect(etagParts(e)).toBe(3);
  });
});
