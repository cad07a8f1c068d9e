import type { Head, ObjectSettings, Stored } from '../bucket.js';
import { normalizeEtag } from '../plan/etag.js';

/** What the server said it stored: the ETag, and its encryption when it named one. */
export function stored(etag: string, sse: string | undefined): Stored {
  return sse ? { etag, sse } : { etag };
}

/** x-amz-copy-source: the bucket and the key, each path segment URI-encoded. */
export function copySource(bucket: string, key: string): string {
  return `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
}

/** An object's headers and metadata as the SDK's PutObject and CreateMultipartUpload take them. */
export function settings(s: ObjectSettings) {
  return {
    ContentType: s.contentType,
    Metadata: s.metadata,
    ...(s.storageClass ? { StorageClass: s.storageClass as never } : {}),
    ...(s.sse ? { ServerSideEncryption: s.sse } : {}),
    ...(s.kmsKeyId ? { SSEKMSKeyId: s.kmsKeyId } : {}),
    ...(s.cacheControl ? { CacheControl: s.cacheControl } : {}),
  };
}

/** The headers a HEAD or a GET answered, as the Bucket seam gives them. */
export function headFrom(r: {
  ETag?: string;
  ContentLength?: number;
  Metadata?: Record<string, string>;
  ServerSideEncryption?: string;
  ContentType?: string;
  CacheControl?: string;
}): Head {
  return {
    etag: normalizeEtag(r.ETag) ?? '',
    size: r.ContentLength ?? 0,
    metaMd5: r.Metadata?.md5 ?? null,
    metadata: r.Metadata ?? {},
    ...(r.ServerSideEncryption ? { sse: r.ServerSideEncryption } : {}),
    ...(r.ContentType ? { contentType: r.ContentType } : {}),
    ...(r.CacheControl ? { cacheControl: r.CacheControl } : {}),
  };
}
