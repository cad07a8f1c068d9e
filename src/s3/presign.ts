// Share links: a presigned GET (SigV4 in the query string) for one object, made offline from the
// client's credentials; the URL is the caller's to print, never logged.
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { Bucket } from '../bucket.js';
import type { Config } from '../config.js';
import { S3Bucket } from './bucket.js';
import { createClient, type ClientOptions } from './client.js';
import { RequestCounter } from './counter.js';
import { sdk } from './sdk.js';

export interface ShareClient {
  bucket: Bucket;
  presignGet(key: string, expiresInS: number): Promise<string>;
  close(): void;
}

export function shareClient(
  s3: Config['s3'],
  bucketName: string,
  credentials?: ClientOptions['credentials'],
): ShareClient {
  const client = createClient(s3, { concurrency: 1, ...(credentials ? { credentials } : {}) }, new RequestCounter());
  return {
    bucket: new S3Bucket(client, bucketName),
    presignGet: (key, expiresIn) =>
      getSignedUrl(client, new sdk.GetObjectCommand({ Bucket: bucketName, Key: key }), { expiresIn }),
    close: () => client.destroy(),
  };
}
