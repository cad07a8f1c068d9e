import { describe, it } from 'vitest';
import { cfg, expectExactLines, pair } from './support/config.js';

/**
 * Unit tables for the config contract (src/config.ts): the exact error lines of the checks between
 * fields (after the schema passed), alone and with other errors.
 */

describe('parseConfig: errors', () => {
  it.each<[string, unknown, string[]]>([
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
    expectExactLines(raw, expected);
  });
});
