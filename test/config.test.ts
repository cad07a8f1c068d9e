import { describe, expect, it } from 'vitest';
import { parseConfig, type Config } from '../src/config.js';
import { MirrorError } from '../src/errors.js';

/** Unit tables for the config contract (src/config.ts): defaults, path resolution, exact error lines. */

const BASE = '/base';
const pair = (over: Record<string, unknown> = {}) => ({ name: 'a', path: 'p', bucket: 'bkt', ...over });
const cfg = (over: Record<string, unknown> = {}) => ({ stateDir: 'state', pairs: [pair()], ...over });

/** Parse and return the thrown error's message lines (after the heading), failing if it did not throw. */
function errorLines(raw: unknown, source = 'cfg.json'): { err: MirrorError; heading: string; lines: string[] } {
  let thrown: unknown;
  try {
    parseConfig(raw, BASE, source);
  } catch (e) {
    thrown = e;
  }
  expect(thrown, 'parseConfig should have thrown').toBeInstanceOf(MirrorError);
  const err = thrown as MirrorError;
  const [heading = '', ...rest] = err.message.split('\n');
  for (const l of rest) expect(l.startsWith('  '), `line ${JSON.stringify(l)} should be indented`).toBe(true);
  return { err, heading, lines: rest.map((l) => l.slice(2)) };
}

describe('parseConfig: defaults', () => {
  const c: Config = parseConfig(cfg(), BASE, 'cfg.json');
  const p = c.pairs[0]!;

  it.each<[string, unknown, unknown]>([
    ['concurrency', c.concurrency, 16],
    ['debounceMs', c.debounceMs, 1000],
    ['maxDelayMs', c.maxDelayMs, 10_000],
    ['rescanIntervalMs', c.rescanIntervalMs, 3_600_000],
    ['drainTimeoutMs', c.drainTimeoutMs, 30_000],
    ['multipart.thresholdBytes', c.multipart.thresholdBytes, 8 * 1024 * 1024],
    ['multipart.partSizeBytes', c.multipart.partSizeBytes, 8 * 1024 * 1024],
    ['s3.forcePathStyle', c.s3.forcePathStyle, false],
    ['s3.checksums', c.s3.checksums, 'WHEN_REQUIRED'],
    ['s3.signPayload', c.s3.signPayload, false],
    ['s3.endpoint', c.s3.endpoint, undefined],
    ['s3.region', c.s3.region, undefined],
    ['source', c.source, 'cfg.json'],
    ['pairs[0].prefix', p.prefix, ''],
    ['pairs[0].exclude', p.exclude, []],
    ['pairs[0].delete', p.delete, 'mirror'],
    ['pairs[0].trashPrefix', p.trashPrefix, '.s3mirror-trash/'],
    ['pairs[0].maxDeletePercent', p.maxDeletePercent, 50],
    ['pairs[0].maxDeleteCount', p.maxDeleteCount, 10_000],
    ['pairs[0].deleteExcluded', p.deleteExcluded, false],
    ['pairs[0].followSymlinks', p.followSymlinks, false],
    ['pairs[0].sse', p.sse, undefined],
    ['pairs[0].kmsKeyId', p.kmsKeyId, undefined],
    ['pairs[0].storageClass', p.storageClass, undefined],
    ['pairs[0].cacheControl', p.cacheControl, undefined],
  ])('%s defaults to %j', (_name, actual, expected) => {
    expect(actual).toEqual(expected);
  });

  it('fills s3 defaults when s3 is given partially', () => {
    const c2 = parseConfig(cfg({ s3: { region: 'eu-west-1' } }), BASE);
    expect(c2.s3).toEqual({
      region: 'eu-west-1',
      forcePathStyle: false,
      checksums: 'WHEN_REQUIRED',
      signPayload: false,
    });
  });

  it('fills multipart defaults when multipart is given partially', () => {
    const c2 = parseConfig(cfg({ multipart: { partSizeBytes: 16 * 1024 * 1024 } }), BASE);
    expect(c2.multipart).toEqual({ thresholdBytes: 8 * 1024 * 1024, partSizeBytes: 16 * 1024 * 1024 });
  });

  it('keeps explicit values instead of the defaults', () => {
    const c2 = parseConfig(
      cfg({
        concurrency: 4,
        debounceMs: 0,
        s3: { forcePathStyle: true, endpoint: 'http://127.0.0.1:9000', checksums: 'WHEN_SUPPORTED' },
        pairs: [
          pair({
            delete: 'trash',
            maxDeletePercent: 100,
            maxDeleteCount: 0,
            exclude: ['*.tmp'],
            sse: 'aws:kms',
            kmsKeyId: 'k1',
          }),
        ],
      }),
      BASE,
    );
    expect(c2.concurrency).toBe(4);
    expect(c2.debounceMs).toBe(0);
    expect(c2.s3).toEqual({
      forcePathStyle: true,
      endpoint: 'http://127.0.0.1:9000',
      checksums: 'WHEN_SUPPORTED',
      signPayload: false,
    });
    expect(c2.pairs[0]).toMatchObject({
      delete: 'trash',
      maxDeletePercent: 100,
      maxDeleteCount: 0,
      exclude: ['*.tmp'],
      sse: 'aws:kms',
      kmsKeyId: 'k1',
    });
  });

  it('uses "(inline)" as the default source', () => {
    expect(parseConfig(cfg(), BASE).source).toBe('(inline)');
    expect(() => parseConfig({}, BASE)).toThrow(/^invalid config \(inline\):\n/);
  });
});

