// The samples a bench run collects, reduced to medians and judged against the targets.
import { median, type Measured } from './measure.js';
import { fmtRequests, type Row } from './report.js';
import { MiB, type Sizes } from './workload.js';

export type PhaseKey = 'W1 initial' | 'W1 no-op' | 'W1 1% modified' | 'W3 initial';

export interface Sample extends Measured {
  requests?: Record<string, number>;
  uploaded?: number;
}

export interface PhaseSamples {
  s3m: Sample[];
  raw: Sample[];
  /** W3's second reference: the raw client with multipart uploads (8 MiB parts, 16 in flight, no MD5). */
  rawMultipart: Sample[];
  peers: Record<string, Sample[]>;
}

export type Samples = Partial<Record<PhaseKey, PhaseSamples>>;

export interface Check {
  pass: boolean;
  detail: string;
}

const med = (xs: readonly Sample[], f: (s: Sample) => number) => median(xs.map(f));
const medOpt = (xs: readonly Sample[], f: (s: Sample) => number) => (xs.length ? med(xs, f) : undefined);

function medRequests(xs: readonly Sample[]): Record<string, number> | undefined {
  if (!xs.length || !xs[0]!.requests) return undefined;
  const keys = new Set(xs.flatMap((s) => Object.keys(s.requests ?? {})));
  return Object.fromEntries([...keys].map((k) => [k, median(xs.map((s) => s.requests?.[k] ?? 0))]));
}

/** "tool / raw" medians, or the tool's alone where raw has none. */
function pair(
  a: readonly Sample[],
  b: readonly Sample[],
  f: (s: Sample) => number | undefined,
  digits: number,
): string {
  const m = (xs: readonly Sample[]) => {
    const v = xs.map(f).filter((x): x is number => x !== undefined);
    return v.length ? median(v).toFixed(digits) : undefined;
  };
  const x = m(a) ?? '—';
  const y = m(b);
  return y === undefined ? x : `${x} / ${y}`;
}

