import { describe, expect, it } from 'vitest';
import {
  plan,
  sameStat,
  type Decision,
  type JournalView,
  type LocalView,
  type PlanOptions,
  type RemoteView,
} from '../src/plan/planner.js';
import type { LocalStat } from '../src/model.js';

/** One table, one row per rule as the planner applies it (src/plan/planner.ts; docs/architecture.md). */

const MD5 = '0cc175b9c0f1b6a831c399e269772661'; // the content on disk
const OTHER = '900150983cd24fb0d6963f7d28e17f72'; // some other content
const MP = `${'a'.repeat(32)}-3`; // a multipart ETag with 3 parts
const MP_OTHER = `${'b'.repeat(32)}-3`; // same part count, different content
const MP_4 = `${'c'.repeat(32)}-4`; // different part count
const KMS = '7e3fd2b4d1f28d8b1b1b8c7a1a4c4e2f'; // an SSE-KMS ETag: 32 hex but not the MD5

const STAT: LocalStat = {
  size: 100,
  mtimeNs: '1700000000123456789',
  ctimeNs: '1700000000123456789',
  ino: '9007199254740993',
};

const file = (over: Partial<LocalView> = {}, stat: Partial<LocalStat> = {}): LocalView => ({
  kind: 'file',
  stat: { ...STAT, ...stat },
  ...over,
});
const hashed = (over: Partial<LocalView> = {}, stat: Partial<LocalStat> = {}): LocalView =>
  file({ md5: MD5, localEtag: MD5, ...over }, stat);

/** A journal row after our own confirmed upload of STAT/MD5 as a single PUT. */
const synced = (over: Partial<JournalView> = {}): JournalView => ({
  size: STAT.size,
  mtimeNs: STAT.mtimeNs,
  ctimeNs: STAT.ctimeNs,
  ino: STAT.ino,
  md5: MD5,
  etag: MD5,
  remoteSize: STAT.size,
  ...over,
});
const remote = (etag: string, over: Partial<RemoteView> = {}): RemoteView => ({ etag, size: STAT.size, ...over });

const OPTS: PlanOptions = {
  deleteMode: 'mirror',
  excluded: false,
  deleteExcluded: false,
  opaqueEtags: false,
  keyBytes: 20,
};

interface Row {
  rule: string;
  local: LocalView | null;
  journal: JournalView | null;
  remote: RemoteView | null;
  opts?: Partial<PlanOptions>;
  op: Decision['op'];
  reason: string;
  /** Further fields the decision must carry (code, learned). */
  extra?: Record<string, unknown>;
  /** The decision must not carry `learned`. */
  noLearned?: boolean;
}

