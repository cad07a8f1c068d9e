import { ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config.js';
import { readStatus, renderStatus } from '../src/status/status.js';
import { createBucket, emptyAndDeleteBucket, independentClient, uniqueBucket } from './support/s3client.js';
import { abortedIds, MiB, uploadRecords, viaProxy } from './support/faults.js';
import { bytes, daemon, eventually, expectMirror, once, scratch, type Scratch } from './support/mirror.js';
import { startProxy, type FaultProxy } from './support/proxy.js';
import { testEnv } from './support/s3server.js';

// Multipart uploads whose abort failed: recorded, counted by status, and aborted later where they were started.

let s: Scratch | undefined;
let proxy: FaultProxy | undefined;
afterEach(async () => {
  s?.cleanup();
  await proxy?.close();
  proxy = undefined;
});

describe('faults injected by a proxy (no SDK mocking)', () => {
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
