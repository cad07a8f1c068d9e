import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ByteBudget } from '../src/sync/budget.js';
import { readAndHash } from '../src/sync/hasher.js';
import { PartHashError, partHasherRequests, partMd5sOffThread, stopPartHasher } from '../src/sync/part-hasher.js';

/** The hasher's two paths for multipart files (src/sync/hasher.ts, part-hasher.ts) on real files. */
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
  ])('%s: off-thread (idle link) and on-thread (busy link) give the same MD5s, each the MD5 of its slice', async (_name, size) => {
    const { abs, bytes } = file(`f-${size}`, size);
    const slices = [];
    for (let at = 0; at < size; at += opts.partSizeBytes) slices.push(md5(bytes.subarray(at, at + opts.partSizeBytes)));

    const budget = new ByteBudget(64 * 1024 * 1024);
    const before = partHasherRequests();
    const idle = await readAndHash(abs, opts, size, budget, () => true);
    expect(partHasherRequests()).toBe(before + 1);
    const onThread = await readAndHash(abs, opts, size, budget, () => false);
    expect(partHasherRequests()).toBe(before + 1);

    for (const h of [idle, onThread]) {
      expect(h.md5).toBe(md5(bytes));
      expect(h.partSize).toBe(opts.partSizeBytes);
      expect(h.partMd5s).toEqual(slices);
    }
    expect(idle.localEtag).toBe(onThread.localEtag);
    expect(idle.localEtag).toMatch(new RegExp(`^[0-9a-f]{32}-${slices.length}$`));
  });

  it('the worker reports a missing file by its errno code and a file shorter than asked as SHORT_READ', async () => {
    await expect(partMd5sOffThread(join(dir, 'missing'), 1024, 4096)).rejects.toMatchObject({ code: 'ENOENT' });
    const { abs } = file('short', 1000);
    const e = await partMd5sOffThread(abs, 1024, 4096).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(PartHashError);
    expect(e).toMatchObject({ code: 'SHORT_READ' });
  });
});