const rows: Row[] = [
  // ── absent locally ────────────────────────────────────────────────────────────────
  {
    rule: 'absent, no remote → forget',
    local: null,
    journal: synced(),
    remote: null,
    op: 'forget',
    reason: 'gone locally and remotely',
  },
  {
    rule: 'absent, no journal, no remote → forget',
    local: null,
    journal: null,
    remote: null,
    op: 'forget',
    reason: 'gone locally and remotely',
  },
  {
    rule: 'absent, no remote, even in trash mode → forget',
    local: null,
    journal: null,
    remote: null,
    opts: { deleteMode: 'trash' },
    op: 'forget',
    reason: 'gone locally and remotely',
  },
  {
    rule: 'absent + remote + mirror → delete',
    local: null,
    journal: synced(),
    remote: remote(MD5),
    op: 'delete',
    reason: 'deleted locally',
  },
  {
    rule: 'absent + remote + trash → trash',
    local: null,
    journal: synced(),
    remote: remote(MD5),
    opts: { deleteMode: 'trash' },
    op: 'trash',
    reason: 'moved to trash',
  },
  {
    rule: 'absent + remote + keep → forget',
    local: null,
    journal: synced(),
    remote: remote(MD5),
    opts: { deleteMode: 'keep' },
    op: 'forget',
    reason: 'delete: keep',
  },
  {
    rule: 'excluded, absent + remote → forget (object kept)',
    local: null,
    journal: null,
    remote: remote(MD5),
    opts: { excluded: true },
    op: 'forget',
    reason: 'excluded; object kept',
  },
  {
    rule: 'excluded, absent + remote + trash mode → still kept',
    local: null,
    journal: null,
    remote: remote(MD5),
    opts: { excluded: true, deleteMode: 'trash' },
    op: 'forget',
    reason: 'excluded; object kept',
  },
  {
    rule: 'excluded, absent + remote + deleteExcluded → delete',
    local: null,
    journal: null,
    remote: remote(MD5),
    opts: { excluded: true, deleteExcluded: true },
    op: 'delete',
    reason: 'deleted locally',
  },
  {
    rule: 'excluded, absent + remote + deleteExcluded + trash → trash',
    local: null,
    journal: null,
    remote: remote(MD5),
    opts: { excluded: true, deleteExcluded: true, deleteMode: 'trash' },
    op: 'trash',
    reason: 'moved to trash',
  },
  {
    rule: 'excluded, absent + remote + deleteExcluded + keep → forget',
    local: null,
    journal: null,
    remote: remote(MD5),
    opts: { excluded: true, deleteExcluded: true, deleteMode: 'keep' },
    op: 'forget',
    reason: 'delete: keep',
  },

  // ── present but excluded ──────────────────────────────────────────────────────────
  {
    rule: 'excluded, present + remote → forget',
    local: hashed(),
    journal: synced(),
    remote: remote(MD5),
    opts: { excluded: true },
    op: 'forget',
    reason: 'excluded by a filter',
  },
  {
    rule: 'excluded, present, no remote, deleteExcluded → forget',
    local: file(),
    journal: null,
    remote: null,
    opts: { excluded: true, deleteExcluded: true },
    op: 'forget',
    reason: 'excluded by a filter',
  },
  {
    rule: 'excluded, present + remote + deleteExcluded → delete',
    local: file(),
    journal: null,
    remote: remote(MD5),
    opts: { excluded: true, deleteExcluded: true },
    op: 'delete',
    reason: 'excluded and deleteExcluded is on',
  },
  {
    rule: 'excluded, present + remote + deleteExcluded + trash → trash',
    local: file(),
    journal: null,
    remote: remote(MD5),
    opts: { excluded: true, deleteExcluded: true, deleteMode: 'trash' },
    op: 'trash',
    reason: 'excluded and deleteExcluded is on; moved to trash',
  },

  // ── odd files and keys ────────────────────────────────────────────────────────────
  {
    rule: 'symlink → ignore',
    local: file({ kind: 'symlink' }),
    journal: null,
    remote: null,
    op: 'ignore',
    reason: 'symlink',
    extra: { code: 'UNSUPPORTED_FILE' },
  },
  {
    rule: 'symlink over an existing object → ignore',
    local: file({ kind: 'symlink' }),
    journal: null,
    remote: remote(MD5),
    op: 'ignore',
    reason: 'symlink',
    extra: { code: 'UNSUPPORTED_FILE' },
  },
  {
    rule: 'FIFO/socket/device → ignore',
    local: file({ kind: 'special' }),
    journal: null,
    remote: null,
    op: 'ignore',
    reason: 'not a regular file',
    extra: { code: 'UNSUPPORTED_FILE' },
  },
  {
    rule: 'key of 1025 bytes → refuse (a per-file error)',
    local: hashed(),
    journal: null,
    remote: null,
    opts: { keyBytes: 1025 },
    op: 'refuse',
    reason: 'object key is 1025 bytes; S3 allows 1024',
    extra: { code: 'KEY_TOO_LONG' },
  },
  {
    rule: 'key of exactly 1024 bytes is fine',
    local: hashed(),
    journal: null,
    remote: null,
    opts: { keyBytes: 1024 },
    op: 'upload',
    reason: 'new object',
  },

  // ── what changed: stat first, hash only when needed ───────────────────────────────
  {
    rule: 'unchanged stat + journal ETag/size = listing → skip without hashing',
    local: file(),
    journal: synced(),
    remote: remote(MD5),
    op: 'skip',
    reason: 'unchanged since our upload',
    noLearned: true,
  },
  {
    rule: 'unchanged stat + multipart journal ETag = listing → skip without hashing',
    local: file(),
    journal: synced({ etag: MP }),
    remote: remote(MP),
    op: 'skip',
    reason: 'unchanged since our upload',
    noLearned: true,
  },
  {
    rule: 'unchanged stat, listed ETag differs → hash',
    local: file(),
    journal: synced(),
    remote: remote(OTHER),
    op: 'hash',
    reason: 'object differs from our last upload',
  },
  {
    rule: 'unchanged stat, listed size differs → hash',
    local: file(),
    journal: synced(),
    remote: remote(MD5, { size: 101 }),
    op: 'hash',
    reason: 'object differs from our last upload',
  },
  {
    rule: 'unchanged stat, object missing → hash',
    local: file(),
    journal: synced(),
    remote: null,
    op: 'hash',
    reason: 'object missing remotely',
  },
  {
    rule: 'unchanged stat, never confirmed (no journal ETag) → hash',
    local: file(),
    journal: synced({ etag: null, remoteSize: null }),
    remote: remote(MD5),
    op: 'hash',
    reason: 'object differs from our last upload',
  },
  {
    rule: 'mtime changed, no md5 → hash',
    local: file({}, { mtimeNs: '1700000000123456790' }),
    journal: synced(),
    remote: remote(MD5),
    op: 'hash',
    reason: 'size, mtime, ctime or inode changed',
  },
  {
    rule: 'size changed, no md5 → hash',
    local: file({}, { size: 101 }),
    journal: synced(),
    remote: remote(MD5),
    op: 'hash',
    reason: 'size, mtime, ctime or inode changed',
  },
  {
    rule: 'ctime changed, no md5 → hash',
    local: file({}, { ctimeNs: '1700000000123456790' }),
    journal: synced(),
    remote: remote(MD5),
    op: 'hash',
    reason: 'size, mtime, ctime or inode changed',
  },
  {
    rule: 'inode changed (beyond 2^53), no md5 → hash',
    local: file({}, { ino: '9007199254740992' }),
    journal: synced(),
    remote: remote(MD5),
    op: 'hash',
    reason: 'size, mtime, ctime or inode changed',
  },
  {
    rule: 'new file (no journal row), no md5 → hash',
    local: file(),
    journal: null,
    remote: null,
    op: 'hash',
    reason: 'new file',
  },
  {
    rule: 'new file with an object already there, no md5 → hash',
    local: file(),
    journal: null,
    remote: remote(MD5),
    op: 'hash',
    reason: 'new file',
  },
  {
    rule: 'journal row never hashed, no md5 → hash',
    local: file(),
    journal: synced({ md5: null, etag: null, remoteSize: null }),
    remote: null,
    op: 'hash',
    reason: 'new file',
  },

  // ── hashed: compare with the object ───────────────────────────────────────────────
  {
    rule: 'md5 known, no remote, no journal → upload',
    local: hashed(),
    journal: null,
    remote: null,
    op: 'upload',
    reason: 'new object',
  },
  {
    rule: 'md5 known, no remote, we had uploaded it → upload',
    local: hashed(),
    journal: synced(),
    remote: null,
    op: 'upload',
    reason: 'object missing remotely',
  },
  {
    rule: 'size differs from object → upload',
    local: hashed(),
    journal: null,
    remote: remote(MD5, { size: 99 }),
    op: 'upload',
    reason: 'size differs from object',
  },
  {
    rule: 'size differs even with equal x-amz-meta-md5 → upload',
    local: hashed(),
    journal: null,
    remote: remote(MD5, { size: 99, metaMd5: MD5 }),
    op: 'upload',
    reason: 'size differs from object',
  },
  {
    rule: 'remote md5 ETag = local md5 → skip, learned',
    local: hashed(),
    journal: null,
    remote: remote(MD5),
    op: 'skip',
    reason: 'ETag equals local MD5',
    extra: { learned: { etag: MD5, etagKind: 'md5' } },
  },
  {
    rule: 'remote md5 ETag ≠ local md5 → upload',
    local: hashed(),
    journal: null,
    remote: remote(OTHER),
    op: 'upload',
    reason: 'ETag differs from local MD5',
  },
  {
    rule: 'opaqueEtags (SSE-KMS), 32-hex ETag → head',
    local: hashed(),
    journal: null,
    remote: remote(KMS),
    opts: { opaqueEtags: true },
    op: 'head',
    reason: 'ETag (md5, SSE) cannot be compared',
  },
  {
    rule: 'opaqueEtags, ETag even equal to md5 → still head',
    local: hashed(),
    journal: null,
    remote: remote(MD5),
    opts: { opaqueEtags: true },
    op: 'head',
    reason: 'SSE',
  },
  {
    rule: 'opaqueEtags, metaMd5 equal → skip, learned',
    local: hashed(),
    journal: null,
    remote: remote(KMS, { metaMd5: MD5 }),
    opts: { opaqueEtags: true },
    op: 'skip',
    reason: 'x-amz-meta-md5 matches',
    extra: { learned: { etag: KMS, etagKind: 'md5' } },
  },
  {
    rule: 'opaqueEtags, metaMd5 differs → upload',
    local: hashed(),
    journal: null,
    remote: remote(KMS, { metaMd5: OTHER }),
    opts: { opaqueEtags: true },
    op: 'upload',
    reason: 'x-amz-meta-md5 differs',
  },
  {
    rule: 'bucket encryption unknown, 32-hex ETag differs from MD5 → head (it may be a default SSE-KMS ETag)',
    local: hashed(),
    journal: null,
    remote: remote(KMS),
    opts: { etagsUnknown: true },
    op: 'head',
    reason: 'bucket encryption not known yet',
  },
  {
    rule: 'bucket encryption unknown, ETag equals MD5 → skip (no opaque ETag equals the MD5)',
    local: hashed(),
    journal: null,
    remote: remote(MD5),
    opts: { etagsUnknown: true },
    op: 'skip',
    reason: 'ETag equals local MD5',
    extra: { learned: { etag: MD5, etagKind: 'md5' } },
  },
  {
    rule: 'bucket encryption unknown, HEAD found no x-amz-meta-md5 → upload',
    local: hashed(),
    journal: null,
    remote: remote(KMS, { metaMd5: null }),
    opts: { etagsUnknown: true },
    op: 'upload',
    reason: 'ETag differs from local MD5',
  },
  {
    rule: 'opaqueEtags, metaMd5 null → upload',
    local: hashed(),
    journal: null,
    remote: remote(KMS, { metaMd5: null }),
    opts: { opaqueEtags: true },
    op: 'upload',
    reason: 'identity unknown',
  },
  {
    rule: 'metaMd5 equal on a multipart object → skip, learned',
    local: hashed({ localEtag: MP_4 }),
    journal: null,
    remote: remote(MP, { metaMd5: MD5 }),
    op: 'skip',
    reason: 'x-amz-meta-md5 matches',
    extra: { learned: { etag: MP, etagKind: 'multipart' } },
  },
  {
    rule: 'metaMd5 wins over an equal ETag: differs → upload',
    local: hashed(),
    journal: null,
    remote: remote(MD5, { metaMd5: OTHER }),
    op: 'upload',
    reason: 'x-amz-meta-md5 differs',
  },
  {
    rule: 'multipart ETag reproduced, same part count → skip, learned',
    local: hashed({ localEtag: MP }),
    journal: null,
    remote: remote(MP),
    op: 'skip',
    reason: 'multipart ETag reproduced',
    extra: { learned: { etag: MP, etagKind: 'multipart' } },
  },
  {
    rule: 'multipart ETag, same part count, differs → head (part sizes may differ)',
    local: hashed({ localEtag: MP_OTHER }),
    journal: null,
    remote: remote(MP),
    op: 'head',
    reason: 'ETag (multipart) cannot be compared',
  },
  {
    rule: 'multipart ETag, same part count, differs, metaMd5 null → upload',
    local: hashed({ localEtag: MP_OTHER }),
    journal: null,
    remote: remote(MP, { metaMd5: null }),
    op: 'upload',
    reason: 'identity unknown',
  },
  {
    rule: 'multipart ETag, different part count → head',
    local: hashed({ localEtag: MP_4 }),
    journal: null,
    remote: remote(MP),
    op: 'head',
    reason: 'ETag (multipart) cannot be compared',
  },
  {
    rule: 'multipart ETag, different part count, metaMd5 null → upload',
    local: hashed({ localEtag: MP_4 }),
    journal: null,
    remote: remote(MP, { metaMd5: null }),
    op: 'upload',
    reason: 'identity unknown',
  },
  {
    rule: 'multipart ETag, local would be a single PUT → head',
    local: hashed({ localEtag: MD5 }),
    journal: null,
    remote: remote(MP),
    op: 'head',
    reason: 'ETag (multipart) cannot be compared',
  },
  {
    rule: 'multipart ETag, local ETag not computed → head',
    local: hashed({ localEtag: undefined }),
    journal: null,
    remote: remote(MP),
    op: 'head',
    reason: 'ETag (multipart) cannot be compared',
  },
  {
    rule: 'multipart ETag reproduced but opaqueEtags → head',
    local: hashed({ localEtag: MP }),
    journal: null,
    remote: remote(MP),
    opts: { opaqueEtags: true },
    op: 'head',
    reason: 'ETag (multipart, SSE) cannot be compared',
  },
  {
    rule: 'opaque ETag → head',
    local: hashed(),
    journal: null,
    remote: remote('not-an-md5'),
    op: 'head',
    reason: 'ETag (opaque) cannot be compared; reading x-amz-meta-md5',
  },
  {
    rule: 'opaque ETag, metaMd5 null → upload',
    local: hashed(),
    journal: null,
    remote: remote('not-an-md5', { metaMd5: null }),
    op: 'upload',
    reason: 'identity unknown (no x-amz-meta-md5, ETag not comparable)',
  },

  // ── a touch: stat changed, content did not ────────────────────────────────────────
  {
    rule: 'touch: journal ETag+md5 match remote (multipart) → skip',
    local: hashed({ localEtag: undefined }, { mtimeNs: '1800000000000000000' }),
    journal: synced({ etag: MP }),
    remote: remote(MP),
    op: 'skip',
    reason: 'content unchanged since our upload',
    noLearned: true,
  },
  {
    rule: 'touch: journal ETag+md5 match remote (SSE-KMS) → skip',
    local: hashed({}, { ctimeNs: '1800000000000000000' }),
    journal: synced({ etag: KMS }),
    remote: remote(KMS),
    opts: { opaqueEtags: true },
    op: 'skip',
    reason: 'content unchanged since our upload',
    noLearned: true,
  },
  {
    rule: 'not a touch: md5 changed though journal ETag matches → upload',
    local: hashed({ md5: OTHER, localEtag: MP_OTHER }, { mtimeNs: '1800000000000000000' }),
    journal: synced({ etag: MP }),
    remote: remote(MP),
    op: 'upload',
    reason: 'content changed since our upload',
  },
  {
    rule: 'not a touch: object replaced since our upload → head',
    local: hashed({ localEtag: undefined }, { mtimeNs: '1800000000000000000' }),
    journal: synced({ etag: MP }),
    remote: remote(MP_OTHER),
    op: 'head',
    reason: 'ETag (multipart) cannot be compared',
  },
];

