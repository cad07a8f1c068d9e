import { describe, expect, it } from 'vitest';
import { planReload, type ConfigView } from '../src/plan/reload.js';

// What a SIGHUP changes (src/plan/reload.ts): per pair, add / remove / update (with what the update
// asks: a new watch, a rescan, a bucket check) / keep; top-level settings live, or a refusal.

const pair = { name: 'p', path: '/data/p', bucket: 'b', prefix: '', exclude: [], delete: 'mirror' };
const base: ConfigView = {
  stateDir: '/var/lib/s3mirror',
  s3: { endpoint: 'http://127.0.0.1:9000' },
  concurrency: 16,
  debounceMs: 1000,
  multipart: { thresholdBytes: 8, partSizeBytes: 8 },
  source: '/etc/s3mirror/config.json',
  pairs: [pair, { ...pair, name: 'q', path: '/data/q', prefix: 'q/' }],
};
const withP = (p: Record<string, unknown>): ConfigView => ({ ...base, pairs: [{ ...pair, ...p }, base.pairs[1]!] });
const upd = (changed: string[], rewatch: boolean, rescan: boolean, checkBucket: boolean) => ({
  op: 'update',
  name: 'p',
  reason: `changed: ${changed.join(', ')}`,
  changed,
  rewatch,
  rescan,
  checkBucket,
});

describe('planReload: one pair field changed', () => {
  it.each([
    [
      'prefix: re-keyed and rescanned (copies from the old prefix)',
      { prefix: 'new/' },
      upd(['prefix'], false, true, false),
    ],
    ['exclude: watched anew and rescanned', { exclude: ['*.tmp'] }, upd(['exclude'], true, true, false)],
    ['delete mode: a new engine only', { delete: 'keep' }, upd(['delete'], false, false, false)],
    ['bucket: checked, watched anew, rescanned', { bucket: 'c' }, upd(['bucket'], true, true, true)],
    ['path: watched anew and rescanned', { path: '/data/p2' }, upd(['path'], true, true, false)],
    ['deleteExcluded: rescanned', { deleteExcluded: true }, upd(['deleteExcluded'], false, true, false)],
    ['a field this version does not know: everything', { someday: 1 }, upd(['someday'], true, true, true)],
    [
      'several: the union of what each asks',
      { delete: 'trash', exclude: ['x'] },
      upd(['delete', 'exclude'], true, true, false),
    ],
  ])('%s', (_why, change, want) => {
    const r = planReload(base, withP(change));
    expect(r.action).toBe('apply');
    if (r.action === 'refuse') return;
    expect(r.pairs[0]).toEqual(want);
    expect(r.pairs[1]).toEqual({ op: 'keep', name: 'q', reason: 'unchanged' });
  });
});

describe('planReload: pairs and settings', () => {
  it.each([
    [
      'nothing changed (the source path is no setting)',
      { ...base, source: '/elsewhere.json' },
      'none',
      [],
      ['keep', 'keep'],
    ],
    [
      'a pair added',
      { ...base, pairs: [...base.pairs, { ...pair, name: 'r', path: '/r' }] },
      'apply',
      [],
      ['add', 'keep', 'keep'],
    ],
    ['a pair removed', { ...base, pairs: [pair] }, 'apply', [], ['remove', 'keep']],
    [
      'a pair renamed: removed, then added (removals first)',
      { ...base, pairs: [{ ...pair, name: 'p2' }, base.pairs[1]!] },
      'apply',
      [],
      ['remove', 'add', 'keep'],
    ],
    [
      'concurrency and debounce: live',
      { ...base, concurrency: 4, debounceMs: 50 },
      'apply',
      ['concurrency', 'debounceMs'],
      ['keep', 'keep'],
    ],
    [
      'the age at which unfinished uploads are aborted: live',
      { ...base, abortIncompleteAfterMs: 3_600_000 },
      'apply',
      ['abortIncompleteAfterMs'],
      ['keep', 'keep'],
    ],
  ] as const)('%s', (_why, next, action, settings, ops) => {
    const r = planReload(base, next as ConfigView);
    expect(r.action).toBe(action);
    if (r.action === 'refuse') return;
    expect(r.settings).toEqual(settings);
    expect(r.pairs.map((p) => p.op)).toEqual(ops);
  });

  it.each([
    ['stateDir', { stateDir: '/elsewhere' }, ['stateDir']],
    ['the endpoint', { s3: { endpoint: 'http://127.0.0.1:9001' } }, ['s3']],
    ['the part size', { multipart: { thresholdBytes: 8, partSizeBytes: 16 } }, ['multipart']],
    ['the metrics listener', { metrics: { listen: '127.0.0.1:9465' } }, ['metrics']],
    ['a top-level field this version does not know', { someday: true }, ['someday']],
  ])('%s changed: the whole reload is refused, naming it', (_why, change, fields) => {
    const r = planReload(base, { ...base, ...change, pairs: [] });
    expect(r.action).toBe('refuse');
    if (r.action !== 'refuse') return;
    expect(r.restartNeeded.map((x) => x.field)).toEqual(fields);
    expect(r.reason).toContain('needs a restart');
    if (fields[0] === 'metrics') expect(r.restartNeeded[0]!.why).toBe('the metrics listener is opened once, at start');
  });
});
