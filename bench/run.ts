// `npm run bench` (= `npm run build && tsx bench/run.ts`): workloads W1 and W3 against a
// local S3 server (s3rver, or a throwaway Ceph RGW), s3mirror (`node dist/cli.js sync --once --json`) beside a raw-client baseline
// measured in the same run, both as child processes measured the same way (bench/harness.ts).
//
// Environment:
//   BENCH_SCALE=0.1        shrink file counts (W1) and sizes (W3) for a quick run (default 1)
//   BENCH_ONLY=W1          run only these (comma-separated: W1, W3, LAT = change latency with the daemon)
//   BENCH_RUNS=3           repetitions of every measured phase; medians are reported
//   BENCH_PEERS=0          do not run peer tools (aws, rclone, s3cmd) even when on PATH
//   BENCH_PEER_RUNS=1      repetitions for peers
//   BENCH_PROFILE=1        one extra W1 initial under `node --cpu-prof`; prints top self-time functions
//   BENCH_SERVER=rgw       measure against a throwaway single-node Ceph RGW (bench/rgw.ts, via
//                          test/support/rgw.sh; installs the Ceph packages as root when missing)
//                          instead of s3rver (the default)
//   BENCH_KEEP=1           keep the temp directory (workloads, s3rver data, configs; an RGW cluster
//                          is always removed when it stops)
//   BENCH_SERVER_DIR=/tmp  where s3rver keeps its data (default /dev/shm when present; see server.ts)
import { spawnSync } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  Bench,
  runMain,
  CLI,
  envNumber,
  HOOK,
  KEEP,
  log,
  onlyWorkloads,
  REPO,
  RESULTS,
  type RawOptions,
} from './harness.js';
import { measure, median, type Measured } from './measure.js';
import { detectPeers, type Peer } from './peers.js';
import { compareAreas, renderProfile, summarize, type ProfileSummary } from './profile.js';
import { fmtRequests, renderTable } from './report.js';
import { buildRows, noiseLine, type PhaseKey, type PhaseSamples, type Sample, type Samples } from './targets.js';
import { measureLatency, percentile } from './latency.js';
import { KiB, MiB, modify, sizes, w1, w3, type Workload } from './workload.js';

const SCALE = envNumber('BENCH_SCALE', 1);
const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 3));
const PEER_RUNS = Math.max(1, Number(process.env.BENCH_PEER_RUNS ?? 1));
const ONLY = onlyWorkloads();
const PEERS = process.env.BENCH_PEERS !== '0';
const PROFILE = process.env.BENCH_PROFILE === '1';
const Z = sizes(SCALE);
const RAW_CONCURRENCY_W1 = 64;
/** W3's multipart reference: s3mirror's own part size and concurrency (its defaults). */
const MPU = { partSize: 8 * MiB, concurrency: 16 };
const LATENCY = { files: 20, spacingMs: 100 };

let bench!: Bench;
const samples: Samples = {};
const phase = (k: PhaseKey): PhaseSamples => (samples[k] ??= { s3m: [], raw: [], rawMultipart: [], peers: {} });
const warnings: string[] = [];
const verified: string[] = [];

/** After an initial sync (outside the measured time): the bucket checked file by file. */
async function verify(what: string, bucket: string, w: Workload): Promise<void> {
  const problem = await bench.verifyMirror(bucket, w.files, MPU.partSize);
  if (problem) warnings.push(`${what}: the bucket is not an exact mirror: ${problem}`);
  else verified.push(what);
}

function line(m: Measured): string {
  const opt = (v: number | undefined, what: string) => (v === undefined ? '' : `  ${what} ${v.toFixed(2)} s`);
  return `${m.wallS.toFixed(2)} s  cpu ${m.cpuS.toFixed(2)} s  rss ${m.rssMiB.toFixed(0)} MiB${opt(m.serverCpuS, 'server cpu')}${opt(m.otherCpuS, 'other cpu')}`;
}

