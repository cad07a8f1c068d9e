// Deterministic, incompressible workloads. Every file's bytes are an AES-256-CTR keystream whose
// key is SHA-256 of (workload, file index, version): the same index always yields the same bytes,
// a new version yields different bytes of the same size, and nothing compresses.
import { createCipheriv, createHash } from 'node:crypto';
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export const KiB = 1024;
export const MiB = 1024 * KiB;

export interface WorkFile {
  abs: string;
  rel: string;
  size: number;
}

export interface Workload {
  name: string;
  root: string;
  files: WorkFile[];
  bytes: number;
}

/** W1: 10,000 × 4 KiB in 100 dirs, 1 % modified; W3: 2 × 256 MiB. Scaled by BENCH_SCALE for a quick run. */
export function sizes(scale: number) {
  const w1Files = Math.max(10, Math.round(10_000 * scale));
  return {
    w1Files,
    w1Dirs: Math.max(1, Math.round(100 * scale)),
    w1Size: 4 * KiB,
    w1Modified: Math.max(1, Math.round(w1Files / 100)),
    w3Files: 2,
    w3Size: Math.max(9 * MiB, Math.round(256 * scale) * MiB), // stays above the 8 MiB multipart threshold
  };
}

export type Sizes = ReturnType<typeof sizes>;

const ZERO_CHUNK = Buffer.alloc(8 * MiB);

function keystream(workload: string, index: number, version: number) {
  const key = createHash('sha256').update(`s3mirror-bench/${workload}/${index}/${version}`).digest();
  return createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
}

/** The order a client that walks the tree uploads in: sorted by path (what s3mirror's walk yields too). */
export function walkOrder(files: readonly WorkFile[]): WorkFile[] {
  return [...files].sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
}

/** Write (or rewrite) one file with its deterministic content. */
export function writeFile(f: WorkFile, workload: string, index: number, version = 0): void {
  const c = keystream(workload, index, version);
  const fd = openSync(f.abs, 'w');
  try {
    for (let left = f.size; left > 0; ) {
      const n = Math.min(left, ZERO_CHUNK.length);
      const buf = c.update(ZERO_CHUNK.subarray(0, n));
      for (let off = 0; off < buf.length; ) off += writeSync(fd, buf, off, buf.length - off);
      left -= n;
    }
  } finally {
    closeSync(fd);
  }
}

/** W1: `files` × `size` in `dirs` directories (file i goes to directory i mod dirs). */
export function w1(root: string, opts: { files: number; dirs: number; size: number }): Workload {
  const files: WorkFile[] = [];
  for (let d = 0; d < opts.dirs; d++) mkdirSync(join(root, `d${String(d).padStart(3, '0')}`), { recursive: true });
  for (let i = 0; i < opts.files; i++) {
    const rel = `d${String(i % opts.dirs).padStart(3, '0')}/f${String(i).padStart(6, '0')}.bin`;
    const f = { abs: join(root, rel), rel, size: opts.size };
    writeFile(f, 'W1', i);
    files.push(f);
  }
  return { name: 'W1', root, files, bytes: opts.files * opts.size };
}

/** W3: `files` large files at the root. */
export function w3(root: string, opts: { files: number; size: number }): Workload {
  mkdirSync(root, { recursive: true });
  const files: WorkFile[] = [];
  for (let i = 0; i < opts.files; i++) {
    const rel = `big${i}.bin`;
    const f = { abs: join(root, rel), rel, size: opts.size };
    writeFile(f, 'W3', i);
    files.push(f);
  }
  return { name: 'W3', root, files, bytes: opts.files * opts.size };
}

/**
 * Rewrite `count` files spread evenly over the workload with new content (same size). The stride
 * is nudged off a multiple of the directory count, so the files land in different directories.
 */
export function modify(w: Workload, count: number, version: number): WorkFile[] {
  let step = Math.max(1, Math.floor(w.files.length / count));
  if ((count - 1) * (step + 1) < w.files.length) step += 1;
  const out: WorkFile[] = [];
  for (let i = 0; i < w.files.length && out.length < count; i += step) {
    writeFile(w.files[i]!, w.name, i, version);
    out.push(w.files[i]!);
  }
  return out;
}
