// A stat vouches for content only once the file's mtime was safely behind the clock when it was
// read (plan/racy.ts): on kernels with coarse timestamps a same-size rewrite in the tick of the
// read leaves size, mtime, ctime and inode as they were, and the rewrite would never be sent.
import { utimesSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fileBytesRead } from '../src/local/read-meter.js';
import { RACY_MS, racyStat } from '../src/plan/racy.js';
import { expectMemoryMirror, journalRow, memoryScratch, type MemoryScratch } from './support/memory-mirror.js';

const ns = (ms: number) => `${BigInt(ms) * 1_000_000n + 123n}`;

describe('racyStat', () => {
  const at = 1_700_000_000_000;
  const cases: [string, string, number, boolean][] = [
    ['written an hour before the look: the stat vouches', ns(at - 3_600_000), at, false],
    ['written just over the window before: vouches', ns(at - RACY_MS - 1), at, false],
    ['written within the window: racy', ns(at - RACY_MS + 1), at, true],
    ['written in the tick of the look: racy', ns(at), at, true],
    ['an mtime ahead of the clock (another host, clock skew): racy', ns(at + 60_000), at, true],
  ];
  it.each(cases)('%s', (_name, mtimeNs, lookedAt, racy) => {
    expect(racyStat(mtimeNs, lookedAt)).toBe(racy);
  });
});

let s: MemoryScratch | undefined;
afterEach(() => {
  s?.cleanup();
  s = undefined;
});

/** Sets a file's mtime (and atime) to `ms` since the epoch. */
function mtimeAt(sc: MemoryScratch, rel: string, ms: number): void {
  utimesSync(join(sc.root, rel), ms / 1000, ms / 1000);
}

describe('a file read in the tick of its last write', () => {
  it('is read again at the next pass, not trusted by a stat that cannot vouch for it', async () => {
    s = memoryScratch('racy');
    s.write('a.txt', 'version one');
    // An mtime ahead of the clock is racy whatever the machine's speed: the test cannot race.
    mtimeAt(s, 'a.txt', Date.now() + 3_600_000);
    const cfg = s.config();
    expect((await s.pass(cfg)).failures).toEqual([]);
    expect(journalRow(s, 'a.txt')?.ctime_ns).toBeNull();
    const read = fileBytesRead();
    s.s3.resetCounters();
    expect((await s.pass(cfg)).failures).toEqual([]);
    // Read and compared again, and found the same: nothing sent.
    expect(fileBytesRead() - read).toBe('version one'.length);
    expect(s.s3.counts().PutObject ?? 0).toBe(0);
    expectMemoryMirror(s);
  });

  it('a file last written well before the pass is trusted by its stat from then on', async () => {
    s = memoryScratch('racy-old');
    s.write('a.txt', 'version one');
    mtimeAt(s, 'a.txt', Date.now() - 3_600_000);
    const cfg = s.config();
    expect((await s.pass(cfg)).failures).toEqual([]);
    expect(journalRow(s, 'a.txt')?.ctime_ns).not.toBeNull();
    const read = fileBytesRead();
    expect((await s.pass(cfg)).failures).toEqual([]);
    expect(fileBytesRead() - read).toBe(0);
  });
});
