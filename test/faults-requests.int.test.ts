import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { MiB, viaProxy } from './support/faults.js';
import { bytes, expectMirror, once, scratch, type Scratch } from './support/mirror.js';
import { startProxy, type FaultProxy } from './support/proxy.js';
import { testEnv } from './support/s3server.js';

// What goes over the wire in a pass: errors and drops retried, bodies signed and checked, a server that stays down.

let s: Scratch | undefined;
let proxy: FaultProxy | undefined;
afterEach(async () => {
  s?.cleanup();
  await proxy?.close();
  proxy = undefined;
});

describe('faults injected by a proxy (no SDK mocking)', () => {
  it('server errors on PUT and a dropped connection are retried until the mirror converges', async () => {
    s = await scratch('faults');
    for (let i = 0; i < 10; i++) s.write(`f${i}.txt`, `data ${i}`);
    s.write('big.bin', bytes(11 * MiB, 5));
    proxy = await startProxy(testEnv().endpoint);
    // More failures than the SDK's own 3 attempts, so our journal-driven retry must do the rest.
    proxy.setFault({ kind: 'status', status: 500, match: (op) => op === 'PutObject', times: 8 });
    const cfg = viaProxy(s, proxy, { multipart: { thresholdBytes: 5 * MiB, partSizeBytes: 5 * MiB } });
    const r = await once(cfg);
    expect(r.failures).toEqual([]);
    expect(proxy.injected()).toBe(8);
    await expectMirror(s.root, s.bucket);

    s.write('f0.txt', 'changed');
    proxy.setFault({ kind: 'drop', match: (op) => op === 'PutObject' || op === 'UploadPart', times: 4 });
    s.write('big.bin', bytes(11 * MiB, 6));
    const r2 = await once(cfg);
    expect(r2.failures).toEqual([]);
    await expectMirror(s.root, s.bucket);
  });

  it('bodies go with a signed Content-MD5 instead of a SHA-256 payload hash (UNSIGNED-PAYLOAD); other requests stay payload-signed', async () => {
    s = await scratch('unsigned');
    s.write('small.txt', 'small');
    s.write('big.bin', bytes(11 * MiB, 7));
    proxy = await startProxy(testEnv().endpoint);
    const r = await once(viaProxy(s, proxy, { multipart: { thresholdBytes: 5 * MiB, partSizeBytes: 5 * MiB } }));
    expect(r.failures).toEqual([]);
    await expectMirror(s.root, s.bucket);
    const bodies = proxy.requests.filter((q) => q.op === 'PutObject' || q.op === 'UploadPart');
    expect(bodies.map((q) => q.op).sort()).toEqual(['PutObject', 'UploadPart', 'UploadPart', 'UploadPart']);
    for (const q of bodies) {
      expect(q.headers['content-md5']).toMatch(/^[A-Za-z0-9+/]{22}==$/);
      expect(q.headers['x-amz-content-sha256']).toBe('UNSIGNED-PAYLOAD');
      expect(q.headers.authorization).toContain('content-md5');
    }
    const others = proxy.requests.filter((q) => q.op !== 'PutObject' && q.op !== 'UploadPart');
    expect(others.length).toBeGreaterThan(0);
    for (const q of others) expect(q.headers['x-amz-content-sha256']).toMatch(/^[0-9a-f]{64}$/);
  });

  it('s3.signPayload: true signs bodies with their SHA-256 as the SDK does (for a bucket policy that demands it)', async () => {
    s = await scratch('signed');
    s.write('small.txt', 'small');
    proxy = await startProxy(testEnv().endpoint);
    const base = viaProxy(s, proxy);
    const r = await once({ ...base, s3: { ...base.s3, signPayload: true } });
    expect(r.failures).toEqual([]);
    await expectMirror(s.root, s.bucket);
    const puts = proxy.requests.filter((q) => q.op === 'PutObject');
    expect(puts).toHaveLength(1);
    expect(puts[0]!.headers['x-amz-content-sha256']).toBe(createHash('sha256').update('small').digest('hex'));
  });

  it('a body damaged on the way is never recorded as mirrored: the server refuses it (Content-MD5) or its ETag gives it away, and it is sent again', async () => {
    s = await scratch('corrupt');
    s.write('small.txt', 'small body');
    s.write('mid.bin', bytes(300 * 1024, 3)); // above the in-memory read: re-read when sent
    s.write('big.bin', bytes(11 * MiB, 8));
    proxy = await startProxy(testEnv().endpoint);
    // Every body's first transmission is damaged: 2 PUTs and the 3 parts.
    proxy.setFault({ kind: 'corrupt', match: (op) => op === 'PutObject' || op === 'UploadPart', times: 5 });
    const cfg = viaProxy(s, proxy, { multipart: { thresholdBytes: 5 * MiB, partSizeBytes: 5 * MiB } });
    const r1 = await once(cfg);
    expect(proxy.injected()).toBe(5);
    // Retried in the pass (as S3_BAD_DIGEST) or by the next one: never a wrong object.
    const r2 = r1.failures.length ? await once(cfg) : r1;
    for (const f of r1.failures) expect(f.code).toBe('S3_BAD_DIGEST');
    expect(r2.failures).toEqual([]);
    await expectMirror(s.root, s.bucket);
  });

  it('a server that stays down fails the pass with ENDPOINT_UNREACHABLE; nothing is lost and the next pass converges', async () => {
    s = await scratch('down');
    s.write('a.txt', 'a');
    proxy = await startProxy(testEnv().endpoint);
    const cfg = viaProxy(s, proxy);
    proxy.setFault({ kind: 'drop' });
    await expect(once(cfg)).rejects.toMatchObject({ code: 'ENDPOINT_UNREACHABLE' });
    proxy.setFault(null);
    const r = await once(cfg);
    expect(r.failures).toEqual([]);
    await expectMirror(s.root, s.bucket);
  });
});
