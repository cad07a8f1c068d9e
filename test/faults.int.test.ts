import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { unlinkSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config.js';
import { EXIT, exitCodeFor } from '../src/exit.js';
import { isLocked } from '../src/store/lock.js';
import { ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import { Journal } from '../src/store/journal.js';
import { createBucket, emptyAndDeleteBucket, independentClient, uniqueBucket } from './support/s3client.js';
import { readStatus, renderStatus } from '../src/status/status.js';
import { startProxy, type FaultProxy } from './support/proxy.js';
import { testEnv } from './support/s3server.js';
import { bytes, daemon, eventually, expectMirror, once, scratch, type Scratch } from './support/mirror.js';

const MiB = 1024 * 1024;
let s: Scratch | undefined;
let proxy: FaultProxy | undefined;
afterEach(async () => {
  s?.cleanup();
  await proxy?.close();
  proxy = undefined;
});

/** The scratch pair's config, but talking to S3 through the fault proxy. */
function viaProxy(sc: Scratch, p: FaultProxy, top: Record<string, unknown> = {}) {
  const base = sc.config({}, top);
  return parseConfig(
    { ...JSON.parse(JSON.stringify({ ...base, source: undefined })), s3: { ...base.s3, endpoint: p.endpoint } },
    sc.dir,
  );
}

/** The multipart uploads the journal still records (read-only, also while a daemon runs). */
function uploadRecords(stateDir: string) {
  const j = Journal.open(stateDir, { readonly: true });
  try {
    return j.uploads.all();
  } finally {
    j.close();
  }
}

/** Upload ids of every AbortMultipartUpload the proxy saw, in order, faulted ones included. */
function abortedIds(p: FaultProxy): (string | null)[] {
  return p.requests
    .filter((r) => r.op === 'AbortMultipartUpload')
    .map((r) => new URLSearchParams(r.query).get('uploadId'));
}

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

  it('stopping the daemon while a rescan waits on the server is clean: the rescan finishes first, nothing fails afterwards', async () => {
    s = await scratch('stop-rescan');
    for (let i = 0; i < 20; i++) s.write(`f${i}.txt`, `data ${i}`);
    proxy = await startProxy(testEnv().endpoint);
    const p = proxy;
    const cfg = viaProxy(s, p, { rescanIntervalMs: 20 });
    const stray: unknown[] = [];
    const onStray = (e: unknown) => stray.push(e);
    process.on('unhandledRejection', onStray);
    const d = daemon(cfg);
    try {
      await d.start();
      await eventually(() => expectMirror(s!.root, s!.bucket));
      // Every listing now takes a while: the next rescan is caught waiting on one.
      p.setFault({ kind: 'delay', ms: 400, match: (op) => op === 'ListObjectsV2' });
      const lists = p.counts.get('ListObjectsV2') ?? 0;
      await eventually(() => expect(p.counts.get('ListObjectsV2') ?? 0).toBeGreaterThan(lists));
      await d.stop();
      // stop() waited for the rescan: its listing has been answered, and what the rescan did with
      // it met an open journal (before, it ran on after stop and threw on the closed one).
      expect(p.pending()).toBe(0);
      expect(stray).toEqual([]);
    } finally {
      process.off('unhandledRejection', onStray);
      await d.stop();
    }
  });

  it('the daemon keeps recording changes while the server is down and ships them when it is back', async () => {
    s = await scratch('outage');
    s.write('a.txt', 'a');
    s.write('b.txt', 'b');
    proxy = await startProxy(testEnv().endpoint);
    const cfg = viaProxy(s, proxy, { debounceMs: 100 });
    const d = daemon(cfg);
    await d.start();
    try {
      await eventually(() => expectMirror(s!.root, s!.bucket));
      proxy.setFault({
        kind: 'status',
        status: 503,
        match: (op) => op === 'PutObject' || op === 'DeleteObjects',
        times: 6,
      });
      s.write('c.txt', 'c');
      unlinkSync(join(s.root, 'a.txt'));
      await eventually(() => expectMirror(s!.root, s!.bucket), 30_000);
      expect(proxy.injected()).toBeGreaterThan(0);
    } finally {
      await d.stop();
    }
  });

  it('a delete decided before its file comes back is dropped, never sent after the new upload (daemon)', async () => {
    s = await scratch('comeback');
    s.write('a.txt', 'first version');
    s.write('slow.txt', 'slow v1');
    proxy = await startProxy(testEnv().endpoint);
    const cfg = viaProxy(s, proxy, { debounceMs: 100 });
    await once(cfg);
    // One slow upload keeps the pipeline busy, so the decided delete of a.txt waits in hand.
    proxy.setFault({
      kind: 'delay',
      ms: 2500,
      match: (op, req) => op === 'PutObject' && req.path.endsWith('/slow.txt'),
      times: 1,
    });
    proxy.reset();
    const d = daemon(cfg);
    await d.start();
    try {
      s.write('slow.txt', 'slow v2');
      unlinkSync(join(s.root, 'a.txt'));
      const engine = d.rt.engines.get('p')!;
      await eventually(() => expect(engine.pendingDeletes).toBe(1));
      s.write('a.txt', 'second version');
      await eventually(async () => {
        expect(proxy!.injected()).toBe(1);
        expect(engine.pendingDeletes).toBe(0);
        await expectMirror(s!.root, s!.bucket);
      });
      expect(proxy.counts.get('DeleteObjects') ?? 0).toBe(0);
    } finally {
      await d.stop();
    }
  });

  // A bucket missing at start is checked again every preflightRetryMs. A config error (exit 2) is
  // final wherever it is first seen: here the bucket turns up in another region than the config's.
  it.each([
    ['at start', 0],
    ['on a retry of the bucket check', 1],
  ] as const)('a config error first seen %s stops the daemon with it (exit 2)', async (_when, firstWrong) => {
    s = await scratch('cfgerr');
    s.write('a.txt', 'a');
    proxy = await startProxy(testEnv().endpoint);
    const base = viaProxy(s, proxy);
    // A bucket nobody created: the server's own answer is 404 until the proxy says otherwise.
    const cfg = parseConfig(
      {
        ...JSON.parse(JSON.stringify({ ...base, source: undefined })),
        pairs: [{ name: 'p', path: s.root, bucket: uniqueBucket('later') }],
      },
      s.dir,
    );
    let heads = 0;
    proxy.setFault({
      kind: 'status',
      status: 301,
      headers: { 'x-amz-bucket-region': 'eu-west-1' },
      match: (op) => op === 'HeadBucket' && heads++ >= firstWrong,
    });
    const d = daemon(cfg, { preflightRetryMs: 50 });
    try {
      let e: unknown;
      if (firstWrong === 0)
        e = await d.start().then(
          () => undefined,
          (err: unknown) => err,
        );
      else {
        await d.start();
        e = await d.failed;
        // What the CLI exits with when a signal arrives while the daemon stops over it.
        expect(d.failure).toBe(e);
      }
      expect(e).toMatchObject({ code: 'REGION_WRONG' });
      expect(exitCodeFor(e)).toBe(EXIT.usage);
      expect(heads).toBe(firstWrong + 1);
      // It has stopped: the lock is free for the next start (with a fixed config).
      expect(isLocked(cfg.stateDir)).toBe(false);
    } finally {
      await d.stop();
    }
  });

  it('the daemon aborts an upload whose abort failed at a later rescan, and never one still under way', async () => {
    s = await scratch('daemon-aborts');
    proxy = await startProxy(testEnv().endpoint);
    const p = proxy;
    const cfg = viaProxy(s, p, {
      debounceMs: 50,
      rescanIntervalMs: 200,
      multipart: { thresholdBytes: 5 * MiB, partSizeBytes: 5 * MiB },
    });
    const recorded = () => uploadRecords(cfg.stateDir).map((u) => u.upload_id);
    const aborted = () => abortedIds(p);
    const d = daemon(cfg);
    await d.start();
    try {
      // Slow parts: several rescans run while this upload is under way, and must leave it alone.
      p.setFault({ kind: 'delay', ms: 700, match: (op) => op === 'UploadPart' });
      s.write('slow.bin', bytes(11 * MiB, 3));
      await eventually(() => expectMirror(s!.root, s!.bucket), 30_000);
      expect(aborted()).toEqual([]);

      // Completing and aborting fail: the upload's record stays behind.
      p.setFault({
        kind: 'status',
        status: 400,
        code: 'InvalidRequest',
        match: (op) => op === 'CompleteMultipartUpload' || op === 'AbortMultipartUpload',
      });
      s.write('big.bin', bytes(11 * MiB, 4));
      // Stuck: still recorded after its abort was tried (a record alone may be an upload under way).
      const stuckNow = () => recorded().filter((id) => aborted().includes(id));
      await eventually(() => expect(stuckNow().length).toBeGreaterThan(0), 30_000);
      const stuck = stuckNow();
      // The server is healthy again: a rescan aborts what was left, with no restart.
      p.setFault(null);
      await eventually(() => {
        for (const id of stuck) expect(aborted().filter((a) => a === id).length, id).toBeGreaterThanOrEqual(2);
        expect(recorded()).toEqual([]);
      }, 30_000);
      // The file itself waits out its backoff (a refused request is tried again 5 minutes later,
      // and rescans do not cut that short): the next pass sends it.
      await d.stop();
      expect((await once(cfg)).failures).toEqual([]);
      await expectMirror(s.root, s.bucket);
    } finally {
      await d.stop();
    }
  });

  it('every multipart upload whose abort failed stays recorded, two for one file, and a later start aborts each', async () => {
    s = await scratch('aborts');
    proxy = await startProxy(testEnv().endpoint);
    const p = proxy;
    const cfg = viaProxy(s, p, { multipart: { thresholdBytes: 5 * MiB, partSizeBytes: 5 * MiB } });
    const recorded = () => uploadRecords(cfg.stateDir);
    const aborted = () => abortedIds(p);
    // Completing fails (for good: neither the SDK nor the pass retries a 400), and every abort fails.
    p.setFault({
      kind: 'status',
      status: 400,
      code: 'InvalidRequest',
      match: (op) => op === 'CompleteMultipartUpload' || op === 'AbortMultipartUpload',
    });

    s.write('big.bin', bytes(11 * MiB, 1));
    expect((await once(cfg)).failures.map((f) => f.rel)).toEqual(['big.bin']);
    const [first] = recorded();
    expect(first).toMatchObject({ pair: 'p', rel: 'big.bin', key: 'big.bin' });

    // The file changes and is tried again: a second upload, whose abort fails too.
    s.write('big.bin', bytes(11 * MiB, 2));
    expect((await once(cfg)).failures.map((f) => f.rel)).toEqual(['big.bin']);
    const both = recorded();
    expect(both.map((u) => [u.rel, u.key])).toEqual([
      ['big.bin', 'big.bin'],
      ['big.bin', 'big.bin'],
    ]);
    expect(both[0]!.upload_id).toBe(first!.upload_id);
    expect(both[1]!.upload_id).not.toBe(first!.upload_id);
    // The first pass's abort, the second pass's start trying it again, the second upload's own.
    expect(aborted()).toEqual([first!.upload_id, first!.upload_id, both[1]!.upload_id]);
    // Status counts them, and says so while no daemon works on them.
    expect(readStatus(cfg).openUploads).toBe(2);
    expect(renderStatus(readStatus(cfg))).toContain('unfinished multipart uploads: 2');
    expect(readStatus(cfg).recentErrors.map((e) => e.message)).toContainEqual(
      expect.stringContaining(`could not abort the unfinished multipart upload of big.bin`),
    );

    // A later start with the server healthy aborts both, then uploads the file.
    p.setFault(null);
    p.reset();
    expect((await once(cfg)).failures).toEqual([]);
    expect(aborted().sort()).toEqual(both.map((u) => u.upload_id).sort());
    expect(recorded()).toEqual([]);
    expect(readStatus(cfg).openUploads).toBe(0);
    await expectMirror(s.root, s.bucket);
    if (testEnv().server !== 's3rver') {
      // A server that keeps uploads (s3rver has neither abort nor this listing) has none left.
      const client = independentClient();
      try {
        const r = await client.send(new ListMultipartUploadsCommand({ Bucket: s.bucket }));
        expect(r.Uploads ?? []).toEqual([]);
      } finally {
        client.destroy();
      }
    }
  });

  it('a pair moved to another bucket still has its unfinished uploads aborted where they were started', async () => {
    s = await scratch('moved');
    proxy = await startProxy(testEnv().endpoint);
    const p = proxy;
    const cfg = viaProxy(s, p, { multipart: { thresholdBytes: 5 * MiB, partSizeBytes: 5 * MiB } });
    p.setFault({
      kind: 'status',
      status: 400,
      code: 'InvalidRequest',
      match: (op) => op === 'CompleteMultipartUpload' || op === 'AbortMultipartUpload',
    });
    s.write('big.bin', bytes(11 * MiB, 5));
    expect((await once(cfg)).failures.map((f) => f.rel)).toEqual(['big.bin']);
    const [stuck] = uploadRecords(cfg.stateDir);
    expect(stuck).toMatchObject({ bucket: s.bucket, key: 'big.bin' });

    const moved = await createBucket(uniqueBucket('moved'));
    try {
      const cfg2 = parseConfig(
        {
          ...JSON.parse(JSON.stringify({ ...cfg, source: undefined })),
          pairs: [{ name: 'p', path: s.root, bucket: moved }],
        },
        s.dir,
      );
      p.setFault(null);
      p.reset();
      expect((await once(cfg2)).failures).toEqual([]);
      const aborts = p.requests.filter((r) => r.op === 'AbortMultipartUpload');
      expect(aborts.map((r) => [r.path, new URLSearchParams(r.query).get('uploadId')])).toEqual([
        [`/${s.bucket}/big.bin`, stuck!.upload_id],
      ]);
      expect(uploadRecords(cfg.stateDir)).toEqual([]);
      await expectMirror(s.root, moved);
    } finally {
      await emptyAndDeleteBucket(moved);
    }
  });
});
