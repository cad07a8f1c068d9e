// NFC and NFD names against the real server (s3rver): an object under the NFD form of a file's
// key is no file's, both names of a collision are one delete, and a held delete ends when its
// file comes back under the other form of its name — also in the daemon, through a watcher event.
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { independentClient, listAll } from './support/s3client.js';
import {
  audit,
  daemon,
  eventually,
  expectMirror,
  heldCount,
  inJournal,
  once,
  scratch,
  type Scratch,
} from './support/mirror.js';

const NFC = 'caf\u00e9';
const NFD = 'cafe\u0301';

let s: Scratch | undefined;
afterEach(() => {
  s?.cleanup();
  s = undefined;
});

async function otherWriter(bucket: string, key: string, body: string): Promise<void> {
  await independentClient().send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
}

const keys = async (bucket: string) => (await listAll(bucket)).map((o) => o.key).sort();

describe('NFC and NFD names on s3rver', () => {
  it("an object another writer put under the NFD form of a file's key is deleted", async () => {
    s = await scratch('nfc-nfdkey');
    s.write(`a/${NFD}`, 'a');
    s.write('x', 'a');
    const cfg = s.config({ maxDeletePercent: 100 });
    await once(cfg);
    await otherWriter(s.bucket, `a/${NFD}`, 'someone else');
    const r = await audit(cfg);
    expect(r.failures).toEqual([]);
    expect(r.stats.p).toMatchObject({ deleted: 1, uploaded: 0 });
    expect(await keys(s.bucket)).toEqual([`a/${NFC}`, 'x']);
    await expectMirror(s.root, s.bucket);
  });

  it('both names of a collision deleted are one delete: not held, one key sent', async () => {
    s = await scratch('nfc-coll');
    s.write(`a/c/${NFD}`, 'a');
    s.write(`a/c/${NFC}`, '');
    s.write('x', 'keep');
    const cfg = s.config({ maxDeletePercent: 50 });
    expect((await once(cfg)).failures.map((f) => f.code)).toEqual(['KEY_COLLISION']);
    rmSync(join(s.root, 'a/c'), { recursive: true });
    const r = await once(cfg);
    expect(r.held).toEqual([]);
    expect(r.failures).toEqual([]);
    expect(r.stats.p).toMatchObject({ deleted: 1 });
    expect(r.calls.DeleteObjectsCommand).toBe(1);
    expect(await keys(s.bucket)).toEqual(['x']);
  });

  it('the daemon cancels a held delete when its file appears under the NFD name, and the hold ends', async () => {
    s = await scratch('nfc-held');
    await otherWriter(s.bucket, `b/${NFC}`, 'a');
    const cfg = s.config({ maxDeletePercent: 100 });
    expect((await once(cfg)).held).toEqual([{ pair: 'p', count: 1, reason: expect.stringContaining('empty') }]);

    const dm = daemon(cfg);
    await dm.start();
    try {
      s.write(`b/${NFD}`, 'mine');
      await eventually(() => {
        expect(inJournal(cfg, (j) => j.getFile('p', `b/${NFD}`))).toMatchObject({ state: 'clean', present: 1 });
        expect(heldCount(cfg)).toBe(0);
        expect(inJournal(cfg, (j) => j.pairs.get('p'))).toMatchObject({ state: 'ok', hold_reason: null });
      }, 20_000);
      expect(dm.rt.engines.get('p')!.stats).toMatchObject({ deleted: 0, uploaded: 1 });
    } finally {
      await dm.stop();
    }
    const r = await once(cfg);
    expect(r.held).toEqual([]);
    expect(r.failures).toEqual([]);
    expect(await keys(s.bucket)).toEqual([`b/${NFC}`]);
    await expectMirror(s.root, s.bucket);
  });
});
