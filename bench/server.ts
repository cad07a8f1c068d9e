// The S3 server a bench measures against, started fresh for the run on 127.0.0.1 and stopped by
// PID: s3rver as a child process (test/support/s3rver-server.mjs), or Ceph RGW (bench/rgw.ts).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';

export const REGION = 'us-east-1';

export interface Creds {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface Server {
  kind: string;
  endpoint: string;
  creds: Creds;
  /** The server's processes: their CPU is reported as server CPU, not as noise. */
  pids: number[];
  /** For the report's header: what served, and where it kept its data. */
  title: string;
  detail: string;
  createBucket(name: string): Promise<void>;
  /** Remove a bucket's objects; the bench never uses that bucket again. */
  clearBucket(name: string): Promise<void>;
  /** A plain SDK client for the bench's own requests; the caller destroys it. */
  client(): S3Client;
  stop(): Promise<void>;
}

/** A problem with the machine or the settings rather than a bench bug: one line on stderr, exit 1. */
export class SetupError extends Error {}

/** Registers a synchronous last resort, run from the bench's exit handler (Ctrl-C, errors). */
export type AtExit = (f: () => void) => void;

export function sdkClient(endpoint: string, creds: Creds): S3Client {
  return new S3Client({ endpoint, region: REGION, forcePathStyle: true, credentials: creds });
}

/** SIGKILL, unless the process is gone. */
export function killPid(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* gone */
  }
}

/**
 * s3rver keeps its data under BENCH_SERVER_DIR (default /dev/shm when present, else the temp dir).
 * On ext4, s3rver's concurrent creates in one directory spin on the directory lock (server sys CPU
 * doubles for directory-ordered uploads), and disk writeback adds noise: tmpfs measures the
 * clients, not the disk.
 */
export async function startS3rver(repo: string, opts: { keep: boolean; atExit: AtExit }): Promise<Server> {
  const base = process.env.BENCH_SERVER_DIR ?? (existsSync('/dev/shm') ? '/dev/shm' : tmpdir());
  const dataDir = mkdtempSync(join(base, 's3mirror-bench-s3-'));
  const script = join(repo, 'test', 'support', 's3rver-server.mjs');
  const child = spawn(process.execPath, ['--openssl-legacy-provider', script, dataDir], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const pid = child.pid!;
  let exited = false;
  const exit = new Promise<void>((r) => child.once('exit', () => ((exited = true), r())));
  const kill = () => {
    if (!exited) killPid(pid);
    if (!opts.keep) rmSync(dataDir, { recursive: true, force: true });
  };
  opts.atExit(kill);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const port = await new Promise<number>((ok, bad) => {
    const t = setTimeout(() => bad(new Error(`s3rver did not start in 15 s: ${stderr}`)), 15_000);
    child.once('exit', (c) => bad(new Error(`s3rver exited (${c}) before listening: ${stderr}`)));
    createInterface({ input: child.stdout! }).once('line', (l) => {
      clearTimeout(t);
      ok((JSON.parse(l) as { port: number }).port);
    });
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const creds = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
  const admin = sdkClient(endpoint, creds);
  const version = (
    JSON.parse(readFileSync(join(repo, 'node_modules', 's3rver', 'package.json'), 'utf8')) as { version: string }
  ).version;
  return {
    kind: 's3rver',
    endpoint,
    creds,
    pids: [pid],
    title: `s3rver ${version} on 127.0.0.1`,
    detail: `s3rver pid ${pid}, data in ${dataDir}${base === '/dev/shm' ? ' (tmpfs)' : ''}${opts.keep ? ' (kept)' : ''}`,
    async createBucket(name) {
      await admin.send(new CreateBucketCommand({ Bucket: name }));
    },
    async clearBucket(name) {
      // Behind the server's back: much faster than deleting every object through it.
      rmSync(join(dataDir, name), { recursive: true, force: true });
    },
    client: () => sdkClient(endpoint, creds),
    async stop() {
      admin.destroy();
      if (!exited) {
        try {
          process.kill(pid, 'SIGTERM');
          const t = setTimeout(() => killPid(pid), 5000);
          await exit;
          clearTimeout(t);
        } catch {
          /* gone */
        }
      }
      kill();
    },
  };
}
