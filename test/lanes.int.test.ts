import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config.js';
import type { Daemon } from '../src/sync/daemon.js';
import { MiB, viaProxy } from './support/faults.js';
import { bytes, daemon, eventually, expectMirror, scratch, type Scratch } from './support/mirror.js';
import { type FaultProxy, type ProxiedRequest, startProxy } from './support/proxy.js';
import { createBucket, uniqueBucket } from './support/s3client.js';
import { testEnv } from './support/s3server.js';

// No head-of-line blocking (src/plan/lanes.ts, src/sync/lanes.ts, the scheduler's per-row
// completion): a small change goes up while large uploads hold the link, and a pair whose bucket
// is slow holds back no other pair. Order of completion is checked, never a time.

let s: Scratch | undefined;
let proxy: FaultProxy | undefined;
let d: Daemon | undefined;
afterEach(async () => {
  proxy?.setFault(null);
  proxy?.setLink(null);
  await d?.stop();
  d = undefined;
  s?.cleanup();
  await proxy?.close();
  proxy = undefined;
});

const multipart = { thresholdBytes: 5 * MiB, partSizeBytes: 5 * MiB };

/** Written outside the root and moved in: one watcher event, so each file is a batch of its own. */
function moveIn(sc: Scratch, root: string, rel: string, data: Buffer | string): void {
  const tmp = join(sc.dir, `${rel}.tmp`);
  writeFileSync(tmp, data);
  renameSync(tmp, join(root, rel));
}

const answeredOf = (p: FaultProxy, op: string, bucket: string) =>
  p.answered.filter((r) => r.op === op && r.path.startsWith(`/${bucket}/`));
const isKey = (r: ProxiedRequest, bucket: string, key: string) => r.path === `/${bucket}/${key}`;

describe('no head-of-line blocking', () => {
  it('a 10 KiB change goes up through a slow link while four large uploads, each its own batch, are under way', async () => {
    s = await scratch('lanes-small');
    proxy = await startProxy(testEnv().endpoint);
    const p = proxy;
    d = daemon(viaProxy(s, p, { debounceMs: 100, multipart }));
    await d.start();
    // 60 MiB of parts through 8 MiB/s: the large uploads take several seconds whatever the machine.
    p.setLink({ bytesPerSec: 8 * MiB, match: (r) => r.op === 'UploadPart' || r.op === 'PutObject' });
    for (let i = 0; i < 4; i++) {
      moveIn(s, s.root, `large-${i}.bin`, bytes(15 * MiB, i + 1));
      await eventually(() => expect(p.counts.get('CreateMultipartUpload') ?? 0).toBe(i + 1), 30_000);
    }
    moveIn(s, s.root, 'small.txt', bytes(10 * 1024, 9));
    // The premise: the small change was made while all four uploads were still under way.
    expect(answeredOf(p, 'CompleteMultipartUpload', s.bucket)).toHaveLength(0);

    await eventually(() => expect(answeredOf(p, 'CompleteMultipartUpload', s!.bucket)).toHaveLength(4), 60_000);
    const order = p.answered.filter(
      (r) => r.op === 'CompleteMultipartUpload' || (r.op === 'PutObject' && isKey(r, s!.bucket, 'small.txt')),
    );
    expect(order.map((r) => r.op)).toEqual([
      'PutObject',
      'CompleteMultipartUpload',
      'CompleteMultipartUpload',
      'CompleteMultipartUpload',
      'CompleteMultipartUpload',
    ]);
    await eventually(() => expectMirror(s!.root, s!.bucket), 30_000);
  });

  it("a pair whose bucket hangs holds back no other pair: the other's small and large files go up meanwhile", async () => {
    s = await scratch('lanes-pairs');
    proxy = await startProxy(testEnv().endpoint);
    const p = proxy;
    const slowBucket = s.bucket;
    const fastBucket = await createBucket(uniqueBucket('lanes-fast'));
    const fastRoot = join(s.dir, 'fast');
    mkdirSync(fastRoot);
    const base = viaProxy(s, p, { debounceMs: 100, multipart });
    const cfg = parseConfig(
      {
        ...JSON.parse(JSON.stringify({ ...base, source: undefined })),
        pairs: [
          { name: 'slow', path: s.root, bucket: slowBucket },
          { name: 'fast', path: fastRoot, bucket: fastBucket },
        ],
      },
      s.dir,
    );
    let release!: () => void;
    const hung = new Promise<void>((r) => (release = r));
    // The slow bucket's parts wait until released: they hold their sockets and bytes meanwhile.
    p.setFault({
      kind: 'hook',
      match: (op, r) => op === 'UploadPart' && r.path.startsWith(`/${slowBucket}/`),
      before: () => hung,
    });
    d = daemon(cfg);
    try {
      await d.start();
      for (let i = 0; i < 4; i++) s.write(`large-${i}.bin`, bytes(20 * MiB, i + 1));
      // More parts than the whole process's byte budget holds are waiting on the slow bucket.
      await eventually(() => expect(p.pending()).toBeGreaterThanOrEqual(4), 30_000);

      moveIn(s, fastRoot, 'large.bin', bytes(20 * MiB, 7));
      moveIn(s, fastRoot, 'small.txt', 'a small change');
      await eventually(() => expect(answeredOf(p, 'CompleteMultipartUpload', fastBucket)).toHaveLength(1), 30_000);
      await eventually(() => expect(answeredOf(p, 'PutObject', fastBucket)).toHaveLength(1));
      await eventually(() => expectMirror(fastRoot, fastBucket));
      // The slow pair is still stuck: nothing of it completed.
      expect(answeredOf(p, 'CompleteMultipartUpload', slowBucket)).toHaveLength(0);
      expect(d.rt.links.isOffline(slowBucket)).toBe(false);
    } finally {
      release();
    }
    await eventually(() => expectMirror(s!.root, slowBucket), 60_000);
  });
});
