// Runs the built CLI (dist/cli.js) as a child process against the test S3 endpoint.
//
// The child gets AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_REGION from testEnv(), so the
// program's real credential chain is exercised (no credentials are injected in-process). Every
// child spawned here is tracked; call `killAllClis()` in afterEach/afterAll so a failing test
// never leaves a daemon behind.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { portableCli } from './portable.js';
import { testEnv } from './s3server.js';

export const CLI_PATH = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

export interface CliResult {
  /** Exit code, or null when the child died of a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  cwd?: string;
  /** Extra variables (undefined deletes one). */
  env?: Record<string, string | undefined>;
  /** Run as this user and group (the test runner must be root to switch). */
  uid?: number;
  gid?: number;
  /** runCli only: SIGKILL the child after this long (default 60 s); the result then has signal SIGKILL. */
  timeoutMs?: number;
}

export interface CliChild {
  readonly child: ChildProcess;
  readonly pid: number;
  stdout(): string;
  stderr(): string;
  /** Settles once the child has exited (never rejects). */
  readonly exited: Promise<CliResult>;
  hasExited(): boolean;
  /** Sends a signal if the child is still alive; returns whether one was sent. */
  kill(signal?: NodeJS.Signals): boolean;
}

const live = new Set<CliChild>();

export function cliEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const t = testEnv();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AWS_ACCESS_KEY_ID: t.accessKeyId,
    AWS_SECRET_ACCESS_KEY: t.secretAccessKey,
    AWS_REGION: t.region,
    AWS_EC2_METADATA_DISABLED: 'true',
  };
  // Nothing from the developer's own AWS setup may leak into the child.
  for (const k of ['AWS_SESSION_TOKEN', 'AWS_PROFILE', 'AWS_DEFAULT_PROFILE', 'S3MIRROR_CONFIG', 'S3MIRROR_LOG_LEVEL'])
    delete env[k];
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

export function assertBuilt(): void {
  if (!existsSync(CLI_PATH)) throw new Error(`${CLI_PATH} is missing: run \`npm run build\` first`);
}

/** Starts `node dist/cli.js ...args` and returns a handle; output is collected as it arrives. */
export function spawnCli(args: readonly string[], opts: CliOptions = {}): CliChild {
  assertBuilt();
  // Another user may not reach this clone (see portable.ts): it runs a copy it can read.
  const other = opts.uid !== undefined && opts.uid !== process.getuid?.();
  const cli = other ? portableCli() : CLI_PATH;
  const child = spawn(process.execPath, [cli, ...args], {
    cwd: opts.cwd ?? (other ? dirname(cli) : undefined),
    env: cliEnv(opts.env),
    ...(opts.uid !== undefined ? { uid: opts.uid } : {}),
    ...(opts.gid !== undefined ? { gid: opts.gid } : {}),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8');
  child.stderr!.setEncoding('utf8');
  child.stdout!.on('data', (s: string) => (out += s));
  child.stderr!.on('data', (s: string) => (err += s));
  let done = false;
  const exited = new Promise<CliResult>((resolve) => {
    // 'close' (not 'exit'): both pipes are drained by then.
    child.once('close', (code, signal) => {
      done = true;
      resolve({ code, signal, stdout: out, stderr: err });
    });
    child.once('error', (e) => {
      done = true;
      resolve({ code: null, signal: null, stdout: out, stderr: `${err}\nspawn error: ${e.message}` });
    });
  });
  const handle: CliChild = {
    child,
    pid: child.pid ?? -1,
    stdout: () => out,
    stderr: () => err,
    exited,
    hasExited: () => done || child.exitCode !== null || child.signalCode !== null,
    kill: (signal: NodeJS.Signals = 'SIGTERM') => {
      if (handle.hasExited()) return false;
      try {
        return child.kill(signal);
      } catch {
        return false;
      }
    },
  };
  live.add(handle);
  void exited.then(() => live.delete(handle));
  return handle;
}

/** Runs the CLI to completion. */
export async function runCli(args: readonly string[], opts: CliOptions = {}): Promise<CliResult> {
  const c = spawnCli(args, opts);
  const timer = setTimeout(() => c.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
  try {
    return await c.exited;
  } finally {
    clearTimeout(timer);
  }
}

/** SIGKILLs every CLI child still running and waits for them. */
export async function killAllClis(): Promise<void> {
  const all = [...live];
  for (const c of all) c.kill('SIGKILL');
  await Promise.all(all.map((c) => c.exited));
}
