import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareKeys } from '../src/plan/key-order.js';
import type { KeyRange } from '../src/plan/key-range.js';
import { Filter } from '../src/watch/filter.js';
import { type WalkStats, walkInOrder } from '../src/watch/walker.js';

// The walk yields in S3's key order (UTF-8 bytes of the NFC path), which a reconciliation needs to
// meet it with the journal's rows and the listing in lockstep: names around '/' in byte order
// ('-' and '.' sort before '/', '0' after), NFD names at their NFC key, non-BMP characters (whose
// UTF-16 order differs from their UTF-8 order against U+E000 and up).

const NAMES = ['a', 'a-b', 'a.b', 'a0', 'b', 'A', 'caf\u00e9', 'cafe\u0301', '\u{1F389}', '\uFF5E', '\uE000x', 'z z'];

async function walkKeys(
  root: string,
  range?: KeyRange,
  stats?: WalkStats,
): Promise<{ keys: string[]; rels: string[] }> {
  const keys: string[] = [];
  const rels: string[] = [];
  const opts = { followSymlinks: false, ...(range ? { range } : {}) };
  for await (const item of walkInOrder(root, new Filter(root, []), opts, stats)) {
    keys.push(item.key);
    if (item.entry) rels.push(item.entry.rel);
  }
  return { keys, rels };
}

/** A tree of `paths` in a new directory: a path is a file unless another one lies under it. */
function treeOf(paths: readonly string[]): { dir: string; files: string[] } {
  const files = paths.filter((p) => !paths.some((q) => q.startsWith(`${p}/`)));
  const dir = mkdtempSync(join(tmpdir(), 's3mirror-walk-order-'));
  for (const f of files) {
    const parts = f.split('/');
    mkdirSync(join(dir, ...parts.slice(0, -1)), { recursive: true });
    writeFileSync(join(dir, ...parts), 'x');
  }
  return { dir, files };
}

describe('walkInOrder', () => {
  it('yields files in compareKeys order of their NFC paths, for any tree', async () => {
    const path = fc.array(fc.constantFrom(...NAMES), { minLength: 1, maxLength: 3 }).map((p) => p.join('/'));
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(path, { minLength: 1, maxLength: 25 }), async (paths) => {
        const { dir, files } = treeOf(paths);
        try {
          const { keys, rels } = await walkKeys(dir);
          expect(keys).toEqual(files.map((f) => f.normalize('NFC')).sort(compareKeys));
          expect([...rels].sort()).toEqual([...files].sort());
          for (const [i, rel] of rels.entries()) expect(keys[i]).toBe(rel.normalize('NFC'));
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      }),
      { numRuns: 60 },
    );
  });

  it('walks two directories whose names have one NFC form as one: their keys interleave', async () => {
    const dir = mkdtempSync(join(tmpdir(), 's3mirror-walk-order-'));
    try {
      for (const [d, f] of [
        ['caf\u00e9', 'b'],
        ['cafe\u0301', 'a'],
        ['cafe\u0301', 'c'],
      ] as const) {
        mkdirSync(join(dir, d), { recursive: true });
        writeFileSync(join(dir, d, f), 'x');
      }
      const { keys, rels } = await walkKeys(dir);
      expect(keys).toEqual(['caf\u00e9/a', 'caf\u00e9/b', 'caf\u00e9/c']);
      expect(rels).toEqual(['cafe\u0301/a', 'caf\u00e9/b', 'cafe\u0301/c']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('walks cut at any keys meet every file once, in order, and count every directory once', async () => {
    const path = fc.array(fc.constantFrom(...NAMES), { minLength: 1, maxLength: 3 }).map((p) => p.join('/'));
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(path, { minLength: 1, maxLength: 20 }),
        fc.uniqueArray(path, { maxLength: 3 }),
        async (paths, cutPaths) => {
          const cuts = cutPaths.map((c) => c.normalize('NFC')).sort(compareKeys);
          const { dir } = treeOf(paths);
          try {
            const whole: WalkStats = { loops: [], dirs: 0, held: 0, peak: 0 };
            const all = await walkKeys(dir, undefined, whole);
            const keys: string[] = [];
            const rels: string[] = [];
            let dirs = 0;
            const bounds = ['', ...cuts];
            for (const [i, lo] of bounds.entries()) {
              const stats: WalkStats = { loops: [], dirs: 0, held: 0, peak: 0 };
              const part = await walkKeys(dir, { lo, hi: bounds[i + 1] ?? null }, stats);
              keys.push(...part.keys);
              rels.push(...part.rels);
              dirs += stats.dirs;
            }
            expect(keys).toEqual(all.keys);
            expect(rels).toEqual(all.rels);
            expect(dirs).toBe(whole.dirs);
          } finally {
            rmSync(dir, { recursive: true, force: true });
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
