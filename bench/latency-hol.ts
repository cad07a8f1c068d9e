// Change latency behind large uploads (no head-of-line blocking): `s3mirror run` with default
// settings uploads four large files through a link of LINK_MIB_S (the tests' fault proxy paces
// request bodies), each file written once the previous one's upload has begun, so each is a
// batch of its own. Then a 10 KiB file is written: how long until an independent client sees
// it, and how many of the large uploads were done by then.
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startProxy } from '../test/support/proxy.js';
import { envNumber, type Bench } from './harness.js';
import { startDaemon, until } from './latency.js';

const MiB = 1024 * 1024;
const LINK_MIB_S = envNumber('HOL_LINK_MIB_S', 16);
const LARGE_MIB = envNumber('HOL_LARGE_MIB', 48);
const LARGE_FILES = 4;
const GIVE_UP_MS = 120_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface HolResult {
  /** Write → visible, ms (Infinity: never seen). */
  smallMs: number;
  /** Large uploads completed when the small file was visible. */
  largeDoneBefore: number;
  /** Write of the first large file → all four completed, ms. */
  largeMs: number;
  linkMiBs: number;
  largeMiB: number;
}

export async function measureSmallBehindLarge(bench: Bench, o: { bucket: string }): Promise<HolResult> {
  const root = join(bench.tmp, 'latency-hol');
  mkdirSync(root, { recursive: true });
  const proxy = await startProxy(bench.server.endpoint);
  proxy.setLink({ bytesPerSec: LINK_MIB_S * MiB, match: (r) => r.op === 'PutObject' || r.op === 'UploadPart' });
  const completed = () => proxy.answered.filter((r) => r.op === 'CompleteMultipartUpload').length;
  const config = bench.config('latency-hol', { root, bucket: o.bucket, endpoint: proxy.endpoint });
  const daemon = await startDaemon(bench, config);
  const client = bench.server.client();
  try {
    const t0 = performance.now();
    for (let i = 0; i < LARGE_FILES; i++) {
      // Written beside the root and moved in: one event, so the file is a batch of its own.
      const tmp = join(bench.tmp, `hol-${i}.tmp`);
      writeFileSync(tmp, randomBytes(LARGE_MIB * MiB));
      renameSync(tmp, join(root, `large-${i}.bin`));
      while ((proxy.counts.get('CreateMultipartUpload') ?? 0) < i + 1) {
        if (performance.now() - t0 > GIVE_UP_MS) throw new Error('latency-hol: a large upload never began');
        await sleep(20);
      }
    }
    const body = randomBytes(10 * 1024);
    const t1 = performance.now();
    writeFileSync(join(root, 'small.txt'), body);
    const smallMs = await until(client, o.bucket, 'small.txt', createHash('md5').update(body).digest('hex'), t1);
    const largeDoneBefore = completed();
    while (completed() < LARGE_FILES) {
      if (performance.now() - t0 > GIVE_UP_MS) throw new Error('latency-hol: the large uploads did not complete');
      await sleep(50);
    }
    return { smallMs, largeDoneBefore, largeMs: performance.now() - t0, linkMiBs: LINK_MIB_S, largeMiB: LARGE_MIB };
  } finally {
    client.destroy();
    await daemon.stop();
    await proxy.close();
  }
}

/** The report's lines: the figures and the verdict against debounceMs + 5 s. */
export function holReport(r: HolResult, debounceMs: number): string[] {
  const bound = debounceMs + 5000;
  const pass = r.smallMs <= bound && r.largeDoneBefore < LARGE_FILES;
  return [
    '',
    `small change behind large uploads (daemon with default settings; ${LARGE_FILES} × ${r.largeMiB} MiB uploading through a ${r.linkMiBs} MiB/s link, each its own batch; then 10 KiB written):`,
    `  small file visible after ${Number.isFinite(r.smallMs) ? `${r.smallMs.toFixed(0)} ms` : 'never'}, with ${r.largeDoneBefore} of ${LARGE_FILES} large uploads done; all large done after ${(r.largeMs / 1000).toFixed(1)} s`,
    `${pass ? 'PASS' : 'FAIL'}  small change behind large uploads: visible within debounceMs + 5 s (${bound} ms) while fewer than all ${LARGE_FILES} large uploads are done`,
  ];
}
