// How the fault proxy (proxy.ts) names the S3 operation of a path-style request, for counting and
// for faults that match on it.
import type { IncomingHttpHeaders } from 'node:http';

export type S3Op = string;

const BUCKET_SUBRESOURCES = [
  'acl',
  'cors',
  'lifecycle',
  'location',
  'logging',
  'notification',
  'policy',
  'replication',
  'requestPayment',
  'tagging',
  'versioning',
  'website',
  'encryption',
  'accelerate',
  'analytics',
  'inventory',
  'metrics',
  'ownershipControls',
  'publicAccessBlock',
  'object-lock',
] as const;

function cap(s: string): string {
  return s.replace(/(^|-)([a-z])/g, (_m, _d, c: string) => c.toUpperCase());
}

/** The S3 operation a path-style request stands for. */
export function classify(method: string, url: string, headers: IncomingHttpHeaders = {}): S3Op {
  const qIndex = url.indexOf('?');
  const path = qIndex < 0 ? url : url.slice(0, qIndex);
  const q = new URLSearchParams(qIndex < 0 ? '' : url.slice(qIndex + 1));
  const m = method.toUpperCase();
  const rest = path.replace(/^\/+/, '');
  const slash = rest.indexOf('/');
  const bucket = slash < 0 ? rest : rest.slice(0, slash);
  const key = slash < 0 ? '' : rest.slice(slash + 1);
  const copy = headers['x-amz-copy-source'] !== undefined;

  if (!bucket) return m === 'GET' ? 'ListBuckets' : `${m} /`;

  if (!key) {
    const sub = BUCKET_SUBRESOURCES.find((s) => q.has(s));
    switch (m) {
      case 'HEAD':
        return 'HeadBucket';
      case 'GET':
        if (q.get('list-type') === '2') return 'ListObjectsV2';
        if (q.has('uploads')) return 'ListMultipartUploads';
        if (q.has('versions')) return 'ListObjectVersions';
        if (sub === 'location') return 'GetBucketLocation';
        if (sub) return `GetBucket${cap(sub)}`;
        return 'ListObjects';
      case 'PUT':
        return sub ? `PutBucket${cap(sub)}` : 'CreateBucket';
      case 'DELETE':
        return sub ? `DeleteBucket${cap(sub)}` : 'DeleteBucket';
      case 'POST':
        return q.has('delete') ? 'DeleteObjects' : 'POST bucket';
      default:
        return `${m} bucket`;
    }
  }

  switch (m) {
    case 'PUT':
      if (q.has('uploadId') && q.has('partNumber')) return copy ? 'UploadPartCopy' : 'UploadPart';
      if (copy) return 'CopyObject';
      if (q.has('tagging')) return 'PutObjectTagging';
      if (q.has('acl')) return 'PutObjectAcl';
      return 'PutObject';
    case 'POST':
      if (q.has('uploads')) return 'CreateMultipartUpload';
      if (q.has('uploadId')) return 'CompleteMultipartUpload';
      return 'POST object';
    case 'DELETE':
      return q.has('uploadId') ? 'AbortMultipartUpload' : 'DeleteObject';
    case 'GET':
      if (q.has('uploadId')) return 'ListParts';
      if (q.has('tagging')) return 'GetObjectTagging';
      if (q.has('acl')) return 'GetObjectAcl';
      return 'GetObject';
    case 'HEAD':
      return 'HeadObject';
    default:
      return `${m} object`;
  }
}
