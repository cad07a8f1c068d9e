// The model test against a real server (s3rver in `npm test`, RGW in `npm run test:rgw`): the
// outside writer and the audit use the independent test client, never src/s3.
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { createBucket, emptyAndDeleteBucket, independentClient, listAll, uniqueBucket } from '../s3client.js';
import { testEnv } from '../s3server.js';
import type { Backend, Obj } from './world.js';

export async function serverBackend(): Promise<Backend> {
  const env = testEnv();
  const client = independentClient();
  const bucket = await createBucket(uniqueBucket('model'), client);
  return {
    kind: 'server',
    bucket,
    s3: { endpoint: env.endpoint, region: env.region, forcePathStyle: true },
    runtime: () => ({ credentials: { accessKeyId: env.accessKeyId, secretAccessKey: env.secretAccessKey } }),
    async objects() {
      // Our objects are single PUTs of a few bytes: the ETag is the MD5 of the bytes.
      const out = new Map<string, Obj>();
      for (const o of await listAll(bucket, undefined, client)) out.set(o.key, { size: o.size, md5: o.etag });
      return out;
    },
    async put(key, data) {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: Buffer.from(data) }));
    },
    async del(key) {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    },
    canOutage: false,
    setOutage() {
      throw new Error('no outage on a real server');
    },
    // Crashes are a child's kill -9; the in-process FailpointCrash (a model-unreadable file,
    // which only this process's hook can refuse) sends nothing after the crash, and the server
    // answers what was sent, as it answers a killed process.
    childCrashes: true,
    sever() {},
    uploadedBytes: () => undefined,
    async close() {
      await emptyAndDeleteBucket(bucket, client);
    },
  };
}
