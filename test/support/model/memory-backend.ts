// The model test's usual bucket: the in-memory S3, one client per pass as one process would hold.
import { createHash } from 'node:crypto';
import { MemoryBuckets, MemoryS3 } from '../memory-bucket.js';
import type { Backend, Obj } from './world.js';

export interface MemoryBackend extends Backend {
  readonly s3server: MemoryS3;
  /** The client of the pass under way (or the last one): a crash severs it. */
  readonly client: MemoryBuckets | undefined;
}

/** Multipart sizes far below S3's 5 MiB, so the model's files of 64 bytes and more go multipart. */
const MULTIPART = { thresholdBytes: 64, partSizeBytes: 32 };

export function memoryBackend(opts: { defaultSse?: 'aws:kms' } = {}): MemoryBackend {
  const bucket = 'model';
  const s3 = new MemoryS3({
    minPartSize: MULTIPART.partSizeBytes,
    ...(opts.defaultSse ? { defaultSse: opts.defaultSse } : {}),
  }).createBucket(bucket);
  let client: MemoryBuckets | undefined;
  // A virtual clock: a pass's retry backoff (0.5, 1, 2 s while the server is down) moves it on
  // instead of waiting, so an outage in mid-pass costs no real time.
  let skew = 0;
  const now = () => Date.now() + skew;
  const sleep = async (ms: number) => {
    skew += ms;
    await new Promise((r) => setImmediate(r));
  };
  return {
    kind: 'memory',
    bucket,
    s3server: s3,
    get client() {
      return client;
    },
    s3: { endpoint: 'http://127.0.0.1:9', region: 'us-east-1', forcePathStyle: true },
    runtime: () => ({ buckets: (client = new MemoryBuckets(s3)), multipart: MULTIPART, now, sleep }),
    async objects() {
      const out = new Map<string, Obj>();
      for (const [k, o] of s3.objects(bucket))
        out.set(k, { size: o.body.length, md5: createHash('md5').update(o.body).digest('hex') });
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
      s3.outageFrom = undefined;
    },
    outageAfter(n) {
      s3.outageFrom = s3.requests.length + n;
      return () => s3.outage;
    },
    childCrashes: false,
    sever() {
      client?.sever();
    },
    uploadedBytes: () => s3.bytesReceived,
    async close() {
      /* nothing outside this process */
    },
  };
}
