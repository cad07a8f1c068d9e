// `npx tsx bench/diagnose.ts` (after `npm run build`): where does s3mirror lose time against the raw
// client on W1? Not part of `npm run bench`; each experiment isolates one difference:
//   raw@64 → raw@16 (s3mirror's concurrency) → raw@16 with s3mirror's request shape (Content-MD5,
//   Content-Type, 3 x-amz-meta-*) → s3mirror@16 → s3mirror@64, then s3mirror through a
//   timestamping proxy (requests really in flight; timeline of the no-op re-sync), and plain LIST
//   pages timed from here. W3: raw single PUT against raw multipart (with and without MD5) and
//   s3mirror, to price the server's multipart path.
// Env: BENCH_SCALE (default 1), BENCH_RUNS (default 2), BENCH_ONLY, BENCH_SERVER, BENCH_KEEP=1,
// BENCH_SERVER_DIR (as run.ts).
import { join } from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { Bench, runMain, envNumber, log, onlyWorkloads, type RawOptions } from './harness.js';
import { median, type Measured } from './measure.js';
import { inFlight, startProxy, type Req } from './proxy.js';
import { KiB, MiB, sizes, w1, w3, type Workload } from './workload.js';

const Z = sizes(envNumber('BENCH_SCALE', 1));
const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 2));
const ONLY = onlyWorkloads();
const FILES = Z.w1Files;

let bench!: Bench;
let bucketSeq = 0;

/** A fresh bucket for `f`, cleared afterwards. */
async function inBucket<T>(f: (bucket: string) => Promise<T>): Promise<T> {
  const bucket = `diag-${++bucketSeq}`;
  await bench.server.createBucket(bucket);
  try {
    return await f(bucket);
  } finally {
    await bench.server.clearBucket(bucket);
  }
}

function raw(
  w: Workload,
  concurrency: number,
  o: Omit<RawOptions, 'bucket' | 'files' | 'concurrency'> = {},
): Promise<Measured> {
  return inBucket((bucket) => bench.raw({ bucket, files: w.files, concurrency, ...o }));
}

async function s3m(
  w: Workload,
  concurrency: number,
  endpoint?: string,
  noop = false,
): Promise<{ initial: Measured; noop?: Measured; t0: number; t1?: number }> {
  return inBucket(async (bucket) => {
    const cfg = bench.config(bucket, { root: w.root, bucket, concurrency, ...(endpoint ? { endpoint } : {}) });
    const t0 = performance.now();
    const initial = await bench.s3mirror(cfg);
    if (initial.code !== 0) throw new Error(`s3mirror: ${initial.stdout.slice(-1000)} ${initial.stderr.slice(-2000)}`);
    if (!noop) return { initial, t0 };
    const t1 = performance.now();
    return { initial, noop: await bench.s3mirror(cfg), t0, t1 };
  });
}

const cpuEtc = (m: Measured) =>
  `client cpu ${m.cpuS.toFixed(2)} s, server cpu ${m.serverCpuS?.toFixed(2) ?? '?'} s, other ${m.otherCpuS?.toFixed(2) ?? '?'} s, rss ${m.rssMiB.toFixed(0)} MiB`;
const fmt1 = (m: Measured) =>
  `${m.wallS.toFixed(2)} s wall, ${cpuEtc(m)} (${((1000 * m.cpuS) / FILES).toFixed(2)} ms/file client cpu)`;
const fmt3 = (mib: number) => (m: Measured) =>
  `${m.wallS.toFixed(2)} s wall (${(mib / m.wallS).toFixed(0)} MiB/s), ${cpuEtc(m)}`;

/** Every experiment `runs` times, interleaved so drift in the server hits them alike; one summary line each. */
async function series(
  experiments: [string, () => Promise<Measured>][],
  fmt: (m: Measured) => string,
  rate: (wallS: number) => string,
): Promise<string[]> {
  const per = new Map<string, Measured[]>(experiments.map(([l]) => [l, []]));
  for (let i = 0; i < RUNS; i++) {
    for (const [label, f] of experiments) {
      const m = await f();
      per.get(label)!.push(m);
      log(`  ${label.padEnd(34)} ${fmt(m)}`);
    }
  }
  return experiments.map(([label]) => {
    const ms = per.get(label)!;
    const wall = median(ms.map((m) => m.wallS));
    return `${label.padEnd(34)} median ${wall.toFixed(2)} s (${rate(wall)}) — runs: ${ms.map((m) => m.wallS.toFixed(2)).join(', ')}\n${' '.repeat(36)}last: ${fmt(ms[ms.length - 1]!)}`;
  });
}

