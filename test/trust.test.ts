import { describe, expect, it } from 'vitest';
import { listingFingerprint, orphanSweepDue, trust, type TrustInput } from '../src/plan/trust.js';

// When a restart may trust the journal instead of listing the bucket (src/plan/trust.ts): every
// way trust ends, and the one way it holds.

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const here = {
  endpoint: 'http://127.0.0.1:9000',
  bucket: 'b',
  prefix: 'docs/',
  exclude: ['*.tmp'],
  trashPrefix: '.s3mirror-trash/',
};
const base: TrustInput = {
  distrust: null,
  lastListedAt: 1_000_000,
  listedFingerprint: listingFingerprint(here),
  fingerprint: listingFingerprint(here),
  now: 1_000_000 + HOUR,
  auditIntervalMs: DAY,
};

describe('trust', () => {
  it.each<[string, Partial<TrustInput>, boolean, RegExp]>([
    [
      'clean close, young listing, same location',
      {},
      true,
      /listed 3600s ago at this location, journal closed cleanly/,
    ],
    ['never listed', { lastListedAt: null }, false, /never listed/],
    ['listed by an older version (no location recorded)', { listedFingerprint: null }, false, /not recorded/],
    ['unreadable recorded location', { listedFingerprint: '{' }, false, /the recorded location changed/],
    [
      'endpoint changed (another server may hold another bucket of that name)',
      { fingerprint: listingFingerprint({ ...here, endpoint: null }) },
      false,
      /^s3\.endpoint changed/,
    ],
    ['bucket changed', { fingerprint: listingFingerprint({ ...here, bucket: 'c' }) }, false, /^bucket changed/],
    ['prefix changed', { fingerprint: listingFingerprint({ ...here, prefix: '' }) }, false, /^prefix changed/],
    ['excludes changed', { fingerprint: listingFingerprint({ ...here, exclude: [] }) }, false, /^exclude changed/],
    [
      'trash prefix changed (the listing kept other keys)',
      { fingerprint: listingFingerprint({ ...here, trashPrefix: 't/' }) },
      false,
      /^trashPrefix changed/,
    ],
    [
      'moved: the listing time is forgotten, the location is not',
      { lastListedAt: null, fingerprint: listingFingerprint({ ...here, prefix: 'new/' }) },
      false,
      /^prefix changed/,
    ],
    ['unclean close', { distrust: { since: 1_000_000 + HOUR - 5, cause: 'unclean' } }, false, /not closed cleanly/],
    ['unclean close, listed since', { distrust: { since: 999_000, cause: 'unclean' } }, true, /closed cleanly/],
    ['audit asked for', { distrust: { since: 1_000_000 + HOUR - 5, cause: 'audit' } }, false, /audit was asked for/],
    ['journal writes failed', { distrust: { since: 1_000_001, cause: 'unwritable' } }, false, /could not be written/],
    [
      'listing exactly remoteAuditIntervalMs old',
      { now: 1_000_000 + DAY },
      false,
      /86400s old \(remoteAuditIntervalMs\)/,
    ],
    ['listing just younger', { now: 1_000_000 + DAY - 1 }, true, /closed cleanly/],
    ['remoteAuditIntervalMs 0: never trusted', { auditIntervalMs: 0 }, false, /remoteAuditIntervalMs/],
    ['clock went back', { now: 999_999 }, false, /clock went back/],
  ])('%s', (_name, over, want, reason) => {
    const v = trust({ ...base, ...over });
    expect(v.trust).toBe(want);
    expect(v.reason).toMatch(reason);
  });
});

describe('orphanSweepDue', () => {
  it.each<[string, Parameters<typeof orphanSweepDue>[0], boolean]>([
    ['never swept', { lastSweep: null, lastListedAt: null, now: 10, everyMs: HOUR }, true],
    ['listed since, an hour after the last sweep', { lastSweep: 0, lastListedAt: 5, now: HOUR, everyMs: HOUR }, true],
    ['listed since, within the hour', { lastSweep: 0, lastListedAt: 5, now: HOUR - 1, everyMs: HOUR }, false],
    ['not listed since (a trusted journal)', { lastSweep: 10, lastListedAt: 5, now: DAY, everyMs: HOUR }, false],
    ['never listed', { lastSweep: 10, lastListedAt: null, now: DAY, everyMs: HOUR }, false],
    ['clock went back', { lastSweep: 10, lastListedAt: 20, now: 5, everyMs: HOUR }, true],
  ])('%s', (_name, input, want) => expect(orphanSweepDue(input)).toBe(want));
});
