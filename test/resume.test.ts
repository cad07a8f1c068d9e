import { describe, expect, it } from 'vitest';
import {
  type FileToSend,
  keepRecorded,
  orphansToAbort,
  type RecordedUpload,
  resumeUpload,
  type ServerParts,
} from '../src/plan/resume.js';

// Resuming a multipart upload (src/plan/resume.ts), as tables: which parts are kept and which are
// sent again, which recorded uploads survive a start, which orphans are aborted.

const id = { size: 25, mtimeNs: '100', ctimeNs: '101', ino: '7' };
// Three parts of 10 bytes: 10, 10, 5.
const file: FileToSend = {
  key: 'k',
  identity: id,
  md5: 'whole',
  partSize: 10,
  partMd5s: ['m1', 'm2', 'm3'],
  settings: 's',
};
const part = (n: number, size = 10, md5 = `m${n}`, etag = `e${n}`) => ({ n, size, md5, etag });
const rec: RecordedUpload = {
  key: 'k',
  md5: 'whole',
  partSize: 10,
  identity: id,
  createdAt: 0,
  settings: 's',
  parts: [part(1), part(2)],
};
const listed = (...ps: [n: number, size: number, etag: string][]) => ps.map(([n, size, etag]) => ({ n, size, etag }));

const RESUME: readonly [string, Partial<RecordedUpload>, Partial<FileToSend>, ServerParts, unknown][] = [
  [
    'no ListParts: the journal is trusted; only the missing part is sent',
    {},
    {},
    'unknown',
    {
      action: 'resume',
      keep: [
        { n: 1, etag: 'e1' },
        { n: 2, etag: 'e2' },
      ],
      send: [3],
    },
  ],
  [
    'ListParts agrees: the same',
    {},
    {},
    listed([1, 10, 'e1'], [2, 10, 'e2']),
    {
      action: 'resume',
      keep: [
        { n: 1, etag: 'e1' },
        { n: 2, etag: 'e2' },
      ],
      send: [3],
    },
  ],
  [
    'the server lacks a part the journal recorded: it is sent again',
    {},
    {},
    listed([1, 10, 'e1']),
    { action: 'resume', keep: [{ n: 1, etag: 'e1' }], send: [2, 3] },
  ],
  [
    'the server holds another ETag for a part: sent again',
    {},
    {},
    listed([1, 10, 'e1'], [2, 10, 'other']),
    { action: 'resume', keep: [{ n: 1, etag: 'e1' }], send: [2, 3] },
  ],
  [
    'a part the server holds but the crash kept from the journal: kept when its ETag is our MD5',
    {},
    {},
    listed([1, 10, 'e1'], [2, 10, 'e2'], [3, 5, 'm3']),
    {
      action: 'resume',
      keep: [
        { n: 1, etag: 'e1' },
        { n: 2, etag: 'e2' },
        { n: 3, etag: 'm3' },
      ],
      send: [],
    },
  ],
  [
    'an unrecorded server part with another ETag (SSE-KMS, or other bytes): sent again',
    {},
    {},
    listed([1, 10, 'e1'], [2, 10, 'e2'], [3, 5, 'opaque']),
    {
      action: 'resume',
      keep: [
        { n: 1, etag: 'e1' },
        { n: 2, etag: 'e2' },
      ],
      send: [3],
    },
  ],
  [
    'a recorded part whose MD5 is not the file part MD5: sent again',
    { parts: [part(1), part(2, 10, 'stale')] },
    {},
    'unknown',
    { action: 'resume', keep: [{ n: 1, etag: 'e1' }], send: [2, 3] },
  ],
  [
    'a recorded part of the wrong size: sent again',
    { parts: [part(1), part(2, 9)] },
    {},
    'unknown',
    { action: 'resume', keep: [{ n: 1, etag: 'e1' }], send: [2, 3] },
  ],
  ['the upload is gone on the server: forgotten, a new one starts', {}, {}, 'gone', { action: 'forget' }],
  ['the file changed (mtime): abort', {}, { identity: { ...id, mtimeNs: '200' } }, 'unknown', { action: 'abort' }],
  ['the file changed (ctime): abort', {}, { identity: { ...id, ctimeNs: '200' } }, 'unknown', { action: 'abort' }],
  ['another file at the path (inode): abort', {}, { identity: { ...id, ino: '8' } }, 'unknown', { action: 'abort' }],
  ['the content differs (MD5): abort', {}, { md5: 'other' }, 'unknown', { action: 'abort' }],
  ['the part size changed: abort', {}, { partSize: 20, partMd5s: ['x', 'y'] }, 'unknown', { action: 'abort' }],
  ['the file maps to another key: abort', {}, { key: 'other' }, 'unknown', { action: 'abort' }],
  ["the pair's object settings changed since: abort", {}, { settings: 'other' }, 'unknown', { action: 'abort' }],
  [
    'the record does not say its headers (older version): abort',
    { settings: null },
    {},
    'unknown',
    { action: 'abort' },
  ],
  [
    'resumed without a full hash: a part not read yet is sent, even if the server holds one',
    { parts: [part(1)] },
    { partMd5s: ['m1', undefined, undefined] },
    listed([1, 10, 'e1'], [2, 10, 'm2']),
    { action: 'resume', keep: [{ n: 1, etag: 'e1' }], send: [2, 3] },
  ],
  [
    'a copy, or a record of an older version (no identity): abort',
    { identity: null },
    {},
    'unknown',
    { action: 'abort' },
  ],
];

describe('resumeUpload', () => {
  it.each(RESUME)('%s', (_name, r, f, server, want) => {
    expect(resumeUpload({ ...rec, ...r }, { ...file, ...f }, server)).toMatchObject(want as object);
  });

  it('every decision has a reason', () => {
    for (const [, r, f, server] of RESUME)
      expect(resumeUpload({ ...rec, ...r }, { ...file, ...f }, server).reason).toBeTruthy();
  });
});

const KEEP: readonly [string, Partial<Parameters<typeof keepRecorded>[0]>, 'keep' | 'abort'][] = [
  ['the file is unchanged and the record young: kept', {}, 'keep'],
  ['older than abortIncompleteAfterMs: aborted', { at: 1000 + 86_400_001 }, 'abort'],
  ['the file is gone: aborted', { now: null }, 'abort'],
  ['the file changed: aborted', { now: { ...id, size: 26 } }, 'abort'],
  ['the pair is gone or moved to another bucket: aborted', { key: undefined }, 'abort'],
  ['the pair prefix changed: aborted', { key: 'new/k' }, 'abort'],
  ['not resumable: aborted', { rec: { key: 'k', identity: null, createdAt: 1000 } }, 'abort'],
];

describe('keepRecorded', () => {
  it.each(KEEP)('%s', (_name, over, action) => {
    const base = {
      rec: { key: 'k', identity: id, createdAt: 1000 },
      key: 'k',
      now: id,
      at: 2000,
      maxAgeMs: 86_400_000,
    };
    expect(keepRecorded({ ...base, ...over }).action).toBe(action);
  });
});

describe('orphansToAbort', () => {
  it('aborts only uploads no record knows that are older than the limit', () => {
    const listed = [
      { key: 'a', uploadId: 'known-old', initiated: 0 },
      { key: 'b', uploadId: 'unknown-old', initiated: 0 },
      { key: 'c', uploadId: 'unknown-young', initiated: 9_000 },
    ];
    expect(
      orphansToAbort({ listed, known: new Set(['known-old']), at: 10_000, maxAgeMs: 5_000 }).map((u) => u.uploadId),
    ).toEqual(['unknown-old']);
  });
});
