// Resumable multipart uploads with a real crash: the CLI runs as a child and kills itself with
// SIGKILL after a number of parts (S3MIRROR_FAILPOINTS=after-part:N); the restart talks to the
// server through the counting proxy, which tells exactly how many part bytes were sent again.
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Journal } from '../src/store/journal.js';
import { assertBuilt, killAllClis, runCli } from './support/cli.js';
import { abortedIds, MiB, uploadRecords } from './support/faults.js';
import { blob } from './support/memory-mirror.js';
import { expectMirror, scratch, type Scratch } from './support/mirror.js';
import { type FaultProxy, startProxy } from './support/proxy.js';
import { testEnv } from './support/s3server.js';

const PART = 5 * MiB;
const PARTS = 8;
const SIZE = PARTS * PART;
/** s3rver has no ListParts: the journal is trusted there; elsewhere it is checked. */
const listParts = testEnv().server !== 's3rver';

let s: Scratch | undefined;
let proxy: FaultProxy | undefined;
beforeAll(() => assertBuilt());
afterEach(async () => {
  await killAllClis();
  await proxy?.close();
  proxy = undefined;
  s?.cleanup();
  s = undefined;
});

function writeConfig(sc: Scratch, endpoint: string): string {
  const file = join(sc.dir, 'config.json');
  const env = testEnv();
  writeFileSync(
    file,
    JSON.stringify({
      stateDir: sc.stateDir,
      s3: { endpoint, region: env.region, forcePathStyle: true },
      // One part at a time: the crash after the fifth part leaves exactly five on the server.
      concurrency: 1,
      multipart: { thresholdBytes: PART, partSizeBytes: PART },
      pairs: [{ name: 'p', path: sc.root, bucket: sc.bucket }],
    }),
  );
  return file;
}

async function sync(config: string, failpoints?: string) {
  const r = await runCli(['sync', '--once', '--json', '--config', config], {
    env: { S3MIRROR_FAILPOINTS: failpoints },
  });
  if (failpoints) {
    expect(r.signal, r.stderr.slice(-2000)).toBe('SIGKILL');
    return undefined;
  }
  expect(r.code, r.stderr.slice(-2000)).toBe(0);
  return JSON.parse(r.stdout) as { failures: unknown[] };
}

/** Body bytes of the UploadPart requests the proxy saw. */
function partBytes(p: FaultProxy): number {
  return p.requests
    .filter((q) => q.op === 'UploadPart')
    .reduce((n, q) => n + Number(q.headers['content-length'] ?? 0), 0);
}

async function killedAfterFiveParts(name: string, seed: number) {
  s = await scratch(name);
  proxy = await startProxy(testEnv().endpoint);
  const config = writeConfig(s, proxy.endpoint);
  s.write('big.bin', blob(SIZE, seed));
  // 5 of 8 parts: 62.5 %.
  await sync(config, 'after-part:5');
  expect(proxy.counts.get('UploadPart')).toBe(5);
  const [rec] = uploadRecords(s.stateDir);
  expect(rec).toBeDefined();
  proxy.reset();
  return { sc: s, p: proxy, config, uploadId: rec!.upload_id };
}

describe('kill -9 in the middle of a multipart upload, then a restart', () => {
  it('an unchanged file continues its upload: only the missing parts are sent', async () => {
    const { sc, p, config } = await killedAfterFiveParts('resume', 1);
    const r = await sync(config);
    expect(r!.failures).toEqual([]);
    await expectMirror(sc.root, sc.bucket);
    // The three missing parts and nothing else (the issue allows one part more).
    expect(partBytes(p)).toBe(3 * PART);
    expect(p.counts.get('CreateMultipartUpload') ?? 0).toBe(0);
    expect(p.counts.get('ListParts')).toBe(1);
    expect(p.counts.get('CompleteMultipartUpload')).toBe(1);
    expect(abortedIds(p)).toEqual([]);
    expect(uploadRecords(sc.stateDir)).toEqual([]);
  });

  it('a file changed since aborts the old upload and sends the new content in full', async () => {
    const { sc, p, config, uploadId } = await killedAfterFiveParts('resume-changed', 2);
    sc.write('big.bin', blob(SIZE, 3));
    const r = await sync(config);
    expect(r!.failures).toEqual([]);
    await expectMirror(sc.root, sc.bucket);
    expect(abortedIds(p)).toEqual([uploadId]);
    expect(p.counts.get('CreateMultipartUpload')).toBe(1);
    expect(partBytes(p)).toBe(SIZE);
    expect(uploadRecords(sc.stateDir)).toEqual([]);
  });

  it('a recorded part whose MD5 is not the file part MD5 is sent again, on any server', async () => {
    const { sc, p, config } = await killedAfterFiveParts('resume-md5', 5);
    tamper(sc, (j, id) => {
      const second = j.uploads.parts('p', id).find((q) => q.n === 2)!;
      j.uploads.recordPart('p', id, { ...second, md5: '0'.repeat(32) });
    });
    const r = await sync(config);
    expect(r!.failures).toEqual([]);
    await expectMirror(sc.root, sc.bucket);
    expect(partBytes(p)).toBe(4 * PART);
    expect(p.counts.get('CreateMultipartUpload') ?? 0).toBe(0);
  });

  it('a part the journal records but the server lacks is sent again where ListParts tells (s3rver: the journal is trusted)', async () => {
    const { sc, p, config } = await killedAfterFiveParts('resume-gap', 4);
    expect(p.counts.get('ListParts') ?? 0).toBe(0);
    if (listParts) {
      // The journal claims part 6, which the server never received.
      const sixth = blob(SIZE, 4).subarray(5 * PART, 6 * PART);
      const md5 = createHash('md5').update(sixth).digest('hex');
      tamper(sc, (j, id) => j.uploads.recordPart('p', id, { n: 6, size: PART, md5, etag: md5 }));
    }
    const r = await sync(config);
    expect(r!.failures).toEqual([]);
    await expectMirror(sc.root, sc.bucket);
    // ListParts is asked either way; s3rver answers 405 and the journal's five parts are kept.
    expect(p.counts.get('ListParts')).toBe(1);
    expect(partBytes(p)).toBe(3 * PART);
    expect(p.counts.get('CreateMultipartUpload') ?? 0).toBe(0);
    expect(uploadRecords(sc.stateDir)).toEqual([]);
  });
});

/** Change the journal's record of the one upload under way, as a disagreement with the server would. */
function tamper(sc: Scratch, fn: (j: Journal, uploadId: string) => void): void {
  const j = Journal.open(sc.stateDir);
  try {
    fn(j, j.uploads.all()[0]!.upload_id);
  } finally {
    j.close();
  }
}