export function buildRows(samples: Samples, z: Sizes): { rows: Row[]; checks: Record<string, Check> } {
  const rows: Row[] = [];
  const checks: Record<string, Check> = {};
  const mib = (z.w3Files * z.w3Size) / MiB;

  for (const [key, s] of Object.entries(samples) as [PhaseKey, PhaseSamples][]) {
    if (!s.s3m.length) continue;
    const w3 = key === 'W3 initial';
    const files = key === 'W1 initial' ? z.w1Files : key === 'W1 1% modified' ? z.w1Modified : w3 ? z.w3Files : 0;
    const rawWall = medOpt(s.raw, (x) => x.wallS);
    const mpuWall = medOpt(s.rawMultipart, (x) => x.wallS);
    const ofMpu = (wall: number) => (mpuWall ? `${((100 * mpuWall) / wall).toFixed(0)} %` : undefined);
    /** How one tool's median wall time compares with raw's, and its rate. */
    const versusRaw = (wall: number, withRaw: boolean) => {
      if (w3) {
        const pct = rawWall ? (100 * rawWall) / wall : NaN;
        return {
          pct,
          ratio: rawWall ? `${pct.toFixed(0)} %` : undefined,
          rate: withRaw
            ? `${(mib / wall).toFixed(0)} / ${rawWall ? (mib / rawWall).toFixed(0) : '—'} MiB/s`
            : `${(mib / wall).toFixed(0)} MiB/s`,
        };
      }
      if (key === 'W1 no-op')
        return { pct: NaN, ratio: undefined, rate: `${(z.w1Files / wall).toFixed(0)} files checked/s` };
      return {
        pct: NaN,
        ratio: rawWall ? `${(wall / rawWall).toFixed(2)}x` : undefined,
        rate: withRaw
          ? `${(files / wall).toFixed(0)} / ${rawWall ? (files / rawWall).toFixed(0) : '—'} files/s`
          : `${(files / wall).toFixed(0)} files/s`,
      };
    };
    const row = (
      tool: string,
      xs: Sample[],
      requests: string,
      withRaw: boolean,
      target = '',
      verdict: Row['verdict'] = '',
    ): Row => {
      const wall = med(xs, (x) => x.wallS);
      const { ratio, rate } = versusRaw(wall, withRaw);
      return {
        phase: key,
        tool,
        wallS: wall,
        ...(rawWall !== undefined ? { rawWallS: rawWall } : {}),
        ...(ratio ? { ratio } : {}),
        ...(w3 && mpuWall ? { vsMultipart: ofMpu(wall) } : {}),
        rate,
        requests,
        cpuS: pair(xs, s.raw, (x) => x.cpuS, 2),
        serverCpuS: pair(xs, s.raw, (x) => x.serverCpuS, 2),
        rssMiB: pair(xs, s.raw, (x) => x.rssMiB, 0),
        target,
        verdict,
      };
    };

    const wall = med(s.s3m, (x) => x.wallS);
    const rss = med(s.s3m, (x) => x.rssMiB);
    const req = medRequests(s.s3m);
    let target = '—';
    let check: Check | undefined;
    if (w3) {
      const { pct } = versusRaw(wall, true);
      // A peak is a bound every run must keep: judge the worst run's peak, not the median one.
      const rssMax = Math.max(...s.s3m.map((x) => x.rssMiB));
      target = 'thru ≥ 60 % of raw, max RSS ≤ 400 MiB';
      const mpu = mpuWall ? ` (${((100 * mpuWall) / wall).toFixed(1)} % of raw multipart)` : '';
      // When even the bare multipart client stays under the bar, the server's multipart handling is
      // the limit (s3rver re-reads and re-hashes the whole object to complete it): say so.
      const ceiling =
        mpuWall && rawWall && (100 * rawWall) / mpuWall < 60
          ? `; this server's multipart ceiling: the raw multipart client reached ${((100 * rawWall) / mpuWall).toFixed(1)} % of raw single PUT (BENCH_SERVER=rgw measures W3 where completing is not a re-write)`
          : '';
      check = {
        pass: pct >= 60 && rssMax <= 400,
        detail: `throughput ${pct.toFixed(1)} % of raw single PUT${mpu}, peak RSS median ${rss.toFixed(0)} MiB, max ${rssMax.toFixed(0)} MiB${ceiling}`,
      };
    } else if (key === 'W1 no-op') {
      // It follows a clean initial sync: the journal is trusted, and nothing is listed or checked.
      const sent = Object.values(req ?? {}).reduce((a, n) => a + n, 0);
      target = '≤ 0.5 s, 0 requests';
      check = {
        pass: wall <= 0.5 && sent === 0,
        detail: `wall ${wall.toFixed(2)} s, ${sent} requests, ${JSON.stringify(req)}`,
      };
    } else if (key === 'W1 initial') {
      // Issue 10's bar: the wall time within 5 % of the raw client's (concurrency 64 against our
      // default 16), and no more client CPU than it spends.
      const cpu = med(s.s3m, (x) => x.cpuS);
      const rawCpu = s.raw.length ? med(s.raw, (x) => x.cpuS) : undefined;
      target = '≤ 1.05x raw, CPU ≤ raw';
      check = {
        pass: rawWall !== undefined && wall <= 1.05 * rawWall && rawCpu !== undefined && cpu <= rawCpu,
        detail: `${(wall / (rawWall ?? NaN)).toFixed(3)}x raw, CPU ${cpu.toFixed(2)} s vs ${rawCpu?.toFixed(2) ?? '?'} s`,
      };
    }
    if (check) checks[key] = check;
    if (w3) Object.assign(checks, w3Peers(wall, mpuWall, s.peers.aws));
    rows.push(row('s3mirror', s.s3m, fmtRequests(req), true, target, check ? (check.pass ? 'PASS' : 'FAIL') : ''));
    if (s.rawMultipart.length)
      rows.push({
        ...row('raw multipart', s.rawMultipart, fmtRequests(medRequests(s.rawMultipart)), false),
        vsMultipart: '(ref)',
      });
    for (const [peer, ps] of Object.entries(s.peers)) rows.push(row(peer, ps, '—', false));
  }
  return { rows, checks };
}

/**
 * Issue 10's W3 bars, in the same run: at least as fast as aws-cli (where it is installed), and
 * at least 90 % of the raw multipart client's throughput (the bar is RGW's; s3rver's completion
 * re-writes the object, which holds every multipart client back alike).
 */
function w3Peers(wall: number, mpuWall: number | undefined, aws: readonly Sample[] | undefined): Record<string, Check> {
  const out: Record<string, Check> = {};
  if (aws?.length) {
    const awsWall = med(aws, (x) => x.wallS);
    out['W3 initial vs aws-cli'] = {
      pass: wall <= awsWall,
      detail: `${wall.toFixed(2)} s against aws s3 sync's ${awsWall.toFixed(2)} s (${aws.length} run${aws.length > 1 ? 's' : ''})`,
    };
  }
  if (mpuWall)
    out['W3 initial vs raw multipart'] = {
      pass: mpuWall / wall >= 0.9,
      detail: `${((100 * mpuWall) / wall).toFixed(1)} % of the raw multipart client's throughput (bar: 90 %)`,
    };
  return out;
}

/** How much CPU other processes took while we measured: a busy neighbour invalidates a run. */
export function noiseLine(samples: Samples): string {
  const all = Object.values(samples).flatMap((s) => [
    ...s.s3m,
    ...s.raw,
    ...s.rawMultipart,
    ...Object.values(s.peers).flat(),
  ]);
  const other = all.reduce((a, m) => a + (m.otherCpuS ?? 0), 0);
  const wall = all.reduce((a, m) => a + m.wallS, 0);
  const worst = Math.max(0, ...all.map((m) => (m.otherCpuS ?? 0) / m.wallS));
  return `noise: other processes used ${other.toFixed(1)} CPU-s during ${wall.toFixed(0)} s of measured phases (${((100 * other) / Math.max(wall, 1e-9)).toFixed(1)} % of one core; worst phase ${(100 * worst).toFixed(0)} %)`;
}
