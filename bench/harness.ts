// What bench/run.ts and bench/diagnose.ts share: the paths, the temp dir and the S3 server chosen by
// BENCH_SERVER (s3rver, the default, or rgw; removed and stopped by PID on exit, also after an
// error or Ctrl-C), and the two measured clients, each a child process measured the same way
// (bench/measure.ts): the raw SDK client (bench/raw-client.ts) and the s3mirror CLI
// (`node dist/cli.js sync --once --json`).
import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import ts from 'typescript';
import { accounted, measure, running, type Measured } from './measure.js';
import { startRgw } from './rgw.js';
import { killPid, REGION, SetupError, startS3rver, type Server } from './server.js';
import { walkOrder, type WorkFile } from './workload.js';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const HOOK = pathToFileURL(join(REPO, 'bench', 'rusage-hook.mjs')).href;
export const CLI = join(REPO, 'dist', 'cli.js');
export const RESULTS = join(REPO, 'bench', 'results');
export const KEEP = process.env.BENCH_KEEP === '1';

export const log = (s: string) => process.stderr.write(`${s}\n`);

export function envNumber(name: string, fallback: number): number {
  const v = Number(process.env[name] ?? fallback);
  if (!(v > 0)) throw new Error(`${name} must be a number > 0, got ${process.env[name]}`);
  return v;
}

/** BENCH_ONLY: the workloads to run (comma-separated: W1, W3, LAT for change latency), all by default. */
export function onlyWorkloads(): Set<string> {
  return new Set(
    (process.env.BENCH_ONLY ?? 'W1,W3,LAT,BW')
      .toUpperCase()
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );
}

// ---------------------------------------------------------------------------------------------
// Process hygiene: every child is SIGKILLed by PID and every registered cleanup runs on exit,
// whatever ends the process (return, uncaught error, SIGINT, SIGTERM).

const cleanups: (() => void)[] = [];
const atExit = (f: () => void) => void cleanups.push(f);
process.on('exit', () => {
  for (const pid of running) killPid(pid);
  for (const f of cleanups.reverse()) {
    try {
      f();
    } catch (e) {
      log(`cleanup failed: ${(e as Error).message}`);
    }
  }
});
// Exit a moment later, not at once: under tsx (npm run bench) the child must first tell the tsx
// parent that it got the signal, over IPC, or tsx SIGKILLs it 60 ms later, in the middle of the
// cleanups above (which block the event loop, so the message would never leave).
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    log(`${sig}: stopping what the bench started`);
    setTimeout(() => process.exit(130), 100);
  });
}

// ---------------------------------------------------------------------------------------------

export interface RawRun extends Measured {
  puts: number;
  requests: Record<string, number>;
}

export interface RawOptions {
  bucket: string;
  files: readonly WorkFile[];
  concurrency: number;
  /** Multipart uploads with parts of this size (else one PutObject per file). */
  partSize?: number;
  /** 's3mirror': send s3mirror's headers (Content-MD5, Content-Type, metadata) too. */
  shape?: 's3mirror';
  /** Another endpoint in front of the server (a proxy). */
  endpoint?: string;
  nodeArgs?: string[];
}

/** s3mirror's `--json` summary. */
export interface S3mSummary {
  exitCode: number;
  failures: unknown[];
  stats: Record<string, { uploaded: number; skipped: number; failed: number; copied: number; deleted: number }>;
  requests: Record<string, number>;
  /** Per pair: whether the pass listed its bucket, and why (plan/trust.ts). */
  listings?: Record<string, { listed: boolean; reason: string }>;
}

export interface S3mRun extends Measured {
  summary: S3mSummary;
}

let opened: Bench | undefined;

/**
 * Runs a bench's `main`, then stops the server, also when `main` failed. A setup problem (say, RGW
 * packages missing) is one line on stderr and exit code 1; any other error propagates with its stack.
 */
export async function runMain(main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (e) {
    if (!(e instanceof SetupError)) throw e;
    log(e.message);
    process.exitCode = 1;
  } finally {
    await opened?.close();
  }
}

export class Bench {
  private seq = 0;

  private constructor(
    readonly tmp: string,
    readonly server: Server,
    private readonly rawClientJs: string,
  ) {}

  /** A temp dir named after `prefix`, the raw client transpiled, and a fresh server (BENCH_SERVER). */
  static async open(prefix: string): Promise<Bench> {
    const kind = process.env.BENCH_SERVER || 's3rver';
    if (kind !== 's3rver' && kind !== 'rgw') throw new SetupError(`BENCH_SERVER must be s3rver or rgw, got ${kind}`);
    const tmp = mkdtempSync(join(tmpdir(), `${prefix}-`));
    atExit(() => KEEP || rmSync(tmp, { recursive: true, force: true }));
    const rawClientJs = compileRawClient();
    const server = kind === 'rgw' ? await startRgw(REPO, { atExit }) : await startS3rver(REPO, { keep: KEEP, atExit });
    accounted.serverPids = server.pids;
    return (opened = new Bench(tmp, server, rawClientJs));
  }

  async close(): Promise<void> {
    await this.server.stop();
  }

  /** Credentials and region for a child client. */
  childEnv(): NodeJS.ProcessEnv {
    const { accessKeyId, secretAccessKey } = this.server.creds;
    return {
      AWS_ACCESS_KEY_ID: accessKeyId,
      AWS_SECRET_ACCESS_KEY: secretAccessKey,
      AWS_REGION: REGION,
      AWS_DEFAULT_REGION: REGION,
    };
  }

