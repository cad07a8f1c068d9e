// The real side of the model test: real files in a temp dir, a real SQLite journal, the real
// engine (`syncOnce`, in this process) and a bucket behind a Backend (in-memory or a server).
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig, type Config } from '../../../src/config.js';
import { armFailpoint, FailpointCrash, resetFailpoints, type Failpoint } from '../../../src/failpoints.js';
import { createLogger, silentLogger, type Logger } from '../../../src/log.js';
import { readStatus, type Status } from '../../../src/status/status.js';
import { Journal } from '../../../src/store/journal.js';
import { syncOnce, type OnceResult } from '../../../src/sync/once.js';
import { spawnCli } from '../cli.js';
import { FOREIGN, Q_PREFIX, TRASH, type Model } from './model.js';
import { tally } from './tally.js';

export interface Obj {
  size: number;
  md5: string;
}

/** Where the objects live: the in-memory bucket or a real server. */
export interface Backend {
  readonly kind: 'memory' | 'server';
  readonly bucket: string;
  /** The config's `s3` section. */
  readonly s3: Record<string, unknown>;
  /** What syncOnce needs besides the config: the bucket provider, or credentials. */
  runtime(): Record<string, unknown>;
  /** Every object of the bucket: key → size and MD5 of its bytes. */
  objects(): Promise<Map<string, Obj>>;
  /** Another writer. */
  put(key: string, data: string): Promise<void>;
  del(key: string): Promise<void>;
  /** false when this backend cannot fail on demand. */
  readonly canOutage: boolean;
  setOutage(on: boolean): void;
  /** The process died: the client of the pass under way never hears back (a server's requests already sent still land). */
  sever(): void;
  /**
   * A crash pass runs as a child process (the built CLI) that kills itself at the failpoint, a
   * real `kill -9`; otherwise it is the in-process FailpointCrash.
   */
  readonly childCrashes: boolean;
  /**
   * The outage begins once the server has answered `n` more requests (in mid-pass); absent:
   * cannot. Returns whether it has begun yet.
   */
  outageAfter?(n: number): () => boolean;
  /** Bytes sent in bodies of PUTs and parts so far (undefined: the engine's own count is used). */
  uploadedBytes(): number | undefined;
  close(): Promise<void>;
}

/** Bytes no file in the tree ever holds: an object with them came through the symlink. */
export const OUTSIDE = ['outside-secret-1', 'outside-secret-22'];

function summary(stdout: string): { exitCode?: number } | undefined {
  try {
    return JSON.parse(stdout) as { exitCode?: number };
  } catch {
    return undefined;
  }
}

/** A pass that is to crash: the `skip + 1`-th time it reaches `point`. */
export interface Crash {
  point: Failpoint;
  skip: number;
}

export interface PassOutcome {
  result?: OnceResult;
  error?: unknown;
  /** Bytes uploaded during the pass. */
  uploaded: number;
}

const PASS_TIMEOUT_MS = 10_000;

/** S3MIRROR_MODEL_LOG=FILE: the engine's log of every pass (debug level), to read a failure by. */
const log: Logger = process.env.S3MIRROR_MODEL_LOG
  ? createLogger({ destination: process.env.S3MIRROR_MODEL_LOG, level: 'debug' })
  : silentLogger;

/**
 * Thousands of passes each open, write and close a journal: on a disk, SQLite's fsyncs cost
 * ~50 ms a pass. Durability is not what this test checks (crashes are in-process), so the
 * trees and journals live in memory where the system has a tmpfs.
 */
const BASE = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();

export class World {
  readonly dir = mkdtempSync(join(BASE, 's3mirror-model-'));
  readonly root = join(this.dir, 'root');
  readonly rootQ = join(this.dir, 'rootq');
  readonly outside = join(this.dir, 'outside');
  readonly stateDir = join(this.dir, 'state');
  constructor(readonly backend: Backend) {
    mkdirSync(this.root);
    mkdirSync(this.rootQ);
    mkdirSync(join(this.outside, 'x'), { recursive: true });
    writeFileSync(join(this.outside, 'x', 'secret'), OUTSIDE[0]!);
    writeFileSync(join(this.outside, 'secret2'), OUTSIDE[1]!);
  }

  abs(rel: string): string {
    return join(this.root, rel);
  }

  async init(m: Model): Promise<void> {
    for (const [k, v] of m.bucket) await this.backend.put(k, v);
    for (const [rel, data] of m.q.files) {
      mkdirSync(join(this.rootQ, rel, '..'), { recursive: true });
      writeFileSync(join(this.rootQ, rel), data);
    }
  }

  config(m: Model): Config {
    return parseConfig(this.rawConfig(m), this.dir);
  }

  private rawConfig(m: Model): Record<string, unknown> {
    const c = m.cfg;
    const pairs: Record<string, unknown>[] = [
      {
        name: 'p',
        path: this.root,
        bucket: this.backend.bucket,
        prefix: c.prefix,
        exclude: c.exclude,
        delete: c.delete,
        deleteExcluded: c.deleteExcluded,
        trashPrefix: TRASH,
        maxDeletePercent: c.guard === 'generous' ? 100 : 50,
      },
    ];
    if (m.q.present) pairs.push({ name: 'q', path: this.rootQ, bucket: this.backend.bucket, prefix: Q_PREFIX });
    return { stateDir: this.stateDir, s3: this.backend.s3, debounceMs: 0, concurrency: 4, pairs };
  }

