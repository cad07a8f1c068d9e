// `npx tsx bench/diagnose.ts` (after `npm run build`): where does s3mirror lose time against the raw
// client on W1? Not part of `npm run bench`; each experiment isolates one difference:
//   raw@64 → raw@16 (s3mirror's concurrency) → raw@16 with s3mirror's request shape (Content-MD5,
//   Content-Type, 3 x-amz-meta-*) → s3mirror@16 → s3mirror@64, then s3mirror through a
//   timestamping proxy (requests really in flight; timeline of the no-op re-sync), and plain LIST
//   pages timed from here.
// Env: BENCH_SCALE (default 1), BENCH_RUNS (default 2), BENCH_KEEP=1, BENCH_SERVER_DIR (as run.ts).
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import ts from 'typescript';
import { readFileSync } from 'node:fs';
import { accounted, measure, median, running, type Measured } from './measure.js';
import { inFlight, startProxy, type Req } from './proxy.js';
import { CREDS, REGION, startS3rver, type Server } from './server.js';
import { KiB, MiB, w1, w3, walkOrder, type Workload } from './workload.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const HOOK = pathToFileURL(join(REPO, 'bench', 'rusage-hook.mjs')).href;
const CLI = join(REPO, 'dist', 'cli.js');
const SCALE = Number(process.env.BENCH_SCALE ?? 1);
const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 2));
const ONLY = new Set((process.env.BENCH_ONLY ?? 'W1,W3').toUpperCase().split(','));
const FILES = Math.max(10, Math.round(10_000 * SCALE));
const W3_SIZE = Math.max(9 * MiB, Math.round(256 * SCALE) * MiB);
const DIRS = Math.max(1, Math.round(100 * SCALE));
const log = (s: string) => process.stderr.write(`${s}\n`);

const tmp = mkdtempSync(join(tmpdir(), 's3mirror-diag-'));
const SERVER_BASE = process.env.BENCH_SERVER_DIR ?? (existsSync('/dev/shm') ? '/dev/shm' : tmp);
const serverDir = mkdtempSync(join(SERVER_BASE, 's3mirror-diag-s3-'));
let server: Server | undefined;
process.on('exit', () => {
  for (const pid of running) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  server?.kill();
  if (process.env.BENCH_KEEP !== '1') {
    rmSync(tmp, { recursive: true, force: true });
    rmSync(serverDir, { recursive: true, force: true });
  }
});
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => process.exit(130));

const env = { AWS_ACCESS_KEY_ID: CREDS.accessKeyId, AWS_SECRET_ACCESS_KEY: CREDS.secretAccessKey, AWS_REGION: REGION };
let bucketSeq = 0;
let rawJs = '';

async function raw(w: Workload, concurrency: number, shape?: 's3mirror', endpoint = server!.endpoint, partSize?: number): Promise<Measured> {
  const bucket = `diag-${++bucketSeq}`;
  await server!.createBucket(bucket);
  const manifest = join(tmp, `${bucket}.json`);
  writeFileSync(manifest, JSON.stringify({ endpoint, region: REGION, bucket, concurrency, files: walkOrder(w.files).map((f) => [f.abs, f.rel]), ...(shape ? { shape } : {}), ...(partSize ? { partSize } : {}) }));
  const m = await measure(process.execPath, ['--import', HOOK, rawJs, manifest], { env, tmp, node: true });
  if (m.code !== 0) throw new Error(`raw: ${m.stdout} ${m.stderr}`);
  server!.dropBucketData(bucket);
  return m;
}

async function s3m(w: Workload, concurrency: number, endpoint = server!.endpoint, noop = false): Promise<{ initial: Measured; noop?: Measured; t0: number; t1?: number }> {
  const bucket = `diag-${++bucketSeq}`;
  await server!.createBucket(bucket);
  const cfg = join(tmp, `${bucket}.cfg.json`);
  writeFileSync(
    cfg,
    JSON.stringify({ stateDir: join(tmp, `${bucket}-state`), concurrency, s3: { region: REGION, endpoint, forcePathStyle: true }, pairs: [{ name: 'w1', path: w.root, bucket }] }),
  );
  const run = () => measure(process.execPath, ['--import', HOOK, CLI, 'sync', '--once', '--config', cfg, '--json'], { env, tmp, node: true });
  const t0 = performance.now();
  const initial = await run();
  if (initial.code !== 0) throw new Error(`s3mirror: ${initial.stdout.slice(-1000)} ${initial.stderr.slice(-2000)}`);
  let out: { initial: Measured; noop?: Measured; t0: number; t1?: number } = { initial, t0 };
  if (noop) {
    const t1 = performance.now();
    out = { ...out, noop: await run(), t1 };
  }
  server!.dropBucketData(bucket);
  return out;
}

