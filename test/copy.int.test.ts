import { createHash } from 'node:crypto';
import { readFileSync, renameSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig, type Config } from '../src/config.js';
import { silentLogger } from '../src/log.js';
import { syncOnce } from '../src/sync/once.js';
import { credentials, bytes, expectMirror, inJournal, once, scratch, type Scratch } from './support/mirror.js';
import { startProxy, type FaultProxy } from './support/proxy.js';
import { getObjectMd5, independentClient, listAll } from './support/s3client.js';
import { testEnv } from './support/s3server.js';

// Objects above S3's 5 GiB CopyObject limit are copied part by part (UploadPartCopy). The limit is
// lowered here so a 12 MiB file stands in for a 6 GiB one. s3rver has no UploadPartCopy
// (NotImplemented), so there the same scenarios show the fallbacks instead.
const MiB = 1024 * 1024;
const LIMIT = 6 * MiB;
const noPartCopy = testEnv().server === 's3rver';

let s: Scratch | undefined;
let proxy: FaultProxy | undefined;
afterEach(async () => {
  s?.cleanup();
  s = undefined;
  await proxy?.close();
  proxy = undefined;
});

const pass = (cfg: Config) => syncOnce(cfg, silentLogger, { credentials: credentials(), copyLimitBytes: LIMIT });
const md5 = (p: string) => createHash('md5').update(readFileSync(p)).digest('hex');
const multipart = { multipart: { thresholdBytes: 5 * MiB, partSizeBytes: 5 * MiB } };

