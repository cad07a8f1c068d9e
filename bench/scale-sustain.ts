// Change latency under a sustained stream of changes (the scale benchmark's last line): `rate`
// new files a second for `seconds`, each timed from its write until an independent client lists
// its key with its content's ETag. The listing starts after the last key seen in order, so each
// poll reads only what is new.
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { percentile } from './latency.js';

const POLL_MS = 100;
const GIVE_UP_MS = 60_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Sustained {
  written: number;
  seen: number;
  p50: number;
  p99: number;
}

export async function sustainedChanges(o: {
  client: S3Client;
  bucket: string;
  root: string;
  rate: number;
  seconds: number;
}): Promise<Sustained> {
  const dir = 'sustain';
  mkdirSync(join(o.root, dir), { recursive: true });
  const total = o.rate * o.seconds;
  const name = (i: number) => `${dir}/s${String(i).padStart(7, '0')}.bin`;
  const wroteAt: number[] = [];
  const etags: string[] = [];
  const latency: number[] = [];
  let writing = true;
  const writer = (async () => {
    const t0 = performance.now();
    for (let i = 0; i < total; i++) {
      const due = t0 + (i * 1000) / o.rate;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      const body = randomBytes(1024);
      etags[i] = createHash('md5').update(body).digest('hex');
      wroteAt[i] = performance.now();
      writeFileSync(join(o.root, name(i)), body);
    }
    writing = false;
  })();
  // Keys arrive out of order: the listing restarts after the last key below which all are seen.
  let contiguous = -1;
  const seen = new Set<number>();
  let lastNew = performance.now();
  while (seen.size < total && performance.now() - lastNew < GIVE_UP_MS) {
    let token: string | undefined;
    do {
      const page = await o.client.send(
        new ListObjectsV2Command({
          Bucket: o.bucket,
          Prefix: `${dir}/`,
          ...(token ? { ContinuationToken: token } : contiguous >= 0 ? { StartAfter: name(contiguous) } : {}),
        }),
      );
      const now = performance.now();
      for (const obj of page.Contents ?? []) {
        const i = Number(/s(\d+)\.bin$/.exec(obj.Key ?? '')?.[1] ?? -1);
        if (i < 0 || seen.has(i) || wroteAt[i] === undefined) continue;
        if ((obj.ETag ?? '').replace(/"/g, '') !== etags[i]) continue;
        seen.add(i);
        latency.push(now - wroteAt[i]!);
        lastNew = now;
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    while (seen.has(contiguous + 1)) contiguous++;
    if (writing || seen.size < total) await sleep(POLL_MS);
  }
  await writer;
  for (let i = seen.size; i < total; i++) latency.push(Infinity);
  return { written: total, seen: seen.size, p50: percentile(latency, 50), p99: percentile(latency, 99) };
}
