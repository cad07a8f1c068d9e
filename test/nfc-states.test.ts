// Names that differ only in normalisation (NFC vs NFD) against the bucket's keys, on the
// in-memory bucket: which object is whose, how deletes of one key are counted, and how a held
// delete ends when its file comes back under the other form of its name. Found by the model test.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Journal } from '../src/store/journal.js';
import { expectMemoryMirror, memoryScratch, type MemoryScratch } from './support/memory-mirror.js';
import { heldCount } from './support/mirror.js';

const NFC = 'caf\u00e9';
const NFD = 'cafe\u0301';

let s: MemoryScratch | undefined;
afterEach(() => {
  s?.cleanup();
  s = undefined;
});

function keys(sc: MemoryScratch): string[] {
  return sc.s3
    .objects(sc.bucket)
    .map(([k]) => k)
    .sort();
}

describe("an object under the NFD form of a file's NFC key", () => {
  it('put by another writer before the file was first mirrored is deleted; the file keeps its NFC key', async () => {
    s = memoryScratch('nfc-nfdkey');
    s.write(`a/${NFD}`, 'a');
    s.s3.putObject(s.bucket, `a/${NFD}`, '');
    s.write('x', 'a');
    const cfg = s.config({ maxDeletePercent: 100 });
    const r = await s.pass(cfg);
    expect(r.failures).toEqual([]);
    expect(r.held).toEqual([]);
    expect(keys(s)).toEqual([`a/${NFC}`, 'x']);
    expectMemoryMirror(s);
    // Settled: the next pass has nothing to do.
    s.s3.resetCounters();
    expect((await s.pass(cfg, { audit: true })).stats.p).toMatchObject({ uploaded: 0, deleted: 0 });
    expect(s.s3.counts()).toEqual({ ListObjectsV2: 1 });
  });

  it('put by another writer after the file was mirrored is deleted, and the file is not sent again', async () => {
    s = memoryScratch('nfc-nfdkey2');
    s.write(`a/${NFD}`, 'a');
    s.write('x', 'a');
    const cfg = s.config({ maxDeletePercent: 100 });
    await s.pass(cfg);
    s.s3.putObject(s.bucket, `a/${NFD}`, 'other');
    s.s3.resetCounters();
    // Another writer's object is seen at an audit.
    const r = await s.pass(cfg, { audit: true });
    expect(r.failures).toEqual([]);
    expect(r.stats.p).toMatchObject({ uploaded: 0, deleted: 1 });
    expect(keys(s)).toEqual([`a/${NFC}`, 'x']);
    expectMemoryMirror(s);
  });

  it('an NFC-named file and an object under its NFD key: the object is deleted', async () => {
    s = memoryScratch('nfc-nfdkey3');
    s.write(`a/${NFC}`, 'a');
    s.write('x', 'a');
    s.s3.putObject(s.bucket, `a/${NFD}`, 'other');
    const cfg = s.config({ maxDeletePercent: 100 });
    const r = await s.pass(cfg);
    expect(r.failures).toEqual([]);
    expect(keys(s)).toEqual([`a/${NFC}`, 'x']);
    expectMemoryMirror(s);
  });
});

describe('both names of an NFC collision deleted', () => {
  for (const mode of ['mirror', 'trash'] as const) {
    it(`are one delete of the one object for the guard (delete: ${mode})`, async () => {
      s = memoryScratch(`nfc-coll-${mode}`);
      s.write(`a/c/${NFD}`, 'a');
      s.write(`a/c/${NFC}`, '');
      s.write('x', 'keep');
      // One object of two may go (50 %); two deletes of it would be held.
      const cfg = s.config({ maxDeletePercent: 50, delete: mode });
      const first = await s.pass(cfg);
      expect(first.failures.map((f) => f.code)).toEqual(['KEY_COLLISION']);
      expect(keys(s)).toEqual([`a/c/${NFC}`, 'x']);

      rmSync(join(s.root, 'a/c'), { recursive: true });
      s.s3.resetCounters();
      const r = await s.pass(cfg);
      expect(r.held).toEqual([]);
      expect(r.failures).toEqual([]);
      expect(heldCount(cfg)).toBe(0);
      const live = keys(s).filter((k) => !k.startsWith('.s3mirror-trash/'));
      expect(live).toEqual(['x']);
      // The key is named once, in one delete; in trash mode it is moved to the trash once.
      expect(s.s3.requests.filter((q) => q.op === 'DeleteObjects').reduce((n, q) => n + (q.keys ?? 0), 0)).toBe(1);
      if (mode === 'trash') {
        expect(s.s3.counts().CopyObject).toBe(1);
        expect(keys(s).filter((k) => k.startsWith('.s3mirror-trash/'))).toHaveLength(1);
        expect(r.stats.p).toMatchObject({ trashed: 1, deleted: 0 });
      } else expect(r.stats.p).toMatchObject({ deleted: 1 });
      expectMemoryMirror(s);
    });
  }
});