describe('copies above the single-copy limit', () => {
  it('a rename moves by multipart copy: no bytes uploaded, metadata set anew, the next pass sends nothing', async () => {
    s = await scratch('bigmove');
    s.write('old/a.bin', bytes(12 * MiB + 5, 3));
    const cfg = s.config({ maxDeletePercent: 100 }, multipart);
    expect((await pass(cfg)).stats.p).toMatchObject({ uploaded: 1 });
    renameSync(join(s.root, 'old'), join(s.root, 'new'));

    const r = await pass(cfg);
    expect(r.failures).toEqual([]);
    expect(r.calls.UploadPartCopyCommand).toBe(3);
    if (noPartCopy) {
      expect(r.stats.p).toMatchObject({ copied: 0, uploaded: 1, deleted: 1 });
    } else {
      expect(r.stats.p).toMatchObject({ copied: 1, uploaded: 0, deleted: 1 });
      expect(r.requests.UploadPartCommand ?? 0).toBe(0);
      expect(r.requests.PutObjectCommand ?? 0).toBe(0);
      const head = await independentClient().send(new HeadObjectCommand({ Bucket: s.bucket, Key: 'new/a.bin' }));
      // The part size makes the ETag reproducible: no x-amz-meta-md5 needed (plan/one-pass.ts).
      expect(head.Metadata?.['part-size']).toBe(String(5 * MiB));
      expect(head.Metadata?.md5).toBeUndefined();
      expect(head.ContentType).toBe('application/octet-stream');
      expect(head.ETag).toMatch(/-3"?$/);
    }
    await expectMirror(s.root, s.bucket);

    // The copy's ETag is the multipart ETag we computed: nothing to read or send next time.
    const again = await pass(cfg);
    expect(again.requests.HeadObjectCommand ?? 0).toBe(0);
    expect(again.requests.PutObjectCommand ?? 0).toBe(0);
    expect(again.requests.UploadPartCommand ?? 0).toBe(0);
    expect(again.requests.UploadPartCopyCommand ?? 0).toBe(0);
  });

  it('delete: "trash" moves a large object part by part, keeping its headers; an object it cannot move is kept', async () => {
    s = await scratch('bigtrash');
    s.write('a.bin', bytes(12 * MiB + 5, 4));
    s.write('b.txt', 'b');
    s.write('c.txt', 'c');
    const cfg = s.config({ delete: 'trash', maxDeletePercent: 100 }, multipart);
    await pass(cfg);
    const sum = md5(join(s.root, 'a.bin'));
    unlinkSync(join(s.root, 'a.bin'));

    const r = await pass(cfg);
    const keys = (await listAll(s.bucket)).map((o) => o.key).sort();
    const trashed = keys.find((k) => k.startsWith('.s3mirror-trash/')) ?? '';
    if (noPartCopy) {
      // Never delete what could not be moved to the trash first.
      expect(r.failures.map((f) => f.rel)).toEqual(['a.bin']);
      expect(keys).toEqual(['a.bin', 'b.txt', 'c.txt']);
      expect(await getObjectMd5(s.bucket, 'a.bin')).toBe(sum);
    } else {
      expect(r.failures).toEqual([]);
      expect(r.stats.p).toMatchObject({ trashed: 1 });
      expect(trashed).toMatch(/^\.s3mirror-trash\/\d{4}-\d\d-\d\d\/\d{6}\.\d{3}-[0-9a-f]{6}\/a\.bin$/);
      expect(keys).toEqual([trashed, 'b.txt', 'c.txt']);
      expect(await getObjectMd5(s.bucket, trashed)).toBe(sum);
      const head = await independentClient().send(new HeadObjectCommand({ Bucket: s.bucket, Key: trashed }));
      expect(head.Metadata?.['part-size']).toBe(String(5 * MiB));
      expect(head.Metadata?.mtime).toMatch(/^\d+$/);
      await expectMirror(s.root, s.bucket);
    }
  });

  it('a rename whose old object another client overwrote is uploaded, not copied from it', async () => {
    s = await scratch('stalesrc');
    s.write('a.txt', 'the content we uploaded');
    const cfg = s.config({ maxDeletePercent: 100 });
    await once(cfg);
    // Same size, other bytes: only the ETag tells them apart.
    await independentClient().send(
      new PutObjectCommand({ Bucket: s.bucket, Key: 'a.txt', Body: 'THE CONTENT WE UPLOADED' }),
    );
    renameSync(join(s.root, 'a.txt'), join(s.root, 'b.txt'));
    const r = await once(cfg);
    expect(r.failures).toEqual([]);
    expect(r.stats.p).toMatchObject({ copied: 0, uploaded: 1, deleted: 1 });
    await expectMirror(s.root, s.bucket);
  });

  it('a rename whose old object another client overwrites after the listing, before the copy, is uploaded: the wrong bytes are not kept', async () => {
    // s3rver and Debian's RGW ignore x-amz-copy-source-if-match: only the copy's ETag tells.
    s = await scratch('racesrc');
    s.write('a.txt', 'the content we uploaded');
    const cfg = s.config({ maxDeletePercent: 100 });
    await once(cfg);
    renameSync(join(s.root, 'a.txt'), join(s.root, 'b.txt'));
    proxy = await startProxy(testEnv().endpoint);
    const bucket = s.bucket;
    // Same size, other bytes, written straight to the server while the copy waits in the proxy.
    proxy.setFault({
      kind: 'hook',
      match: (op) => op === 'CopyObject',
      times: 1,
      before: async () =>
        void (await independentClient().send(
          new PutObjectCommand({ Bucket: bucket, Key: 'a.txt', Body: 'THE CONTENT WE UPLOADED' }),
        )),
    });
    const viaProxy = parseConfig(
      { ...JSON.parse(JSON.stringify({ ...cfg, source: undefined })), s3: { ...cfg.s3, endpoint: proxy.endpoint } },
      s.dir,
    );
    const r = await once(viaProxy);
    expect(r.failures).toEqual([]);
    expect(proxy.injected()).toBe(1);
    expect([proxy.counts.get('CopyObject'), proxy.counts.get('PutObject')]).toEqual([1, 1]);
    expect(r.stats.p).toMatchObject({ copied: 0, uploaded: 1 });
    const local = md5(join(s.root, 'b.txt'));
    expect(await getObjectMd5(s.bucket, 'b.txt')).toBe(local);
    expect(inJournal(cfg, (j) => [j.getFile('p', 'b.txt')?.etag, j.remote.get('p', 'b.txt')?.etag])).toEqual([
      local,
      local,
    ]);
    await expectMirror(s.root, s.bucket);
  });
});
