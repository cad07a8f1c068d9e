import { mkdirSync, renameSync, rmSync, symlinkSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Journal } from '../src/store/journal.js';
import { listAll } from './support/s3client.js';
import { bytes, daemon, eventually, expectMirror, once, scratch, type Scratch } from './support/mirror.js';

let s: Scratch | undefined;
afterEach(() => s?.cleanup());

const keys = async (bucket: string) => (await listAll(bucket)).map((o) => o.key).sort();

describe('sync rules (issue: renames, safe deletes, odd names)', () => {
  it('delete: "trash" moves the object under the trash prefix, then deletes it', async () => {
    s = await scratch('trash');
    s.write('a.txt', 'a');
    s.write('d/b.txt', 'b');
    s.write('c.txt', 'c');
    const cfg = s.config({ prefix: 'p/', delete: 'trash', maxDeletePercent: 100 });
    await once(cfg);
    unlinkSync(join(s.root, 'd/b.txt'));
    const r = await once(cfg);
    expect(r.stats.p).toMatchObject({ trashed: 1 });
    const day = new Date().toISOString().slice(0, 10);
    const [trashed, ...rest] = await keys(s.bucket);
    expect(rest).toEqual(['p/a.txt', 'p/c.txt']);
    expect(trashed).toMatch(new RegExp(`^p/\\.s3mirror-trash/${day}/\\d{6}\\.\\d{3}-[0-9a-f]{6}/d/b\\.txt$`));
    await expectMirror(s.root, s.bucket, 'p/');
  });

  it('delete: "keep" never deletes', async () => {
    s = await scratch('keep');
    s.write('a.txt', 'a');
    s.write('b.txt', 'b');
    const cfg = s.config({ delete: 'keep' });
    await once(cfg);
    unlinkSync(join(s.root, 'a.txt'));
    await once(cfg);
    expect(await keys(s.bucket)).toEqual(['a.txt', 'b.txt']);
  });

  it('holds deletes when the root is empty while the journal knows files, and when the root moved to another device', async () => {
    s = await scratch('guard2');
    for (let i = 0; i < 4; i++) s.write(`f${i}.txt`, `${i}`);
    const cfg = s.config({ maxDeletePercent: 100 });
    await once(cfg);
    for (let i = 0; i < 4; i++) unlinkSync(join(s.root, `f${i}.txt`));
    const r1 = await once(cfg);
    expect(r1.held[0]?.reason).toContain('empty');
    expect((await keys(s.bucket)).length).toBe(4);
    // The files come back: the held deletes resolve to nothing, with no upload.
    for (let i = 0; i < 4; i++) s.write(`f${i}.txt`, `${i}`);
    const r2 = await once(cfg);
    expect(r2.held).toEqual([]);
    expect(r2.requests.PutObjectCommand ?? 0).toBe(0);
    // Another device than recorded (what an unmounted disk looks like): simulated in the journal.
    const j = Journal.open(cfg.stateDir);
    j.db.prepare("UPDATE pairs SET root_dev = '999999' WHERE name = 'p'").run();
    j.close();
    unlinkSync(join(s.root, 'f0.txt'));
    const r3 = await once(cfg);
    expect(r3.rootProblems[0]?.problem).toContain('another device');
    expect(await keys(s.bucket)).toEqual(['f0.txt', 'f1.txt', 'f2.txt', 'f3.txt']);
  });

  it('the daemon holds a mass delete within its 60 s window, uploads keep flowing', async () => {
    s = await scratch('window');
    for (let i = 0; i < 10; i++) s.write(`f${i}.txt`, `${i}`);
    const cfg = s.config({ maxDeleteCount: 3 }, { debounceMs: 100 });
    await once(cfg);
    const d = daemon(cfg);
    await d.start();
    try {
      for (let i = 0; i < 5; i++) unlinkSync(join(s.root, `f${i}.txt`));
      s.write('new.txt', 'n');
      await eventually(async () => {
        expect(await keys(s!.bucket)).toContain('new.txt');
        const j = Journal.open(cfg.stateDir, { readonly: true });
        try {
          expect(j.pairs.get('p')?.state).toBe('deletes-held');
        } finally {
          j.close();
        }
      });
      // The window counts deletes already sent: one that arrived alone (parcel reports the first
      // event of a burst at once, the rest 50 ms later) may go before the others are known, but
      // never more than maxDeleteCount of the five.
      const sent = 11 - (await keys(s.bucket)).length;
      expect(sent).toBeGreaterThanOrEqual(0);
      expect(sent).toBeLessThanOrEqual(3);
    } finally {
      await d.stop();
    }
  });

  it('a case-only rename and a rename with changed content both converge', async () => {
    s = await scratch('case');
    s.write('Readme.txt', 'same');
    s.write('data.bin', bytes(100, 1));
    const cfg = s.config({ maxDeletePercent: 100 });
    await once(cfg);
    renameSync(join(s.root, 'Readme.txt'), join(s.root, 'README.txt'));
    renameSync(join(s.root, 'data.bin'), join(s.root, 'data2.bin'));
    s.write('data2.bin', bytes(100, 2));
    const r = await once(cfg);
    expect(r.stats.p).toMatchObject({ copied: 1, uploaded: 1, deleted: 2 });
    await expectMirror(s.root, s.bucket);
  });

  it('followSymlinks follows links and stops at loops', async () => {
    s = await scratch('links');
    s.write('real/a.txt', 'a');
    symlinkSync(join(s.root, 'real'), join(s.root, 'alias'));
    symlinkSync(s.root, join(s.root, 'real', 'loop'));
    symlinkSync(join(s.root, 'real', 'a.txt'), join(s.root, 'file-link'));
    await once(s.config({ followSymlinks: true }));
    expect(await keys(s.bucket)).toEqual(['alias/a.txt', 'file-link', 'real/a.txt']);
  });

  it('NFC and NFD forms of one name: the first is mirrored under the NFC key, the second is a KEY_COLLISION', async () => {
    s = await scratch('nfc');
    const nfc = 'caf\u00e9.txt';
    const nfd = 'cafe\u0301.txt';
    s.write(nfd, 'decomposed');
    const cfg = s.config();
    await once(cfg);
    expect(await keys(s.bucket)).toEqual([nfc]);
    s.write(nfc, 'composed');
    const r = await once(cfg);
    expect(r.failures.map((f) => [f.rel, f.code])).toEqual([[nfc, 'KEY_COLLISION']]);
    const j = Journal.open(cfg.stateDir, { readonly: true });
    const codes = j.query.failedFiles('p', 10).map((f) => [f.rel, f.error_code]);
    j.close();
    expect(codes).toEqual([[nfc, 'KEY_COLLISION']]);
    expect(await keys(s.bucket)).toEqual([nfc]);
  });

  it('a directory removed and recreated empty holds deletes; restored files need no upload', async () => {
    s = await scratch('restore');
    for (let i = 0; i < 3; i++) s.write(`f${i}.txt`, `${i}`);
    const cfg = s.config({ maxDeletePercent: 100 });
    await once(cfg);
    rmSync(s.root, { recursive: true });
    mkdirSync(s.root);
    const r1 = await once(cfg);
    expect(r1.held.length).toBe(1);
    for (let i = 0; i < 3; i++) s.write(`f${i}.txt`, `${i}`);
    const r2 = await once(cfg);
    expect(r2.failures).toEqual([]);
    expect(r2.requests.PutObjectCommand ?? 0).toBe(0);
    await expectMirror(s.root, s.bucket);
  });
});
