import { describe, expect, it } from 'vitest';
import { afterPartFailure, resumeRead, verifiedParts } from '../src/plan/resume.js';

// Resuming without hashing the whole file (src/plan/resume.ts), as tables: when a recorded upload
// lets a file skip its full read, when the parts read again prove the record, and whether a failed
// part keeps the upload for the retry.

const id = { size: 25, mtimeNs: '100', ctimeNs: '101', ino: '7' };
const base = {
  rec: { key: 'k', identity: id, partSize: 10, settings: 's' },
  key: 'k',
  now: id,
  partSize: 10,
  settings: 's',
};

const READ: readonly [string, Partial<Parameters<typeof resumeRead>[0]>, 'verify' | 'hash'][] = [
  ['unchanged identity, key, part size and headers: only the sent parts are read', {}, 'verify'],
  ['the size changed: hashed in full', { now: { ...id, size: 26 } }, 'hash'],
  ['the mtime changed: hashed in full', { now: { ...id, mtimeNs: '200' } }, 'hash'],
  [
    'the ctime changed (a chmod, a write that kept the mtime): hashed in full',
    { now: { ...id, ctimeNs: '9' } },
    'hash',
  ],
  ['another file at the path (inode): hashed in full', { now: { ...id, ino: '8' } }, 'hash'],
  ['the file maps to another key: hashed in full', { key: 'other' }, 'hash'],
  ['the part size an upload would have now differs: hashed in full', { partSize: 20 }, 'hash'],
  ["the pair's object settings changed: hashed in full (the upload is not resumed)", { settings: 'x' }, 'hash'],
  ['a record without its headers: hashed in full', { rec: { ...base.rec, settings: null } }, 'hash'],
  [
    'a record without identity (a copy, an older version): hashed in full',
    { rec: { ...base.rec, identity: null } },
    'hash',
  ],
];

describe('resumeRead', () => {
  it.each(READ)('%s', (_name, over, action) => {
    const d = resumeRead({ ...base, ...over });
    expect(d.action).toBe(action);
    expect(d.reason).toBeTruthy();
  });
});

const rec = (n: number, md5 = `m${n}`) => ({ n, md5 });
const VERIFY: readonly [string, { n: number; md5: string }[], [number, string][], number, unknown][] = [
  [
    'every recorded part hashes as recorded: their MD5s are known, the rest are not',
    [rec(1), rec(2)],
    [
      [1, 'm1'],
      [2, 'm2'],
    ],
    3,
    { action: 'resume', partMd5s: ['m1', 'm2', undefined] },
  ],
  [
    'nothing recorded (a crash before the first part): nothing read, all sent',
    [],
    [],
    3,
    { action: 'resume', partMd5s: [undefined, undefined, undefined] },
  ],
  [
    'a recorded part hashes otherwise: hashed in full',
    [rec(1), rec(2)],
    [
      [1, 'm1'],
      [2, 'x'],
    ],
    3,
    { action: 'hash' },
  ],
  ['a recorded part could not be read: hashed in full', [rec(1), rec(2)], [[1, 'm1']], 3, { action: 'hash' }],
  ['a recorded part beyond the file: hashed in full', [rec(4)], [], 3, { action: 'hash' }],
];

describe('verifiedParts', () => {
  it.each(VERIFY)('%s', (_name, recorded, read, total, want) => {
    const d = verifiedParts({ recorded, read: new Map(read), total });
    expect(d).toMatchObject(want as object);
    expect(d.reason).toBeTruthy();
  });
});

const FAILURE: readonly [string, { code: string; retryable: boolean }, 'keep' | 'abort'][] = [
  ['a reset connection or a timeout: kept for the retry', { code: 'ENDPOINT_UNREACHABLE', retryable: true }, 'keep'],
  ['a 5xx after the SDK retries: kept', { code: 'S3_SERVER_ERROR', retryable: true }, 'keep'],
  ['throttling: kept', { code: 'S3_THROTTLED', retryable: true }, 'keep'],
  [
    'a body corrupted on the way (BadDigest): kept, the part is sent again',
    { code: 'S3_BAD_DIGEST', retryable: true },
    'keep',
  ],
  ['a local read error that may pass (EIO): kept', { code: 'FILE_UNREADABLE', retryable: true }, 'keep'],
  ['the file changed while it was sent: aborted', { code: 'FILE_CHANGED', retryable: true }, 'abort'],
  ['NoSuchUpload or another 4xx: aborted', { code: 'S3_REQUEST_FAILED', retryable: false }, 'abort'],
  ['access denied: aborted', { code: 'ACCESS_DENIED', retryable: false }, 'abort'],
  ['the file became unreadable (permission): aborted', { code: 'FILE_UNREADABLE', retryable: false }, 'abort'],
];

describe('afterPartFailure', () => {
  it.each(FAILURE)('%s', (_name, e, action) => {
    const d = afterPartFailure(e);
    expect(d.action).toBe(action);
    expect(d.reason).toBeTruthy();
  });
});
