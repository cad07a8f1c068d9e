// The no-op `sync --once` as a whole process (issue 10 item 3: ≤ 0.5 s on W1, 0 requests): syncs
// W1 once, then times NOOP_RUNS no-op passes of each CLI in NOOP_CLIS (comma-separated paths to a
// built cli.js, this repo's dist/cli.js by default), interleaved run by run so that the machine's
// drift falls on every CLI alike, and prints the median wall and CPU of each. Give main's build as a
// second CLI for an A/B. The journal is shared: every CLI must read and leave it the same way.
//
//   npm run build && npx tsx bench/noop.ts
//   NOOP_CLIS=dist/cli.js,/work/main/dist/cli.js NOOP_RUNS=15 npx tsx bench/noop.ts
import { resolve } from 'node:path';
import { Bench, CLI, envNumber, HOOK, log, runMain } from './harness.js';
import { measure, median, type Measured } from './measure.js';
import { sizes, w1 } from './workload.js';

const RUNS = envNumber('NOOP_RUNS', 10);
const CLIS = (process.env.NOOP_CLIS ?? CLI).split(',').map((s) => resolve(s.trim()));

async function noop(bench: Bench, cli: string, config: string): Promise<Measured & { requests: number }> {
  const m = await measure(process.execPath, ['--import', HOOK, cli, 'sync', '--once', '--config', config, '--json'], {
    env: bench.childEnv(),
    tmp: bench.tmp,
    node: true,
  });
  if (m.code !== 0) throw new Error(`${cli}: exit ${m.code}\n${m.stdout.slice(-2000)}${m.stderr.slice(-2000)}`);
  const s = JSON.parse(m.stdout) as { requests: Record<string, number> };
  return { ...m, requests: Object.values(s.requests).reduce((a, b) => a + b, 0) };
}

await runMain(async () => {
  const bench = await Bench.open('s3mirror-noop');
  const z = sizes(envNumber('BENCH_SCALE', 1));
  const w = w1(`${bench.tmp}/w1`, { files: z.w1Files, dirs: z.w1Dirs, size: z.w1Size });
  await bench.server.createBucket('noop');
  const config = bench.config('noop', { root: w.root, bucket: 'noop' });
  const first = await bench.s3mirror(config);
  log(`W1 initial: ${first.wallS.toFixed(2)} s, ${first.summary.stats.bench?.uploaded} uploaded; config ${config}`);
  const runs = new Map(CLIS.map((c) => [c, [] as (Measured & { requests: number })[]]));
  for (let r = 0; r < RUNS; r++) {
    // Rotated, so no CLI always runs first (after the other's page cache and CPU boost).
    for (let i = 0; i < CLIS.length; i++) {
      const cli = CLIS[(r + i) % CLIS.length]!;
      runs.get(cli)!.push(await noop(bench, cli, config));
    }
  }
  for (const [cli, ms] of runs) {
    const f = (xs: number[]) => median(xs).toFixed(3);
    process.stdout.write(
      `${cli}: no-op sync --once on ${z.w1Files} files, median of ${ms.length}: ` +
        `wall ${f(ms.map((m) => m.wallS))} s, cpu ${f(ms.map((m) => m.cpuS))} s ` +
        `(user ${f(ms.map((m) => m.userS))}, sys ${f(ms.map((m) => m.sysS))}), ` +
        `peak RSS ${median(ms.map((m) => m.rssMiB)).toFixed(0)} MiB, requests ${Math.max(...ms.map((m) => m.requests))}, ` +
        `other CPU ${f(ms.map((m) => m.otherCpuS ?? 0))} s\n`,
    );
  }
});
