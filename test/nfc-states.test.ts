// Names that differ only in normalisation (NFC vs NFD) against the bucket's keys, on the
// in-memory bucket: which object is whose, how deletes of one key are counted, and how a held
// delete ends when its file comes back under the other form of its name. Found by the model test.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Journal } from '../src/store/journal.js';
import type { Config } from '../src/config.js';
import { expectMemoryMirror, memoryScratch, type MemoryScratch } from './support/memory-mirror.js';

const NFC = 'caf\u00e9';
const NFD = 'cafe\u0301';

let s: MemoryScratch | undefined;
afterEach(() => {
  s?.cleanup();
  s = undefined;
});

function keys(sc: MemoryScratch): string[] {
  return sc.s3.objects(sc.bucket).map(([k]) => k).sort();
}

function heldRows(cfg: Config): number {
  const j = Journal.open(cfg.stateDir, { readonly: true });
  try {
    return j.query.stateCounts('p').filter((c) => c.state === 'held').reduce((a, c) => a + c.n, 0);
  } finally {
    j.close();
  }
}

describe('an object under the NFD form of a file\'s NFC key', () => {
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
    expect((await s.pass(cfg)).stats.p).toMatchObject({ uploaded: 0, deleted: 0 });
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
    const r = await s.pass(cfg);
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