describe('parseConfig: prefixes', () => {
  it.each<[string, string]>([
    ['', ''],
    ['docs', 'docs/'],
    ['docs/', 'docs/'],
    ['/docs', 'docs/'],
    ['//a/b', 'a/b/'],
    ['/', ''],
    ['cafe\u0301', 'caf\u00e9/'], // NFD in, NFC out
  ])('prefix %j → %j', (given, expected) => {
    expect(parseConfig(cfg({ pairs: [pair({ prefix: given })] }), BASE).pairs[0]!.prefix).toBe(expected);
  });

  it.each<[string, string]>([
    ['trash', 'trash/'],
    ['/trash', 'trash/'],
    ['.t/', '.t/'],
  ])('trashPrefix %j → %j', (given, expected) => {
    expect(parseConfig(cfg({ pairs: [pair({ trashPrefix: given })] }), BASE).pairs[0]!.trashPrefix).toBe(expected);
  });
});

describe('parseConfig: paths', () => {
  it.each<[string, string, string]>([
    ['relative', 'p', '/base/p'],
    ['dot-relative with trailing slash', './p/sub/', '/base/p/sub'],
    ['parent-relative', '../other', '/other'],
    ['absolute', '/srv/data', '/srv/data'],
  ])('pair path (%s) %j → %j', (_what, given, expected) => {
    expect(parseConfig(cfg({ pairs: [pair({ path: given })] }), BASE).pairs[0]!.path).toBe(expected);
  });

  it.each<[string, string]>([
    ['state', '/base/state'],
    ['/var/lib/s3mirror', '/var/lib/s3mirror'],
  ])('stateDir %j → %j', (given, expected) => {
    expect(parseConfig(cfg({ stateDir: given }), BASE).stateDir).toBe(expected);
  });

  it('accepts sibling paths whose names share a prefix (p, p2) and different prefixes in one bucket', () => {
    const c = parseConfig(
      cfg({
        pairs: [pair({ name: 'a', path: 'p', prefix: 'docs' }), pair({ name: 'b', path: 'p2', prefix: 'docs2' })],
      }),
      BASE,
    );
    expect(c.pairs.map((x) => [x.path, x.prefix])).toEqual([
      ['/base/p', 'docs/'],
      ['/base/p2', 'docs2/'],
    ]);
  });

  it.each<[string, string, string]>([
    ['a sibling of the pair', '/base/p-state', '/base/p'],
    ['the parent of the pair', '/base', '/base/p'],
  ])('accepts a stateDir that is %s (%s, pair %s)', (_what, stateDir, path) => {
    expect(parseConfig(cfg({ stateDir, pairs: [pair({ path })] }), BASE).stateDir).toBe(stateDir);
  });

  it('accepts the same prefix in different buckets', () => {
    const c = parseConfig(
      cfg({ pairs: [pair({ name: 'a', path: 'p' }), pair({ name: 'b', path: 'q', bucket: 'other' })] }),
      BASE,
    );
    expect(c.pairs).toHaveLength(2);
  });
});

