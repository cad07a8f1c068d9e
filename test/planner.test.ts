import { describe, expect, it } from 'vitest';
import { plan, sameStat, type JournalView } from '../src/plan/planner.js';
import type { LocalStat } from '../src/model.js';
import { expectRule, file, MD5, OPTS, remote, STAT, synced } from './support/planner.js';
import { CHANGE_RULES } from './support/planner-changes.js';
import { DELETE_RULES } from './support/planner-deletes.js';
import { ETAG_RULES } from './support/planner-etags.js';
import { TOUCH_RULES } from './support/planner-touch.js';

/** One table, one row per rule as the planner applies it (src/plan/planner.ts; docs/architecture.md). */
const rows = [...DELETE_RULES, ...CHANGE_RULES, ...ETAG_RULES, ...TOUCH_RULES];

describe('plan', () => {
  it.each(rows.map((r) => [r.rule, r] as const))('%s', (_rule, r) => {
    expectRule(r);
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