function describeInFlight(reqs: Req[], op: string, limit: number): string {
  const f = inFlight(reqs, op);
  const below = [...f.hist].filter(([n]) => n < limit / 2).reduce((a, [, t]) => a + t, 0);
  return `${op}: ${reqs.filter((r) => r.op === op).length} requests over ${(f.span / 1000).toFixed(2)} s, mean in flight ${f.mean.toFixed(1)} of ${limit}, ${((100 * below) / f.span).toFixed(0)} % of the time fewer than ${limit / 2} in flight, mean latency ${f.meanLatency.toFixed(1)} ms`;
}

async function diagnoseW1(): Promise<string[]> {
  const w = w1(join(bench.tmp, 'w1'), { files: FILES, dirs: Z.w1Dirs, size: Z.w1Size });
  const results = [`W1 ${FILES} × ${Z.w1Size / KiB} KiB, medians of ${RUNS}`];
  results.push(
    ...(await series(
      [
        ['raw @64', () => raw(w, 64)],
        ['raw @16', () => raw(w, 16)],
        ['raw @16, s3mirror request shape', () => raw(w, 16, { shape: 's3mirror' })],
        ['s3mirror @16 (default)', async () => (await s3m(w, 16)).initial],
        ['s3mirror @64', async () => (await s3m(w, 64)).initial],
      ],
      fmt1,
      (wall) => `${(FILES / wall).toFixed(0)} files/s`,
    )),
  );

  // Through the timestamping proxy: in-flight requests, and the no-op timeline.
  const proxy = await startProxy(bench.server.endpoint);
  const rawP = await raw(w, 16, { endpoint: proxy.endpoint });
  const rawReqs = [...proxy.reqs];
  proxy.reset();
  const sp = await s3m(w, 16, proxy.endpoint, true);
  const all = [...proxy.reqs];
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
    ...noopReqs.map(
      (r) =>
        `    ${r.op.padEnd(6)} ${((r.start - sp.t1!) / 1000).toFixed(3)} → ${((r.end - sp.t1!) / 1000).toFixed(3)} s (${(r.end - r.start).toFixed(0)} ms)`,
    ),
    `    exit at ${sp.noop!.wallS.toFixed(3)} s`,
  );

  // LIST pages timed from here (no proxy): the floor any no-op re-sync on this server pays.
  await inBucket(async (bucket) => {
    await bench.raw({ bucket, files: w.files, concurrency: 64 });
    const c = bench.server.client();
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
      results.push(
        `  LIST ${FILES} keys, sequential pages of 1000 (SDK from the bench process): ${((performance.now() - t0) / 1000).toFixed(2)} s total, pages ${times.map((x) => x.toFixed(0)).join(', ')} ms`,
      );
    }
    c.destroy();
  });
  return results;
}

async function diagnoseW3(): Promise<string[]> {
  const w = w3(join(bench.tmp, 'w3'), { files: Z.w3Files, size: Z.w3Size });
  const mib = (Z.w3Files * Z.w3Size) / MiB;
  const part = { partSize: 8 * MiB };
  return [
    '',
    `W3 ${Z.w3Files} × ${Z.w3Size / MiB} MiB, medians of ${RUNS}`,
    ...(await series(
      [
        ['raw single PUT per file', () => raw(w, Z.w3Files)],
        ['raw multipart 8 MiB @16', () => raw(w, 16, part)],
        ['raw multipart 8 MiB @16 + MD5', () => raw(w, 16, { ...part, shape: 's3mirror' })],
        ['s3mirror (default)', async () => (await s3m(w, 16)).initial],
      ],
      fmt3(mib),
      (wall) => `${(mib / wall).toFixed(0)} MiB/s`,
    )),
  ];
}

async function main(): Promise<void> {
  bench = await Bench.open('s3mirror-diag');
  const server = bench.server;
  log(`${server.title} at ${server.endpoint}; ${server.detail}; ${RUNS} run(s) each`);
  await raw(w1(join(bench.tmp, 'warm'), { files: 500, dirs: 5, size: 4 * KiB }), 64); // warm-up
  const results = [...(ONLY.has('W1') ? await diagnoseW1() : []), ...(ONLY.has('W3') ? await diagnoseW3() : [])];
  process.stdout.write(`\ndiagnosis, ${server.title}; ${server.detail}\n${results.join('\n')}\n`);
}

await runMain(main);
