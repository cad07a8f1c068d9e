import { describe, expect, it } from 'vitest';
import { mapS3Error } from '../src/s3/errors.js';
import { isHead, operationLabel, type S3Operation } from '../src/s3/operation.js';

// How a request is named in the messages users see (src/s3/operation.ts), and that mapS3Error
// decides by the operation, never by what its key or bucket happens to be called.

const LABELS: readonly [S3Operation, string, boolean][] = [
  // [operation, label, is a HEAD]
  [{ op: 'HeadBucket', bucket: 'bkt' }, 'HeadBucket bkt', true],
  [{ op: 'CreateBucket', bucket: 'bkt' }, 'CreateBucket bkt', false],
  [{ op: 'ListObjectsV2', bucket: 'bkt', prefix: 'docs/' }, 'ListObjectsV2 bkt/docs/', false],
  [{ op: 'HeadObject', key: 'a.txt' }, 'HeadObject a.txt', true],
  [{ op: 'PutObject', key: 'a.txt' }, 'PutObject a.txt', false],
  [{ op: 'CreateMultipartUpload', key: 'a.bin' }, 'CreateMultipartUpload a.bin', false],
  [{ op: 'UploadPart', key: 'a.bin', part: 3 }, 'UploadPart a.bin #3', false],
  [{ op: 'CompleteMultipartUpload', key: 'a.bin' }, 'CompleteMultipartUpload a.bin', false],
  [{ op: 'AbortMultipartUpload', key: 'a.bin' }, 'AbortMultipartUpload a.bin', false],
  [{ op: 'ListParts', key: 'a.bin' }, 'ListParts a.bin', false],
  [{ op: 'ListMultipartUploads', bucket: 'bkt', prefix: 'docs/' }, 'ListMultipartUploads bkt/docs/', false],
  [{ op: 'CopyObject', from: 'a.txt', to: 'b.txt' }, 'CopyObject a.txt -> b.txt', false],
  [{ op: 'UploadPartCopy', from: 'a.bin', key: 'b.bin', part: 2 }, 'UploadPartCopy a.bin -> b.bin #2', false],
  [{ op: 'DeleteObjects', keys: 7 }, 'DeleteObjects (7 keys)', false],
];

const sdkError = (name: string, status: number) =>
  Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });

describe('S3Operation', () => {
  it.each(LABELS)('%j is named %j', (op, label, head) => {
    expect(operationLabel(op)).toBe(label);
    expect(isHead(op)).toBe(head);
  });

  it('a 404 to HeadBucket is a missing bucket; to a HeadObject of a key named like it, it is not', () => {
    expect(mapS3Error(sdkError('NotFound', 404), { op: 'HeadBucket', bucket: 'b' }).code).toBe('BUCKET_MISSING');
    expect(mapS3Error(sdkError('NotFound', 404), { op: 'HeadObject', key: 'HeadBucket' }).code).toBe(
      'S3_REQUEST_FAILED',
    );
  });
});
