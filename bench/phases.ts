// The measured phases of `npm run bench` (bench/run.ts): each side of a comparison run the same way,
// the samples they give collected per phase, with the warnings and verified mirrors for the report.
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { type Bench, log, RESULTS, type RawOptions } from './harness.js';
import { measure, type Measured } from './measure.js';
import type { Peer } from './peers.js';
import { summarize, type ProfileSummary } from './profile.js';
import { fmtRequests } from './report.js';
import type { PhaseKey, PhaseSamples, Sample, Samples } from './targets.js';
import { measureLatency, percentile } from './latency.js';
import { holReport, measureSmallBehindLarge } from './latency-hol.js';
import { MiB, modify, type Sizes, type Workload } from './workload.js';

export const RAW_CONCURRENCY_W1 = 64;
/** W3's multipart reference: s3mirror's own part size and concurrency (its defaults). */
export const MPU = { partSize: 8 * MiB, concurrency: 16 };
const LATENCY = { files: 20, spacingMs: 100 };

function line(m: Measured): string {
  const opt = (v: number | undefined, what: string) => (v === undefined ? '' : `  ${what} ${v.toFixed(2)} s`);
  return `${m.wallS.toFixed(2)} s  cpu ${m.cpuS.toFixed(2)} s  rss ${m.rssMiB.toFixed(0)} MiB${opt(m.serverCpuS, 'server cpu')}${opt(m.otherCpuS, 'other cpu')}`;
}

/** Run the steps in an order that rotates with the run, so no side always meets a warmer (or fuller) server. */
async function rotated(run: number, steps: (() => Promise<unknown>)[]): Promise<void> {
  for (let i = 0; i < steps.length; i++) await steps[(i + run - 1) % steps.length]!();
}

export class Phases {
  readonly samples: Samples = {};
  readonly warnings: string[] = [];
  readonly verified: string[] = [];

  constructor(
    private readonly bench: Bench,
    private readonly runs: number,
    private readonly peerRuns: number,
    private readonly z: Sizes,
  ) {}

  private phase(k: PhaseKey): PhaseSamples {
    return (this.samples[k] ??= { s3m: [], raw: [], rawMultipart: [], peers: {} });
  }

  /** After an initial sync (outside the measured time): the bucket checked file by file. */
  private async verify(what: string, bucket: string, w: Workload): Promise<void> {
    const problem = await this.bench.verifyMirror(bucket, w.files, MPU.partSize);
    if (problem) this.warnings.push(`${what}: the bucket is not an exact mirror: ${problem}`);
    else this.verified.push(what);
  }

  async runRaw(label: string, o: RawOptions): Promise<Sample> {
    const r = await this.bench.raw(o);
    log(`  raw      ${label.padEnd(22)} ${line(r)}`);
    return { ...r, uploaded: r.puts };
  }

  private async runS3m(
    config: string,
    label: string,
    expectUploaded: number,
    nodeArgs: string[] = [],
  ): Promise<Sample> {
    const m = await this.bench.s3mirror(config, nodeArgs);
    const r = m.summary;
    const uploaded = Object.values(r.stats).reduce((a, s) => a + s.uploaded + s.copied, 0);
    if (m.code !== 0 || r.failures.length)
      this.warnings.push(
        `s3mirror ${label}: exit ${m.code}, ${r.failures.length} failures: ${JSON.stringify(r.failures.slice(0, 3))}`,
      );
    if (uploaded !== expectUploaded)
      this.warnings.push(
        `s3mirror ${label}: uploaded ${uploaded}, expected ${expectUploaded} (stats ${JSON.stringify(r.stats)})`,
      );
    log(`  s3mirror ${label.padEnd(22)} ${line(m)}  ${fmtRequests(r.requests)}`);
    return { ...m, requests: r.requests, uploaded };
  }

  private async runPeer(peer: Peer, root: string, bucket: string, label: string): Promise<Sample> {
    const m = await measure(peer.bin, peer.argv(root, bucket), { env: peer.env, tmp: this.bench.tmp, node: false });
    if (m.code !== 0) this.warnings.push(`peer ${peer.name} ${label}: exit ${m.code}: ${m.stderr.slice(-500)}`);
    log(`  ${peer.name.padEnd(8)} ${label.padEnd(22)} ${line(m)}`);
    return m;
  }

  async buckets(...names: string[]): Promise<string[]> {
    for (const b of names) await this.bench.server.createBucket(b);
    return names;
  }

  async clear(names: readonly string[]): Promise<void> {
    for (const b of names) await this.bench.server.clearBucket(b);
  }

  async w1(w: Workload): Promise<void> {
    for (let run = 1; run <= this.runs; run++) {
      log(`W1 run ${run}/${this.runs}`);
      const [bs, br] = await this.buckets(`w1-s3m-r${run}`, `w1-raw-r${run}`);
      const cfg = this.bench.config(`w1-r${run}`, { root: w.root, bucket: bs! });
      const both = async (key: PhaseKey, files: Workload['files']) =>
        rotated(run, [
          async () =>
            this.phase(key).raw.push(await this.runRaw(key, { bucket: br!, files, concurrency: RAW_CONCURRENCY_W1 })),
          async () => this.phase(key).s3m.push(await this.runS3m(cfg, key, files.length)),
        ]);
      await both('W1 initial', w.files);
      await this.verify(`W1 run ${run}`, bs!, w);
      this.phase('W1 no-op').s3m.push(await this.runS3m(cfg, 'W1 no-op', 0));
      await both('W1 1% modified', modify(w, this.z.w1Modified, run));
      await this.clear([bs!, br!]);
    }
  }

