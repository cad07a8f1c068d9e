// The model test's usual bucket: the in-memory S3, one client per pass as one process would hold.
import { createHash } from 'node:crypto';
import { MemoryBuckets, MemoryS3 } from '../memory-bucket.js';
import type { Backend, Obj } from './world.js';

export interface MemoryBackend extends Backend {
  readonly s3server: MemoryS3;
  /** The client of the pass under way (or the last one): a crash severs it. */
  readonly client: MemoryBuckets | undefined;
}

export function memoryBackend(opts: { defaultSse?: 'aws:kms' } = {}): MemoryBackend {
  const bucket = 'model';
  const s3 = new MemoryS3(opts.defaultSse ? { defaultSse: opts.defaultSse } : {}).createBucket(bucket);
  let client: MemoryBuckets | undefined;
  return {
    kind: 'memory',
    bucket,
    s3server: s3,
    get client() {
      return client;
    },
    s3: { endpoint: 'http://127.0.0.1:9', region: 'us-east-1', forcePathStyle: true },
    runtime: () => ({ buckets: (client = new MemoryBuckets(s3)) }),
    async objects() {
      const out = new Map<string, Obj>();
      for (const [k, o] of s3.objects(bucket)) out.set(k, { size: o.body.length, md5: createHash('md5').update(o.body).digest('hex') });
      return out;
    },
    async put(key, data) {
      s3.putObject(bucket, key, data);
    },
    async del(key) {
      s3.deleteObject(bucket, key);
    },
    canOutage: true,
    setOutage(on) {
      s3.outage = on;
    },
    sever() {
      client?.sever();
    },
    uploadedBytes: () => s3.bytesReceived,
    async close() {
      /* nothing outside this process */
    },
  };
}
