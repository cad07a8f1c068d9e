import { describe, expect, it } from 'vitest';
import { copyShape, hashRead, SMALL_READ_BYTES, uploadShape, type PartOptions } from '../src/plan/parts.js';

/** How an object's bytes travel and how a file is read to be hashed (src/plan/parts.ts): pure tables. */
const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;
const defaults: PartOptions = { thresholdBytes: 8 * MiB, partSizeBytes: 8 * MiB };
const smallThreshold: PartOptions = { thresholdBytes: 64 * KiB, partSizeBytes: 5 * MiB };

describe('uploadShape', () => {
  it.each<[string, number, PartOptions, 'single' | 'multipart', number]>([
    ['empty file', 0, defaults, 'single', 0],
    ['one byte under the threshold', 8 * MiB - 1, defaults, 'single', 0],
    ['exactly the threshold', 8 * MiB, defaults, 'multipart', 8 * MiB],
    ['above the threshold', 100 * MiB, defaults, 'multipart', 8 * MiB],
    ['part size grown to fit 10,000 parts', 100 * GiB, defaults, 'multipart', 11 * MiB],
    [
      'threshold above the part size',
      20 * MiB,
      { thresholdBytes: 16 * MiB, partSizeBytes: 5 * MiB },
      'multipart',
      5 * MiB,
    ],
    ['threshold under 256 KiB', 64 * KiB, smallThreshold, 'multipart', 5 * MiB],
  ])('%s: %d bytes → %s, part size %d', (_what, size, o, kind, partSize) => {
    const s = uploadShape(size, o);
    expect(s).toMatchObject({ kind, partSize });
    expect(s.reason).not.toBe('');
  });
});

describe('copyShape', () => {
  const o = { copyLimitBytes: 5 * GiB, partSizeBytes: 8 * MiB };
  it.each<[string, number, number, 'single' | 'multipart', number]>([
    ['small object', 1, 0, 'single', 0],
    ['exactly the copy limit', 5 * GiB, 0, 'single', 0],
    ['exactly the copy limit, hashed in parts', 5 * GiB, 8 * MiB, 'single', 0],
    ['one byte over the limit, hashed as one PUT', 5 * GiB + 1, 0, 'multipart', 8 * MiB],
    ['over the limit, hashed in parts: their size', 6 * GiB, 16 * MiB, 'multipart', 16 * MiB],
    ['over the limit, part size grown to fit 10,000 parts', 100 * GiB, 0, 'multipart', 11 * MiB],
  ])('%s: %d bytes, hashed part size %d → %s, part size %d', (_what, size, hashed, kind, partSize) => {
    const s = copyShape(size, o, hashed);
    expect(s).toMatchObject({ kind, partSize });
    expect(s.reason).not.toBe('');
  });

  it('a lowered copy limit (tests) is honoured', () => {
    expect(copyShape(2 * MiB, { copyLimitBytes: MiB, partSizeBytes: 5 * MiB })).toMatchObject({
      kind: 'multipart',
      partSize: 5 * MiB,
    });
  });
});

describe('hashRead', () => {
  it('reads whole files up to 256 KiB', () => {
    expect(SMALL_READ_BYTES).toBe(256 * KiB);
  });

  it.each<[string, number | undefined, PartOptions, 'whole' | 'parts' | 'stream']>([
    ['size not known', undefined, defaults, 'stream'],
    ['empty file', 0, defaults, 'whole'],
    ['exactly 256 KiB', 256 * KiB, defaults, 'whole'],
    ['one byte over 256 KiB', 256 * KiB + 1, defaults, 'stream'],
    ['one byte under the threshold', 8 * MiB - 1, defaults, 'stream'],
    ['exactly the threshold', 8 * MiB, defaults, 'parts'],
    ['large file', 10 * GiB, defaults, 'parts'],
    ['small, but at a threshold under 256 KiB', 64 * KiB, smallThreshold, 'parts'],
    ['one byte under a threshold under 256 KiB', 64 * KiB - 1, smallThreshold, 'whole'],
    ['over a threshold under 256 KiB', 200 * KiB, smallThreshold, 'parts'],
  ])('%s: %s bytes → %s', (_what, size, o, kind) => {
    const r = hashRead(size, o);
    expect(r.kind).toBe(kind);
    expect(r.reason).not.toBe('');
  });

  it('reads whole exactly the single PUTs of at most 256 KiB', () => {
    for (const size of [0, 1, 64 * KiB - 1, 64 * KiB, 256 * KiB, 256 * KiB + 1, 8 * MiB]) {
      for (const o of [defaults, smallThreshold]) {
        const whole = hashRead(size, o).kind === 'whole';
        expect(whole).toBe(size <= SMALL_READ_BYTES && uploadShape(size, o).kind === 'single');
      }
    }
  });
});
