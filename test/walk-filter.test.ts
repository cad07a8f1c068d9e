import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { Filter, IGNORE_FILE } from '../src/watch/filter.js';
import { walk } from '../src/watch/walker.js';

// The walk asks a directory's filters once (Filter.mayExcludeIn) and then tests each entry only
// where some rule could exclude it: what it finds must be exactly what testing every path finds.

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 's3mirror-walk-filter-'));
  dirs.push(root);
  for (const [rel, body] of Object.entries(files)) {
    const parts = rel.split('/');
    mkdirSync(join(root, ...parts.slice(0, -1)), { recursive: true });
    writeFileSync(join(root, ...parts), body);
  }
  return root;
}

/** Every path tested, ancestors first: what the walk must agree with. */
function expected(filter: Filter, files: string[]): string[] {
  return files
    .filter((rel) => {
      const parts = rel.split('/');
      for (let i = 1; i < parts.length; i++) if (filter.excludes(parts.slice(0, i).join('/'), true)) return false;
      return !filter.excludes(rel);
    })
    .sort();
}

describe('Filter.mayExcludeIn', () => {
  it('is true where the root patterns or an ignore file of the directory or an ancestor apply', () => {
    const root = tree({ [`a/${IGNORE_FILE}`]: '*.tmp\n', 'a/b/c/x': '', 'd/e/y': '' });
    const f = new Filter(root, []);
    expect(['', 'a', 'a/b', 'a/b/c', 'd', 'd/e'].map((d) => [d, f.mayExcludeIn(d)])).toEqual([
      ['', false],
      ['a', true],
      ['a/b', true],
      ['a/b/c', true],
      ['d', false],
      ['d/e', false],
    ]);
    const g = new Filter(root, ['*.log']);
    expect(g.mayExcludeIn('d/e')).toBe(true);
    expect(g.mayExcludeIn('')).toBe(true);
  });
});

describe('walk with filters', () => {
  it('finds exactly the files that testing every path keeps, for any ignore files and patterns', async () => {
    const seg = fc.constantFrom('a', 'b', 'c.tmp', 'd.log');
    const path = fc.array(seg, { minLength: 1, maxLength: 4 }).map((p) => p.join('/'));
    const rules = fc.array(fc.constantFrom('*.tmp', '*.log', 'b/', '/a', 'c.tmp/', '!d.log', 'a/b'), { maxLength: 2 });
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(path, { minLength: 1, maxLength: 20 }),
        rules,
        fc.array(fc.tuple(fc.constantFrom('', 'a', 'a/a', 'b', 'b/a'), rules), { maxLength: 3 }),
        async (paths, patterns, ignores) => {
          const files = paths.filter((p) => !paths.some((q) => q.startsWith(`${p}/`)));
          const dirsOf = new Set(
            files.flatMap((f) =>
              f
                .split('/')
                .slice(0, -1)
                .map((_, i, a) => a.slice(0, i + 1).join('/')),
            ),
          );
          const spec: Record<string, string> = Object.fromEntries(files.map((f) => [f, 'x']));
          // Ignore files only in directories the tree has (a file cannot also be a directory).
          for (const [dir, r] of ignores)
            if (dir === '' || dirsOf.has(dir)) spec[dir ? `${dir}/${IGNORE_FILE}` : IGNORE_FILE] = `${r.join('\n')}\n`;
          const root = tree(spec);
          const found = await walk(root, new Filter(root, patterns), { followSymlinks: false });
          const all = Object.keys(spec);
          expect(found.entries.map((e) => e.rel).sort()).toEqual(expected(new Filter(root, patterns), all));
        },
      ),
      { numRuns: 80 },
    );
  });
});
