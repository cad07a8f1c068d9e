import { renameSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig, type Config } from '../src/config.js';
import { startProxy, type FaultProxy } from './support/proxy.js';
import { testEnv } from './support/s3server.js';
import { bytes, expectMirror, once, scratch, type Scratch } from './support/mirror.js';

// A bucket with default SSE-KMS encryption, the pair setting no `sse`: s3rver has no KMS, so the
// fault proxy plays it (responses say aws:kms, and objects' ETags are ones that are not the MD5).
// It leaves requests as signed, so part ETags stay real here; opaque part ETags are covered on
// the memory bucket's default SSE-KMS (engine.test.ts).

const MiB = 1024 * 1024;
let s: Scratch | undefined;
let proxy: FaultProxy | undefined;
afterEach(async () => {
  s?.cleanup();
  s = undefined;
  await proxy?.close();
  proxy = undefined;
});

function viaProxy(sc: Scratch, p: FaultProxy, top: Record<string, unknown> = {}): Config {
  const base = sc.config({}, { multipart: { thresholdBytes: 5 * MiB, partSizeBytes: 5 * MiB }, ...top });
  return parseConfig(
    { ...JSON.parse(JSON.stringify({ ...base, source: undefined })), s3: { ...base.s3, endpoint: p.endpoint } },
    sc.dir,
  );
}

const writes = (p: FaultProxy) =>
  ['PutObject', 'UploadPart', 'CopyObject'].map((op) => p.counts.get(op) ?? 0).reduce((a, b) => a + b, 0);

describe('a bucket with default SSE-KMS (no sse in the pair)', () => {
  it('uploads once: the ETags the response marks as SSE-KMS are not taken for MD5s; the next pass sends nothing', async () => {
    s = await scratch('kms');
    s.write('small.txt', 'small body');
    s.write('mid.bin', bytes(300 * 1024, 3));
    s.write('big.bin', bytes(11 * MiB, 4));
    proxy = await startProxy(testEnv().endpoint);
    proxy.setFault({ kind: 'kms' });
    const cfg = viaProxy(s, proxy);
    const r1 = await once(cfg);
    expect(r1.failures).toEqual([]);
    expect(proxy.counts.get('PutObject')).toBe(2);
    expect(proxy.counts.get('UploadPart')).toBe(3);
    await expectMirror(s.root, s.bucket);

    proxy.reset();
    expect((await once(cfg)).failures).toEqual([]);
    expect(writes(proxy)).toBe(0);
  });

  it('a new journal in front of the full bucket learns that its ETags are opaque and re-sends nothing; a rename still becomes a copy', async () => {
    s = await scratch('kmsnew');
    s.write('a.txt', 'alpha body');
    s.write('mid.bin', bytes(300 * 1024, 5));
    proxy = await startProxy(testEnv().endpoint);
    proxy.setFault({ kind: 'kms' });
    expect((await once(viaProxy(s, proxy))).failures).toEqual([]);

    proxy.reset();
    const fresh = viaProxy(s, proxy, { stateDir: join(s.dir, 'state2') });
    expect((await once(fresh)).failures).toEqual([]);
    expect(writes(proxy)).toBe(0);
    proxy.reset();
    expect((await once(fresh)).failures).toEqual([]);
    expect(writes(proxy) + (proxy.counts.get('HeadObject') ?? 0)).toBe(0);

    renameSync(join(s.root, 'mid.bin'), join(s.root, 'moved.bin'));
    proxy.reset();
    expect((await once(fresh)).failures).toEqual([]);
    expect([proxy.counts.get('CopyObject'), proxy.counts.get('PutObject') ?? 0]).toEqual([1, 0]);
    await expectMirror(s.root, s.bucket);
  });
});
