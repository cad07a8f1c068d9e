/**
 * The request an error came from, as mapS3Error needs it: the operation decides some mappings (a
 * HEAD has no body to carry an error code; a 404 to HeadBucket is a missing bucket) and the rest
 * names what failed in the message users see.
 */
export type S3Operation =
  | { op: 'HeadBucket' | 'CreateBucket' | 'GetBucketVersioning'; bucket: string }
  | { op: 'ListObjectsV2' | 'ListMultipartUploads' | 'ListObjectVersions'; bucket: string; prefix: string }
  | {
      op:
        | 'HeadObject'
        | 'GetObject'
        | 'PutObject'
        | 'CreateMultipartUpload'
        | 'CompleteMultipartUpload'
        | 'AbortMultipartUpload'
        | 'ListParts';
      key: string;
    }
  | { op: 'UploadPart'; key: string; part: number }
  | { op: 'CopyObject'; from: string; to: string }
  | { op: 'UploadPartCopy'; from: string; key: string; part: number }
  | { op: 'DeleteObjects'; keys: number };

/** A HEAD response has no body, so the server cannot name its error: only the status says anything. */
export function isHead(o: S3Operation): boolean {
  return o.op === 'HeadBucket' || o.op === 'HeadObject';
}

/** The request as messages name it, e.g. `UploadPart docs/a.bin #3`. */
export function operationLabel(o: S3Operation): string {
  switch (o.op) {
    case 'HeadBucket':
    case 'CreateBucket':
    case 'GetBucketVersioning':
      return `${o.op} ${o.bucket}`;
    case 'ListObjectsV2':
    case 'ListMultipartUploads':
    case 'ListObjectVersions':
      return `${o.op} ${o.bucket}/${o.prefix}`;
    case 'UploadPart':
      return `${o.op} ${o.key} #${o.part}`;
    case 'CopyObject':
      return `${o.op} ${o.from} -> ${o.to}`;
    case 'UploadPartCopy':
      return `${o.op} ${o.from} -> ${o.key} #${o.part}`;
    case 'DeleteObjects':
      return `${o.op} (${o.keys} keys)`;
    default:
      return `${o.op} ${o.key}`;
  }
}