describe('parseConfig: errors', () => {
  it('throws a MirrorError with code CONFIG_INVALID, the source in the heading and a hint', () => {
    const { err, heading } = errorLines(cfg({ concurrency: 0 }), 'my.json');
    expect(err.code).toBe('CONFIG_INVALID');
    expect(heading).toBe('invalid config my.json:');
    expect(err.hint).toContain('config.example.json');
  });

  it.each<[string, unknown, string[]]>([
    // top level shape
    ['a string', 'x', ['(top level): must be a JSON object']],
    ['null', null, ['(top level): must be a JSON object']],
    ['an array', [], ['(top level): must be a JSON object']],
    ['an empty object', {}, ['stateDir: required', 'pairs: required']],
    ['unknown top-level fields', cfg({ foo: 1, bar: 2 }), ['(top level): unknown field "foo", "bar"']],
    ['empty stateDir', cfg({ stateDir: '' }), ['stateDir: required']],
    // integers
    ['concurrency "x"', cfg({ concurrency: 'x' }), ['concurrency: must be an integer 1..512, got "x"']],
    ['concurrency 0', cfg({ concurrency: 0 }), ['concurrency: must be an integer 1..512, got 0']],
    ['concurrency 513', cfg({ concurrency: 513 }), ['concurrency: must be an integer 1..512, got 513']],
    ['concurrency 1.5', cfg({ concurrency: 1.5 }), ['concurrency: must be an integer 1..512, got 1.5']],
    ['concurrency null', cfg({ concurrency: null }), ['concurrency: must be an integer 1..512, got null']],
    ['concurrency "16"', cfg({ concurrency: '16' }), ['concurrency: must be an integer 1..512, got "16"']],
    ['debounceMs -1', cfg({ debounceMs: -1 }), ['debounceMs: must be an integer 0..3600000, got -1']],
    [
      'maxDelayMs too big',
      cfg({ maxDelayMs: 86_400_001 }),
      ['maxDelayMs: must be an integer 0..86400000, got 86400001'],
    ],
    [
      'rescanIntervalMs string',
      cfg({ rescanIntervalMs: '1h' }),
      ['rescanIntervalMs: must be an integer 0..604800000, got "1h"'],
    ],
    ['drainTimeoutMs float', cfg({ drainTimeoutMs: 0.5 }), ['drainTimeoutMs: must be an integer 0..3600000, got 0.5']],
    [
      'multipart.partSizeBytes below 5 MiB',
      cfg({ multipart: { partSizeBytes: 1024 } }),
      ['multipart.partSizeBytes: must be an integer 5242880..5368709120, got 1024'],
    ],
    [
      'multipart.thresholdBytes above 5 GiB',
      cfg({ multipart: { thresholdBytes: 5 * 1024 ** 3 + 1 } }),
      ['multipart.thresholdBytes: must be an integer 5242880..5368709120, got 5368709121'],
    ],
    ['multipart unknown field', cfg({ multipart: { parts: 3 } }), ['multipart: unknown field "parts"']],
    // s3
    ['s3 unknown field', cfg({ s3: { bucket: 'x' } }), ['s3: unknown field "bucket"']],
    [
      's3.endpoint not a URL',
      cfg({ s3: { endpoint: 'not a url' } }),
      ['s3.endpoint: must be a URL such as http://127.0.0.1:9000, got "not a url"'],
    ],
    [
      's3.checksums bad enum',
      cfg({ s3: { checksums: 'ALWAYS' } }),
      ['s3.checksums: must be one of "WHEN_REQUIRED", "WHEN_SUPPORTED", got "ALWAYS"'],
    ],
    [
      's3.forcePathStyle not boolean',
      cfg({ s3: { forcePathStyle: 1 } }),
      ['s3.forcePathStyle: must be true or false, got 1'],
    ],
    [
      's3.signPayload not boolean',
      cfg({ s3: { signPayload: 'yes' } }),
      ['s3.signPayload: must be true or false, got "yes"'],
    ],
    // pairs list
    ['no pairs', { stateDir: 's' }, ['pairs: required']],
    ['empty pairs', cfg({ pairs: [] }), ['pairs: must name at least one pair']],
    ['pairs a string', cfg({ pairs: 'x' }), ['pairs: must be a list of pairs, got "x"']],
    // pair fields
    ['missing bucket in pairs[1]', cfg({ pairs: [pair(), { name: 'b', path: 'q' }] }), ['pairs[1].bucket: required']],
    ['missing name', cfg({ pairs: [{ path: 'p', bucket: 'bkt' }] }), ['pairs[0].name: required']],
    ['missing path', cfg({ pairs: [{ name: 'a', bucket: 'bkt' }] }), ['pairs[0].path: required']],
    ['empty path', cfg({ pairs: [pair({ path: '' })] }), ['pairs[0].path: required']],
    ['unknown pair field', cfg({ pairs: [pair({ colour: 'red' })] }), ['pairs[0]: unknown field "colour"']],
    [
      'bucket with upper case',
      cfg({ pairs: [pair({ bucket: 'My-Bucket' })] }),
      ['pairs[0].bucket: must be a valid S3 bucket name (3..63 of a-z 0-9 . -), got "My-Bucket"'],
    ],
    [
      'bucket too short',
      cfg({ pairs: [pair({ bucket: 'ab' })] }),
      ['pairs[0].bucket: must be a valid S3 bucket name (3..63 of a-z 0-9 . -), got "ab"'],
    ],
    ['bucket a number', cfg({ pairs: [pair({ bucket: 5 })] }), ['pairs[0].bucket: must be a bucket name, got 5']],
    [
      'name with a space',
      cfg({ pairs: [pair({ name: 'a b' })] }),
      ['pairs[0].name: must be 1..64 letters, digits, ".", "_" or "-", got "a b"'],
    ],
    [
      'name of 65 characters',
      cfg({ pairs: [pair({ name: 'n'.repeat(65) })] }),
      [`pairs[0].name: must be 1..64 letters, digits, ".", "_" or "-", got "${'n'.repeat(65)}"`],
    ],
    ['prefix a number', cfg({ pairs: [pair({ prefix: 1 })] }), ['pairs[0].prefix: must be a key prefix, got 1']],
    [
      'delete bad enum',
      cfg({ pairs: [pair({ delete: 'nuke' })] }),
      ['pairs[0].delete: must be one of "mirror", "keep", "trash", got "nuke"'],
    ],
    [
      'sse bad enum',
      cfg({ pairs: [pair({ sse: 'kms' })] }),
      ['pairs[0].sse: must be one of "AES256", "aws:kms", got "kms"'],
    ],
    [
      'deleteExcluded "yes"',
      cfg({ pairs: [pair({ deleteExcluded: 'yes' })] }),
      ['pairs[0].deleteExcluded: must be true or false, got "yes"'],
    ],
    [
      'followSymlinks 0',
      cfg({ pairs: [pair({ followSymlinks: 0 })] }),
      ['pairs[0].followSymlinks: must be true or false, got 0'],
    ],
    [
      'exclude a string',
      cfg({ pairs: [pair({ exclude: '*.tmp' })] }),
      ['pairs[0].exclude: must be a list of patterns, got "*.tmp"'],
    ],
    [
      'exclude item a number',
      cfg({ pairs: [pair({ exclude: ['ok', 3] })] }),
      ['pairs[0].exclude[1]: must be a gitignore-style pattern, got 3'],
    ],
    [
      'maxDeletePercent 101',
      cfg({ pairs: [pair({ maxDeletePercent: 101 })] }),
      ['pairs[0].maxDeletePercent: must be an integer 0..100, got 101'],
    ],
    [
      'maxDeleteCount -1',
      cfg({ pairs: [pair({ maxDeleteCount: -1 })] }),
      ['pairs[0].maxDeleteCount: must be an integer 0..1000000000, got -1'],
    ],
    // several problems at once: every one is named
    [
      'two problems in different places',
      cfg({ concurrency: 'x', pairs: [pair(), { name: 'b', path: 'q' }] }),
      ['concurrency: must be an integer 1..512, got "x"', 'pairs[1].bucket: required'],
    ],
    // cross-field checks (after the schema passed)
    ['kmsKeyId without sse', cfg({ pairs: [pair({ kmsKeyId: 'k1' })] }), ['pairs[0].kmsKeyId: needs "sse": "aws:kms"']],
    [
      'kmsKeyId with sse AES256',
      cfg({ pairs: [pair({ kmsKeyId: 'k1', sse: 'AES256' })] }),
      ['pairs[0].kmsKeyId: needs "sse": "aws:kms"'],
    ],
    [
      'duplicate names',
      cfg({ pairs: [pair({ name: 'a', path: 'p', prefix: 'x' }), pair({ name: 'a', path: 'q', prefix: 'y' })] }),
      ['pairs[1].name: "a" is already used by pairs[0]'],
    ],
    [
      'pair path inside another',
      cfg({ pairs: [pair({ name: 'a', path: 'p', prefix: 'x' }), pair({ name: 'b', path: 'p/sub', prefix: 'y' })] }),
      ['pairs[1].path: /base/p/sub overlaps pairs[0].path /base/p; pairs must not contain each other'],
    ],
    [
      'pair path containing another',
      cfg({
        pairs: [pair({ name: 'a', path: '/srv/x/y', prefix: 'x' }), pair({ name: 'b', path: '/srv', prefix: 'y' })],
      }),
      ['pairs[1].path: /srv overlaps pairs[0].path /srv/x/y; pairs must not contain each other'],
    ],
    [
      'same path spelled differently (different buckets)',
      cfg({ pairs: [pair({ name: 'a', path: 'p' }), pair({ name: 'b', path: './p/', bucket: 'other' })] }),
      ['pairs[1].path: /base/p overlaps pairs[0].path /base/p; pairs must not contain each other'],
    ],
    [
      'root path contains everything (the stateDir too)',
      cfg({ pairs: [pair({ name: 'a', path: '/' }), pair({ name: 'b', path: '/x', bucket: 'other' })] }),
      [
        'stateDir: /base/state is inside pairs[0].path /; the journal must live outside mirrored trees',
        'pairs[1].path: /x overlaps pairs[0].path /; pairs must not contain each other',
      ],
    ],
    [
      'stateDir inside a pair',
      cfg({
        stateDir: 'p/.s3mirror',
        pairs: [pair({ name: 'a', path: 'q', prefix: 'x' }), pair({ name: 'b', path: 'p', prefix: 'y' })],
      }),
      ['stateDir: /base/p/.s3mirror is inside pairs[1].path /base/p; the journal must live outside mirrored trees'],
    ],
    [
      'stateDir equal to a pair path',
      cfg({ stateDir: '/srv/data/', pairs: [pair({ path: '/srv/data' })] }),
      ['stateDir: /srv/data is inside pairs[0].path /srv/data; the journal must live outside mirrored trees'],
    ],
    [
      'nested prefixes in one bucket',
      cfg({
        pairs: [pair({ name: 'a', path: 'p', prefix: 'docs' }), pair({ name: 'b', path: 'q', prefix: 'docs/sub' })],
      }),
      ['pairs[1].prefix: "docs/sub/" in bucket bkt overlaps pairs[0].prefix "docs/"; each pair needs its own prefix'],
    ],
    [
      'empty prefix overlaps any prefix in the same bucket',
      cfg({ pairs: [pair({ name: 'a', path: 'p', prefix: 'docs' }), pair({ name: 'b', path: 'q' })] }),
      ['pairs[1].prefix: "" in bucket bkt overlaps pairs[0].prefix "docs/"; each pair needs its own prefix'],
    ],
    [
      'equal prefixes after NFC normalisation',
      cfg({
        pairs: [
          pair({ name: 'a', path: 'p', prefix: 'cafe\u0301' }),
          pair({ name: 'b', path: 'q', prefix: 'caf\u00e9' }),
        ],
      }),
      [
        'pairs[1].prefix: "caf\u00e9/" in bucket bkt overlaps pairs[0].prefix "caf\u00e9/"; each pair needs its own prefix',
      ],
    ],
    [
      'duplicate name, same path and same prefix: three lines',
      cfg({ pairs: [pair(), pair()] }),
      [
        'pairs[1].name: "a" is already used by pairs[0]',
        'pairs[1].path: /base/p overlaps pairs[0].path /base/p; pairs must not contain each other',
        'pairs[1].prefix: "" in bucket bkt overlaps pairs[0].prefix ""; each pair needs its own prefix',
      ],
    ],
    // unknown fields do not hide the cross-field checks
    [
      'unknown top-level field and duplicate names',
      cfg({
        typo: 1,
        pairs: [pair({ name: 'a', path: 'p', prefix: 'x' }), pair({ name: 'a', path: 'q', prefix: 'y' })],
      }),
      ['(top level): unknown field "typo"', 'pairs[1].name: "a" is already used by pairs[0]'],
    ],
    [
      'unknown pair field and overlapping prefixes',
      cfg({
        pairs: [
          pair({ name: 'a', path: 'p', prefix: 'docs' }),
          pair({ name: 'b', path: 'q', prefix: 'docs/sub', colour: 'red' }),
        ],
      }),
      [
        'pairs[1]: unknown field "colour"',
        'pairs[1].prefix: "docs/sub/" in bucket bkt overlaps pairs[0].prefix "docs/"; each pair needs its own prefix',
      ],
    ],
    [
      'unknown fields at three levels, kmsKeyId without sse and a stateDir inside a pair',
      cfg({ typo: 1, s3: { regoin: 'x' }, stateDir: 'p/state', pairs: [pair({ kmsKeyId: 'k', colour: 'red' })] }),
      [
        's3: unknown field "regoin"',
        'pairs[0]: unknown field "colour"',
        '(top level): unknown field "typo"',
        'pairs[0].kmsKeyId: needs "sse": "aws:kms"',
        'stateDir: /base/p/state is inside pairs[0].path /base/p; the journal must live outside mirrored trees',
      ],
    ],
    [
      'unknown field and a wrong type: the cross-field checks wait for a well-formed config',
      cfg({ typo: 1, concurrency: 'x', pairs: [pair(), pair()] }),
      ['concurrency: must be an integer 1..512, got "x"', '(top level): unknown field "typo"'],
    ],
  ])('%s → exact lines', (_what, raw, expected) => {
    const { err, heading, lines } = errorLines(raw);
    expect(err.code).toBe('CONFIG_INVALID');
    expect(heading).toBe('invalid config cfg.json:');
    expect(lines).toEqual(expected);
  });

  it.each<[string, unknown, string]>([
    ['a pair that is not an object', cfg({ pairs: ['x'] }), 'pairs[0]: '],
    ['s3 that is not an object', cfg({ s3: 'x' }), 's3: '],
  ])('%s names the field', (_what, raw, start) => {
    const { lines } = errorLines(raw);
    expect(lines).toHaveLength(1);
    expect(lines[0]!.startsWith(start)).toBe(true);
  });
});

describe('parseConfig: regressions', () => {
  // zod 4 reports both z.int()'s safe-integer bound and .max(): the same line appears twice.
  it('an integer beyond 2^53 is reported once', () => {
    expect(errorLines(cfg({ concurrency: 2 ** 53 })).lines).toEqual([
      'concurrency: must be an integer 1..512, got 9007199254740992',
    ]);
  });
});
