// Change latency with the daemon running: from a local write (create, modify, delete)
// to the moment an independent client sees the bucket reflect it, per file, while `s3mirror run`
// works with its default settings (debounceMs 1000).
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HeadObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { CLI, type Bench } from './harness.js';
import { running } from './measure.js';

export type Op = 'create' | 'modify' | 'delete';
export type Latencies = Record<Op, number[]>;

const POLL_MS = 20;
const BASE_FILES = 100;
const GIVE_UP_MS = 30_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `files` changes per operation, `spacingMs` apart; latencies in ms (Infinity: never seen). */
export async function measureLatency(
  bench: Bench,
  o: { bucket: string; files: number; spacingMs: number },
): Promise<Latencies> {
  const root = join(bench.tmp, 'latency');
  // Files that stay: deleting every file of a pair would be held by the mass-delete guard.
  mkdirSync(join(root, 'base'), { recursive: true });
  for (let i = 0; i < BASE_FILES; i++) writeFileSync(join(root, 'base', `b${i}.bin`), randomBytes(4096));
  const config = bench.config('latency', { root, bucket: o.bucket });
  const daemon = await startDaemon(bench, config);
  const client = bench.server.client();
  try {
    await initialSyncDone(client, o.bucket, BASE_FILES);
    const names = Array.from({ length: o.files }, (_, i) => `f${i}.bin`);
    const result: Latencies = { create: [], modify: [], delete: [] };
    for (const op of ['create', 'modify', 'delete'] as const) {
      result[op] = await Promise.all(
        names.map(async (name, i) => {
          await sleep(i * o.spacingMs);
          const abs = join(root, name);
          const t0 = performance.now();
          if (op === 'delete') {
            unlinkSync(abs);
            return until(client, o.bucket, name, null, t0);
          }
          const body = randomBytes(4096);
          writeFileSync(abs, body);
          return until(client, o.bucket, name, createHash('md5').update(body).digest('hex'), t0);
        }),
      );
    }
    return result;
  } finally {
    client.destroy();
    await daemon.stop();
  }
}

/** `s3mirror run` on `config`, once it logs that it runs; `stop()` sends SIGTERM and waits for the exit. */
export async function startDaemon(bench: Bench, config: string): Promise<{ pid: number; stop: () => Promise<void> }> {
  const daemon = spawn(process.execPath, [CLI, 'run', '--config', config], {
    env: { ...process.env, ...bench.childEnv() },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(daemon.pid!);
  const exited = new Promise<number | null>((r) => daemon.once('exit', (code) => r(code)));
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const seen = (d: Buffer) => {
      out += d.toString();
      if (out.includes('"msg":"running"')) resolve();
    };
    daemon.stdout!.on('data', seen);
    daemon.stderr!.on('data', seen);
    void exited.then((code) => reject(new Error(`s3mirror run exited ${code} before running:\n${out.slice(-2000)}`)));
  });
  return {
    pid: daemon.pid!,
    async stop() {
      daemon.kill('SIGTERM');
      await exited;
      running.delete(daemon.pid!);
    },
  };
}

async function initialSyncDone(client: S3Client, bucket: string, n: number): Promise<void> {
  const t0 = performance.now();
  while ((await client.send(new ListObjectsV2Command({ Bucket: bucket }))).KeyCount !== n) {
    if (performance.now() - t0 > GIVE_UP_MS)
      throw new Error(`latency: the daemon did not mirror the ${n} base files within ${GIVE_UP_MS / 1000} s`);
    await sleep(POLL_MS);
  }
}

/** Poll until the object has ETag `md5` (or, for null, is gone): ms since t0. */
export async function until(
  client: S3Client,
  bucket: string,
  key: string,
  md5: string | null,
  t0: number,
): Promise<number> {
  while (performance.now() - t0 < GIVE_UP_MS) {
    let etag: string | null = null;
    try {
      const h = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      etag = (h.ETag ?? '').replace(/"/g, '');
    } catch (e) {
      if ((e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode !== 404) throw e;
    }
    if (etag === md5) return performance.now() - t0;
    await sleep(POLL_MS);
  }
  return Infinity;
}

export function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}
