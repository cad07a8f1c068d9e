import { unlinkSync } from 'node:fs';
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config.js';
import { independentClient, listAll } from './support/s3client.js';
import { startProxy, type FaultProxy } from './support/proxy.js';
import { testEnv } from './support/s3server.js';
import { audit, daemon, eventually, expectMirror, inJournal, once, scratch, type Scratch } from './support/mirror.js';

// States an operator reaches that the happy paths miss: rows that gave up, keys taken over.
// Real files, a real journal, s3rver behind the fault proxy.

let s: Scratch | undefined;
let proxy: FaultProxy | undefined;
afterEach(async () => {
  s?.cleanup();
  s = undefined;
  await proxy?.close();
  proxy = undefined;
});

function viaProxy(sc: Scratch, p: FaultProxy, pair: Record<string, unknown> = {}) {
  const base = sc.config(pair);
  return parseConfig(
    { ...JSON.parse(JSON.stringify({ ...base, source: undefined })), s3: { ...base.s3, endpoint: p.endpoint } },
    sc.dir,
  );
}

/** Two names of one NFC key, mirrored once: one holds the key, the other failed KEY_COLLISION. */
async function collided(name: string) {
  s = await scratch(name);
  const nfc = 'caf\u00e9.txt';
  const nfd = 'cafe\u0301.txt';
  s.write(nfc, 'composed');
  s.write(nfd, 'decomposed, and longer');
  const cfg = s.config();
  const r1 = await once(cfg);
  expect(r1.failures.map((f) => f.code)).toEqual(['KEY_COLLISION']);
  return { cfg, holder: r1.failures[0]!.rel === nfc ? nfd : nfc };
}

describe('retry state (sync --once)', () => {
  it('an object deleted remotely whose re-upload failed 4 times is uploaded again by the next pass, though the file did not change', async () => {
    s = await scratch('giveup');
    s.write('a.txt', 'alpha');
    s.write('b.txt', 'beta');
    proxy = await startProxy(testEnv().endpoint);
    const cfg = viaProxy(s, proxy);
    expect((await once(cfg)).failures).toEqual([]);
    await independentClient().send(new DeleteObjectCommand({ Bucket: s.bucket, Key: 'a.txt' }));

    proxy.setFault({ kind: 'status', status: 500, match: (op) => op === 'PutObject' });
    const r1 = await audit(cfg);
    expect(r1.failures.map((f) => [f.rel, f.code])).toEqual([['a.txt', 'S3_SERVER_ERROR']]);
    expect((await listAll(s.bucket)).map((o) => o.key)).toEqual(['b.txt']);

    proxy.setFault(null);
    const r2 = await once(cfg);
    expect(r2.failures).toEqual([]);
    await expectMirror(s.root, s.bucket);
  });

  it('KEY_COLLISION: once the file holding the key is gone, the other one takes it over at the next pass', async () => {
    const { cfg, holder } = await collided('collide');
    unlinkSync(`${s!.root}/${holder}`);

    const r2 = await once(cfg);
    expect(r2.failures).toEqual([]);
    // The key holds the loser's content now (never deleted after it was uploaded).
    await expectMirror(s!.root, s!.bucket);
    const r3 = await once(cfg);
    expect(r3.failures).toEqual([]);
    await expectMirror(s!.root, s!.bucket);
  });

  it('KEY_COLLISION (daemon): the file that lost the key takes it over as soon as the holder is deleted, not at the next rescan', async () => {
    const { cfg, holder } = await collided('collided');

    const d = daemon(cfg);
    await d.start();
    try {
      unlinkSync(`${s!.root}/${holder}`);
      await eventually(() => expectMirror(s!.root, s!.bucket));
      await eventually(() => expect(inJournal(cfg, (j) => j.pendingCount('p'))).toBe(0));
      await expectMirror(s!.root, s!.bucket);
    } finally {
      await d.stop();
    }
  });
});