  /** One measured run of the raw client; throws unless every file was uploaded. */
  async raw(o: RawOptions): Promise<RawRun> {
    const manifest = join(this.tmp, `raw-${o.bucket}-${++this.seq}.json`);
    const files = walkOrder(o.files).map((f) => [f.abs, f.rel]);
    const extra = { ...(o.shape ? { shape: o.shape } : {}), ...(o.partSize ? { partSize: o.partSize } : {}) };
    writeFileSync(
      manifest,
      JSON.stringify({
        endpoint: o.endpoint ?? this.server.endpoint,
        region: REGION,
        bucket: o.bucket,
        concurrency: o.concurrency,
        files,
        ...extra,
      }),
    );
    const m = await measure(process.execPath, [...(o.nodeArgs ?? []), '--import', HOOK, this.rawClientJs, manifest], {
      env: this.childEnv(),
      tmp: this.tmp,
      node: true,
    });
    if (m.code !== 0)
      throw new Error(`raw client into ${o.bucket} exited ${m.code}: ${m.stdout}${m.stderr.slice(-2000)}`);
    const r = JSON.parse(m.stdout) as { puts: number; requests: Record<string, number> };
    if (r.puts !== o.files.length)
      throw new Error(`raw client into ${o.bucket}: ${r.puts} of ${o.files.length} uploads`);
    return { ...m, puts: r.puts, requests: r.requests };
  }

  /** An s3mirror config with one pair, `root` → `bucket`; returns its path. */
  config(
    name: string,
    o: { root: string; bucket: string; concurrency?: number; endpoint?: string; bandwidth?: string },
  ): string {
    const file = join(this.tmp, `${name}.json`);
    const cfg = {
      stateDir: join(this.tmp, `${name}-state`),
      ...(o.concurrency ? { concurrency: o.concurrency } : {}),
      ...(o.bandwidth ? { bandwidth: o.bandwidth } : {}),
      s3: { region: REGION, endpoint: o.endpoint ?? this.server.endpoint, forcePathStyle: true },
      pairs: [{ name: 'bench', path: o.root, bucket: o.bucket }],
    };
    writeFileSync(file, JSON.stringify(cfg, null, 2));
    return file;
  }

  /**
   * One measured `s3mirror sync --once`; throws only when it printed no JSON summary. It is killed
   * after `timeoutMs` (default 10 minutes; the scale benchmark's million files need longer).
   */
  async s3mirror(config: string, nodeArgs: string[] = [], args: string[] = [], timeoutMs?: number): Promise<S3mRun> {
    const m = await measure(
      process.execPath,
      [...nodeArgs, '--import', HOOK, CLI, 'sync', '--once', '--config', config, '--json', ...args],
      {
        env: this.childEnv(),
        tmp: this.tmp,
        node: true,
        ...(timeoutMs ? { timeoutMs } : {}),
      },
    );
    try {
      return { ...m, summary: JSON.parse(m.stdout) as S3mSummary };
    } catch {
      throw new Error(
        `s3mirror (${config}) exited ${m.code} without a JSON summary:\n${m.stdout.slice(-2000)}\n${m.stderr.slice(-4000)}`,
      );
    }
  }

  /**
   * Does the bucket hold exactly these files, as an independent client sees it: the same keys and
   * sizes, and ETags that are the content's MD5 (or, for a multipart object on a server that says
   * so, the MD5 of its `partSize` parts' MD5s)? Undefined if so, else what differs.
   */
  async verifyMirror(bucket: string, files: readonly WorkFile[], partSize: number): Promise<string | undefined> {
    const c = this.server.client();
    const listed = new Map<string, { size: number; etag: string }>();
    let token: string | undefined;
    try {
      do {
        const r = await c.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
        for (const o of r.Contents ?? [])
          listed.set(o.Key!, { size: o.Size ?? -1, etag: (o.ETag ?? '').replace(/"/g, '') });
        token = r.IsTruncated ? r.NextContinuationToken : undefined;
      } while (token);
    } finally {
      c.destroy();
    }
    const problems: string[] = [];
    if (listed.size !== files.length) problems.push(`${listed.size} objects for ${files.length} files`);
    for (const f of files) {
      const o = listed.get(f.rel);
      if (!o) problems.push(`${f.rel}: missing`);
      else if (o.size !== f.size) problems.push(`${f.rel}: ${o.size} bytes, not ${f.size}`);
      else if (!expectedEtags(f.abs, partSize).includes(o.etag))
        problems.push(`${f.rel}: ETag ${o.etag} is not its content's MD5`);
      if (problems.length >= 5) break;
    }
    return problems.length ? problems.join('; ') : undefined;
  }
}

/**
 * The ETags a correct copy of a file may carry: its MD5, and above one part the multipart form.
 * Read part by part, so checking a large file never holds it whole.
 */
function expectedEtags(abs: string, partSize: number): string[] {
  const whole = createHash('md5');
  const parts: Buffer[] = [];
  const buf = Buffer.allocUnsafe(partSize);
  const fd = openSync(abs, 'r');
  try {
    for (let n: number; (n = readSync(fd, buf, 0, partSize, null)) > 0; ) {
      whole.update(buf.subarray(0, n));
      parts.push(createHash('md5').update(buf.subarray(0, n)).digest());
    }
  } finally {
    closeSync(fd);
  }
  const md5 = whole.digest('hex');
  return parts.length <= 1
    ? [md5]
    : [md5, `${createHash('md5').update(Buffer.concat(parts)).digest('hex')}-${parts.length}`];
}

/** raw-client.ts as plain JS, so it runs under bare `node` exactly like dist/cli.js. */
function compileRawClient(): string {
  const out = join(RESULTS, '.build', 'raw-client.mjs');
  mkdirSync(dirname(out), { recursive: true });
  const src = readFileSync(join(REPO, 'bench', 'raw-client.ts'), 'utf8');
  writeFileSync(
    out,
    ts.transpileModule(src, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } })
      .outputText,
  );
  return out;
}
