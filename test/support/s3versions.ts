// Versioning for tests, through the tests' own client (not src/s3): turn it on, see a bucket's
// versions, and empty a versioned bucket (every version and delete marker) before deleting it.
import {
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { independentClient } from './s3client.js';

export async function enableVersioning(bucket: string, client: S3Client = independentClient()): Promise<void> {
  await client.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }));
}

export interface TestVersion {
  key: string;
  versionId: string;
  lastModified: number;
  deleteMarker: boolean;
}

/** Every version and delete marker of the bucket. */
export async function allVersions(bucket: string, client: S3Client = independentClient()): Promise<TestVersion[]> {
  const out: TestVersion[] = [];
  let KeyMarker: string | undefined;
  let VersionIdMarker: string | undefined;
  for (;;) {
    const r = await client.send(new ListObjectVersionsCommand({ Bucket: bucket, KeyMarker, VersionIdMarker }));
    for (const [list, deleteMarker] of [
      [r.Versions ?? [], false],
      [r.DeleteMarkers ?? [], true],
    ] as const)
      for (const v of list)
        out.push({
          key: v.Key ?? '',
          versionId: v.VersionId ?? 'null',
          lastModified: v.LastModified?.getTime() ?? 0,
          deleteMarker,
        });
    if (!r.IsTruncated) return out;
    KeyMarker = r.NextKeyMarker;
    VersionIdMarker = r.NextVersionIdMarker;
  }
}

export async function emptyAndDeleteVersionedBucket(
  bucket: string,
  client: S3Client = independentClient(),
): Promise<void> {
  const all = await allVersions(bucket, client);
  for (let i = 0; i < all.length; i += 1000) {
    const Objects = all.slice(i, i + 1000).map((v) => ({ Key: v.key, VersionId: v.versionId }));
    await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects, Quiet: true } }));
  }
  await client.send(new DeleteBucketCommand({ Bucket: bucket }));
}
