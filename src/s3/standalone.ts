// One bucket for a one-shot command (share, restore): its own pooled client, and presigned GETs
// (SigV4 in the query string) made offline from its credentials; a URL is the caller's to print,
// never logged.
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { Bucket, VersionedReads } from '../bucket.js';
import type { Config } from '../config.js';
import { S3Bucket } from './bucket.js';
import { createClient, type ClientOptions } from './client.js';
import { RequestCounter } from './counter.js';
import { sdk } from './sdk.js';

export interface StandaloneBucket {
  bucket: Bucket & VersionedReads;
  presignGet(key: string, expiresInS: number): Promise<string>;
  close(): void;
}

export function standaloneBucket(
  s3: Config['s3'],
  bucketName: string,
  o: { concurrency: number; credentials?: ClientOptions['credentials'] } = { concurrency: 1 },
): StandaloneBucket {
  const client = createClient(
    s3,
    { concurrency: o.concurrency, ...(o.credentials ? { credentials: o.credentials } : {}) },
    new RequestCounter(),
  );
  return {
    bucket: new S3Bucket(client, bucketName),
    presignGet: (key, expiresIn) =>
      getSignedUrl(client, new sdk.GetObjectCommand({ Bucket: bucketName, Key: key }), { expiresIn }),
    close: () => client.destroy(),
  };
}
