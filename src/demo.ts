import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseConfig } from './config.js';
import { createLogger } from './log.js';
import { createClient } from './s3/client.js';
import { RequestCounter } from './s3/counter.js';
import { S3Bucket } from './s3/bucket.js';
import { readStatus, renderStatus } from './status/status.js';
import { Daemon } from './sync/daemon.js';

const here = dirname(fileURLToPath(import.meta.url));

/** Start s3rver (a devDependency) as a child on 127.0.0.1 with its data under `dir`. */
async function startServer(dir: string): Promise<{ endpoint: string; stop: () => void }> {
  const script = resolve(here, '..', 'test', 'support', 's3rver-server.mjs');
  const child = spawn(process.execPath, ['--openssl-legacy-provider', script, dir], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((ok, bad) => {
    child.once('exit', (c) =>
      bad(new Error(`demo S3 server exited (${c}); run \`npm ci\` first: it needs the devDependencies`)),
    );
    createInterface({ input: child.stdout! }).once('line', (l) => ok((JSON.parse(l) as { port: number }).port));
  });
  return { endpoint: `http://127.0.0.1:${port}`, stop: () => child.kill('SIGTERM') };
}

export async function runDemo(o: { dir?: string }): Promise<void> {
  const base = mkdtempSync(join(tmpdir(), 's3mirror-demo-'));
  const folder = o.dir ? resolve(o.dir) : join(base, 'folder');
  if (!o.dir) {
    mkdirSync(join(folder, 'docs', 'notes'), { recursive: true });
    writeFileSync(join(folder, 'hello.txt'), 'Hello from s3mirror!\n');
    writeFileSync(
      join(folder, 'docs', 'readme.md'),
      '# Demo\nDrop files into this folder and watch them appear in the bucket.\n',
    );
    writeFileSync(join(folder, 'docs', 'notes', 'todo.txt'), 'try: echo hi > new.txt; rm hello.txt; mv docs papers\n');
  }
  mkdirSync(join(base, 's3'), { recursive: true });
  const server = await startServer(join(base, 's3'));
  const cleanup = () => {
    server.stop();
    if (!o.dir) rmSync(base, { recursive: true, force: true });
  };
  try {
    await startDemo(base, folder, server, cleanup);
  } catch (e) {
    cleanup();
    throw e;
  }
}

async function startDemo(
  base: string,
  folder: string,
  server: { endpoint: string },
  cleanup: () => void,
): Promise<void> {
  // s3rver's own account, given explicitly: whatever AWS credentials or profile the user's shell
  // has are for real S3 and must neither be used nor get in the way here.
  const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
  const raw = {
    stateDir: join(base, 'state'),
    s3: { region: 'us-east-1', endpoint: server.endpoint, forcePathStyle: true },
    debounceMs: 500,
    pairs: [{ name: 'demo', path: folder, bucket: 'demo', prefix: 'mirror/' }],
  };
  const cfgFile = join(base, 'config.json');
  writeFileSync(cfgFile, JSON.stringify(raw, null, 2));
  const cfg = parseConfig(raw, base, cfgFile);
  const admin = createClient(cfg.s3, { concurrency: 1, credentials }, new RequestCounter());
  await new S3Bucket(admin, 'demo').create();
  admin.destroy();

  const log = createLogger({ level: process.env.S3MIRROR_LOG_LEVEL ?? 'warn' });
  const daemon = new Daemon(cfg, log, { credentials });
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    process.stdout.write('\nstopping: draining the daemon, then removing the demo server and its data…\n');
    await daemon.stop();
    cleanup();
    process.stdout.write('demo stopped and cleaned up.\n');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
  await daemon.start();
  while (daemon.rt.journal.pendingCount() > 0 || daemon.rt.transfers.inFlight.size)
    await new Promise((r) => setTimeout(r, 200));
  daemon.rt.writeStatus();
  process.stdout.write(`${renderStatus(readStatus(cfg))}\n\n`);
  process.stdout.write(
    [
      `s3mirror demo is running: ${folder}  →  s3://demo/mirror/ at ${server.endpoint}`,
      watchedLine(daemon, folder),
      `In another terminal:  npx s3mirror status --config ${cfgFile}`,
      'Press Ctrl-C to stop (the demo server and its data are removed).',
      '',
    ].join('\n'),
  );
}

/** What the demo promises about changes: within a second only if the folder is watched. */
function watchedLine(daemon: Daemon, folder: string): string {
  const d = daemon.rt.degradedOf('demo');
  if (!d) return `Drop, edit or delete files in ${folder} and they are mirrored within a second.`;
  return [
    `The folder is NOT watched (${d.cause}).`,
    `Changes in ${folder} are mirrored by a rescan every ${Math.round(d.rescanEveryMs / 1000)} s until it is.`,
    `Fix: ${d.fix}`,
  ].join('\n');
}
