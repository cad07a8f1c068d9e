import { expect } from 'vitest';
import {
  plan,
  type Decision,
  type JournalView,
  type LocalView,
  type PlanOptions,
  type RemoteView,
} from '../../src/plan/planner.js';
import type { LocalStat } from '../../src/model.js';

// The planner's rule table (src/plan/planner.ts; docs/architecture.md) is one table split by subject
// across planner-*.ts beside this file; these are the inputs its rows are built from.

export const MD5 = '0cc175b9c0f1b6a831c399e269772661'; // the content on disk
export const OTHER = '900150983cd24fb0d6963f7d28e17f72'; // some other content
export const MP = `${'a'.repeat(32)}-3`; // a multipart ETag with 3 parts
export const MP_OTHER = `${'b'.repeat(32)}-3`; // same part count, different content
export const MP_4 = `${'c'.repeat(32)}-4`; // different part count
export const KMS = '7e3fd2b4d1f28d8b1b1b8c7a1a4c4e2f'; // an SSE-KMS ETag: 32 hex but not the MD5

export const STAT: LocalStat = {
  size: 100,
  mtimeNs: '1700000000123456789',
  ctimeNs: '1700000000123456789',
  ino: '9007199254740993',
};

export const file = (over: Partial<LocalView> = {}, stat: Partial<LocalStat> = {}): LocalView => ({
  kind: 'file',
  stat: { ...STAT, ...stat },
  ...over,
});
export const hashed = (over: Partial<LocalView> = {}, stat: Partial<LocalStat> = {}): LocalView =>
  file({ md5: MD5, localEtag: MD5, ...over }, stat);

/** A journal row after our own confirmed upload of STAT/MD5 as a single PUT. */
export const synced = (over: Partial<JournalView> = {}): JournalView => ({
  size: STAT.size,
  mtimeNs: STAT.mtimeNs,
  ctimeNs: STAT.ctimeNs,
  ino: STAT.ino,
  md5: MD5,
  etag: MD5,
  remoteSize: STAT.size,
  ...over,
});
export const remote = (etag: string, over: Partial<RemoteView> = {}): RemoteView => ({
  etag,
  size: STAT.size,
  ...over,
});

export const OPTS: PlanOptions = {
  deleteMode: 'mirror',
  excluded: false,
  deleteExcluded: false,
  opaqueEtags: false,
  keyBytes: 20,
};

export interface Row {
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

/** Plans the row's inputs and checks the decision against the row. */
export function expectRule(r: Row): void {
  const d = plan(r.local, r.journal, r.remote, { ...OPTS, ...r.opts });
  expect(d.op).toBe(r.op);
  expect(d.reason).toContain(r.reason);
  if (r.extra) expect(d).toMatchObject(r.extra);
  if (r.noLearned) expect(d).not.toHaveProperty('learned');
}
