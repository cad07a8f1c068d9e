import type { ObjectSettings, Stored } from '../bucket.js';

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
