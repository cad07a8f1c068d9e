import { describe, expect, it } from 'vitest';
import type { Hashed } from '../src/local/hasher.js';
import { HashCache } from '../src/sync/hash-cache.js';

// The hashes kept across retries (src/sync/hash-cache.ts): a hit only while the stat holds.

const stat = { size: 3, mtimeNs: '100', ctimeNs: '200', ino: '7' };
const hashed: Hashed = {
  stat,
  mode: 0o644,
  md5: 'a'.repeat(32),
  partSize: 0,
  localEtag: 'a'.repeat(32),
  partMd5s: [],
  body: Buffer.from('abc'),
  release: () => undefined,
};

describe('HashCache', () => {
  it.each([
    ['same size, mtime, ctime and inode: the hash is kept', {}, true],
    ['another size', { size: 4 }, false],
    ['another mtime', { mtimeNs: '101' }, false],
    ['another ctime (a chmod, a rewrite with the old mtime)', { ctimeNs: '201' }, false],
    ['another inode (replaced by a rename)', { ino: '8' }, false],
  ])('%s', (_name, change, hit) => {
    const c = new HashCache();
    c.put('p', 'a.txt', hashed);
    const got = c.get('p', 'a.txt', { ...stat, ...change });
    expect(got !== undefined).toBe(hit);
    if (got) {
      expect(got.md5).toBe(hashed.md5);
      // The body went with the upload it was read for: a retry reads the file to send it.
      expect(got.body).toBeUndefined();
      expect(got.release).toBeUndefined();
    }
  });

  it('is per pair and path', () => {
    const c = new HashCache();
    c.put('p', 'a.txt', hashed);
    expect(c.get('q', 'a.txt', stat)).toBeUndefined();
    expect(c.get('p', 'b.txt', stat)).toBeUndefined();
  });

  it('stays bounded: the oldest entry goes first', () => {
    const c = new HashCache();
    for (let i = 0; i <= 10_000; i++) c.put('p', `f${i}`, hashed);
    expect(c.get('p', 'f0', stat)).toBeUndefined();
    expect(c.get('p', 'f1', stat)).toBeDefined();
    expect(c.get('p', 'f10000', stat)).toBeDefined();
  });
});
