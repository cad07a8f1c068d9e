import { createHash } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ByteBudget } from '../src/local/budget.js';
import { treePath } from '../src/local/safe-open.js';
import { readAndHash } from '../src/local/hasher.js';
import {
  PartHashError,
  PartHasherUnavailable,
  partHasherRequests,
  partMd5sOffThread,
  stopPartHasher,
} from '../src/local/part-hasher.js';

/** The hasher's two paths for multipart files (src/local/hasher.ts, part-hasher.ts) on real files. */
const dir = mkdtempSync(join(tmpdir(), 's3mirror-hasher-'));
afterAll(async () => {
  await stopPartHasher();
  rmSync(dir, { recursive: true, force: true });
});

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');
function file(name: string, size: number): { abs: string; bytes: Buffer } {
  const bytes = Buffer.alloc(size);
  for (let i = 0; i < size; i += 4) bytes.writeUInt32LE((i * 2654435761) >>> 0, i);
  const abs = join(dir, name);
  writeFileSync(abs, bytes);
  return { abs, bytes };
}
const opts = { thresholdBytes: 1024 * 1024, partSizeBytes: 1024 * 1024 };

describe('readAndHash of a multipart file', () => {
  it.each([
    ['exactly 2 parts', 2 * 1024 * 1024],
    ['3½ parts', 3.5 * 1024 * 1024],
    ['just over the threshold', 1024 * 1024 + 4],
  ])(
    '%s: off-thread (idle link) and on-thread (busy link) give the same MD5s, each the MD5 of its slice',
    async (_name, size) => {
      const { bytes } = file(`f-${size}`, size);
      const slices = [];
      for (let at = 0; at < size; at += opts.partSizeBytes)
        slices.push(md5(bytes.subarray(at, at + opts.partSizeBytes)));

      const budget = new ByteBudget(64 * 1024 * 1024);
      const before = partHasherRequests();
      const idle = await readAndHash(treePath(dir, `f-${size}`, false), opts, size, budget, () => true);
      expect(partHasherRequests()).toBe(before + 1);
      const onThread = await readAndHash(treePath(dir, `f-${size}`, false), opts, size, budget, () => false);
      expect(partHasherRequests()).toBe(before + 1);

      for (const h of [idle, onThread]) {
        expect(h.md5).toBe(md5(bytes));
        expect(h.partSize).toBe(opts.partSizeBytes);
        expect(h.partMd5s).toEqual(slices);
      }
      expect(idle.localEtag).toBe(onThread.localEtag);
      expect(idle.localEtag).toMatch(new RegExp(`^[0-9a-f]{32}-${slices.length}$`));
    },
  );

  it('the worker reads the descriptor it is given, not the path: a file swapped under the path cannot mix in', async () => {
    const { abs, bytes } = file('swapped', 3 * 1024 * 1024);
    const fd = openSync(abs, 'r');
    try {
      unlinkSync(abs);
      writeFileSync(abs, Buffer.alloc(3 * 1024 * 1024, 7));
      const parts = await partMd5sOffThread(fd, 1024 * 1024, bytes.length);
      expect(parts).toEqual([0, 1, 2].map((k) => md5(bytes.subarray(k * 1024 * 1024, (k + 1) * 1024 * 1024))));
    } finally {
      closeSync(fd);
    }
  });

  it('read errors come back with their errno code, a file shorter than asked as SHORT_READ', async () => {
    const dirFd = openSync(dir, 'r');
    try {
      await expect(partMd5sOffThread(dirFd, 1024, 4096)).rejects.toMatchObject({ code: 'EISDIR' });
    } finally {
      closeSync(dirFd);
    }
    const fd = openSync(file('short', 1000).abs, 'r');
    try {
      const e = await partMd5sOffThread(fd, 1024, 4096).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(PartHashError);
      expect(e).toMatchObject({ code: 'SHORT_READ' });
    } finally {
      closeSync(fd);
    }
  });

  it('a worker that goes away answers PartHasherUnavailable (the caller hashes on its own thread), and the next request gets a new worker', async () => {
    const { abs, bytes } = file('big', 32 * 1024 * 1024);
    const fd = openSync(abs, 'r');
    try {
      const asked = partMd5sOffThread(fd, 8 * 1024 * 1024, bytes.length);
      await stopPartHasher();
      await expect(asked).rejects.toBeInstanceOf(PartHasherUnavailable);
      const again = await partMd5sOffThread(fd, 8 * 1024 * 1024, bytes.length);
      expect(again[3]).toBe(md5(bytes.subarray(24 * 1024 * 1024)));
    } finally {
      closeSync(fd);
    }
  });
});
