import { createHash } from 'node:crypto';
import { chmodSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { afterEach, describe, expect, it } from 'vitest';
import { Journal } from '../src/store/journal.js';
import { once, scratch, type Scratch } from './support/mirror.js';
import { independentClient, listAll } from './support/s3client.js';

let s: Scratch | undefined;
afterEach(() => s?.cleanup());

describe('object metadata and settings', () => {
  it('every object carries its MD5, nanosecond mtime and mode; Content-Type by extension; cacheControl and storageClass per pair', async () => {
    s = await scratch('meta');
    s.write('page.html', '<p>hi</p>');
    s.write('data.json', '{"a":1}');
    s.write('no-extension', 'raw');
    chmodSync(join(s.root, 'data.json'), 0o640);
    const cfg = s.config({ cacheControl: 'max-age=60', storageClass: 'STANDARD' });
    expect((await once(cfg)).failures).toEqual([]);

    const client = independentClient();
    const head = (key: string) => client.send(new HeadObjectCommand({ Bucket: s!.bucket, Key: key }));
    const expected: [string, string][] = [
      ['page.html', 'text/html'],
      ['data.json', 'application/json'],
      ['no-extension', 'application/octet-stream'],
    ];
    for (const [key, type] of expected) {
      const h = await head(key);
      const st = statSync(join(s.root, key), { bigint: true });
      expect(h.ContentType, key).toContain(type);
      expect(h.CacheControl, key).toBe('max-age=60');
      expect(h.Metadata?.mtime, key).toBe(st.mtimeNs.toString());
      expect(h.Metadata?.mode, key).toBe((Number(st.mode) & 0o7777).toString(8));
      const sum = createHash('md5')
        .update(readFileSync(join(s.root, key)))
        .digest('hex');
      expect(h.ETag?.replace(/"/g, ''), key).toBe(sum);
      // Written only while the bucket's ETags were not known to be MD5s (plan/one-pass.ts).
      if (h.Metadata?.md5 !== undefined) expect(h.Metadata.md5, key).toBe(sum);
    }
    expect((await head('data.json')).Metadata?.mode).toBe('640');
  });

  it("a renamed file is copied with its own Content-Type, mtime and mode, not the old object's", async () => {
    s = await scratch('renamemeta');
    s.write('report.txt', '{"total": 42}');
    const cfg = s.config({ maxDeletePercent: 100 });
    await once(cfg);
    renameSync(join(s.root, 'report.txt'), join(s.root, 'report.json'));
    chmodSync(join(s.root, 'report.json'), 0o600);
    const r = await once(cfg);
    expect(r.stats.p).toMatchObject({ copied: 1, uploaded: 0, deleted: 1 });
    const h = await independentClient().send(new HeadObjectCommand({ Bucket: s.bucket, Key: 'report.json' }));
    const st = statSync(join(s.root, 'report.json'), { bigint: true });
    expect(h.ContentType).toContain('application/json');
    expect(h.Metadata?.mode).toBe('600');
    expect(h.Metadata?.mtime).toBe(st.mtimeNs.toString());
    // The bucket's ETags are known to be MD5s by now: the ETag proves identity, no x-amz-meta-md5.
    expect(h.ETag?.replace(/"/g, '')).toBe(createHash('md5').update('{"total": 42}').digest('hex'));
    expect(h.Metadata?.md5).toBeUndefined();
  });

  it('the guard holds deletes when the pair root is replaced by a file', async () => {
    s = await scratch('rootfile');
    for (let i = 0; i < 4; i++) s.write(`f${i}.txt`, `${i}`);
    const cfg = s.config();
    await once(cfg);
    rmSync(s.root, { recursive: true });
    writeFileSync(s.root, 'not a directory');
    const r = await once(cfg);
    expect(r.rootProblems).toEqual([{ pair: 'p', problem: expect.stringContaining('is not a directory') }]);
    expect((await listAll(s.bucket)).length).toBe(4);
    const j = Journal.open(cfg.stateDir, { readonly: true });
    try {
      expect(j.pairs.get('p')?.state).toBe('error');
    } finally {
      j.close();
    }
  });
});