async function runRaw(label: string, o: RawOptions): Promise<Sample> {
  const r = await bench.raw(o);
  log(`  raw      ${label.padEnd(22)} ${line(r)}`);
  return { ...r, uploaded: r.puts };
}

async function runS3m(config: string, label: string, expectUploaded: number, nodeArgs: string[] = []): Promise<Sample> {
  const m = await bench.s3mirror(config, nodeArgs);
  const r = m.summary;
  const uploaded = Object.values(r.stats).reduce((a, s) => a + s.uploaded + s.copied, 0);
  if (m.code !== 0 || r.failures.length)
    warnings.push(
      `s3mirror ${label}: exit ${m.code}, ${r.failures.length} failures: ${JSON.stringify(r.failures.slice(0, 3))}`,
    );
  if (uploaded !== expectUploaded)
    warnings.push(
      `s3mirror ${label}: uploaded ${uploaded}, expected ${expectUploaded} (stats ${JSON.stringify(r.stats)})`,
    );
  log(`  s3mirror ${label.padEnd(22)} ${line(m)}  ${fmtRequests(r.requests)}`);
  return { ...m, requests: r.requests, uploaded };
}

async function runPeer(peer: Peer, root: string, bucket: string, label: string): Promise<Sample> {
  const m = await measure(peer.bin, peer.argv(root, bucket), { env: peer.env, tmp: bench.tmp, node: false });
  if (m.code !== 0) warnings.push(`peer ${peer.name} ${label}: exit ${m.code}: ${m.stderr.slice(-500)}`);
  log(`  ${peer.name.padEnd(8)} ${label.padEnd(22)} ${line(m)}`);
  return m;
}

/** Run the steps in an order that rotates with the run, so no side always meets a warmer (or fuller) server. */
async function rotated(run: number, steps: (() => Promise<unknown>)[]): Promise<void> {
  for (let i = 0; i < steps.length; i++) await steps[(i + run - 1) % steps.length]!();
}

async function buckets(...names: string[]): Promise<string[]> {
  for (const b of names) await bench.server.createBucket(b);
  return names;
}

async function clear(names: readonly string[]): Promise<void> {
  for (const b of names) await bench.server.clearBucket(b);
}

async function benchW1(w: Workload): Promise<void> {
  for (let run = 1; run <= RUNS; run++) {
    log(`W1 run ${run}/${RUNS}`);
    const [bs, br] = await buckets(`w1-s3m-r${run}`, `w1-raw-r${run}`);
    const cfg = bench.config(`w1-r${run}`, { root: w.root, bucket: bs! });
    const both = async (key: PhaseKey, files: Workload['files']) =>
      rotated(run, [
        async () => phase(key).raw.push(await runRaw(key, { bucket: br!, files, concurrency: RAW_CONCURRENCY_W1 })),
        async () => phase(key).s3m.push(await runS3m(cfg, key, files.length)),
      ]);
    await both('W1 initial', w.files);
    await verify(`W1 run ${run}`, bs!, w);
    phase('W1 no-op').s3m.push(await runS3m(cfg, 'W1 no-op', 0));
    await both('W1 1% modified', modify(w, Z.w1Modified, run));
    await clear([bs!, br!]);
  }
}

async function benchW3(w: Workload): Promise<void> {
  const key: PhaseKey = 'W3 initial';
  for (let run = 1; run <= RUNS; run++) {
    log(`W3 run ${run}/${RUNS}`);
    const bs = await buckets(`w3-s3m-r${run}`, `w3-raw-r${run}`, `w3-mpu-r${run}`);
    const cfg = bench.config(`w3-r${run}`, { root: w.root, bucket: bs[0]! });
    await rotated(run, [
      async () =>
        phase(key).raw.push(await runRaw(key, { bucket: bs[1]!, files: w.files, concurrency: w.files.length })),
      async () => phase(key).s3m.push(await runS3m(cfg, key, w.files.length)),
      async () =>
        phase(key).rawMultipart.push(
          await runRaw(`${key} multipart`, {
            bucket: bs[2]!,
            files: w.files,
            concurrency: MPU.concurrency,
            partSize: MPU.partSize,
          }),
        ),
    ]);
    await verify(`W3 run ${run}`, bs[0]!, w);
    await clear(bs);
  }
}

