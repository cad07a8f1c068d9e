// Helpers of the fidelity table (test/memory-bucket.int.test.ts): answers made comparable.
import { createHash } from 'node:crypto';
import type { Got } from '../../src/bucket.js';
import type { Config } from '../../src/config.js';
import { S3Buckets } from '../../src/s3/buckets.js';
import { createClient } from '../../src/s3/client.js';
import { RequestCounter } from '../../src/s3/counter.js';
import { testEnv } from './s3server.js';

/** The engine's own S3 buckets, on the suite's server: the side the in-memory bucket is compared with. */
export function suiteBuckets(): S3Buckets {
  const env = testEnv();
  return new S3Buckets(
    createClient(
      {
        endpoint: env.endpoint,
        region: env.region,
        forcePathStyle: true,
        checksums: 'WHEN_REQUIRED',
        signPayload: false,
      } as Config['s3'],
      { concurrency: 4, credentials: { accessKeyId: env.accessKeyId, secretAccessKey: env.secretAccessKey } },
      new RequestCounter(),
    ),
  );
}

export /** What a call gave: its value as the engine sees it, or its error as code and retryable. */
async function outcome(p: Promise<unknown>): Promise<unknown> {
  try {
    return { ok: await p };
  } catch (e) {
    const err = e as { code?: string; retryable?: boolean; message?: string };
    return { error: err.code ?? `plain: ${err.message}`, retryable: err.retryable };
  }
}

export /** A GET as comparable data: its head and the MD5 of the body it streamed. */
async function gotten(g: Got | null): Promise<unknown> {
  if (!g) return null;
  const h = createHash('md5');
  let n = 0;
  for await (const chunk of g.body) {
    h.update(chunk);
    n += chunk.length;
  }
  return { head: g.head, bodyMd5: h.digest('hex'), bytes: n };
}

/** Two listings with the same keys, in whatever order. */
export function sameKeys(a: unknown, b: unknown): boolean {
  const keys = (x: unknown) =>
    JSON.stringify(((x as { ok?: unknown[] }).ok ?? []).map((o) => JSON.stringify(o)).sort());
  return keys(a) === keys(b);
}
