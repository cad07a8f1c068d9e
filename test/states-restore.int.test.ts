import { cpSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Config } from '../src/config.js';
import { Journal } from '../src/store/journal.js';
import { listAll } from './support/s3client.js';
import {
  daemon,
  eventually,
  expectMirror,
  heldCount,
  inJournal,
  once,
  scratch,
  type Scratch,
} from './support/mirror.js';

// A fresh journal in front of a full bucket: rows created from the listing are hints, not
// verdicts. A file that exists locally is never deleted remotely.

let s: Scratch | undefined;
afterEach(() => {
  s?.cleanup();
  s = undefined;
});

/** `s3mirror resume --pair p --allow-deletes`, as the CLI does it. */
function resume(cfg: Config, pair = 'p'): number {
  const j = Journal.open(cfg.stateDir);
  try {
    return j.pairs.releaseHeld(pair, Date.now());
  } finally {
    j.close();
  }
}

/** A second stateDir and an empty root, in front of the same bucket and prefix. */
function secondJournal(sc: Scratch, pair: Record<string, unknown> = {}): { root: string; cfg: Config } {
  const root = join(sc.dir, 'root2');
  mkdirSync(root);
  return { root, cfg: sc.config({ path: root, ...pair }, { stateDir: join(sc.dir, 'state2') }) };
}

describe('a fresh journal in front of a full bucket', () => {
  it('files restored into the folder whose deletes are held are mirrored, and never deleted', async () => {
    s = await scratch('restore');
    for (let i = 0; i < 50; i++) s.write(`d/f${i}.txt`, `file ${i}`);
    await once(s.config());
    const two = secondJournal(s);
    const r1 = await once(two.cfg);
    expect(r1.held).toEqual([{ pair: 'p', count: 50, reason: expect.stringContaining('empty') }]);

    cpSync(s.root, two.root, { recursive: true });
    const r2 = await once(two.cfg);
    expect(r2.held).toEqual([]);
    expect(r2.failures).toEqual([]);
    expect(r2.stats.p).toMatchObject({ deleted: 0, uploaded: 0, skipped: 50, held: 0 });
    expect(inJournal(two.cfg, (j) => j.pairs.get('p')?.state)).toBe('ok');

    expect(resume(two.cfg)).toBe(0);
    for (let pass = 0; pass < 2; pass++) {
      const r = await once(two.cfg);
      expect(r.stats.p).toMatchObject({ deleted: 0, uploaded: 0 });
      expect(r.calls.DeleteObjectsCommand ?? 0).toBe(0);
    }
    await expectMirror(two.root, s.bucket);
  });

  it('restoring part of the files cancels their deletes only: the rest stay held until resume', async () => {
    s = await scratch('partial');
    for (let i = 0; i < 50; i++) s.write(`f${i}.txt`, `file ${i}`);
    await once(s.config());
    const two = secondJournal(s);
    expect((await once(two.cfg)).held).toMatchObject([{ pair: 'p', count: 50 }]);

    for (let i = 0; i < 40; i++) cpSync(join(s.root, `f${i}.txt`), join(two.root, `f${i}.txt`));
    for (let pass = 0; pass < 2; pass++) {
      const r = await once(two.cfg);
      expect(r.held).toMatchObject([{ pair: 'p', count: 10 }]);
      expect(r.stats.p).toMatchObject({ deleted: 0, uploaded: 0 });
      expect((await listAll(s.bucket)).length).toBe(50);
    }
    expect(heldCount(two.cfg)).toBe(10);

    expect(resume(two.cfg)).toBe(10);
    const r = await once(two.cfg);
    expect(r.held).toEqual([]);
    expect(r.stats.p).toMatchObject({ deleted: 10, uploaded: 0 });
    await expectMirror(two.root, s.bucket);
  });

  it('the daemon cancels a held delete as soon as its file comes back; the others stay held', async () => {
    s = await scratch('backlive');
    for (let i = 0; i < 20; i++) s.write(`f${i}.txt`, `file ${i}`);
    await once(s.config());
    const two = secondJournal(s);
    expect((await once(two.cfg)).held).toMatchObject([{ pair: 'p', count: 20 }]);

    const dm = daemon(two.cfg);
    await dm.start();
    try {
      cpSync(join(s.root, 'f3.txt'), join(two.root, 'f3.txt'));
      await eventually(() => {
        const row = inJournal(two.cfg, (j) => j.getFile('p', 'f3.txt'));
        expect(row).toMatchObject({ state: 'clean', present: 1, kind: 'file' });
      }, 20_000);
      expect(heldCount(two.cfg)).toBe(19);
      expect(dm.rt.engines.get('p')!.stats).toMatchObject({ deleted: 0, uploaded: 0 });
    } finally {
      await dm.stop();
    }
    expect((await listAll(s.bucket)).length).toBe(20);
  });

  it('an NFD-named file whose NFC object exists is recognised, not deleted and uploaded again', async () => {
    s = await scratch('nfdfresh');
    const nfd = 'cafe\u0301.txt';
    s.write(nfd, 'accent');
    for (let i = 0; i < 10; i++) s.write(`f${i}.txt`, `file ${i}`);
    await once(s.config());
    expect((await listAll(s.bucket)).map((o) => o.key)).toContain(nfd.normalize('NFC'));

    const fresh = s.config({}, { stateDir: join(s.dir, 'state2') });
    for (let pass = 0; pass < 2; pass++) {
      const r = await once(fresh);
      expect(r.failures).toEqual([]);
      expect(r.stats.p).toMatchObject({ deleted: 0, uploaded: 0 });
      expect(r.calls.DeleteObjectsCommand ?? 0).toBe(0);
      expect(r.calls.PutObjectCommand ?? 0).toBe(0);
    }
    await expectMirror(s.root, s.bucket);
  });

  it('a listing row left for the NFC key of an NFD-named file is dropped, not acted on as a delete', async () => {
    s = await scratch('nfdstale');
    const nfd = 'cafe\u0301.txt';
    const nfc = nfd.normalize('NFC');
    s.write(nfd, 'accent');
    for (let i = 0; i < 10; i++) s.write(`f${i}.txt`, `file ${i}`);
    const cfg = s.config();
    await once(cfg);
    // What reconcile used to record for the listed NFC key beside the NFD file's own row.
    const j = Journal.open(cfg.stateDir);
    try {
      j.markDirty({ pair: 'p', rel: nfc, key: nfc, now: Date.now(), debounceMs: 0, maxDelayMs: 0 });
      j.markRemoteOnly('p', nfc);
    } finally {
      j.close();
    }
    for (let pass = 0; pass < 2; pass++) {
      const r = await once(cfg);
      expect(r.failures).toEqual([]);
      expect(r.calls.DeleteObjectsCommand ?? 0).toBe(0);
      expect(r.calls.PutObjectCommand ?? 0).toBe(0);
    }
    expect(inJournal(cfg, (jj) => jj.getFile('p', nfc))).toBeUndefined();
    await expectMirror(s.root, s.bucket);
  });
});
