import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lstatInTree, openInTreeSync, treePath } from '../src/local/safe-open.js';
import { openForRead, readAndHash, readWhole } from '../src/local/hasher.js';
import { walk } from '../src/watch/walker.js';
import { Filter } from '../src/watch/filter.js';

const MiB = 1024 * 1024;
const base = mkdtempSync(join(tmpdir(), 's3mirror-safeopen-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

/**
 * root/dir is a symlink to out/, which holds the same names as root/real/: every path through
 * root/dir leads outside the tree. Sizes cover each read path: kept in memory (≤ 256 KiB),
 * streamed, and multipart.
 */
const root = join(base, 'root');
const out = join(base, 'out');
const sizes = { small: 1000, streamed: 512 * 1024, multipart: 6 * MiB };
for (const d of [join(root, 'real'), out]) {
  mkdirSync(d, { recursive: true });
  for (const [name, size] of Object.entries(sizes))
    writeFileSync(join(d, name), Buffer.alloc(size, d === out ? 0x58 : 0x41));
}
symlinkSync(out, join(root, 'dir'));
symlinkSync(join(root, 'real', 'small'), join(root, 'link'));
const opts = { thresholdBytes: 5 * MiB, partSizeBytes: 5 * MiB };
const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');

describe('reading a path in the tree (followSymlinks: false)', () => {
  it.each(Object.entries(sizes))(
    '%s file: read under real directories, refused through a symlinked one',
    async (name, size) => {
      const h = await readAndHash(treePath(root, `real/${name}`, false), opts, size);
      expect(h.md5).toBe(md5(Buffer.alloc(size, 0x41)));
      h.release?.();
      await expect(readAndHash(treePath(root, `dir/${name}`, false), opts, size)).rejects.toMatchObject({
        code: 'FILE_CHANGED',
      });
    },
  );

  it('readWhole and the multipart open refuse a path that left the tree since it was hashed', async () => {
    const h = await readAndHash(treePath(root, 'real/streamed', false), opts, sizes.streamed);
    expect((await readWhole(treePath(root, 'real/streamed', false), h)).length).toBe(sizes.streamed);
    await expect(readWhole(treePath(root, 'dir/streamed', false), h)).rejects.toMatchObject({ code: 'FILE_CHANGED' });
    await expect(openForRead(treePath(root, 'dir/multipart', false))).rejects.toMatchObject({ code: 'FILE_CHANGED' });
  });

  it('a symlink as the last component is refused too, and a path below a symlink has no stat', () => {
    expect(() => openInTreeSync(treePath(root, 'link', false), 0)).toThrow(/no longer a file under/);
    expect(lstatInTree(treePath(root, 'dir/small', false))).toBeNull();
    expect(lstatInTree(treePath(root, 'real/small', false))?.size).toBe(1000n);
  });

  it('with followSymlinks: true the same paths are followed, as configured', async () => {
    const h = await readAndHash(treePath(root, 'dir/small', true), opts, sizes.small);
    expect(h.md5).toBe(md5(Buffer.alloc(sizes.small, 0x58)));
    expect(lstatInTree(treePath(root, 'dir/small', true))?.size).toBe(1000n);
  });
});

describe('walking the tree (followSymlinks: false)', () => {
  it('lists a symlinked directory as a symlink and never walks below it, also when asked to start there', async () => {
    const filter = new Filter(root, []);
    const all = await walk(root, filter, { followSymlinks: false });
    expect(all.entries.map((e) => `${e.rel}:${e.kind}`).sort()).toEqual([
      'dir:symlink',
      'link:symlink',
      'real/multipart:file',
      'real/small:file',
      'real/streamed:file',
    ]);
    // The daemon walks a directory that appeared; one that is a symlink is not in the tree.
    expect((await walk(root, filter, { followSymlinks: false, under: 'dir' })).entries).toEqual([]);
    expect((await walk(root, filter, { followSymlinks: true, under: 'dir' })).entries.map((e) => e.rel).sort()).toEqual(
      ['dir/multipart', 'dir/small', 'dir/streamed'],
    );
  });
});
