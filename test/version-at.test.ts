import { describe, expect, it } from 'vitest';
import { parseAt, type VersionView, versionAt } from '../src/plan/version-at.js';

// `restore --at`: per key, the newest version made at or before the moment; a delete marker there,
// or only later versions, mean the file was absent then.
const T = Date.parse('2026-01-01T12:00:00Z');
const v = (id: string, dt: number, o: Partial<VersionView> = {}): VersionView => ({
  versionId: id,
  lastModified: T + dt,
  isLatest: false,
  deleteMarker: false,
  ...o,
});
const marker = (id: string, dt: number, o: Partial<VersionView> = {}) => v(id, dt, { deleteMarker: true, ...o });

describe('versionAt', () => {
  it.each<[string, VersionView[], string]>([
    ['no versions', [], 'absent'],
    ['one version before', [v('a', -1000, { isLatest: true })], 'a'],
    ['one version exactly at the time', [v('a', 0, { isLatest: true })], 'a'],
    ['only a version after', [v('a', 1, { isLatest: true })], 'absent'],
    ['the newest before, not the one after', [v('c', 5000, { isLatest: true }), v('b', -10), v('a', -2000)], 'b'],
    ['listed out of time order', [v('a', -2000), v('b', -10), v('c', 5000, { isLatest: true })], 'b'],
    ['a delete marker before the time: absent', [marker('m', -5, { isLatest: true }), v('a', -2000)], 'absent'],
    ['a delete marker after the time: the version', [marker('m', 5, { isLatest: true }), v('a', -2000)], 'a'],
    ['recreated after a delete, before the time', [v('b', -1, { isLatest: true }), marker('m', -5), v('a', -9)], 'b'],
    ['a tie: the latest wins', [v('a', 0), marker('m', 0, { isLatest: true })], 'absent'],
    ['a tie: the latest version wins over a marker', [marker('m', 0), v('a', 0, { isLatest: true })], 'a'],
    ['a tie of versions: listing order (newest first)', [v('b', 0), v('a', 0), v('c', 9, { isLatest: true })], 'b'],
    ['a tie of a version and a marker, neither latest: the version', [marker('m', -1), v('a', -1)], 'a'],
    ['the null version from before versioning', [v('b', 10, { isLatest: true }), v('null', -3600e3)], 'null'],
    ['a null delete marker (suspended versioning)', [marker('null', -1, { isLatest: true }), v('a', -9)], 'absent'],
  ])('%s', (_name, versions, want) => {
    const c = versionAt(versions, T);
    expect(c.action === 'restore' ? c.version.versionId : c.action).toBe(want);
  });

  it('says why', () => {
    expect(versionAt([marker('m', -1, { isLatest: true })], T).reason).toBe('deleted at that time');
    expect(versionAt([v('a', 1, { isLatest: true })], T).reason).toBe('created after that time');
    expect(versionAt([v('null', -1, { isLatest: true })], T).reason).toContain('before versioning');
  });
});

describe('parseAt', () => {
  it.each<[string, number | undefined]>([
    ['2026-01-01T12:00:00Z', T],
    ['2026-01-01T12:00:00.250Z', T + 250],
    ['2026-01-01T13:00:00+01:00', T],
    ['2026-01-01T12:00Z', T],
    ['2026-01-01', Date.parse('2026-01-01T00:00:00Z')],
    ['2026-01-01T12:00:00', undefined],
    ['yesterday', undefined],
    ['2026-13-01T00:00:00Z', undefined],
    ['1700000000', undefined],
  ])('%s', (text, want) => expect(parseAt(text)).toBe(want));
});
