// Outage scenario (issue 9, item 2): `s3mirror run` under churn while the endpoint hangs for
// OUTAGE_HANG_S (default 40) and then refuses for OUTAGE_REFUSE_S (default 40), through the tests'
// fault proxy, in front of s3rver. Prints the daemon's CPU while the endpoint is down and the files
// are quiet (target ≤ 3 % of a core), the probes and other requests it sent meanwhile, and, after
// the endpoint is back, when the first upload went and when the bucket was an exact mirror again
// (target ≤ 15 s), beside a raw client's floor: PUT the changed files once.
// Run: `npm run bench:outage`. Also OUTAGE_FILES (2000), OUTAGE_CHURN_S (5 s of churn at the
// start of each fault), OUTAGE_LOG=FILE (the daemon's log).
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { startProxy } from '../test/support/proxy.js';
import { CLI, envNumber, log, REPO, runMain } from './harness.js';
import { procCpuS } from './measure.js';
import { killPid, REGION, sdkClient, startS3rver } from './server.js';

const FILES = envNumber('OUTAGE_FILES', 2000);
const HANG_S = envNumber('OUTAGE_HANG_S', 40);
const REFUSE_S = envNumber('OUTAGE_REFUSE_S', 40);
/** Churn lasts this long into each fault; the rest of the fault is quiet. */
const CHURN_S = envNumber('OUTAGE_CHURN_S', 5);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The bucket's keys and ETags; null when the listing fails (s3rver may, while objects are written). */
async function listed(client: S3Client, bucket: string): Promise<Map<string, string> | null> {
  const out = new Map<string, string>();
  let token: string | undefined;
  try {
    do {
      const r = await client.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
      for (const o of r.Contents ?? []) out.set(o.Key!, (o.ETag ?? '').replace(/"/g, ''));
      token = r.NextContinuationToken;
    } while (token);
  } catch {
    return null;
  }
  return out;
}

function localMd5s(root: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const name of readdirSync(root))
    out.set(
      name,
      createHash('md5')
        .update(readFileSync(join(root, name)))
        .digest('hex'),
    );
  return out;
}

function same(a: Map<string, string>, b: Map<string, string> | null): boolean {
  if (!b || a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}

/** Rewrites files for `seconds`; returns the names written. */
async function churn(root: string, seconds: number): Promise<Set<string>> {
  const written = new Set<string>();
  const end = Date.now() + seconds * 1000;
  for (let i = 0; Date.now() < end; i++) {
    const name = `f${i % FILES}.bin`;
    writeFileSync(join(root, name), randomBytes(4096 + (i % 7) * 1024));
    written.add(name);
    await sleep(20);
  }
  return written;
}

/**
 * The raw client's floor for the catch-up: seconds to PUT `names` once, 8 at a time, into a bucket
 * of their own. It knows what changed and needs no probe; s3mirror has to
 * notice the endpoint is back first (≤ one probe interval, 10 s).
 */
async function rawCatchUp(client: S3Client, bucket: string, root: string, names: readonly string[]): Promise<number> {
  const t0 = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < names.length) {
      const name = names[next++]!;
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: name, Body: readFileSync(join(root, name)) }));
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return (performance.now() - t0) / 1000;
}

/** CPU seconds the daemon used over `seconds` of wall time, as a share of one core. */
async function cpuShare(pid: number, seconds: number): Promise<number> {
  const c0 = procCpuS(pid) ?? 0;
  const t0 = performance.now();
  await sleep(seconds * 1000);
  return ((procCpuS(pid) ?? 0) - c0) / ((performance.now() - t0) / 1000);
}

