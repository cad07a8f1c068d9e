import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { LocalStat } from '../src/model.js';
import { syncSignature } from '../src/plan/reconcile-key.js';
import { Journal } from '../src/store/journal.js';

// A pass settles nearly every key by comparing a row's signature, built by SQLite, with one built
// from the file's lstat and the object: the two must agree exactly when the row is in sync, and
// differ when any part differs. Real SQLite: its number formatting is the point.

let dir: string | undefined;
let journal: Journal | undefined;
afterEach(() => {
  journal?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  journal = undefined;
  dir = undefined;
});

const digits = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(String);
const stat: fc.Arbitrary<LocalStat> = fc.record({
  size: fc.maxSafeNat(),
  mtimeNs: digits,
  ctimeNs: digits,
  ino: digits,
});
const etag = fc.string({ minLength: 1, maxLength: 40, unit: fc.constantFrom('a', 'f', '0', '9', ':', '-', '"') });

describe('the sync signature', () => {
  it('is the same string from the row and from the file and object it recorded, and no other', () => {
    dir = mkdtempSync(join(tmpdir(), 's3mirror-sig-'));
    const j = (journal = Journal.open(dir));
    j.pairs.upsert({ name: 'p', root: dir, bucket: 'b', prefix: '' });
    let n = 0;
    fc.assert(
      fc.property(stat, etag, stat, etag, fc.boolean(), (st, tag, other, otherTag, clean) => {
        const rel = `f${n++}`;
        j.markDirty({ pair: 'p', rel, key: rel, now: 1, debounceMs: 0, maxDelayMs: 0 });
        const content = { md5: 'm', partSize: 0, localEtag: tag, etag: tag, etagKind: 'md5' as const };
        // A generation that moved on leaves the row dirty: no signature.
        j.recordSynced({ pair: 'p', rel, gen: clean ? 1 : 0, stat: st, content, now: 2, debounceMs: 0 });
        const row = j.march.rowsAfter('p', null, 1, { lo: rel, hi: `${rel}\0` }).rows[0]!;
        expect(row.rel).toBe(rel);
        if (!clean) {
          expect(row.sig).toBeNull();
          return;
        }
        expect(row.sig).toBe(syncSignature(st, { size: st.size, etag: tag }));
        const same = (s: LocalStat, t: string, size: number) =>
          s.size === st.size &&
          s.mtimeNs === st.mtimeNs &&
          s.ctimeNs === st.ctimeNs &&
          s.ino === st.ino &&
          t === tag &&
          size === st.size;
        for (const [s, t, size] of [
          [other, tag, st.size],
          [st, otherTag, st.size],
          [st, tag, other.size],
          [{ ...st, mtimeNs: other.mtimeNs }, tag, st.size],
          [{ ...st, ino: other.ino }, tag, st.size],
        ] as const)
          expect(row.sig === syncSignature(s, { size, etag: t })).toBe(same(s, t, size));
      }),
      { numRuns: 500 },
    );
  });
});
