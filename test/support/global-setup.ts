// vitest globalSetup: give the suite an S3 endpoint.
//
// If S3MIRROR_TEST_ENDPOINT is already set (rgw.sh, or a user pointing the suite at MinIO/AWS),
// use it as is. Otherwise start s3rver as a child process and export its endpoint and keys in
// process.env. globalSetup runs in the main vitest process before any worker is started, and
// vitest builds each worker's environment from process.env at that point, so the variables reach
// every test file (and any child process a test spawns, e.g. the CLI in crash tests) through
// testEnv() in test/support/s3server.ts.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3RVER_ACCESS_KEY, S3RVER_SECRET_KEY, startS3rver } from './s3server.js';

const VARS = [
  'S3MIRROR_TEST_ENDPOINT',
  'S3MIRROR_TEST_ACCESS_KEY',
  'S3MIRROR_TEST_SECRET_KEY',
  'S3MIRROR_TEST_REGION',
  'S3MIRROR_TEST_SERVER',
] as const;

export default async function setup(): Promise<() => Promise<void>> {
  const run = runDir();
  if (process.env.S3MIRROR_TEST_ENDPOINT) return async () => run.remove();

  const saved = VARS.map((name) => [name, process.env[name]] as const);
  const server = await startS3rver();
  process.env.S3MIRROR_TEST_ENDPOINT = server.endpoint;
  process.env.S3MIRROR_TEST_ACCESS_KEY = S3RVER_ACCESS_KEY;
  process.env.S3MIRROR_TEST_SECRET_KEY = S3RVER_SECRET_KEY;
  process.env.S3MIRROR_TEST_REGION ||= 'us-east-1';
  process.env.S3MIRROR_TEST_SERVER = 's3rver';

  return async () => {
    run.remove();
    await server.stop();
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}

/**
 * A temp dir for the run's shared scratch (test/support/portable.ts), removed when the run ends:
 * its forks are ended without their exit handlers running. Open to other users, like the OS temp
 * dir, for the tests that run the CLI as one.
 */
function runDir(): { remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 's3mirror-run-'));
  chmodSync(dir, 0o755);
  process.env.S3MIRROR_TEST_RUN_DIR = dir;
  return {
    remove() {
      rmSync(dir, { recursive: true, force: true });
      delete process.env.S3MIRROR_TEST_RUN_DIR;
    },
  };
}
