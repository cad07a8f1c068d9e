// What the CLI tests compare: the files under a tree and the objects in a bucket, by key, size and MD5,
// the bucket read with an independent client (s3client.ts).
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { getObjectMd5, listAll } from './s3client.js';

interface Entry {
  size: number;
  md5: string;
}

/** Every regular file under `root`, keyed by its expected S3 key (NFC, '/'-separated). */
async function localManifest(root: string): Promise<Map<string, Entry>> {
  const out = new Map<string, Entry>();
  const walk = async (dir: string, rel: string): Promise<void> => {
    for (const d of await readdir(dir, { withFileTypes: true })) {
      const r = rel ? `${rel}/${d.name}` : d.name;
      if (d.isDirectory()) await walk(join(dir, d.name), r);
      else if (d.isFile()) {
        const bytes = await readFile(join(dir, d.name));
        out.set(r.normalize('NFC'), { size: bytes.length, md5: createHash('md5').update(bytes).digest('hex') });
      }
    }
  };
  await walk(root, '');
  return out;
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
}

/** Keys, sizes and MD5s (of downloaded bytes) in the bucket. */
async function remoteManifest(bucket: string): Promise<Map<string, Entry>> {
  const listed = await listAll(bucket);
  const md5s = await mapLimit(listed, 16, (o) => getObjectMd5(bucket, o.key));
  return new Map(listed.map((o, i) => [o.key, { size: o.size, md5: md5s[i]! }]));
}

const sorted = (m: Map<string, Entry>) =>
  [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([key, e]) => ({ key, ...e }));

export async function expectMirror(bucket: string, root: string): Promise<void> {
  const [local, remote] = await Promise.all([localManifest(root), remoteManifest(bucket)]);
  expect(sorted(remote)).toEqual(sorted(local));
}

/** Cheap check for polling: undefined when the bucket has exactly the local keys and sizes. */
export async function keysAndSizesDiffer(bucket: string, root: string): Promise<string | undefined> {
  const [local, listed] = await Promise.all([localManifest(root), listAll(bucket)]);
  const remote = new Map(listed.map((o) => [o.key, o.size]));
  const problems: string[] = [];
  for (const [k, e] of local)
    if (remote.get(k) !== e.size) problems.push(`${k}: local ${e.size}, remote ${remote.get(k)}`);
  for (const k of remote.keys()) if (!local.has(k)) problems.push(`${k}: only in bucket`);
  return problems.length ? problems.join('; ') : undefined;
}
