import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { expect } from 'vitest';
import { parseConfig, type Config } from '../../src/config.js';
import { createLogger, silentLogger } from '../../src/log.js';
import { Daemon } from '../../src/sync/daemon.js';
import type { DaemonOptions } from '../../src/sync/daemon-options.js';
import { Journal } from '../../src/store/journal.js';
import { syncOnce } from '../../src/sync/once.js';
import { createBucket, getObjectMd5, listAll, uniqueBucket } from './s3client.js';
import { testEnv } from './s3server.js';

/** A scratch pair: a temp root, a temp stateDir, a fresh bucket, and a config builder. */
export interface Scratch {
  dir: string;
  root: string;
  stateDir: string;
  bucket: string;
  config(pair?: Record<string, unknown>, top?: Record<string, unknown>): Config;
  write(rel: string, data: string | Buffer): void;
  cleanup(): void;
}

export async function scratch(name = 'it'): Promise<Scratch> {
  const dir = mkdtempSync(join(tmpdir(), `s3mirror-${name}-`));
  const root = join(dir, 'root');
  mkdirSync(root);
  const bucket = await createBucket(uniqueBucket(name));
  const env = testEnv();
  return {
    dir,
    root,
    stateDir: join(dir, 'state'),
    bucket,
    config(pair = {}, top = {}) {
      return parseConfig(
        {
          stateDir: join(dir, 'state'),
          s3: { endpoint: env.endpoint, region: env.region, forcePathStyle: true },
          debounceMs: 100,
          maxDelayMs: 2000,
          pairs: [{ name: 'p', path: root, bucket, ...pair }],
          // Runs a suite under one backend: S3MIRROR_TEST_WATCHER=parcel npx vitest run ...
          ...(process.env.S3MIRROR_TEST_WATCHER ? { watcher: process.env.S3MIRROR_TEST_WATCHER } : {}),
          ...top,
        },
        dir,
      );
    },
    write(rel, data) {
      const abs = join(root, rel);
      mkdirSync(dirname(abs), { recursive: true });
      writeFileSync(abs, data);
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function credentials() {
  const env = testEnv();
  return { accessKeyId: env.accessKeyId, secretAccessKey: env.secretAccessKey };
}

export function once(cfg: Config) {
  return syncOnce(cfg, silentLogger, { credentials: credentials() });
}

/** `sync --once --audit`: lists every bucket, so another writer's changes are seen. */
export function audit(cfg: Config) {
  return syncOnce(cfg, silentLogger, { credentials: credentials(), audit: true });
}

export function daemon(cfg: Config, opts: DaemonOptions = {}): Daemon {
  const log = process.env.S3MIRROR_TEST_LOG
    ? createLogger({ destination: process.env.S3MIRROR_TEST_LOG, level: 'debug' })
    : silentLogger;
  return new Daemon(cfg, log, { credentials: credentials(), ...opts });
}

/** Every regular file under root: rel → MD5. */
export function localTree(root: string, under = ''): Map<string, { size: number; md5: string }> {
  const out = new Map<string, { size: number; md5: string }>();
  for (const name of readdirSync(join(root, under))) {
    const rel = under ? `${under}/${name}` : name;
    const st = statSync(join(root, rel));
    if (st.isDirectory()) for (const [k, v] of localTree(root, rel)) out.set(k, v);
    else if (st.isFile())
      out.set(rel, {
        size: st.size,
        md5: createHash('md5')
          .update(readFileSync(join(root, rel)))
          .digest('hex'),
      });
  }
  return out;
}

/** The bucket (under prefix) holds exactly the local files: same keys (NFC), sizes and contents. */
export async function expectMirror(root: string, bucket: string, prefix = ''): Promise<void> {
  const local = localTree(root);
  const remote = (await listAll(bucket, prefix)).filter((o) => !o.key.startsWith(`${prefix}.s3mirror-trash/`));
  const want = [...local]
    .map(([rel, v]) => [prefix + rel.normalize('NFC'), v] as const)
    .sort(([a], [b]) => (a < b ? -1 : 1));
  expect(remote.map((o) => o.key).sort()).toEqual(want.map(([k]) => k));
  for (const [key, v] of want) {
    const o = remote.find((r) => r.key === key)!;
    expect(o.size, key).toBe(v.size);
    expect(await getObjectMd5(bucket, key), key).toBe(v.md5);
  }
}

/** Poll an observable outcome (never a fixed sleep) until it holds or the deadline passes. */
export async function eventually<T>(check: () => Promise<T> | T, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (e) {
      if (Date.now() > end) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

export function bytes(n: number, seed = 1): Buffer {
  const out = Buffer.alloc(n);
  let h = createHash('sha256').update(String(seed)).digest();
  for (let i = 0; i < n; i += h.length) {
    h.copy(out, i);
    h = createHash('sha256').update(h).digest();
  }
  return out;
}

/** Read the journal a run left (read-only, closed again at once). */
export function inJournal<T>(cfg: Config, fn: (j: Journal) => T): T {
  const j = Journal.open(cfg.stateDir, { readonly: true });
  try {
    return fn(j);
  } finally {
    j.close();
  }
}

/** Deletes the guard holds for a pair now, as the journal records them. */
export function heldCount(cfg: Config, pair = 'p'): number {
  return inJournal(cfg, (j) =>
    j.query
      .stateCounts(pair)
      .filter((c) => c.state === 'held')
      .reduce((a, c) => a + c.n, 0),
  );
}
