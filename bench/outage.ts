// Outage scenario (issue 9, item 2): `s3mirror run` under churn while the endpoint hangs for
// OUTAGE_HANG_S (default 40) and then refuses for OUTAGE_REFUSE_S (default 40), through the tests'
// fault proxy. Prints the daemon's CPU while the endpoint is down and the files are quiet (target
// ≤ 3 % of a core), the probes it sent while down, and how long after the endpoint is back the
// bucket is an exact mirror again (target ≤ 15 s). Run: `npm run build && tsx bench/outage.ts`.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { startProxy } from '../test/support/proxy.js';
import { CLI, envNumber, log, REPO, runMain } from './harness.js';
import { procCpuS } from './measure.js';
import { killPid, REGION, startS3rver } from './server.js';

const FILES = envNumber('OUTAGE_FILES', 2000);
const HANG_S = envNumber('OUTAGE_HANG_S', 40);
const REFUSE_S = envNumber('OUTAGE_REFUSE_S', 40);
/** Churn lasts this long into each fault; the rest of the fault is quiet. */
const CHURN_S = envNumber('OUTAGE_CHURN_S', 5);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function listed(client: S3Client, bucket: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let token: string | undefined;
  do {
    const r = await client.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
    for (const o of r.Contents ?? []) out.set(o.Key!, (o.ETag ?? '').replace(/"/g, ''));
    token = r.NextContinuationToken;
  } while (token);
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

function same(a: Map<string, string>, b: Map<string, string>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}

async function churn(root: string, seconds: number): Promise<void> {
  const end = Date.now() + seconds * 1000;
  for (let i = 0; Date.now() < end; i++) {
    writeFileSync(join(root, `f${i % FILES}.bin`), randomBytes(4096 + (i % 7) * 1024));
    await sleep(20);
  }
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
    const daemon = spawn(process.execPath, [CLI, 'run', '--config', config], { env, stdio: 'ignore' });
    cleanups.push(() => killPid(daemon.pid!));
    while (!same(localMd5s(root), await listed(client, bucket))) await sleep(200);
    log(`initial sync of ${FILES} files done`);

    const figures: Record<string, number> = {};
    for (const [fault, seconds] of [
      ['hang', HANG_S],
      ['refuse', REFUSE_S],
    ] as const) {
      proxy.setFault(fault === 'hang' ? { kind: 'delay', ms: 3_600_000 } : { kind: 'drop' });
      await churn(root, CHURN_S);
      // Quiet while down: give the daemon 20 s to notice a hang, then measure what is left.
      const settle = Math.min(seconds - CHURN_S, fault === 'hang' ? 25 : 5);
      await sleep(settle * 1000);
      const heads = proxy.counts.get('HeadBucket') ?? 0;
      const quiet = seconds - CHURN_S - settle;
      figures[`${fault}: CPU while down and quiet (share of a core)`] = await cpuShare(daemon.pid!, quiet);
      figures[`${fault}: probes per 10 s while quiet`] = (((proxy.counts.get('HeadBucket') ?? 0) - heads) * 10) / quiet;
    }
    proxy.setFault(null);
    const back = performance.now();
    const want = localMd5s(root);
    while (!same(want, await listed(client, bucket))) await sleep(100);
    figures['seconds from endpoint back to exact mirror'] = (performance.now() - back) / 1000;
    for (const [k, v] of Object.entries(figures)) log(`${k}: ${v.toFixed(3)}`);
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
