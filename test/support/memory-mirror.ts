// A scratch pair for engine tests on the in-memory bucket: real files in a temp dir, a real
// SQLite journal, and a MemoryS3 in place of the server.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { expect } from 'vitest';
import { parseConfig, type Config } from '../../src/config.js';
import { silentLogger } from '../../src/log.js';
import { Journal } from '../../src/store/journal.js';
import type { FileRow } from '../../src/store/types.js';
import { syncOnce, type OnceResult } from '../../src/sync/once.js';
import type { RuntimeOptions } from '../../src/sync/runtime.js';
import { MemoryBuckets, MemoryS3, type MemoryS3Options } from './memory-bucket.js';
import { localTree } from './mirror.js';

export interface MemoryScratch {
  dir: string;
  root: string;
  stateDir: string;
  bucket: string;
  s3: MemoryS3;
  config(pair?: Record<string, unknown>, top?: Record<string, unknown>): Config;
  write(rel: string, data: string | Buffer): void;
  /** One `sync --once` pass through a fresh client of the memory server. */
  pass(cfg: Config, extra?: Partial<RuntimeOptions>): Promise<OnceResult>;
  cleanup(): void;
}

export function memoryScratch(name = 'mem', opts: MemoryS3Options = {}): MemoryScratch {
  const dir = mkdtempSync(join(tmpdir(), `s3mirror-${name}-`));
  const root = join(dir, 'root');
  mkdirSync(root);
  const bucket = 'bucket';
  const s3 = new MemoryS3(opts).createBucket(bucket);
  return {
    dir,
    root,
    stateDir: join(dir, 'state'),
    bucket,
    s3,
    config(pair = {}, top = {}) {
      return parseConfig(
        {
          stateDir: join(dir, 'state'),
          debounceMs: 100,
          maxDelayMs: 2000,
          concurrency: 4,
          pairs: [{ name: 'p', path: root, bucket, ...pair }],
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
    pass(cfg, extra = {}) {
      return syncOnce(cfg, silentLogger, { buckets: new MemoryBuckets(s3), ...extra });
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The memory bucket under `prefix` holds exactly the local files: same keys (NFC) and bytes. */
export function expectMemoryMirror(s: MemoryScratch, prefix = ''): void {
  const want = [...localTree(s.root)]
    .map(([rel, v]) => [prefix + rel.normalize('NFC'), v.md5] as const)
    .sort(([a], [b]) => (a < b ? -1 : 1));
  const got = s.s3
    .objects(s.bucket, prefix)
    .filter(([k]) => !k.startsWith(`${prefix}.s3mirror-trash/`))
    .map(([k, o]) => [k, md5(o.body)] as const)
    .sort(([a], [b]) => (a < b ? -1 : 1));
  expect(got).toEqual(want);
}

function md5(b: Buffer): string {
  return createHash('md5').update(b).digest('hex');
}

/**
 * `n` deterministic bytes, every KiB different (so parts differ), made fast: mirror.ts's `bytes`
 * hashes every 32 bytes, which costs seconds for the multi-MiB files of multipart tests.
 */
export function blob(n: number, seed = 1): Buffer {
  const out = Buffer.alloc(n);
  const block = createHash('sha512').update(String(seed)).digest();
  for (let at = 0; at < n; at += block.length) block.copy(out, at);
  for (let at = 0; at + 4 <= n; at += 1024) out.writeUInt32LE(at / 1024, at);
  return out;
}

/** The journal's row of `rel` in pair `p`, read through a read-only handle after a pass. */
export function journalRow(sc: MemoryScratch, rel: string): FileRow | undefined {
  const j = Journal.open(sc.stateDir, { readonly: true });
  try {
    return j.getFile('p', rel);
  } finally {
    j.close();
  }
}
