import { describe, expect, it } from 'vitest';
import { cfg, errorLines, expectExactLines, pair } from './support/config.js';

/**
 * Unit tables for the config contract (src/config.ts): the exact error lines for a value of the
 * wrong type or range, a missing or unknown field; config-cross-field.test.ts has the checks
 * between fields.
 */

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
      'abortIncompleteAfterMs too small',
      cfg({ abortIncompleteAfterMs: 1000 }),
      ['abortIncompleteAfterMs: must be an integer 60000..31536000000, got 1000'],
    ],
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
  ])('%s → exact lines', (_what, raw, expected) => {
    expectExactLines(raw, expected);
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
