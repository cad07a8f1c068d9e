// `npm run bench` (= `npm run build && tsx bench/run.ts`): DESIGN §7 workloads W1 and W3 against a
// local s3rver, s3mirror (`node dist/cli.js sync --once --json`) beside a raw-client baseline
// measured in the same run, both as child processes measured the same way.
//
// Environment:
//   BENCH_SCALE=0.1        shrink file counts (W1) and sizes (W3) for a quick run (default 1)
//   BENCH_ONLY=W1          run only these workloads (comma-separated: W1, W3)
//   BENCH_RUNS=3           repetitions of every measured phase; medians are reported
//   BENCH_PEERS=0          do not run peer tools (aws, rclone, s3cmd) even when on PATH
//   BENCH_PEER_RUNS=1      repetitions for peers
//   BENCH_PROFILE=1        one extra W1 initial under `node --cpu-prof`; prints top self-time functions
//   BENCH_KEEP=1           keep the temp directory (workloads, s3rver data, configs)
//   BENCH_SERVER_DIR=/tmp  where s3rver keeps its data (default /dev/shm when present, else the temp
//                          dir). On ext4, s3rver's concurrent creates in one directory spin on the
//                          directory lock (server sys CPU doubles for directory-ordered uploads),
//                          and disk writeback adds noise: tmpfs measures the clients, not the disk.
import { spawnSync } from 'node:child_process';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import ts from 'typescript';
import { accounted, measure, median, running, type Measured } from './measure.js';
import { detectPeers, type Peer } from './peers.js';
import { compareAreas, renderProfile, summarize, type ProfileSummary } from './profile.js';
import { fmtRequests, renderTable, type Row } from './report.js';
import { CREDS, REGION, startS3rver, type Server } from './server.js';
import { KiB, MiB, modify, w1, w3, walkOrder, type WorkFile, type Workload } from './workload.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const HOOK = pathToFileURL(join(REPO, 'bench', 'rusage-hook.mjs')).href;
const CLI = join(REPO, 'dist', 'cli.js');
const RESULTS = join(REPO, 'bench', 'results');

const SCALE = Number(process.env.BENCH_SCALE ?? 1);
const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 3));
const PEER_RUNS = Math.max(1, Number(process.env.BENCH_PEER_RUNS ?? 1));
const ONLY = new Set((process.env.BENCH_ONLY ?? 'W1,W3').toUpperCase().split(',').map((s) => s.trim()).filter(Boolean));
const PEERS = process.env.BENCH_PEERS !== '0';
const PROFILE = process.env.BENCH_PROFILE === '1';
const KEEP = process.env.BENCH_KEEP === '1';
if (!(SCALE > 0)) throw new Error(`BENCH_SCALE must be > 0, got ${process.env.BENCH_SCALE}`);

const W1_FILES = Math.max(10, Math.round(10_000 * SCALE));
const W1_DIRS = Math.max(1, Math.round(100 * SCALE));
const W1_SIZE = 4 * KiB;
const W1_MODIFIED = Math.max(1, Math.round(W1_FILES / 100));
const W3_FILES = 2;
const W3_SIZE = Math.max(9 * MiB, Math.round(256 * SCALE) * MiB); // stays above the 8 MiB multipart threshold
const RAW_CONCURRENCY_W1 = 64;

const log = (s: string) => process.stderr.write(`${s}\n`);

// ---------------------------------------------------------------------------------------------
// Process hygiene: everything we start is stopped by PID, also on failure or Ctrl-C.

const tmp = mkdtempSync(join(tmpdir(), 's3mirror-bench-'));
const SERVER_BASE = process.env.BENCH_SERVER_DIR ?? (existsSync('/dev/shm') ? '/dev/shm' : tmp);
const serverDir = mkdtempSync(join(SERVER_BASE, 's3mirror-bench-s3-'));
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
  if (!KEEP) {
    rmSync(tmp, { recursive: true, force: true });
    rmSync(serverDir, { recursive: true, force: true });
  }
});
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => process.exit(130));