async function main(): Promise<void> {
  const cleanups: (() => void)[] = [];
  const server = await startS3rver(REPO, { keep: false, atExit: (f) => cleanups.push(f) });
  const dir = mkdtempSync(join(tmpdir(), 's3mirror-outage-'));
  const proxy = await startProxy(server.endpoint);
  const client = server.client();
  try {
    const bucket = 'outage-bench';
    await server.createBucket(bucket);
    const root = join(dir, 'root');
    mkdirSync(root);
    for (let i = 0; i < FILES; i++) writeFileSync(join(root, `f${i}.bin`), randomBytes(4096));
    const config = join(dir, 'config.json');
    writeFileSync(
      config,
      JSON.stringify({
        stateDir: join(dir, 'state'),
        s3: { endpoint: proxy.endpoint, region: REGION, forcePathStyle: true },
        pairs: [{ name: 'outage', path: root, bucket }],
      }),
    );
    const env = {
      ...process.env,
      AWS_ACCESS_KEY_ID: server.creds.accessKeyId,
      AWS_SECRET_ACCESS_KEY: server.creds.secretAccessKey,
    };
    const out = process.env.OUTAGE_LOG ? openSync(process.env.OUTAGE_LOG, 'w') : 'ignore';
    const daemon = spawn(process.execPath, [CLI, 'run', '--config', config], { env, stdio: ['ignore', out, out] });
    cleanups.push(() => killPid(daemon.pid!));
    while (!same(localMd5s(root), await listed(client, bucket))) await sleep(200);
    log(`initial sync of ${FILES} files done`);

    const figures: [string, string][] = [];
    const changed = new Set<string>();
    for (const [fault, seconds] of [
      ['hang', HANG_S],
      ['refuse', REFUSE_S],
    ] as const) {
      proxy.setFault(fault === 'hang' ? { kind: 'delay', ms: 3_600_000 } : { kind: 'drop' });
      for (const n of await churn(root, CHURN_S)) changed.add(n);
      // Quiet while down: give the daemon 25 s to notice a hang (socket idle timeout 20 s), then
      // measure what is left.
      const settle = Math.min(seconds - CHURN_S, fault === 'hang' ? 25 : 5);
      await sleep(settle * 1000);
      const heads = proxy.counts.get('HeadBucket') ?? 0;
      const requests = proxy.requests.length;
      const quiet = seconds - CHURN_S - settle;
      const cpu = await cpuShare(daemon.pid!, quiet);
      const probes = (proxy.counts.get('HeadBucket') ?? 0) - heads;
      const others = proxy.requests.length - requests - probes;
      figures.push([`${fault}: CPU while down and quiet (${quiet} s)`, `${(cpu * 100).toFixed(2)} % of a core`]);
      figures.push([`${fault}: probes while quiet`, `${probes} (${((probes * 10) / quiet).toFixed(2)} per 10 s)`]);
      figures.push([`${fault}: other requests while quiet`, `${others}`]);
    }
    const put0 = proxy.counts.get('PutObject') ?? 0;
    let firstPut: number | undefined;
    const back = performance.now();
    proxy.setFault({
      kind: 'hook',
      before: async (r) => {
        if (r.op === 'PutObject' && firstPut === undefined && (proxy.counts.get('PutObject') ?? 0) > put0)
          firstPut = (performance.now() - back) / 1000;
      },
    });
    const want = localMd5s(root);
    // A listing of every object, over and over, would load the server the daemon is catching up
    // with: list once the daemon has sent at least one PUT per changed file and nothing is pending.
    const sent = () => (proxy.counts.get('PutObject') ?? 0) - put0 >= changed.size && proxy.pending() === 0;
    while (!sent() || !same(want, await listed(client, bucket))) await sleep(50);
    const exact = (performance.now() - back) / 1000;
    proxy.setFault(null);
    figures.push(['after the endpoint is back: first upload', `${firstPut?.toFixed(2) ?? '?'} s`]);
    figures.push(['after the endpoint is back: exact mirror', `${exact.toFixed(2)} s (target ≤ 15 s)`]);
    await server.createBucket(`${bucket}-raw`);
    const viaProxy = sdkClient(proxy.endpoint, server.creds);
    const raw = await rawCatchUp(viaProxy, `${bucket}-raw`, root, [...changed]);
    viaProxy.destroy();
    figures.push([
      `raw client: PUT the ${changed.size} changed files once through the proxy (its floor; no probe)`,
      `${raw.toFixed(2)} s`,
    ]);
    log(
      `load average ${loadavg()[0]!.toFixed(2)} on ${cpus().length} CPUs (figures are indicative on a shared machine)`,
    );
    for (const [k, v] of figures) log(`${k}: ${v}`);
    daemon.kill('SIGTERM');
  } finally {
    client.destroy();
    await proxy.close();
    for (const f of cleanups) f();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

void runMain(main);
