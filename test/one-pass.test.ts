import { describe, expect, it } from 'vitest';
import { hashTiming, type HashFacts, writesMd5, type EtagsAre } from '../src/plan/one-pass.js';

/** When a multipart file is hashed before its upload, and when x-amz-meta-md5 is written (src/plan/one-pass.ts). */
const MiB = 1024 * 1024;
const base: HashFacts = {
  size: 64 * MiB,
  thresholdBytes: 8 * MiB,
  remoteSize: null,
  tombstoneOfSize: false,
  recordedUpload: false,
  previousPrefixCopy: false,
  sse: false,
  etags: 'md5',
};

describe('hashTiming', () => {
  it.each<[string, Partial<HashFacts>, 'pre-hash' | 'one-pass', RegExp]>([
    ['a new file, nothing at the key', {}, 'one-pass', /no object/],
    ['encryption not known yet', { etags: 'unknown' }, 'one-pass', /no object/],
    ['an object of another size at the key', { remoteSize: 1 }, 'one-pass', /another size/],
    ['under the threshold: a single PUT', { size: 8 * MiB - 1 }, 'pre-hash', /single PUT/],
    ['an object of the same size: may be identical', { remoteSize: 64 * MiB }, 'pre-hash', /same size/],
    ['a pending delete of the same size: a rename', { tombstoneOfSize: true }, 'pre-hash', /rename/],
    ['a recorded upload may resume', { recordedUpload: true }, 'pre-hash', /recorded upload/],
    ['the pair sets sse', { sse: true }, 'pre-hash', /sse/],
    ['the bucket answered with SSE-KMS', { etags: 'opaque' }, 'pre-hash', /SSE-KMS/],
    ['a copy from the previous prefix', { previousPrefixCopy: true }, 'pre-hash', /previous prefix/],
    ['sse wins over another size at the key', { sse: true, remoteSize: 1 }, 'pre-hash', /sse/],
  ])('%s → %s', (_what, facts, action, reason) => {
    const t = hashTiming({ ...base, ...facts });
    expect(t.action).toBe(action);
    expect(t.reason).toMatch(reason);
  });
});

describe('writesMd5', () => {
  it.each<[string, boolean, boolean, EtagsAre, boolean]>([
    ['multipart, ETags are MD5s: the multipart ETag and part size prove it', true, false, 'md5', false],
    ['multipart, encryption unknown: sent in one pass, nothing to write', true, false, 'unknown', false],
    ['multipart under SSE-KMS', true, false, 'opaque', true],
    ['multipart with the pair sse', true, true, 'md5', true],
    ['single PUT, ETags are MD5s', false, false, 'md5', false],
    ['single PUT, encryption unknown: the ETag may be opaque', false, false, 'unknown', true],
    ['single PUT under SSE-KMS', false, false, 'opaque', true],
    ['single PUT with the pair sse', false, true, 'md5', true],
  ])('%s → %s', (_what, multipart, sse, etags, out) => {
    expect(writesMd5({ multipart, sse, etags })).toBe(out);
  });
});
