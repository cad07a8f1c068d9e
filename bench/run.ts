// `npm run bench` (= `npm run build && tsx bench/run.ts`): workloads W1 and W3 against a
// local S3 server (s3rver, or a throwaway Ceph RGW), s3mirror (`node dist/cli.js sync --once --json`) beside a raw-client baseline
// measured in the same run, both as child processes measured the same way (bench/harness.ts).
//
// Environment:
//   BENCH_SCALE=0.1        shrink file counts (W1) and sizes (W3) for a quick run (default 1)
//   BENCH_ONLY=W1          run only these (comma-separated: W1, W3, LAT = change latency with the daemon,
//                          BW = the bandwidth limit honoured; BW_MIB, BW_RATE_MIB; SCALE = the scale
//                          benchmark, not in the default set: SCALE_FILES (default 1,000,000), SCALE_IDLE_S)
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
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bandwidthLines } from './bandwidth.js';
import { scaleLines } from './scale.js';
import { Bench, runMain, CLI, envNumber, HOOK, KEEP, log, onlyWorkloads, REPO, RESULTS } from './harness.js';
import { measure, median } from './measure.js';
import { detectPeers } from './peers.js';
import { MPU, Phases, RAW_CONCURRENCY_W1 } from './phases.js';
import { compareAreas, renderProfile } from './profile.js';
import { renderTable } from './report.js';
import { buildRows, noiseLine, type Sample } from './targets.js';
import { KiB, MiB, sizes, w1, w3 } from './workload.js';

const SCALE = envNumber('BENCH_SCALE', 1);
const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 3));
const PEER_RUNS = Math.max(1, Number(process.env.BENCH_PEER_RUNS ?? 1));
const ONLY = onlyWorkloads();
const PEERS = process.env.BENCH_PEERS !== '0';
const PROFILE = process.env.BENCH_PROFILE === '1';
const Z = sizes(SCALE);

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

  const bench = await Bench.open('s3mirror-bench');
  const phases = new Phases(bench, RUNS, PEER_RUNS, Z);
  const { samples, warnings, verified } = phases;
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
      const b = await phases.buckets('warmup');
      await phases.runRaw('warm-up (not reported)', {
        bucket: b[0]!,
        files: w1w ? w1w.files.slice(0, 500) : w3w!.files.slice(0, 1),
        concurrency: RAW_CONCURRENCY_W1,
      });
      await phases.clear(b);
    });
  if (w1w) await timed(times, 'W1', () => phases.w1(w1w));
  if (w3w) await timed(times, 'W3', () => phases.w3(w3w));
  const latency = ONLY.has('LAT') ? await timed(times, 'latency', () => phases.latency()) : [];
  const bandwidth = ONLY.has('BW')
    ? await timed(times, 'bandwidth', async () => {
        const [b] = await phases.buckets('bandwidth');
        const lines = await bandwidthLines(bench, b!);
        await phases.clear([b!]);
        return lines;
      })
    : [];
  const scale = ONLY.has('SCALE')
    ? await timed(times, 'scale', async () => {
        const [b] = await phases.buckets('scale');
        const lines = await scaleLines(bench, b!);
        await phases.clear([b!]);
        return lines;
      })
    : [];
  const peerNotes: string[] = [];
  if (PEERS) {
    const { peers, notes } = detectPeers(server.endpoint, server.creds, bench.tmp);
    peerNotes.push(...notes);
    for (const n of notes) log(n);
    if (peers.length) await timed(times, 'peers', () => phases.peers(peers, w1w, w3w));
  } else peerNotes.push('peers: disabled (BENCH_PEERS=0)');
  const profile = PROFILE && w1w ? await timed(times, 'profile', () => phases.profileW1(w1w)) : undefined;

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
    ...bandwidth,
    ...scale,
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