const fmt = (m: Measured) =>
  `${m.wallS.toFixed(2)} s wall, client cpu ${m.cpuS.toFixed(2)} s (${((1000 * m.cpuS) / FILES).toFixed(2)} ms/file), server cpu ${m.serverCpuS?.toFixed(2) ?? '?'} s, other ${m.otherCpuS?.toFixed(2) ?? '?'} s, rss ${m.rssMiB.toFixed(0)} MiB`;

const fmt3 = (m: Measured, mib: number) =>
  `${m.wallS.toFixed(2)} s wall (${(mib / m.wallS).toFixed(0)} MiB/s), client cpu ${m.cpuS.toFixed(2)} s, server cpu ${m.serverCpuS?.toFixed(2) ?? '?'} s, other ${m.otherCpuS?.toFixed(2) ?? '?'} s, rss ${m.rssMiB.toFixed(0)} MiB`;

function summary(label: string, ms: Measured[]): string {
  const w = median(ms.map((m) => m.wallS));
  return `${label.padEnd(34)} median ${w.toFixed(2)} s (${(FILES / w).toFixed(0)} files/s) — runs: ${ms.map((m) => m.wallS.toFixed(2)).join(', ')}\n${' '.repeat(36)}last: ${fmt(ms[ms.length - 1]!)}`;
}

function describeInFlight(reqs: Req[], op: string, limit: number): string {
  const f = inFlight(reqs, op);
  const below = [...f.hist].filter(([n]) => n < limit / 2).reduce((a, [, t]) => a + t, 0);
  return `${op}: ${reqs.filter((r) => r.op === op).length} requests over ${(f.span / 1000).toFixed(2)} s, mean in flight ${f.mean.toFixed(1)} of ${limit}, ${((100 * below) / f.span).toFixed(0)} % of the time fewer than ${limit / 2} in flight, mean latency ${f.meanLatency.toFixed(1)} ms`;
}

