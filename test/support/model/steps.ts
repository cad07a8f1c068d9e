// The steps of the model test as plain JSON, and how random ones are drawn. A shrunk failure
// prints as a list of these, pasted as is into test/model-regressions.test.ts.
import fc from 'fast-check';
import { PATTERNS, PREFIXES, type DeleteMode, type Pattern } from './model.js';

export type Step =
  | ['write', string, string]
  | ['append', string, string]
  | ['rm', string]
  | ['mv', string, string]
  | ['mkdir', string]
  | ['mvdir', string, string]
  | ['rmdir', string]
  | ['symlink', string]
  | ['unreadable', string]
  | ['readable', string]
  | ['oput', 'cur' | 'other', string, string]
  | ['odel', string]
  | ['prefix', string]
  | ['exclude', Pattern]
  | ['delete', DeleteMode]
  | ['deleteExcluded', boolean]
  | ['addq']
  | ['rmq']
  | ['touchq', string]
  | ['pass']
  | ['outage', boolean]
  /** A pass in which the server goes down after n requests (the outage lasts past the pass). */
  | ['cut', number]
  | ['crash', CrashPoint, number]
  | ['wipe']
  | ['lose']
  | ['resume']
  | ['settle'];

/** The failpoints every backend's passes reach. */
const CRASH_POINTS = ['after-put', 'rename-after-copy', 'delete-mid-batch', 'journal-tx'] as const;
/** Reached only where the backend takes tiny parts (the in-memory S3; a server wants 5 MiB). */
const MULTIPART_POINTS = ['after-part', 'before-complete', 'after-complete'] as const;
export type CrashPoint = (typeof CRASH_POINTS)[number] | (typeof MULTIPART_POINTS)[number];

const DIRS = ['', 'a', 'b', 'a/c', 'd'];
const NAMES = ['x', 'y.txt', 'n.log', 'caf\u00e9', 'cafe\u0301'];
const FILES = DIRS.flatMap((d) => NAMES.map((n) => (d ? `${d}/${n}` : n)));
const DIR_TARGETS = ['a', 'b', 'd', 'a/c', 'b/e', 'd/f'];

/** Above the in-memory runs' multipart threshold (64 bytes, parts of 32): uploads of 3 and 4 parts. */
const BIG = ['0123456789'.repeat(7), 'abcdefghij'.repeat(10)];
const data = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('', 'A', 'BB', 'hello') },
  { weight: 3, arbitrary: fc.string({ unit: fc.constantFrom('a', 'b', 'c'), minLength: 1, maxLength: 4 }) },
  { weight: 2, arbitrary: fc.constantFrom(...BIG) },
);
const file = fc.constantFrom(...FILES);
const dir = fc.constantFrom(...DIR_TARGETS);

export function steps(opts: {
  outage: boolean;
  multipart: boolean;
  crashWeight: number;
  crashPoints?: readonly CrashPoint[];
}): fc.Arbitrary<Step>[] {
  const points = opts.crashPoints ?? (opts.multipart ? [...CRASH_POINTS, ...MULTIPART_POINTS] : CRASH_POINTS);
  const w = <T>(weight: number, arbitrary: fc.Arbitrary<T>) => ({ weight, arbitrary });
  const all = [
    w(12, fc.tuple(fc.constant('write' as const), file, data)),
    w(3, fc.tuple(fc.constant('append' as const), file, data)),
    w(4, fc.tuple(fc.constant('rm' as const), file)),
    w(4, fc.tuple(fc.constant('mv' as const), file, file)),
    w(1, fc.tuple(fc.constant('mkdir' as const), dir)),
    w(2, fc.tuple(fc.constant('mvdir' as const), dir, dir)),
    w(2, fc.tuple(fc.constant('rmdir' as const), dir)),
    w(1, fc.tuple(fc.constant('symlink' as const), dir)),
    w(1, fc.tuple(fc.constant('unreadable' as const), file)),
    w(1, fc.tuple(fc.constant('readable' as const), file)),
    w(2, fc.tuple(fc.constant('oput' as const), fc.constantFrom('cur' as const, 'other' as const), file, data)),
    w(1, fc.tuple(fc.constant('odel' as const), file)),
    w(1, fc.tuple(fc.constant('prefix' as const), fc.constantFrom(...PREFIXES))),
    w(1, fc.tuple(fc.constant('exclude' as const), fc.constantFrom(...PATTERNS))),
    w(
      1,
      fc.tuple(fc.constant('delete' as const), fc.constantFrom('mirror' as const, 'keep' as const, 'trash' as const)),
    ),
    w(1, fc.tuple(fc.constant('deleteExcluded' as const), fc.boolean())),
    w(1, fc.constant(['addq'] as ['addq'])),
    w(1, fc.constant(['rmq'] as ['rmq'])),
    w(1, fc.tuple(fc.constant('touchq' as const), data)),
    w(3, fc.constant(['pass'] as ['pass'])),
    w(opts.outage ? 1 : 0, fc.tuple(fc.constant('outage' as const), fc.boolean())),
    w(opts.outage ? 2 : 0, fc.tuple(fc.constant('cut' as const), fc.integer({ min: 1, max: 4 }))),
    w(opts.crashWeight, fc.tuple(fc.constant('crash' as const), fc.constantFrom<CrashPoint>(...points), fc.nat(2))),
    w(1, fc.constant(['wipe'] as ['wipe'])),
    w(1, fc.constant(['lose'] as ['lose'])),
    w(1, fc.constant(['resume'] as ['resume'])),
    w(5, fc.constant(['settle'] as ['settle'])),
  ] as fc.WeightedArbitrary<Step>[];
  return [fc.oneof(...all.filter((a) => a.weight > 0))];
}