/** Change latency with the daemon running; lines for the report. */
async function benchLatency(): Promise<string[]> {
  log('change latency: s3mirror run, 20 files per operation, 100 ms apart');
  const [b] = await buckets('latency');
  const l = await measureLatency(bench, { bucket: b!, files: LATENCY.files, spacingMs: LATENCY.spacingMs });
  const bound = 1000 + 1500; // debounceMs (default) + 1.5 s: the issue's "done means"
  const all = [...l.create, ...l.modify, ...l.delete];
  const worst = Math.max(...all);
  const fmt = (xs: number[]) =>
    `p50 ${percentile(xs, 50).toFixed(0)}, p95 ${percentile(xs, 95).toFixed(0)}, p99 ${percentile(xs, 99).toFixed(0)}, max ${Math.max(...xs).toFixed(0)} ms`;
  await clear([b!]);
  return [
    '',
    `change latency (daemon with default settings, debounceMs 1000; ${LATENCY.files} files per operation written ${LATENCY.spacingMs} ms apart; write → visible to an independent client):`,
    `  create ${fmt(l.create)}`,
    `  modify ${fmt(l.modify)}`,
    `  delete ${fmt(l.delete)}`,
    `${worst <= bound ? 'PASS' : 'FAIL'}  change latency: every change visible within debounceMs + 1.5 s (${bound} ms): worst ${Number.isFinite(worst) ? `${worst.toFixed(0)} ms` : 'never seen'}`,
  ];
}

async function benchPeers(peers: Peer[], w1w: Workload | undefined, w3w: Workload | undefined): Promise<void> {
  for (const p of peers) {
    for (let run = 1; run <= PEER_RUNS; run++) {
      if (w1w) {
        const [b] = await buckets(`w1-${p.name}-r${run}`);
        (phase('W1 initial').peers[p.name] ??= []).push(await runPeer(p, w1w.root, b!, 'W1 initial'));
        (phase('W1 no-op').peers[p.name] ??= []).push(await runPeer(p, w1w.root, b!, 'W1 no-op'));
        await clear([b!]);
      }
      if (w3w) {
        const [b] = await buckets(`w3-${p.name}-r${run}`);
        (phase('W3 initial').peers[p.name] ??= []).push(await runPeer(p, w3w.root, b!, 'W3 initial'));
        await clear([b!]);
      }
    }
  }
}

