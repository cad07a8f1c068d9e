import type { S3Client } from '@aws-sdk/client-s3';
import type { Got } from '../bucket.js';
import type { MirrorError } from '../errors.js';
import type { S3Operation } from './operation.js';
import { headFrom } from './request-shape.js';
import { sdk } from './sdk.js';

/** A missing key (not a missing bucket, which is an error like any other). */
function noSuchKey(e: unknown): boolean {
  const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
  return (
    err?.name === 'NoSuchKey' ||
    err?.name === 'NoSuchVersion' ||
    (err?.$metadata?.httpStatusCode === 404 && err?.name !== 'NoSuchBucket')
  );
}

/** GetObject (of one version, given its id), its body left streaming: the caller reads it in chunks as they arrive. */
export async function getObject(
  client: S3Client,
  bucket: string,
  key: string,
  mapError: (e: unknown, op: S3Operation) => Promise<MirrorError>,
  versionId?: string,
): Promise<Got | null> {
  try {
    const r = await client.send(
      new sdk.GetObjectCommand({ Bucket: bucket, Key: key, ...(versionId ? { VersionId: versionId } : {}) }),
    );
    return { head: headFrom(r), body: r.Body as AsyncIterable<Buffer> };
  } catch (e) {
    if (noSuchKey(e)) return null;
    throw await mapError(e, { op: 'GetObject', key });
  }
}