describe('both names of an NFC collision deleted while the guard holds', () => {
  it('show one held delete, stay held at the next pass, and go with one delete after resume', async () => {
    s = memoryScratch('nfc-coll-held');
    s.write(`a/c/${NFD}`, 'a');
    s.write(`a/c/${NFC}`, '');
    s.write('x', 'keep');
    const cfg = s.config({ maxDeletePercent: 0 });
    await s.pass(cfg);
    rmSync(join(s.root, 'a/c'), { recursive: true });
    for (let pass = 0; pass < 2; pass++) {
      const r = await s.pass(cfg);
      expect(r.held).toEqual([{ pair: 'p', count: 1, reason: expect.stringContaining('maxDeletePercent') }]);
      expect(heldCount(cfg)).toBe(1);
      expect(keys(s)).toEqual([`a/c/${NFC}`, 'x']);
    }
    const j = Journal.open(cfg.stateDir);
    try {
      expect(j.pairs.releaseHeld('p', Date.now())).toBe(1);
    } finally {
      j.close();
    }
    s.s3.resetCounters();
    const r = await s.pass(cfg);
    expect(r.held).toEqual([]);
    expect(r.stats.p).toMatchObject({ deleted: 1 });
    expect(s.s3.requests.filter((q) => q.op === 'DeleteObjects').reduce((n, q) => n + (q.keys ?? 0), 0)).toBe(1);
    expect(keys(s)).toEqual(['x']);
  });
});

describe('a held delete whose file comes back under the other normal form of its name', () => {
  it('is cancelled at once: the file is mirrored, nothing stays held, the pass exits clean', async () => {
    s = memoryScratch('nfc-held');
    s.s3.putObject(s.bucket, `b/${NFC}`, 'a');
    const cfg = s.config({ maxDeletePercent: 100 });
    // An empty root in front of an object: its delete is held.
    const first = await s.pass(cfg);
    expect(first.held).toEqual([{ pair: 'p', count: 1, reason: expect.stringContaining('empty') }]);

    s.write(`b/${NFD}`, '');
    s.write('x', 'a');
    const r = await s.pass(cfg);
    expect(r.failures).toEqual([]);
    expect(r.held).toEqual([]);
    expect(heldCount(cfg)).toBe(0);
    expect(keys(s)).toEqual([`b/${NFC}`, 'x']);
    expectMemoryMirror(s);
    // And it stays so: nothing held, nothing to do.
    const again = await s.pass(cfg);
    expect(again.held).toEqual([]);
    expect(again.stats.p).toMatchObject({ uploaded: 0, deleted: 0 });
  });

  it("an object under an NFD key is no file's: its held delete stays held when the NFC-named file appears", async () => {
    s = memoryScratch('nfc-held2');
    s.s3.putObject(s.bucket, `b/${NFD}`, 'a');
    const cfg = s.config({ maxDeletePercent: 100 });
    expect((await s.pass(cfg)).held).toHaveLength(1);
    s.write(`b/${NFC}`, 'new');
    const r = await s.pass(cfg);
    expect(r.failures).toEqual([]);
    expect(r.held).toEqual([{ pair: 'p', count: 1, reason: expect.stringContaining('empty') }]);
    expect(keys(s)).toEqual([`b/${NFC}`, `b/${NFD}`].sort());
    expect(s.s3.getObject(s.bucket, `b/${NFC}`)!.body.toString()).toBe('new');
  });
});
