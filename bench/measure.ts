// Runs one measured child: wall time from spawn to exit (parent clock), and the child's own
// CPU (user+sys) and peak RSS, written on exit by bench/rusage-hook.mjs (node children) or by
// /usr/bin/time (non-node peers).
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export interface Measured {
  wallS: number;
  /** Time from process start to exit as seen inside the child (node children only). */
  uptimeS?: number;
  cpuS: number;
  userS: number;
  sysS: number;
  rssMiB: number;
  code: number | null;
  /** CPU the S3 server spent meanwhile (Linux /proc; undefined elsewhere). */
  serverCpuS?: number;
  /** CPU every other process on the machine spent meanwhile (noise: another job sharing the cores). */
  otherCpuS?: number;
  stdout: string;
  stderr: string;
}

export const running = new Set<number>();

const TICK = 100; // USER_HZ: /proc reports CPU time in 1/100 s on Linux

/** utime+stime of one process, in seconds; undefined off Linux or when it is gone. */
export function procCpuS(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / TICK; // fields 14 and 15 of proc(5)
  } catch {
    return undefined;
  }
}

/** Busy CPU seconds of the whole machine since boot (all cores, idle and iowait excluded). */
export function machineBusyS(): number | undefined {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const [user, nice, system, , , irq, softirq, steal] = f;
    return (user! + nice! + system! + irq! + softirq! + steal!) / TICK;
  } catch {
    return undefined;
  }
}

/** Processes whose CPU is attributed to the measurement, not to noise: this bench process and its server's daemons. */
export const accounted = { serverPids: [] as number[] };

/** CPU seconds of all the server's daemons together; undefined when one cannot be read. */
function serverDaemonsCpuS(): number | undefined {
  if (!accounted.serverPids.length) return undefined;
  let sum = 0;
  for (const pid of accounted.serverPids) {
    const s = procCpuS(pid);
    if (s === undefined) return undefined;
    sum += s;
  }
  return sum;
}

let seq = 0;

export async function measure(
  cmd: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string; tmp: string; node: boolean; timeoutMs?: number },
): Promise<Measured> {
  const rusageFile = join(opts.tmp, `rusage-${process.pid}-${++seq}.json`);
  let argv = args;
  let bin = cmd;
  if (!opts.node) {
    if (!existsSync('/usr/bin/time')) throw new Error('/usr/bin/time is needed to measure non-node peers');
    bin = '/usr/bin/time';
    argv = ['-q', '-o', rusageFile, '-f', '{"maxRSS":%M,"user":%U,"sys":%S}', cmd, ...args];
  }
  const server0 = serverDaemonsCpuS();
  const busy0 = machineBusyS();
  const self0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const child = spawn(bin, argv, {
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env, BENCH_RUSAGE_FILE: rusageFile },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child.pid!);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 600_000);
  const code = await new Promise<number | null>((ok) => child.once('exit', (c) => ok(c)));
  const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
  const server1 = serverDaemonsCpuS();
  const busy1 = machineBusyS();
  const self = process.cpuUsage(self0);
  clearTimeout(timer);
  running.delete(child.pid!);
  let u: Record<string, number>;
  try {
    u = JSON.parse(readFileSync(rusageFile, 'utf8')) as Record<string, number>;
    rmSync(rusageFile, { force: true });
  } catch {
    throw new Error(`${cmd} ${args.join(' ')}: exited ${code} without resource usage\n${stderr.slice(-4000)}`);
  }
  const base = opts.node
    ? { wallS, uptimeS: u.uptimeMs! / 1000, userS: u.userCPUTime! / 1e6, sysS: u.systemCPUTime! / 1e6 }
    : { wallS, userS: u.user!, sysS: u.sys! };
  const cpuS = base.userS + base.sysS;
  const serverCpuS = server0 !== undefined && server1 !== undefined ? server1 - server0 : undefined;
  const otherCpuS =
    busy0 !== undefined && busy1 !== undefined
      ? Math.max(0, busy1 - busy0 - cpuS - (serverCpuS ?? 0) - (self.user + self.system) / 1e6)
      : undefined;
  return { ...base, cpuS, rssMiB: u.maxRSS! / 1024, code, serverCpuS, otherCpuS, stdout, stderr };
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
