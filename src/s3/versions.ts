// What `restore --at` asks of a versioned bucket: whether versioning is on, every version and
// delete marker under a prefix, and one version's head and body.
import type { S3Client } from '@aws-sdk/client-s3';
import type { Got, Head, ListedVersion } from '../bucket.js';
import type { MirrorError } from '../errors.js';
import { normalizeEtag } from '../plan/etag.js';
import { isNotFound } from './errors.js';
import { getObject } from './get.js';
import type { S3Operation } from './operation.js';
import { headFrom } from './request-shape.js';
import { sdk } from './sdk.js';

/** The bucket's client, its name, and its error mapping (S3Bucket's). */
export interface VersionIo {
  client: S3Client;
  bucket: string;
  mapError: (e: unknown, op: S3Operation) => Promise<MirrorError>;
}

export type OnVersions = (versions: readonly ListedVersion[]) => void | Promise<void>;

export async function versioning({ client, bucket, mapError }: VersionIo): Promise<'enabled' | 'suspended' | 'off'> {
  try {
    const r = await client.send(new sdk.GetBucketVersioningCommand({ Bucket: bucket }));
    return r.Status === 'Enabled' ? 'enabled' : r.Status === 'Suspended' ? 'suspended' : 'off';
  } catch (e) {
    // A server without versioning at all (s3rver answers 501 NotImplemented) has it off.
    if ((e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 501) return 'off';
    throw await mapError(e, { op: 'GetBucketVersioning', bucket });
  }
}

export async function listVersions(l: VersionIo, prefix: string, onPage: OnVersions): Promise<void> {
  let keyMarker: string | undefined;
  let idMarker: string | undefined;
  for (;;) {
    let r: import('@aws-sdk/client-s3').ListObjectVersionsCommandOutput;
    try {
      r = await l.client.send(
        new sdk.ListObjectVersionsCommand({
          Bucket: l.bucket,
          Prefix: prefix || undefined,
          MaxKeys: 1000,
          ...(keyMarker !== undefined ? { KeyMarker: keyMarker } : {}),
          ...(idMarker !== undefined ? { VersionIdMarker: idMarker } : {}),
        }),
      );
    } catch (e) {
      throw await l.mapError(e, { op: 'ListObjectVersions', bucket: l.bucket, prefix: prefix });
    }
    const page: ListedVersion[] = [];
    for (const v of r.Versions ?? [])
      if (v.Key)
        page.push({
          key: v.Key,
          versionId: v.VersionId ?? 'null',
          isLatest: v.IsLatest ?? false,
          deleteMarker: false,
          lastModified: v.LastModified?.getTime() ?? 0,
          size: v.Size ?? 0,
          etag: normalizeEtag(v.ETag) ?? '',
        });
    for (const m of r.DeleteMarkers ?? [])
      if (m.Key)
        page.push({
          key: m.Key,
          versionId: m.VersionId ?? 'null',
          isLatest: m.IsLatest ?? false,
          deleteMarker: true,
          lastModified: m.LastModified?.getTime() ?? 0,
          size: 0,
          etag: '',
        });
    await onPage(page);
    if (!r.IsTruncated || (r.NextKeyMarker === undefined && r.NextVersionIdMarker === undefined)) return;
    keyMarker = r.NextKeyMarker;
    idMarker = r.NextVersionIdMarker;
  }
}

export async function headVersion(l: VersionIo, key: string, versionId: string): Promise<Head | null> {
  try {
    return headFrom(
      await l.client.send(new sdk.HeadObjectCommand({ Bucket: l.bucket, Key: key, VersionId: versionId })),
    );
  } catch (e) {
    if (isNotFound(e)) return null;
    throw await l.mapError(e, { op: 'HeadObject', key });
  }
}

export function getVersion(l: VersionIo, key: string, versionId: string): Promise<Got | null> {
  return getObject(l.client, l.bucket, key, l.mapError, versionId);
}