/** One more W1 initial for each side under `node --cpu-prof`: where s3mirror's extra CPU goes. */
async function profileW1(w: Workload): Promise<{ s3m: ProfileSummary; raw: ProfileSummary }> {
  log('W1 initial under --cpu-prof (s3mirror and raw)');
  const dir = join(RESULTS, 'profile');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const prof = (name: string) => ['--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${name}`];
  const bs = await buckets('w1-s3m-profile', 'w1-raw-profile');
  const cfg = bench.config('w1-profile', { root: w.root, bucket: bs[0]! });
  await runS3m(cfg, 'W1 initial (profiled)', w.files.length, prof('s3mirror-w1-initial.cpuprofile'));
  await runRaw('W1 initial (profiled)', {
    bucket: bs[1]!,
    files: w.files,
    concurrency: RAW_CONCURRENCY_W1,
    nodeArgs: prof('raw-w1-initial.cpuprofile'),
  });
  await clear(bs);
  const file = (n: string) => {
    const f = join(dir, n);
    if (!existsSync(f)) throw new Error(`no profile ${n} in ${dir}: ${readdirSync(dir).join(', ')}`);
    return f;
  };
  return {
    s3m: summarize(file('s3mirror-w1-initial.cpuprofile'), 30),
    raw: summarize(file('raw-w1-initial.cpuprofile'), 30),
  };
}

// ---------------------------------------------------------------------------------------------

/** Wall time of `f`, added to `times` under `key`. */
async function timed<T>(times: Record<string, number>, key: string, f: () => Promise<T>): Promise<T> {
  const t = Date.now();
  const r = await f();
  times[key] = (Date.now() - t) / 1000;
  return r;
}

async function main(): Promise<void> {
  const t0 = Date.now();
  const loadAvg = loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm run bench does)`);
  const commit = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO, encoding: 'utf8' }).stdout.trim();
  const dirty = spawnSync('git', ['status', '--porcelain', 'src'], { cwd: REPO, encoding: 'utf8' }).stdout.trim()
    ? ' (src modified)'
    : '';
  log(
    `s3mirror bench: scale ${SCALE}, runs ${RUNS}, workloads ${[...ONLY].join(',')}, ${cpus().length} CPUs, node ${process.version}, commit ${commit}${dirty}`,
  );

  bench = await Bench.open('s3mirror-bench');
  const server = bench.server;
  log(`temp dir ${bench.tmp}${KEEP ? ' (kept)' : ''}; ${server.title} at ${server.endpoint}; ${server.detail}`);

  // Fixed costs every CLI run pays: node itself, and loading the CLI's modules.
  const startup: { nodeS: number[]; cliHelpS: number[] } = { nodeS: [], cliHelpS: [] };
  for (let i = 0; i < 3; i++) {
    startup.nodeS.push(
      (await measure(process.execPath, ['--import', HOOK, '-e', '0'], { tmp: bench.tmp, node: true })).wallS,
    );
    startup.cliHelpS.push(
      (await measure(process.execPath, ['--import', HOOK, CLI, '--help'], { tmp: bench.tmp, node: true })).wallS,
    );
  }
  const startupLine = `startup: bare node ${median(startup.nodeS).toFixed(3)} s, \`node dist/cli.js --help\` ${median(startup.cliHelpS).toFixed(3)} s`;
  log(startupLine);

  const times: Record<string, number> = {};
  const [w1w, w3w] = await timed(times, 'generation', async () => [
    ONLY.has('W1') ? w1(join(bench.tmp, 'w1'), { files: Z.w1Files, dirs: Z.w1Dirs, size: Z.w1Size }) : undefined,
    ONLY.has('W3') ? w3(join(bench.tmp, 'w3'), { files: Z.w3Files, size: Z.w3Size }) : undefined,
  ]);
  const w1Desc = `W1 ${Z.w1Files} × ${Z.w1Size / KiB} KiB in ${Z.w1Dirs} dirs`;
  const w3Desc = `W3 ${Z.w3Files} × ${Z.w3Size / MiB} MiB`;
  log(`generated${w1w ? ` ${w1Desc}` : ''}${w3w ? ` ${w3Desc}` : ''} in ${times.generation!.toFixed(1)} s`);

  // Warm the server up (its JIT, its first directories or pools) so run 1 does not pay for it.
  if (w1w || w3w)
    await timed(times, 'warmup', async () => {
      const b = await buckets('warmup');
      await runRaw('warm-up (not reported)', {
        bucket: b[0]!,
        files: w1w ? w1w.files.slice(0, 500) : w3w!.files.slice(0, 1),
        concurrency: RAW_CONCURRENCY_W1,
      });
      await clear(b);
    });
  if (w1w) await timed(times, 'W1', () => benchW1(w1w));
  if (w3w) await timed(times, 'W3', () => benchW3(w3w));
  const latency = ONLY.has('LAT') ? await timed(times, 'latency', () => benchLatency()) : [];
  const peerNotes: string[] = [];
  if (PEERS) {
    const { peers, notes } = detectPeers(server.endpoint, server.creds, bench.tmp);
    peerNotes.push(...notes);
    for (const n of notes) log(n);
    if (peers.length) await timed(times, 'peers', () => benchPeers(peers, w1w, w3w));
  } else peerNotes.push('peers: disabled (BENCH_PEERS=0)');
  const profile = PROFILE && w1w ? await timed(times, 'profile', () => profileW1(w1w)) : undefined;

  const { rows, checks } = buildRows(samples, Z);
  const totalS = (Date.now() - t0) / 1000;
  const out: string[] = [
    '',
    `s3mirror bench — ${new Date().toISOString()} — commit ${commit}${dirty} — node ${process.version}, ${cpus().length} CPUs, ${(totalmem() / 2 ** 30).toFixed(0)} GiB — ${server.title}`,
    `scale ${SCALE}: ${w1Desc} (${Z.w1Modified} modified), ${w3Desc}; medians of ${RUNS} run(s)`,
    `s3mirror: node dist/cli.js sync --once --json, concurrency 16 (default), multipart 8 MiB parts; raw: SDK PutObject, one PUT per file in walk order, concurrency ${RAW_CONCURRENCY_W1} (W1) / ${Z.w3Files} (W3), keep-alive`,
    ...(w3w
      ? [
          `raw multipart (W3 reference, the server's multipart ceiling): the raw client with ${MPU.partSize / MiB} MiB parts, ${MPU.concurrency} in flight over both files, no MD5; W3's target stays against raw single PUT`,
        ]
      : []),
    `${server.detail}; load average at start ${loadAvg}`,
    startupLine,
    '',
    ...(rows.length ? [renderTable(rows)] : []),
    '',
    ...Object.entries(checks).map(([k, c]) => `${c.pass ? 'PASS' : 'FAIL'}  ${k}: ${c.detail}`),
    ...latency,
    ...(verified.length
      ? [`verified by an independent listing (every key, size and MD5 ETag as the local files): ${verified.join(', ')}`]
      : []),
    '',
    ...peerNotes,
    noiseLine(samples),
    ...(warnings.length ? ['', 'WARNINGS:', ...warnings.map((w) => `  ${w}`)] : []),
    '',
    `wall time of this bench: ${totalS.toFixed(0)} s (${Object.entries(times)
      .map(([k, v]) => `${k} ${v.toFixed(0)} s`)
      .join(', ')})`,
  ];
  if (profile) {
    out.push(
      '',
      'W1 initial, s3mirror CLI child under --cpu-prof (bench/results/profile/s3mirror-w1-initial.cpuprofile):',
      renderProfile(profile.s3m),
      '',
      'W1 initial, raw client under --cpu-prof (bench/results/profile/raw-w1-initial.cpuprofile):',
      renderProfile(profile.raw),
      '',
      compareAreas(profile.s3m, profile.raw),
    );
  }
  process.stdout.write(`${out.join('\n')}\n`);

  const strip = ({ stdout: _o, stderr: _e, ...rest }: Sample) => rest;
  const json = {
    date: new Date().toISOString(),
    commit: commit + dirty,
    server: { kind: server.kind, title: server.title },
    node: process.version,
    cpus: cpus().length,
    scale: SCALE,
    runs: RUNS,
    workloads: {
      W1: { files: Z.w1Files, dirs: Z.w1Dirs, size: Z.w1Size, modified: Z.w1Modified },
      W3: { files: Z.w3Files, size: Z.w3Size },
    },
    startup: { nodeS: median(startup.nodeS), cliHelpS: median(startup.cliHelpS) },
    rows,
    checks,
    samples: Object.fromEntries(
      Object.entries(samples).map(([k, s]) => [
        k,
        {
          s3mirror: s.s3m.map(strip),
          raw: s.raw.map(strip),
          rawMultipart: s.rawMultipart.map(strip),
          peers: Object.fromEntries(Object.entries(s.peers).map(([p, xs]) => [p, xs.map(strip)])),
        },
      ]),
    ),
    peers: peerNotes,
    warnings,
    profile,
    totalS,
  };
  writeFileSync(join(RESULTS, 'latest.json'), `${JSON.stringify(json, null, 2)}\n`);
  log(`results: ${join(RESULTS, 'latest.json')}`);
}

await runMain(main);