  /**
   * One `sync --once` in this process, or (`crash`, on a server) in a child that kill -9s itself.
   * A pass that never returns is a failure, not a hang.
   */
  async pass(m: Model, crash?: Crash): Promise<PassOutcome> {
    // Root reads every file: only this process's hook makes one unreadable, so a child cannot
    // see the model's unreadable files as such.
    if (crash && this.backend.childCrashes && (m.unreadable.size === 0 || process.getuid?.() !== 0))
      return this.childPass(m, crash);
    if (crash) armFailpoint(crash.point, { skip: crash.skip, onCrash: () => this.backend.sever() });
    try {
      return await this.inProcessPass(m);
    } finally {
      if (crash) resetFailpoints();
    }
  }

  private async inProcessPass(m: Model): Promise<PassOutcome> {
    const before = this.backend.uploadedBytes();
    let timer: NodeJS.Timeout | undefined;
    const hung = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`syncOnce did not return within ${PASS_TIMEOUT_MS} ms`)),
        PASS_TIMEOUT_MS,
      );
    });
    const out: PassOutcome = { uploaded: 0 };
    try {
      const opts = { ...this.backend.runtime(), audit: m.audit };
      out.result = await Promise.race([syncOnce(this.config(m), log, opts as never), hung]);
    } catch (e) {
      if (e instanceof Error && e.message.startsWith('syncOnce did not return')) throw e;
      out.error = e;
    } finally {
      clearTimeout(timer);
    }
    const after = this.backend.uploadedBytes();
    out.uploaded = before !== undefined && after !== undefined ? after - before : this.engineUploaded();
    return out;
  }

  /**
   * The crash pass as the built CLI with S3MIRROR_FAILPOINTS: it dies of its own SIGKILL at the
   * point, or exits as usual when the pass never reaches it. The journal it leaves (its lock
   * released by the kernel) is what the next in-process pass opens.
   */
  private async childPass(m: Model, crash: Crash): Promise<PassOutcome> {
    const file = join(this.dir, 'config.json');
    writeFileSync(file, JSON.stringify(this.rawConfig(m)));
    const child = spawnCli(['sync', '--once', '--json', ...(m.audit ? ['--audit'] : []), '--config', file], {
      env: { S3MIRROR_FAILPOINTS: `${crash.point}:${crash.skip + 1}` },
    });
    let timer: NodeJS.Timeout | undefined;
    const hung = new Promise<'hung'>((resolve) => (timer = setTimeout(() => resolve('hung'), PASS_TIMEOUT_MS)));
    const r = await Promise.race([child.exited, hung]);
    clearTimeout(timer);
    if (r === 'hung') {
      child.kill('SIGKILL');
      await child.exited;
      throw new Error(
        `sync --once (child, ${crash.point}:${crash.skip + 1}) did not exit within ${PASS_TIMEOUT_MS} ms`,
      );
    }
    tally.children++;
    if (r.signal === 'SIGKILL') {
      tally.childKills++;
      return { error: new FailpointCrash(crash.point), uploaded: 0 };
    }
    // A whole pass, as syncOnce returning is, prints its summary: 0 in sync, 1 some files failed,
    // 3 deletes held. Anything else (an exit 1 without a summary is a throw) is the pass failing.
    const out: PassOutcome = { uploaded: this.engineUploaded() };
    if (!(summary(r.stdout)?.exitCode === r.code && [0, 1, 3].includes(r.code ?? -1)))
      out.error = new Error(`sync --once (child) exited ${r.code ?? r.signal}: ${r.stderr.slice(-2000)}`);
    return out;
  }

  /** The process record syncOnce leaves in the journal counts what it uploaded. */
  private engineUploaded(): number {
    if (!existsSync(join(this.stateDir, 'journal.db'))) return 0;
    const j = Journal.open(this.stateDir, { readonly: true });
    try {
      return (JSON.parse(j.getMeta('process') ?? '{}') as { bytesUploaded?: number }).bytesUploaded ?? 0;
    } finally {
      j.close();
    }
  }

  status(m: Model): Status {
    return readStatus(this.config(m), { waitMs: 0 });
  }

  loseState(): void {
    rmSync(this.stateDir, { recursive: true, force: true });
  }

  symlinkOut(rel: string): void {
    symlinkSync(this.outside, this.abs(rel));
  }

  /** What chmod does to ctime, so the engine sees a change (root reads the file anyway). */
  chmod(rel: string, mode: number): void {
    chmodSync(this.abs(rel), mode);
  }

  /** Keys the mirror may write: the pairs' prefixes, never FOREIGN. */
  static mine(key: string): boolean {
    return !key.startsWith(FOREIGN);
  }

  async close(): Promise<void> {
    await this.backend.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
