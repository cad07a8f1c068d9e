// The S3 endpoint the integration suite runs against.
//
// `testEnv()` reads it from the environment (the contract shared by every runner):
//   S3MIRROR_TEST_ENDPOINT    e.g. http://127.0.0.1:45083 (required)
//   S3MIRROR_TEST_ACCESS_KEY  (required)
//   S3MIRROR_TEST_SECRET_KEY  (required)
//   S3MIRROR_TEST_REGION      default us-east-1
//   S3MIRROR_TEST_SERVER      "s3rver" | "rgw" | … — lets a test skip a server's known gaps;
//                             default "custom"
// `npm test` gets them from test/support/global-setup.ts (which starts s3rver when the endpoint is
// unset); `npm run test:rgw` from test/support/rgw.sh; a user can export them for MinIO or AWS.
//
// `startS3rver()` runs s3rver as a child process (`node --openssl-legacy-provider`, see
// s3rver-server.mjs) on a random 127.0.0.1 port with a fresh temp data directory.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type TestServerKind = 's3rver' | 'rgw' | 'custom' | (string & {});

export interface TestEnv {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  server: TestServerKind;
}

export interface RunningS3rver {
  endpoint: string;
  pid: number;
  stop(): Promise<void>;
}

const SERVER_SCRIPT = fileURLToPath(new URL('./s3rver-server.mjs', import.meta.url));
const START_TIMEOUT_MS = 15_000;
const STOP_GRACE_MS = 5_000;

/** s3rver's built-in account: the access key must be this; it does not check SigV4 secrets. */
export const S3RVER_ACCESS_KEY = 'S3RVER';
export const S3RVER_SECRET_KEY = 'S3RVER';

export function testEnv(): TestEnv {
  const env = process.env;
  const endpoint = env.S3MIRROR_TEST_ENDPOINT;
  const accessKeyId = env.S3MIRROR_TEST_ACCESS_KEY;
  const secretAccessKey = env.S3MIRROR_TEST_SECRET_KEY;
  if (!endpoint || !accessKeyId || !secretAccessKey) {
    throw new Error(
      'S3MIRROR_TEST_ENDPOINT, S3MIRROR_TEST_ACCESS_KEY and S3MIRROR_TEST_SECRET_KEY must be set ' +
        '(vitest sets them in test/support/global-setup.ts; rgw.sh writes them to DIR/env)',
    );
  }
  return {
    endpoint: endpoint.replace(/\/+$/, ''),
    accessKeyId,
    secretAccessKey,
    region: env.S3MIRROR_TEST_REGION || 'us-east-1',
    server: env.S3MIRROR_TEST_SERVER || 'custom',
  };
}

export async function startS3rver(): Promise<RunningS3rver> {
  const dataDir = await mkdtemp(join(tmpdir(), 's3mirror-s3rver-'));
  // stdin stays a pipe: the script exits when it closes, so the server dies with us.
  const child = spawn(process.execPath, ['--openssl-legacy-provider', SERVER_SCRIPT, dataDir], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else {
      child.once('exit', () => resolve());
      child.once('error', () => resolve()); // spawn failed: there will be no 'exit'
    }
  });

  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    if (stderr.length < 64 * 1024) stderr += chunk;
  });

  const cleanup = async (): Promise<void> => {
    await killAndWait(child.pid, exited, () => child.exitCode !== null || child.signalCode !== null);
    child.stdin.destroy();
    await rm(dataDir, { recursive: true, force: true });
  };

  let port: number;
  try {
    port = await new Promise<number>((resolve, reject) => {
      let stdout = '';
      const timer = setTimeout(() => {
        reject(new Error(`s3rver did not start within ${START_TIMEOUT_MS} ms; stderr:\n${stderr}`));
      }, START_TIMEOUT_MS);
      const fail = (err: Error): void => {
        clearTimeout(timer);
        reject(err);
      };
      child.once('error', (err) => fail(new Error(`cannot spawn s3rver: ${err.message}`)));
      // Stays attached after startup; rejecting the settled promise then is a no-op.
      child.once('exit', (code, signal) => {
        fail(new Error(`s3rver exited early (code ${code}, signal ${signal}); stderr:\n${stderr}`));
      });
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (chunk: string) => {
        stdout += chunk;
        const nl = stdout.indexOf('\n');
        if (nl < 0) return;
        try {
          const parsed = JSON.parse(stdout.slice(0, nl)) as { port?: unknown };
          if (typeof parsed.port !== 'number') throw new Error('no port');
          clearTimeout(timer);
          resolve(parsed.port);
        } catch {
          fail(new Error(`unexpected s3rver output: ${stdout.slice(0, nl)}; stderr:\n${stderr}`));
        }
      });
    });
  } catch (err) {
    await cleanup();
    throw err;
  }
  // Keep draining stdout so the child never blocks on a full pipe.
  child.stdout.resume();

  let stopping: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    stop: () => (stopping ??= cleanup()),
  };
}

async function killAndWait(pid: number | undefined, exited: Promise<void>, hasExited: () => boolean): Promise<void> {
  if (pid === undefined || hasExited()) return exited;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return exited; // already gone
  }
  let timer: NodeJS.Timeout | undefined;
  const timedOut = await Promise.race([
    exited.then(() => false),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), STOP_GRACE_MS);
    }),
  ]);
  clearTimeout(timer);
  if (timedOut && !hasExited()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // exited in the meantime
    }
    await exited;
  }
}
