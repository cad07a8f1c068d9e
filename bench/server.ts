// s3rver as a child process on 127.0.0.1 (test/support/s3rver-server.mjs), stopped by PID.
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';

export const CREDS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
export const REGION = 'us-east-1';

export interface Server {
  endpoint: string;
  pid: number;
  dataDir: string;
  createBucket(name: string): Promise<void>;
  /** Remove a bucket's data behind the server's back (the bench never touches it again). */
  dropBucketData(name: string): void;
  stop(): Promise<void>;
  /** Synchronous last resort for exit handlers. */
  kill(): void;
}

export async function startS3rver(repo: string, dataDir: string): Promise<Server> {
  const script = join(repo, 'test', 'support', 's3rver-server.mjs');
  const child = spawn(process.execPath, ['--openssl-legacy-provider', script, dataDir], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const pid = child.pid!;
  let exited = false;
  const exit = new Promise<void>((r) => child.once('exit', () => ((exited = true), r())));
  const port = await new Promise<number>((ok, bad) => {
    const t = setTimeout(() => bad(new Error(`s3rver did not start in 15 s: ${stderr}`)), 15_000);
    child.once('exit', (c) => bad(new Error(`s3rver exited (${c}) before listening: ${stderr}`)));
    createInterface({ input: child.stdout! }).once('line', (l) => {
      clearTimeout(t);
      ok((JSON.parse(l) as { port: number }).port);
    });
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const admin = new S3Client({ endpoint, region: REGION, forcePathStyle: true, credentials: CREDS });
  const kill = () => {
    if (exited) return;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  };
  return {
    endpoint,
    pid,
    dataDir,
    async createBucket(name) {
      await admin.send(new CreateBucketCommand({ Bucket: name }));
    },
    dropBucketData(name) {
      rmSync(join(dataDir, name), { recursive: true, force: true });
    },
    async stop() {
      admin.destroy();
      if (exited) return;
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        return;
      }
      const t = setTimeout(kill, 5000);
      await exit;
      clearTimeout(t);
    },
    kill,
  };
}