// ---------------------------------------------------------------------------------------------

interface S3mResult {
  exitCode: number;
  failures: unknown[];
  stats: Record<string, { uploaded: number; skipped: number; failed: number; copied: number; deleted: number }>;
  requests: Record<string, number>;
}

interface Sample extends Measured {
  requests?: Record<string, number>;
  uploaded?: number;
}

const warnings: string[] = [];
let loadAvg = '';

function line(m: Measured): string {
  const opt = (v: number | undefined, what: string) => (v === undefined ? '' : `  ${what} ${v.toFixed(2)} s`);
  return `${m.wallS.toFixed(2)} s  cpu ${m.cpuS.toFixed(2)} s  rss ${m.rssMiB.toFixed(0)} MiB${opt(m.serverCpuS, 'server cpu')}${opt(m.otherCpuS, 'other cpu')}`;
}

function compileRawClient(): string {
  const out = join(RESULTS, '.build', 'raw-client.mjs');
  mkdirSync(dirname(out), { recursive: true });
  const src = readFileSync(join(REPO, 'bench', 'raw-client.ts'), 'utf8');
  const js = ts.transpileModule(src, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
  writeFileSync(out, js);
  return out;
}

let rawClientJs = '';

function cliEnv(): NodeJS.ProcessEnv {
  return { AWS_ACCESS_KEY_ID: CREDS.accessKeyId, AWS_SECRET_ACCESS_KEY: CREDS.secretAccessKey, AWS_REGION: REGION, AWS_DEFAULT_REGION: REGION };
}

async function runRaw(bucket: string, files: readonly WorkFile[], concurrency: number, label: string, extraNodeArgs: string[] = []): Promise<Sample> {
  const manifest = join(tmp, `raw-${bucket}-${Date.now()}.json`);
  writeFileSync(manifest, JSON.stringify({ endpoint: server!.endpoint, region: REGION, bucket, concurrency, files: walkOrder(files).map((f) => [f.abs, f.rel]) }));
  const m = await measure(process.execPath, [...extraNodeArgs, '--import', HOOK, rawClientJs, manifest], { env: cliEnv(), tmp, node: true });
  if (m.code !== 0) throw new Error(`raw client ${label} exited ${m.code}: ${m.stdout}${m.stderr.slice(-2000)}`);
  const r = JSON.parse(m.stdout) as { puts: number; requests: Record<string, number> };
  if (r.puts !== files.length) throw new Error(`raw client ${label}: ${r.puts} of ${files.length} PUTs`);
  log(`  raw      ${label.padEnd(22)} ${line(m)}`);
  return { ...m, requests: r.requests, uploaded: r.puts };
}

function writeConfig(name: string, w: Workload, bucket: string): string {
  const file = join(tmp, `${name}.json`);
  const cfg = {
    stateDir: join(tmp, `${name}-state`),
    s3: { region: REGION, endpoint: server!.endpoint, forcePathStyle: true },
    pairs: [{ name: w.name.toLowerCase(), path: w.root, bucket }],
  };
  writeFileSync(file, JSON.stringify(cfg, null, 2));
  return file;
}

async function runS3m(config: string, label: string, expectUploaded: number, extraNodeArgs: string[] = []): Promise<Sample> {
  const m = await measure(process.execPath, [...extraNodeArgs, '--import', HOOK, CLI, 'sync', '--once', '--config', config, '--json'], {
    env: cliEnv(),
    tmp,
    node: true,
  });
  let r: S3mResult;
  try {
    r = JSON.parse(m.stdout) as S3mResult;
  } catch {
    throw new Error(`s3mirror ${label} exited ${m.code} without a JSON summary:\n${m.stdout.slice(-2000)}\n${m.stderr.slice(-4000)}`);
  }
  const uploaded = Object.values(r.stats).reduce((a, s) => a + s.uploaded + s.copied, 0);
  if (m.code !== 0 || r.failures.length) warnings.push(`s3mirror ${label}: exit ${m.code}, ${r.failures.length} failures: ${JSON.stringify(r.failures.slice(0, 3))}`);
  if (uploaded !== expectUploaded) warnings.push(`s3mirror ${label}: uploaded ${uploaded}, expected ${expectUploaded} (stats ${JSON.stringify(r.stats)})`);
  log(`  s3mirror ${label.padEnd(22)} ${line(m)}  ${fmtRequests(r.requests)}`);
  return { ...m, requests: r.requests, uploaded };
}

async function runPeer(peer: Peer, root: string, bucket: string, label: string): Promise<Sample> {
  const m = await measure(peer.bin, peer.argv(root, bucket), { env: peer.env, tmp, node: false });
  if (m.code !== 0) warnings.push(`peer ${peer.name} ${label}: exit ${m.code}: ${m.stderr.slice(-500)}`);
  log(`  ${peer.name.padEnd(8)} ${label.padEnd(22)} ${line(m)}`);
  return m;
}

async function countObjects(bucket: string): Promise<number> {
  const c = new S3Client({ endpoint: server!.endpoint, region: REGION, forcePathStyle: true, credentials: CREDS });
  let n = 0;
  let token: string | undefined;
  do {
    const r = await c.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
    n += r.KeyCount ?? 0;
    token = r.IsTruncated ? r.NextContinuationToken : undefined;
  } while (token);
  c.destroy();
  return n;
}

// ---------------------------------------------------------------------------------------------

type PhaseKey = 'W1 initial' | 'W1 no-op' | 'W1 1% modified' | 'W3 initial';
const samples: Record<string, { s3m: Sample[]; raw: Sample[]; peers: Record<string, Sample[]> }> = {};
const phase = (k: PhaseKey) => (samples[k] ??= { s3m: [], raw: [], peers: {} });

async function benchW1(w: Workload): Promise<void> {
  for (let run = 1; run <= RUNS; run++) {
    log(`W1 run ${run}/${RUNS}`);
    const bs = `w1-s3m-r${run}`;
    const br = `w1-raw-r${run}`;
    await server!.createBucket(bs);
    await server!.createBucket(br);
    const cfg = writeConfig(`w1-r${run}`, w, bs);
    // Alternate who goes first, so neither side always meets a warmer (or fuller) server.
    const rawInitial = () => runRaw(br, w.files, RAW_CONCURRENCY_W1, 'W1 initial').then((s) => phase('W1 initial').raw.push(s));
    const s3mInitial = () => runS3m(cfg, 'W1 initial', w.files.length).then((s) => phase('W1 initial').s3m.push(s));
    if (run % 2) {
      await rawInitial();
      await s3mInitial();
    } else {
      await s3mInitial();
      await rawInitial();
    }
    const n = await countObjects(bs);
    if (n !== w.files.length) warnings.push(`W1 run ${run}: bucket ${bs} holds ${n} objects, expected ${w.files.length}`);
    phase('W1 no-op').s3m.push(await runS3m(cfg, 'W1 no-op', 0));

    const changed = modify(w, W1_MODIFIED, run);
    const rawMod = () => runRaw(br, changed, RAW_CONCURRENCY_W1, 'W1 1% modified').then((s) => phase('W1 1% modified').raw.push(s));
    const s3mMod = () => runS3m(cfg, 'W1 1% modified', changed.length).then((s) => phase('W1 1% modified').s3m.push(s));
    if (run % 2) {
      await rawMod();
      await s3mMod();
    } else {
      await s3mMod();
      await rawMod();
    }
    server!.dropBucketData(bs);
    server!.dropBucketData(br);
  }
}

async function benchW3(w: Workload): Promise<void> {
  for (let run = 1; run <= RUNS; run++) {
    log(`W3 run ${run}/${RUNS}`);
    const bs = `w3-s3m-r${run}`;
    const br = `w3-raw-r${run}`;
    await server!.createBucket(bs);
    await server!.createBucket(br);
    const cfg = writeConfig(`w3-r${run}`, w, bs);
    const raw = () => runRaw(br, w.files, w.files.length, 'W3 initial').then((s) => phase('W3 initial').raw.push(s));
    const s3m = () => runS3m(cfg, 'W3 initial', w.files.length).then((s) => phase('W3 initial').s3m.push(s));
    if (run % 2) {
      await raw();
      await s3m();
    } else {
      await s3m();
      await raw();
    }
    server!.dropBucketData(bs);
    server!.dropBucketData(br);
  }
}

async function benchPeers(peers: Peer[], w1w: Workload | undefined, w3w: Workload | undefined): Promise<void> {
  for (const p of peers) {
    for (let run = 1; run <= PEER_RUNS; run++) {
      if (w1w) {
        const b = `w1-${p.name}-r${run}`;
        await server!.createBucket(b);
        (phase('W1 initial').peers[p.name] ??= []).push(await runPeer(p, w1w.root, b, 'W1 initial'));
        (phase('W1 no-op').peers[p.name] ??= []).push(await runPeer(p, w1w.root, b, 'W1 no-op'));
        server!.dropBucketData(b);
      }
      if (w3w) {
        const b = `w3-${p.name}-r${run}`;
        await server!.createBucket(b);
        (phase('W3 initial').peers[p.name] ??= []).push(await runPeer(p, w3w.root, b, 'W3 initial'));
        server!.dropBucketData(b);
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
  await server!.createBucket('w1-s3m-profile');
  await server!.createBucket('w1-raw-profile');
  const cfg = writeConfig('w1-profile', w, 'w1-s3m-profile');
  await runS3m(cfg, 'W1 initial (profiled)', w.files.length, ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-name=s3mirror-w1-initial.cpuprofile']);
  await runRaw('w1-raw-profile', w.files, RAW_CONCURRENCY_W1, 'W1 initial (profiled)', ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-name=raw-w1-initial.cpuprofile']);
  server!.dropBucketData('w1-s3m-profile');
  server!.dropBucketData('w1-raw-profile');
  const file = (n: string) => {
    const f = join(dir, n);
    if (!existsSync(f)) throw new Error(`no profile ${n} in ${dir}: ${readdirSync(dir).join(', ')}`);
    return f;
  };
  return { s3m: summarize(file('s3mirror-w1-initial.cpuprofile'), 30), raw: summarize(file('raw-w1-initial.cpuprofile'), 30) };
}

// ---------------------------------------------------------------------------------------------

function med(xs: readonly Sample[], f: (s: Sample) => number): number {
  return median(xs.map(f));
}

function medRequests(xs: readonly Sample[]): Record<string, number> | undefined {
  if (!xs.length || !xs[0]!.requests) return undefined;
  const keys = new Set(xs.flatMap((s) => Object.keys(s.requests ?? {})));
  return Object.fromEntries([...keys].map((k) => [k, median(xs.map((s) => s.requests?.[k] ?? 0))]));
}

/** "tool / raw" medians of an optional measurement, "—" where it is missing. */
function pairOpt(a: readonly Sample[], b: readonly Sample[], f: (s: Sample) => number | undefined): string {
  const m = (xs: readonly Sample[]) => {
    const v = xs.map(f).filter((x): x is number => x !== undefined);
    return v.length ? median(v).toFixed(2) : undefined;
  };
  const x = m(a) ?? '—';
  const y = m(b);
  return y === undefined ? x : `${x} / ${y}`;
}

function buildRows(): { rows: Row[]; checks: Record<string, { pass: boolean; detail: string }> } {
  const rows: Row[] = [];
  const checks: Record<string, { pass: boolean; detail: string }> = {};
  const pair = (a: number, b: number | undefined, d: number) => (b === undefined ? a.toFixed(d) : `${a.toFixed(d)} / ${b.toFixed(d)}`);
  const listTarget = Math.ceil(W1_FILES / 1000);

  for (const [key, s] of Object.entries(samples) as [PhaseKey, (typeof samples)[string]][]) {
    if (!s.s3m.length) continue;
    const wall = med(s.s3m, (x) => x.wallS);
    const rawWall = s.raw.length ? med(s.raw, (x) => x.wallS) : undefined;
    const cpu = med(s.s3m, (x) => x.cpuS);
    const rawCpu = s.raw.length ? med(s.raw, (x) => x.cpuS) : undefined;
    const rss = med(s.s3m, (x) => x.rssMiB);
    const rawRss = s.raw.length ? med(s.raw, (x) => x.rssMiB) : undefined;
    const req = medRequests(s.s3m);
    let ratio: string | undefined;
    let rate = '';
    let target = '—';
    let verdict: Row['verdict'] = '';
    const w3 = key === 'W3 initial';
    const files = key === 'W1 initial' ? W1_FILES : key === 'W1 1% modified' ? W1_MODIFIED : w3 ? W3_FILES : 0;
    const mib = (W3_FILES * W3_SIZE) / MiB;
    if (w3) {
      const pct = rawWall ? (100 * rawWall) / wall : NaN;
      ratio = `${pct.toFixed(0)} %`;
      rate = `${(mib / wall).toFixed(0)} / ${rawWall ? (mib / rawWall).toFixed(0) : '—'} MiB/s`;
      // A peak is a bound every run must keep: judge the worst run's peak, not the median one.
      const rssMax = Math.max(...s.s3m.map((x) => x.rssMiB));
      const pass = pct >= 60 && rssMax <= 400;
      target = 'thru ≥ 60 % of raw, max RSS ≤ 400 MiB';
      verdict = pass ? 'PASS' : 'FAIL';
      checks[key] = { pass, detail: `throughput ${pct.toFixed(1)} % of raw, peak RSS median ${rss.toFixed(0)} MiB, max ${rssMax.toFixed(0)} MiB` };
    } else if (key === 'W1 no-op') {
      rate = `${(W1_FILES / wall).toFixed(0)} files checked/s`;
      const lists = req?.ListObjectsV2Command ?? 0;
      const pass = wall <= 1 && lists <= listTarget;
      target = `≤ 1 s, LIST ≤ ${listTarget}`;
      verdict = pass ? 'PASS' : 'FAIL';
      checks[key] = { pass, detail: `wall ${wall.toFixed(2)} s, ${lists} LIST, ${JSON.stringify(req)}` };
    } else {
      ratio = rawWall ? `${(wall / rawWall).toFixed(2)}x` : undefined;
      rate = `${(files / wall).toFixed(0)} / ${rawWall ? (files / rawWall).toFixed(0) : '—'} files/s`;
      if (key === 'W1 initial') {
        const pass = rawWall !== undefined && wall <= 1.25 * rawWall;
        target = '≤ 1.25x raw';
        verdict = pass ? 'PASS' : 'FAIL';
        checks[key] = { pass, detail: `${(wall / (rawWall ?? NaN)).toFixed(3)}x raw` };
      }
    }
    rows.push({
      phase: key,
      tool: 's3mirror',
      wallS: wall,
      ...(rawWall !== undefined ? { rawWallS: rawWall } : {}),
      ...(ratio ? { ratio } : {}),
      rate,
      requests: fmtRequests(req),
      cpuS: pair(cpu, rawCpu, 2),
      serverCpuS: pairOpt(s.s3m, s.raw, (x) => x.serverCpuS),
      rssMiB: pair(rss, rawRss, 0),
      target,
      verdict,
    });
    for (const [peer, ps] of Object.entries(s.peers)) {
      const pw = med(ps, (x) => x.wallS);
      rows.push({
        phase: key,
        tool: peer,
        wallS: pw,
        ...(rawWall !== undefined ? { rawWallS: rawWall } : {}),
        ...(rawWall === undefined ? {} : { ratio: w3 ? `${((100 * rawWall) / pw).toFixed(0)} %` : `${(pw / rawWall).toFixed(2)}x` }),
        rate: w3 ? `${(mib / pw).toFixed(0)} MiB/s` : key === 'W1 no-op' ? `${(W1_FILES / pw).toFixed(0)} files checked/s` : `${(files / pw).toFixed(0)} files/s`,
        requests: '—',
        cpuS: pair(med(ps, (x) => x.cpuS), rawCpu, 2),
        serverCpuS: pairOpt(ps, s.raw, (x) => x.serverCpuS),
        rssMiB: pair(med(ps, (x) => x.rssMiB), rawRss, 0),
        target: '',
        verdict: '',
      });
    }
  }
  return { rows, checks };
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const t0 = Date.now();
  loadAvg = loadavg().map((x) => x.toFixed(2)).join(' ');
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm run bench does)`);
  mkdirSync(RESULTS, { recursive: true });
  rawClientJs = compileRawClient();
  const commit = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO, encoding: 'utf8' }).stdout.trim();
  const dirty = spawnSync('git', ['status', '--porcelain', 'src'], { cwd: REPO, encoding: 'utf8' }).stdout.trim() ? ' (src modified)' : '';
  log(`s3mirror bench: scale ${SCALE}, runs ${RUNS}, workloads ${[...ONLY].join(',')}, ${cpus().length} CPUs, node ${process.version}, commit ${commit}${dirty}`);
  log(`temp dir ${tmp}, s3rver data in ${serverDir}${KEEP ? ' (kept)' : ''}`);

  server = await startS3rver(REPO, serverDir);
  accounted.serverPid = server.pid;
  log(`s3rver pid ${server.pid} at ${server.endpoint}`);

  // Fixed costs every CLI run pays: node itself, and loading the CLI's modules.
  const startup: { nodeS: number[]; cliHelpS: number[] } = { nodeS: [], cliHelpS: [] };
  for (let i = 0; i < 3; i++) {
    startup.nodeS.push((await measure(process.execPath, ['--import', HOOK, '-e', '0'], { tmp, node: true })).wallS);
    startup.cliHelpS.push((await measure(process.execPath, ['--import', HOOK, CLI, '--help'], { tmp, node: true })).wallS);
  }
  log(`startup: node ${median(startup.nodeS).toFixed(3)} s, node dist/cli.js --help ${median(startup.cliHelpS).toFixed(3)} s`);

  let tg = Date.now();
  const w1w = ONLY.has('W1') ? w1(join(tmp, 'w1'), { files: W1_FILES, dirs: W1_DIRS, size: W1_SIZE }) : undefined;
  const w3w = ONLY.has('W3') ? w3(join(tmp, 'w3'), { files: W3_FILES, size: W3_SIZE }) : undefined;
  const genS = (Date.now() - tg) / 1000;
  log(
    `generated${w1w ? ` W1 ${W1_FILES} × ${W1_SIZE / KiB} KiB in ${W1_DIRS} dirs` : ''}${w3w ? ` W3 ${W3_FILES} × ${W3_SIZE / MiB} MiB` : ''} in ${genS.toFixed(1)} s`,
  );

  // Warm s3rver up (its JIT, its first directories) so run 1 does not pay for it.
  tg = Date.now();
  await server.createBucket('warmup');
  await runRaw('warmup', w1w ? w1w.files.slice(0, 500) : w3w!.files.slice(0, 1), RAW_CONCURRENCY_W1, 'warm-up (not reported)');
  server.dropBucketData('warmup');
  const phaseTimes: Record<string, number> = { warmup: (Date.now() - tg) / 1000 };
  if (w1w) {
    tg = Date.now();
    await benchW1(w1w);
    phaseTimes.W1 = (Date.now() - tg) / 1000;
  }
  if (w3w) {
    tg = Date.now();
    await benchW3(w3w);
    phaseTimes.W3 = (Date.now() - tg) / 1000;
  }
  const peerNotes: string[] = [];
  if (PEERS) {
    const { peers, notes } = detectPeers(server.endpoint, tmp);
    peerNotes.push(...notes);
    for (const n of notes) log(n);
    tg = Date.now();
    await benchPeers(peers, w1w, w3w);
    if (peers.length) phaseTimes.peers = (Date.now() - tg) / 1000;
  } else peerNotes.push('peers: disabled (BENCH_PEERS=0)');
  let profile: { s3m: ProfileSummary; raw: ProfileSummary } | undefined;
  if (PROFILE && w1w) {
    tg = Date.now();
    profile = await profileW1(w1w);
    phaseTimes.profile = (Date.now() - tg) / 1000;
  }

  const { rows, checks } = buildRows();
  const totalS = (Date.now() - t0) / 1000;
  const out: string[] = [
    '',
    `s3mirror bench — ${new Date().toISOString()} — commit ${commit}${dirty} — node ${process.version}, ${cpus().length} CPUs, ${(totalmem() / 2 ** 30).toFixed(0)} GiB — s3rver on 127.0.0.1`,
    `scale ${SCALE}: W1 ${W1_FILES} × ${W1_SIZE / KiB} KiB in ${W1_DIRS} dirs (${W1_MODIFIED} modified), W3 ${W3_FILES} × ${W3_SIZE / MiB} MiB; medians of ${RUNS} run(s)`,
    `s3mirror: node dist/cli.js sync --once --json, concurrency 16 (default), multipart 8 MiB parts; raw: SDK PutObject, one PUT per file in walk order, concurrency ${RAW_CONCURRENCY_W1} (W1) / ${W3_FILES} (W3), keep-alive`,
    `s3rver data in ${SERVER_BASE}${SERVER_BASE === '/dev/shm' ? ' (tmpfs)' : ''}; load average at start ${loadAvg}`,
    `startup: bare node ${median(startup.nodeS).toFixed(3)} s, \`node dist/cli.js --help\` ${median(startup.cliHelpS).toFixed(3)} s`,
    '',
    renderTable(rows),
    '',
    ...Object.entries(checks).map(([k, c]) => `${c.pass ? 'PASS' : 'FAIL'}  ${k}: ${c.detail}`),
    '',
    ...peerNotes,
    noiseLine(),
    ...(warnings.length ? ['', 'WARNINGS:', ...warnings.map((w) => `  ${w}`)] : []),
    '',
    `wall time of this bench: ${totalS.toFixed(0)} s (generation ${genS.toFixed(0)} s, ${Object.entries(phaseTimes).map(([k, v]) => `${k} ${v.toFixed(0)} s`).join(', ')})`,
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

  const json = {
    date: new Date().toISOString(),
    commit: commit + dirty,
    node: process.version,
    cpus: cpus().length,
    scale: SCALE,
    runs: RUNS,
    workloads: {
      W1: { files: W1_FILES, dirs: W1_DIRS, size: W1_SIZE, modified: W1_MODIFIED },
      W3: { files: W3_FILES, size: W3_SIZE },
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

/** How much CPU other processes took while we measured: a busy neighbour invalidates a run. */
function noiseLine(): string {
  const all = Object.values(samples).flatMap((s) => [...s.s3m, ...s.raw, ...Object.values(s.peers).flat()]);
  const other = all.reduce((a, m) => a + (m.otherCpuS ?? 0), 0);
  const wall = all.reduce((a, m) => a + m.wallS, 0);
  const worst = Math.max(0, ...all.map((m) => (m.otherCpuS ?? 0) / m.wallS));
  return `noise: other processes used ${other.toFixed(1)} CPU-s during ${wall.toFixed(0)} s of measured phases (${((100 * other) / Math.max(wall, 1e-9)).toFixed(1)} % of one core; worst phase ${(100 * worst).toFixed(0)} %)`;
}

function strip(s: Sample) {
  const { stdout: _o, stderr: _e, ...rest } = s;
  return rest;
}

try {
  await main();
} finally {
  await server?.stop();
}