  async w3(w: Workload): Promise<void> {
    const key: PhaseKey = 'W3 initial';
    for (let run = 1; run <= this.runs; run++) {
      log(`W3 run ${run}/${this.runs}`);
      const bs = await this.buckets(`w3-s3m-r${run}`, `w3-raw-r${run}`, `w3-mpu-r${run}`);
      const cfg = this.bench.config(`w3-r${run}`, { root: w.root, bucket: bs[0]! });
      await rotated(run, [
        async () =>
          this.phase(key).raw.push(
            await this.runRaw(key, { bucket: bs[1]!, files: w.files, concurrency: w.files.length }),
          ),
        async () => this.phase(key).s3m.push(await this.runS3m(cfg, key, w.files.length)),
        async () =>
          this.phase(key).rawMultipart.push(
            await this.runRaw(`${key} multipart`, {
              bucket: bs[2]!,
              files: w.files,
              concurrency: MPU.concurrency,
              partSize: MPU.partSize,
            }),
          ),
      ]);
      await this.verify(`W3 run ${run}`, bs[0]!, w);
      await this.clear(bs);
    }
  }

  /** Change latency with the daemon running; lines for the report. */
  async latency(): Promise<string[]> {
    log('change latency: s3mirror run, 20 files per operation, 100 ms apart');
    const [b] = await this.buckets('latency');
    const l = await measureLatency(this.bench, { bucket: b!, files: LATENCY.files, spacingMs: LATENCY.spacingMs });
    const bound = 1000 + 1500; // debounceMs (default) + 1.5 s: the issue's "done means"
    const all = [...l.create, ...l.modify, ...l.delete];
    const worst = Math.max(...all);
    const fmt = (xs: number[]) =>
      `p50 ${percentile(xs, 50).toFixed(0)}, p95 ${percentile(xs, 95).toFixed(0)}, p99 ${percentile(xs, 99).toFixed(0)}, max ${Math.max(...xs).toFixed(0)} ms`;
    await this.clear([b!]);
    log('small change behind large uploads: s3mirror run, 4 large files through a slow link');
    const [h] = await this.buckets('latency-hol');
    const hol = await measureSmallBehindLarge(this.bench, { bucket: h! });
    await this.clear([h!]);
    return [
      '',
      `change latency (daemon with default settings, debounceMs 1000; ${LATENCY.files} files per operation written ${LATENCY.spacingMs} ms apart; write → visible to an independent client):`,
      `  create ${fmt(l.create)}`,
      `  modify ${fmt(l.modify)}`,
      `  delete ${fmt(l.delete)}`,
      `${worst <= bound ? 'PASS' : 'FAIL'}  change latency: every change visible within debounceMs + 1.5 s (${bound} ms): worst ${Number.isFinite(worst) ? `${worst.toFixed(0)} ms` : 'never seen'}`,
      ...holReport(hol, 1000),
    ];
  }

  async peers(peers: Peer[], w1w: Workload | undefined, w3w: Workload | undefined): Promise<void> {
    for (const p of peers) {
      for (let run = 1; run <= this.peerRuns; run++) {
        if (w1w) {
          const [b] = await this.buckets(`w1-${p.name}-r${run}`);
          (this.phase('W1 initial').peers[p.name] ??= []).push(await this.runPeer(p, w1w.root, b!, 'W1 initial'));
          (this.phase('W1 no-op').peers[p.name] ??= []).push(await this.runPeer(p, w1w.root, b!, 'W1 no-op'));
          await this.clear([b!]);
        }
        if (w3w) {
          const [b] = await this.buckets(`w3-${p.name}-r${run}`);
          (this.phase('W3 initial').peers[p.name] ??= []).push(await this.runPeer(p, w3w.root, b!, 'W3 initial'));
          await this.clear([b!]);
        }
      }
    }
  }

  /** One more W1 initial for each side under `node --cpu-prof`: where s3mirror's extra CPU goes. */
  async profileW1(w: Workload): Promise<{ s3m: ProfileSummary; raw: ProfileSummary }> {
    log('W1 initial under --cpu-prof (s3mirror and raw)');
    const dir = join(RESULTS, 'profile');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const prof = (name: string) => ['--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${name}`];
    const bs = await this.buckets('w1-s3m-profile', 'w1-raw-profile');
    const cfg = this.bench.config('w1-profile', { root: w.root, bucket: bs[0]! });
    await this.runS3m(cfg, 'W1 initial (profiled)', w.files.length, prof('s3mirror-w1-initial.cpuprofile'));
    await this.runRaw('W1 initial (profiled)', {
      bucket: bs[1]!,
      files: w.files,
      concurrency: RAW_CONCURRENCY_W1,
      nodeArgs: prof('raw-w1-initial.cpuprofile'),
    });
    await this.clear(bs);
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
}
