import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createBucket, listAll, uniqueBucket } from './support/s3client.js';
import { expectMirror, once, scratch, type Scratch } from './support/mirror.js';

// A config that changes under a journal: keys derive from the pair's current bucket and prefix
// (README "Changing `prefix` or `bucket`"), and what was mirrored under the old ones is left as it was.

let s: Scratch | undefined;
afterEach(() => {
  s?.cleanup();
  s = undefined;
});

describe('a changed prefix or bucket', () => {
  it('a new prefix is mirrored by server-side copies; the old prefix is left as it was', async () => {
    s = await scratch('prefix');
    for (let i = 0; i < 20; i++) s.write(`d/f${i}.txt`, `file ${i}`);
    s.write('plus+sign.txt', 'a key s3rver cannot copy'); // the copy fails there: uploaded instead
    await once(s.config({ prefix: 'a' }));
    const before = await listAll(s.bucket, 'a/');
    expect(before.length).toBe(21);

    s.write('d/f0.txt', 'changed while the prefix changed'); // must not be copied from its stale object
    const cfg = s.config({ prefix: 'b' });
    const r = await once(cfg);
    expect(r.failures).toEqual([]);
    const st = r.stats.p as { copied: number; uploaded: number; deleted: number };
    expect(st.deleted).toBe(0);
    expect(st.copied + st.uploaded).toBe(21);
    expect(st.copied).toBeGreaterThanOrEqual(19);
    expect(st.uploaded).toBeGreaterThanOrEqual(1);
    expect(r.requests.PutObjectCommand ?? 0).toBe(st.uploaded);
    await expectMirror(s.root, s.bucket, 'b/');
    expect(await listAll(s.bucket, 'a/')).toEqual(before);

    const again = await once(cfg);
    expect(again.stats.p).toMatchObject({ uploaded: 0, copied: 0, deleted: 0 });
    expect(again.requests.PutObjectCommand ?? 0).toBe(0);
    expect(again.requests.CopyObjectCommand ?? 0).toBe(0);
  });

  it('trash keys follow the new prefix; nothing under the old prefix is moved or deleted', async () => {
    s = await scratch('trashpfx');
    s.write('x/gone.txt', 'to the trash');
    for (let i = 0; i < 5; i++) s.write(`keep${i}.txt`, `keep ${i}`);
    await once(s.config({ prefix: 'a', delete: 'trash' }));
    const before = await listAll(s.bucket, 'a/');
    const cfg = s.config({ prefix: 'long/er', delete: 'trash' });
    await once(cfg);
    rmSync(join(s.root, 'x'), { recursive: true });
    const r = await once(cfg);
    expect(r.failures).toEqual([]);
    expect(r.stats.p).toMatchObject({ trashed: 1 });
    const day = new Date().toISOString().slice(0, 10);
    const trash = (await listAll(s.bucket, 'long/er/.s3mirror-trash/')).map((o) => o.key);
    expect(trash).toHaveLength(1);
    expect(trash[0]).toMatch(new RegExp(`^long/er/\\.s3mirror-trash/${day}/[^/]+/x/gone\\.txt$`));
    await expectMirror(s.root, s.bucket, 'long/er/');
    expect(await listAll(s.bucket, 'a/')).toEqual(before);
  });

  it('a new bucket (and prefix) is mirrored by uploads; the old bucket is left as it was', async () => {
    s = await scratch('bucket');
    for (let i = 0; i < 10; i++) s.write(`f${i}.txt`, `file ${i}`);
    await once(s.config({ prefix: 'a' }));
    const before = await listAll(s.bucket);
    const other = await createBucket(uniqueBucket('bucket2'));
    const cfg = s.config({ bucket: other, prefix: 'b' });
    const r = await once(cfg);
    expect(r.failures).toEqual([]);
    expect(r.stats.p).toMatchObject({ uploaded: 10, copied: 0, deleted: 0 });
    await expectMirror(s.root, other, 'b/');
    expect(await listAll(s.bucket)).toEqual(before);
    expect((await once(cfg)).requests.PutObjectCommand ?? 0).toBe(0);
  });

  it('a prefix moved up to the bucket root never deletes what lies under the previous prefix', async () => {
    s = await scratch('toroot');
    for (let i = 0; i < 6; i++) s.write(`f${i}.txt`, `file ${i}`);
    await once(s.config({ prefix: 'old' }));
    const before = await listAll(s.bucket, 'old/');
    const cfg = s.config({ prefix: '' });
    for (let pass = 0; pass < 2; pass++) {
      const r = await once(cfg);
      expect(r.failures).toEqual([]);
      expect(r.held).toEqual([]);
      expect(r.stats.p).toMatchObject({ deleted: 0 });
    }
    expect(await listAll(s.bucket, 'old/')).toEqual(before);
    expect((await listAll(s.bucket)).map((o) => o.key).filter((k) => !k.startsWith('old/'))).toEqual(
      [...Array(6).keys()].map((i) => `f${i}.txt`),
    );
  });

  it('deletes held at the old prefix are dropped with it: nothing is deleted at either prefix', async () => {
    s = await scratch('heldpfx');
    for (let i = 0; i < 10; i++) s.write(`f${i}.txt`, `file ${i}`);
    await once(s.config({ prefix: 'a' }));
    for (let i = 0; i < 10; i++) rmSync(join(s.root, `f${i}.txt`));
    s.write('new.txt', 'the only file now');
    expect((await once(s.config({ prefix: 'a' }))).held).toMatchObject([{ pair: 'p', count: 10 }]);
    const before = await listAll(s.bucket, 'a/');
    const r = await once(s.config({ prefix: 'b' }));
    expect(r.held).toEqual([]);
    expect(r.failures).toEqual([]);
    expect(r.stats.p).toMatchObject({ deleted: 0 });
    await expectMirror(s.root, s.bucket, 'b/');
    expect(await listAll(s.bucket, 'a/')).toEqual(before);
  });

  it('a prefix moved down from the bucket root never deletes what was stored for the tree at the root', async () => {
    s = await scratch('fromroot');
    s.write('a/x.txt', 'under a/ locally');
    for (let i = 0; i < 4; i++) s.write(`f${i}.txt`, `file ${i}`);
    await once(s.config());
    const before = await listAll(s.bucket);
    const cfg = s.config({ prefix: 'a' });
    for (let pass = 0; pass < 2; pass++) {
      const r = await once(cfg);
      expect(r.failures).toEqual([]);
      expect(r.held).toEqual([]);
      expect(r.stats.p).toMatchObject({ deleted: 0 });
    }
    // The old object a/x.txt sits inside the new prefix, where no file maps to it: it stays.
    const after = await listAll(s.bucket);
    for (const o of before) expect(after).toContainEqual(o);
    expect(after.map((o) => o.key).filter((k) => k.startsWith('a/') && k !== 'a/x.txt')).toEqual([
      'a/a/x.txt',
      'a/f0.txt',
      'a/f1.txt',
      'a/f2.txt',
      'a/f3.txt',
    ]);
  });
});
