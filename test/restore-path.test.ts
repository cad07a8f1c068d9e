import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createRestoring } from '../src/local/safe-create.js';
import { restorePath } from '../src/plan/restore-path.js';

// What restore may write, and where: never outside the restore directory, whatever a key says
// and whatever symlinks sit inside the directory.
describe('restorePath', () => {
  const at = (key: string) => restorePath({ key, prefix: 'p/', trashPrefix: '.s3mirror-trash/', dirBytes: 10 });
  it.each([
    ['p/a.txt', 'write'],
    ['p/dir/sub/b.bin', 'write'],
    ['p/ünïcode/名前.txt', 'write'],
    ['p/..hidden', 'write'],
    ['q/a.txt', 'skip'],
    ['p/', 'skip'],
    ['p/dir/', 'skip'],
    ['p/.s3mirror-trash/2026/a.txt', 'skip'],
    ['p/../etc/passwd', 'refuse'],
    ['p/a/../../x', 'refuse'],
    ['p/./a', 'refuse'],
    ['p//etc/passwd', 'refuse'],
    ['p/a//b', 'refuse'],
    ['p/a\0b', 'refuse'],
    ['p/a\\..\\b', 'refuse'],
    [`p/${'x'.repeat(256)}`, 'refuse'],
    [`p/${'d/'.repeat(2100)}f`, 'refuse'],
  ])('%s → %s', (key, action) => expect(at(key).action).toBe(action));
});

let base: string | undefined;
afterEach(() => {
  if (base) rmSync(base, { recursive: true, force: true });
  base = undefined;
});

function dirs(): { dir: string; outside: string } {
  base = mkdtempSync(join(tmpdir(), 's3mirror-restore-'));
  const dir = join(base, 'restore');
  const outside = join(base, 'outside');
  mkdirSync(dir);
  mkdirSync(outside);
  return { dir, outside };
}

describe('createRestoring', () => {
  it('writes through a temp file, then renames into place with mode and mtime', () => {
    const { dir } = dirs();
    const r = createRestoring(dir, 'a/b/c.txt');
    r.write(Buffer.from('hello'));
    expect(existsSync(join(dir, 'a/b/c.txt'))).toBe(false);
    r.commit({ mode: 0o640, mtimeMs: 1_700_000_000_000 });
    const st = lstatSync(join(dir, 'a/b/c.txt'));
    expect(readFileSync(join(dir, 'a/b/c.txt'), 'utf8')).toBe('hello');
    expect(st.mode & 0o777).toBe(0o640);
    expect(st.mtimeMs).toBe(1_700_000_000_000);
    expect(existsSync(r.temp)).toBe(false);
  });

  it('a symlinked directory inside the restore directory is refused; nothing is written outside', () => {
    const { dir, outside } = dirs();
    symlinkSync(outside, join(dir, 'link'));
    expect(() => createRestoring(dir, 'link/evil.txt')).toThrow(/RESTORE_PATH_REFUSED|is a symlink/);
    expect(() => createRestoring(dir, 'link/deeper/evil.txt')).toThrow(/is a symlink/);
    expect(existsSync(join(outside, 'evil.txt'))).toBe(false);
    expect(existsSync(join(outside, 'deeper'))).toBe(false);
  });

  it('a symlink at the final name is refused, not followed or replaced', () => {
    const { dir, outside } = dirs();
    writeFileSync(join(outside, 'target.txt'), 'keep me');
    symlinkSync(join(outside, 'target.txt'), join(dir, 'f.txt'));
    const r = createRestoring(dir, 'f.txt');
    r.write(Buffer.from('restored'));
    expect(() => r.commit({})).toThrow(/is a symlink/);
    expect(readFileSync(join(outside, 'target.txt'), 'utf8')).toBe('keep me');
    expect(lstatSync(join(dir, 'f.txt')).isSymbolicLink()).toBe(true);
    expect(existsSync(r.temp)).toBe(false);
  });

  it('a file where a directory should be is refused', () => {
    const { dir } = dirs();
    writeFileSync(join(dir, 'a'), 'a file');
    expect(() => createRestoring(dir, 'a/b.txt')).toThrow(/is not a directory/);
  });
});