async function main(): Promise<void> {
  const src = readFileSync(join(REPO, 'bench', 'raw-client.ts'), 'utf8');
  rawJs = join(REPO, 'bench', 'results', '.build', 'raw-client.mjs');
  mkdirSync(dirname(rawJs), { recursive: true });
  writeFileSync(rawJs, ts.transpileModule(src, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText);
  server = await startS3rver(REPO, serverDir);
  accounted.serverPid = server.pid;
  log(`s3rver pid ${server.pid}, data in ${serverDir}; ${RUNS} run(s) each`);
  const results: string[] = [];
  const warm = w1(join(tmp, 'warm'), { files: 500, dirs: 5, size: 4 * KiB });
  await raw(warm, 64); // warm-up
  if (ONLY.has('W1')) {
    results.push(`W1 ${FILES} × 4 KiB, medians of ${RUNS}`);
    const w = w1(join(tmp, 'w1'), { files: FILES, dirs: DIRS, size: 4 * KiB });
    // Interleave, so drift in the server hits every experiment alike.
    const series: [string, () => Promise<Measured>][] = [
      ['raw @64', () => raw(w, 64)],
      ['raw @16', () => raw(w, 16)],
      ['raw @16, s3mirror request shape', () => raw(w, 16, 's3mirror')],
      ['s3mirror @16 (default)', async () => (await s3m(w, 16)).initial],
      ['s3mirror @64', async () => (await s3m(w, 64)).initial],
    ];
    const per = new Map<string, Measured[]>(series.map(([l]) => [l, []]));
    for (let i = 0; i < RUNS; i++) {
      for (const [label, f] of series) {
        const m = await f();
        per.get(label)!.push(m);
        log(`  ${label.padEnd(34)} ${fmt(m)}`);
      }
    }
    for (const [label] of series) results.push(summary(label, per.get(label)!));

    // Through the timestamping proxy: in-flight requests, and the no-op timeline.
    const proxy = await startProxy(server.endpoint);
    const rawP = await raw(w, 16, undefined, proxy.endpoint);
    const rawReqs = [...proxy.reqs];
    const rawConns = proxy.connections();
    proxy.reset();
    const sp = await s3m(w, 16, proxy.endpoint, true);
    const all = [...proxy.reqs];
    const s3mConns = proxy.connections();
    await proxy.close();
    const initialReqs = all.filter((r) => r.start < sp.t1!);
    const noopReqs = all.filter((r) => r.start >= sp.t1!).sort((a, b) => a.start - b.start);
    const putReqs = initialReqs.filter((r) => r.op === 'PUT');
    const firstPut = Math.min(...putReqs.map((r) => r.start));
    const lastPut = Math.max(...putReqs.map((r) => r.end));
    const firstReq = Math.min(...initialReqs.map((r) => r.start));
    results.push(
      '',
      'through the timestamping proxy (adds CPU on this 2-core box; compare the two lines with each other only):',
      `  raw @16      ${rawP.wallS.toFixed(2)} s; ${describeInFlight(rawReqs, 'PUT', 16)}`,
      `  s3mirror @16 ${sp.initial.wallS.toFixed(2)} s; ${describeInFlight(initialReqs, 'PUT', 16)}`,
      `  s3mirror initial timeline: spawn → first request ${((firstReq - sp.t0) / 1000).toFixed(2)} s, → first PUT ${((firstPut - sp.t0) / 1000).toFixed(2)} s, PUT phase ${((lastPut - firstPut) / 1000).toFixed(2)} s, last PUT → exit ${((sp.t0 + sp.initial.wallS * 1000 - lastPut) / 1000).toFixed(2)} s`,
      `  s3mirror no-op ${sp.noop!.wallS.toFixed(2)} s (client cpu ${sp.noop!.cpuS.toFixed(2)} s, server cpu ${sp.noop!.serverCpuS?.toFixed(2)} s); requests from spawn:`,
      ...noopReqs.map((r) => `    ${r.op.padEnd(6)} ${((r.start - sp.t1!) / 1000).toFixed(3)} → ${((r.end - sp.t1!) / 1000).toFixed(3)} s (${(r.end - r.start).toFixed(0)} ms)`),
      `    exit at ${sp.noop!.wallS.toFixed(3)} s`,
    );

    // LIST pages timed from here (no proxy): the floor any no-op re-sync on this server pays.
    const c = new S3Client({ endpoint: server.endpoint, region: REGION, forcePathStyle: true, credentials: CREDS });
    const bucket = `diag-${++bucketSeq}`;
    await server.createBucket(bucket);
    const manifest = join(tmp, 'keep.json');
    writeFileSync(manifest, JSON.stringify({ endpoint: server.endpoint, region: REGION, bucket, concurrency: 64, files: w.files.map((f) => [f.abs, f.rel]) }));
    await measure(process.execPath, ['--import', HOOK, rawJs, manifest], { env, tmp, node: true });
    for (let rep = 0; rep < 2; rep++) {
      const times: number[] = [];
      let token: string | undefined;
      const t0 = performance.now();
      do {
        const t = performance.now();
        const r = await c.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token, MaxKeys: 1000 }));
        times.push(performance.now() - t);
        token = r.IsTruncated ? r.NextContinuationToken : undefined;
      } while (token);
      results.push(`  LIST ${FILES} keys, sequential pages of 1000 (SDK from the bench process): ${((performance.now() - t0) / 1000).toFixed(2)} s total, pages ${times.map((x) => x.toFixed(0)).join(', ')} ms`);
    }
    c.destroy();
  }
  if (ONLY.has('W3')) {
    const w = w3(join(tmp, 'w3'), { files: 2, size: W3_SIZE });
    const mib = (2 * W3_SIZE) / MiB;
    results.push('', `W3 2 × ${W3_SIZE / MiB} MiB, medians of ${RUNS}`);
    const series: [string, () => Promise<Measured>][] = [
      ['raw single PUT per file', () => raw(w, 2)],
      ['raw multipart 8 MiB @16', () => raw(w, 16, undefined, server!.endpoint, 8 * MiB)],
      ['raw multipart 8 MiB @16 + MD5', () => raw(w, 16, 's3mirror', server!.endpoint, 8 * MiB)],
      ['s3mirror (default)', async () => (await s3m(w, 16)).initial],
    ];
    const per = new Map<string, Measured[]>(series.map(([l]) => [l, []]));
    for (let i = 0; i < RUNS; i++) {
      for (const [label, f] of series) {
        const m = await f();
        per.get(label)!.push(m);
        log(`  ${label.padEnd(34)} ${fmt3(m, mib)}`);
      }
    }
    for (const [label] of series) {
      const ms = per.get(label)!;
      const wall = median(ms.map((m) => m.wallS));
      results.push(`${label.padEnd(34)} median ${wall.toFixed(2)} s (${(mib / wall).toFixed(0)} MiB/s) — runs: ${ms.map((m) => m.wallS.toFixed(2)).join(', ')}\n${' '.repeat(36)}last: ${fmt3(ms[ms.length - 1]!, mib)}`);
    }
  }
  process.stdout.write(`\ndiagnosis, s3rver data in ${SERVER_BASE}\n${results.join('\n')}\n`);
}

try {
  await main();
} finally {
  await server?.stop();
}