describe('plan', () => {
  it.each(rows.map((r) => [r.rule, r] as const))('%s', (_rule, r) => {
    const d = plan(r.local, r.journal, r.remote, { ...OPTS, ...r.opts });
    expect(d.op).toBe(r.op);
    expect(d.reason).toContain(r.reason);
    if (r.extra) expect(d).toMatchObject(r.extra);
    if (r.noLearned) expect(d).not.toHaveProperty('learned');
  });

  it('is pure: the same inputs give equal decisions and the inputs are not mutated', () => {
    for (const r of rows) {
      const args = [r.local, r.journal, r.remote, { ...OPTS, ...r.opts }] as const;
      const before = JSON.stringify(args);
      const a = plan(...args);
      const b = plan(...args);
      expect(b).toEqual(a);
      expect(JSON.stringify(args)).toBe(before);
    }
  });

  it('covers every op at least once', () => {
    expect(new Set(rows.map((r) => r.op))).toEqual(
      new Set(['skip', 'hash', 'head', 'upload', 'delete', 'trash', 'forget', 'ignore', 'refuse']),
    );
  });
});

describe('sameStat', () => {
  it.each<[string, Partial<LocalStat>, Partial<JournalView>, boolean]>([
    ['identical', {}, {}, true],
    ['size differs', { size: 1 }, {}, false],
    ['mtime differs in the last nanosecond', { mtimeNs: '1700000000123456788' }, {}, false],
    ['ctime differs', { ctimeNs: '1' }, {}, false],
    ['inode differs beyond 2^53', { ino: '9007199254740992' }, {}, false],
    ['journal has no stat yet', {}, { size: null, mtimeNs: null, ctimeNs: null, ino: null }, false],
  ])('%s → %s', (_what, s, j, expected) => {
    expect(sameStat({ ...STAT, ...s }, synced(j))).toBe(expected);
  });
});

describe('plan: regressions', () => {
  // delete: "keep" must never delete. For an excluded file that is absent locally the planner keeps
  // the object (planAbsent checks "keep" first), but for the same excluded file still present on disk
  // deleteOp() ignores "keep" and returns `delete`.
  it('excluded, present + remote + deleteExcluded + keep → forget, like the absent case', () => {
    const d = plan(file(), null, remote(MD5), { ...OPTS, excluded: true, deleteExcluded: true, deleteMode: 'keep' });
    expect(d.op).toBe('forget');
  });
});
