import { mkdirSync, renameSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config.js';
import { startProxy, type FaultProxy } from './support/proxy.js';
import { getObjectBytes, listAll } from './support/s3client.js';
import { bytes, once, scratch, type Scratch } from './support/mirror.js';
import { testEnv } from './support/s3server.js';

const MiB = 1024 * 1024;
let s: Scratch | undefined;
let proxy: FaultProxy | undefined;
afterEach(async () => {
  s?.cleanup();
  await proxy?.close();
  proxy = undefined;
});

/**
 * A directory outside the tree holding `files`, each with an atime older than its mtime: with
 * relatime (or strictatime) a read of the file moves its atime, so "never read" can be checked.
 */
function outside(sc: Scratch, files: Record<string, Buffer | string>): { dir: string; untouched: () => string[] } {
  const dir = join(sc.dir, 'outside');
  mkdirSync(dir);
  for (const [name, data] of Object.entries(files)) {
    writeFileSync(join(dir, name), data);
    utimesSync(join(dir, name), 1, new Date());
  }
  return { dir, untouched: () => Object.keys(files).filter((n) => statSync(join(dir, n)).atimeMs === 1000) };
}

/** Replace the tree's directory `rel` with a symlink to `target`. */
function swapForSymlink(sc: Scratch, rel: string, target: string): void {
  rmSync(join(sc.root, rel), { recursive: true, force: true });
  symlinkSync(target, join(sc.root, rel));
}

function viaProxy(sc: Scratch, p: FaultProxy, pair: Record<string, unknown>, top: Record<string, unknown>) {
  const base = sc.config(pair, top);
  return parseConfig(
    { ...JSON.parse(JSON.stringify({ ...base, source: undefined })), s3: { ...base.s3, endpoint: p.endpoint } },
    sc.dir,
  );
}

async function bucketHolds(bucket: string, needle: Buffer): Promise<string[]> {
  const hits: string[] = [];
  for (const o of await listAll(bucket)) if ((await getObjectBytes(bucket, o.key)).includes(needle)) hits.push(o.key);
  return hits;
}

describe('followSymlinks: false never reads outside the tree', () => {
  it('a mirrored directory swapped for a symlink to outside: its files count as deleted, the outside files are never read', async () => {
    s = await scratch('symesc');
    s.write('dir/x', 'inside x');
    s.write('dir/sub/y', 'inside y');
    s.write('keep.txt', 'k');
    const cfg = s.config({ maxDeletePercent: 100 });
    await once(cfg);
    expect((await listAll(s.bucket)).map((o) => o.key).sort()).toEqual(['dir/sub/y', 'dir/x', 'keep.txt']);

    const secret = Buffer.from('SECRET outside the tree');
    const out = outside(s, { x: secret, z: secret });
    mkdirSync(join(out.dir, 'sub'));
    writeFileSync(join(out.dir, 'sub', 'y'), secret);
    utimesSync(join(out.dir, 'sub', 'y'), 1, new Date());
    swapForSymlink(s, 'dir', out.dir);

    const r = await once(cfg);
    expect(r.held).toEqual([]);
    expect((await listAll(s.bucket)).map((o) => o.key)).toEqual(['keep.txt']);
    expect(await bucketHolds(s.bucket, secret)).toEqual([]);
    expect(out.untouched()).toEqual(['x', 'z']);
    expect(statSync(join(out.dir, 'sub', 'y')).atimeMs).toBe(1000);
    // Still nothing from outside on a pass with nothing new.
    await once(cfg);
    expect((await listAll(s.bucket)).map((o) => o.key)).toEqual(['keep.txt']);
    expect(out.untouched()).toEqual(['x', 'z']);
  });

  it('a directory swapped while a multipart upload starts: its parts are never read from outside', async () => {
    s = await scratch('symesc-mp');
    const size = 6 * MiB;
    s.write('dir/big', bytes(size, 1));
    s.write('keep.txt', 'k');
    const secret = bytes(size, 2);
    const out = outside(s, { big: secret });
    proxy = await startProxy(testEnv().endpoint);
    let swapped = false;
    // The file was hashed in place; the swap lands between that and the reads of its parts.
    proxy.setFault({
      kind: 'delay',
      ms: 0,
      match: (op) => {
        if (op === 'CreateMultipartUpload' && !swapped) {
          swapped = true;
          swapForSymlink(s!, 'dir', out.dir);
        }
        return false;
      },
    });
    await once(
      viaProxy(s, proxy, { maxDeletePercent: 100 }, { multipart: { thresholdBytes: 5 * MiB, partSizeBytes: 5 * MiB } }),
    );
    expect(swapped).toBe(true);
    expect(out.untouched()).toEqual(['big']);
    expect(proxy.requests.filter((q) => q.op === 'UploadPart')).toEqual([]);
    expect((await listAll(s.bucket)).map((o) => o.key)).toEqual(['keep.txt']);
  });

  it('a directory swapped before a single PUT re-reads its file: the file is never read from outside', async () => {
    s = await scratch('symesc-put');
    const size = 1 * MiB; // above the 256 KiB kept in memory: read again when sent
    s.write('old/mid', bytes(size, 3));
    s.write('keep.txt', 'k');
    const cfg0 = s.config({ maxDeletePercent: 100 });
    await once(cfg0);
    // A move into dir/: a server-side copy first, which fails here, and then an upload (readWhole).
    mkdirSync(join(s.root, 'dir'));
    renameSync(join(s.root, 'old/mid'), join(s.root, 'dir/mid'));
    const secret = bytes(size, 4);
    const out = outside(s, { mid: secret });
    proxy = await startProxy(testEnv().endpoint);
    let swapped = false;
    proxy.setFault({
      // What s3rver itself answers for keys it cannot copy: not retried, the upload follows.
      kind: 'status',
      status: 404,
      code: 'NoSuchKey',
      match: (op) => {
        if (op !== 'CopyObject') return false;
        if (!swapped) swapForSymlink(s!, 'dir', out.dir);
        swapped = true;
        return true;
      },
    });
    await once(viaProxy(s, proxy, { maxDeletePercent: 100 }, {}));
    expect(swapped).toBe(true);
    expect(out.untouched()).toEqual(['mid']);
    expect(await bucketHolds(s.bucket, secret.subarray(0, 64))).toEqual([]);
    expect((await listAll(s.bucket)).map((o) => o.key)).toEqual(['keep.txt']);
  });
});
