import { describe, expect, it } from 'vitest';
import { judgeKey, type VerifyContext, type VerifyView } from '../src/plan/verify.js';

// plan/verify.ts: what `s3mirror verify` says of one key, and which read or request it needs
// first, as a table.

const NOW = 1_000_000;
const OLD = { size: 3, mtimeNs: '100000000000', ctimeNs: '100000000000', ino: '7' };
const RECENT = { ...OLD, ctimeNs: `${(NOW - 200) * 1_000_000}` };
const MD5 = '0123456789abcdef0123456789abcdef';
const OTHER = 'ffffffffffffffffffffffffffffffff';
const file = { kind: 'file' as const, stat: OLD };
const obj = (etag = MD5, size = 3) => ({ size, etag });
const journal = { md5: MD5, read: false };
const read = { md5: MD5, read: true };
const clean = { state: 'clean' as const, etag: 'opaque-etag', remoteSize: 3 };
const noHead = { metaMd5: null, metaPartSize: null };
const MP = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-2';
const ctx = (o: Partial<VerifyContext> = {}): VerifyContext => ({
  now: NOW,
  debounceMs: 1000,
  deep: false,
  configuredPartSize: 2,
  inTrash: false,
  hasPath: true,
  excluded: false,
  deleteKeep: false,
  deleteExcluded: false,
  ...o,
});

type Case = [string, VerifyView, Partial<VerifyContext>, string, string];

describe('judgeKey', () => {
  it.each<Case>([
    ['same MD5 ETag', { local: file, object: obj(), digest: journal }, {}, 'identical', 'the ETag is the MD5'],
    ['MD5 ETag, file not hashed', { local: file, object: obj() }, {}, 'hash', 'file MD5 is needed'],
    ['MD5 ETag differs: HEAD first', { local: file, object: obj(OTHER), digest: read }, {}, 'head', 'SSE-KMS?'],
    [
      'MD5 ETag differs, HEAD says plain',
      { local: file, object: obj(OTHER), digest: read, head: noHead },
      {},
      'content-differs',
      "object's MD5",
    ],
    [
      'SSE-KMS, x-amz-meta-md5 equal',
      { local: file, object: obj(OTHER), digest: read, head: { metaMd5: MD5, metaPartSize: null, sse: 'aws:kms' } },
      {},
      'identical',
      'x-amz-meta-md5',
    ],
    [
      'SSE-KMS without x-amz-meta-md5',
      { local: file, object: obj(OTHER), digest: read, head: { ...noHead, sse: 'aws:kms' } },
      {},
      'content-differs',
      'cannot tell',
    ],
    [
      'a forged x-amz-meta-md5 does not beat a plain MD5 ETag',
      { local: file, object: obj(OTHER), digest: read, head: { metaMd5: MD5, metaPartSize: null } },
      {},
      'content-differs',
      "object's MD5",
    ],
    ['no object', { local: file, digest: journal }, {}, 'missing', 'no object'],
    ['object gone since listed', { local: file, object: obj(OTHER), head: null }, {}, 'missing', 'no object'],
    ['sizes differ', { local: file, object: obj(MD5, 4) }, {}, 'size-differs', '3 bytes here, 4'],
    ['row dirty', { local: file, row: { ...clean, state: 'dirty' } }, {}, 'pending', 'not uploaded yet'],
    ['tombstone dirty', { row: { ...clean, state: 'dirty' }, object: obj() }, {}, 'pending', 'delete not made'],
    ['changed within debounceMs', { local: { kind: 'file', stat: RECENT } }, {}, 'pending', 'debounceMs'],
    ['symlink with object', { local: { kind: 'symlink', stat: OLD }, object: obj() }, {}, 'kept', 'symlink'],
    ['symlink alone', { local: { kind: 'symlink', stat: OLD } }, {}, 'skipped', 'symlink'],
    ['no file', { object: obj() }, {}, 'extra', 'no local file'],
    ['no file, held', { object: obj(), row: { ...clean, state: 'held' } }, {}, 'extra', 'held'],
    ['no file, trash', { object: obj() }, { inTrash: true }, 'kept', 'trash'],
    ['no file, keep', { object: obj() }, { deleteKeep: true }, 'kept', 'delete: "keep"'],
    ['no file, excluded', { object: obj() }, { excluded: true }, 'kept', 'without deleteExcluded'],
    [
      'excluded, deleteExcluded',
      { object: obj() },
      { excluded: true, deleteExcluded: true },
      'extra',
      'deleteExcluded',
    ],
    ['folder marker', { object: obj() }, { hasPath: false }, 'kept', 'folder marker'],
    [
      'opaque ETag the journal recorded',
      { local: file, object: obj('opaque-etag'), digest: journal, row: clean },
      {},
      'identical',
      'journal recorded',
    ],
    [
      'opaque ETag, no record',
      { local: file, object: obj('other-opaque'), digest: journal, row: clean },
      {},
      'head',
      '',
    ],
    [
      'opaque, x-amz-meta-md5 differs',
      { local: file, object: obj('x'), digest: read, head: { metaMd5: OTHER, metaPartSize: null } },
      {},
      'content-differs',
      'x-amz-meta-md5',
    ],
    ['multipart, part size fits', { local: file, object: obj(MP), digest: read }, {}, 'hash', '2-byte parts'],
    [
      'multipart equal',
      { local: file, object: obj(MP), digest: { ...read, partSize: 2, multipartEtag: MP } },
      {},
      'identical',
      'multipart ETag',
    ],
    [
      'sent in parts as read: the journal has its multipart ETag, no MD5, and that suffices',
      { local: file, object: obj(MP), digest: { md5: null, read: false, partSize: 2, multipartEtag: MP } },
      {},
      'identical',
      'multipart ETag',
    ],
    [
      'no MD5 recorded and an MD5 ETag: the file is read',
      { local: file, object: obj(), digest: { md5: null, read: false, partSize: 2, multipartEtag: MP } },
      {},
      'hash',
      'the file MD5 is needed',
    ],
    [
      'multipart differs: HEAD for its part size',
      { local: file, object: obj(MP), digest: { ...read, partSize: 2, multipartEtag: `${OTHER}-2` } },
      {},
      'head',
      'part size',
    ],
    [
      'multipart, x-amz-meta-part-size',
      { local: file, object: obj(MP), digest: read, head: { metaMd5: null, metaPartSize: '2' } },
      { configuredPartSize: 8 },
      'hash',
      '2-byte parts',
    ],
    [
      'multipart, no part size fits: HEAD',
      { local: file, object: obj(MP), digest: read },
      { configuredPartSize: 8 },
      'head',
      'no known part size',
    ],
    [
      'deep reads the file even when the journal knows it',
      { local: file, object: obj(), digest: journal },
      { deep: true },
      'hash',
      '--deep',
    ],
    ['deep GETs the object', { local: file, object: obj(), digest: read }, { deep: true }, 'get', '--deep'],
    [
      'deep: a forged metadata does not matter',
      { local: file, object: obj(), digest: read, got: { md5: OTHER } },
      { deep: true },
      'content-differs',
      'bytes differ',
    ],
    [
      'deep: same bytes',
      { local: file, object: obj(), digest: read, got: { md5: MD5 } },
      { deep: true },
      'identical',
      '',
    ],
  ])('%s', (_name, view, c, expected, reason) => {
    const d = judgeKey(view, ctx(c));
    expect('verdict' in d ? d.verdict : d.need).toBe(expected);
    expect(d.reason).toContain(reason);
  });
});
