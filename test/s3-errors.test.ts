import { Readable } from 'node:stream';
import { HeadBucketCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { fromFsError, MirrorError, type ErrorCode } from '../src/errors.js';
import { EXIT, exitCodeFor } from '../src/exit.js';
import { mapS3Error } from '../src/s3/errors.js';
import type { S3Operation } from '../src/s3/operation.js';

/** Unit tables for src/s3/errors.ts: every SDK failure becomes one code, message and hint (and exit code). */

/** An SDK-shaped service error. */
const sdkError = (name: string, message: string, status?: number) =>
  Object.assign(new Error(message), {
    name,
    ...(status === undefined ? {} : { $metadata: { httpStatusCode: status } }),
  });

const netError = (code: string) => Object.assign(new Error(`connect ${code} 127.0.0.1:1`), { code });

describe('mapS3Error', () => {
  it.each<[string, unknown, S3Operation, ErrorCode, number, RegExp, RegExp | undefined]>([
    // [what, error, operation, code, exit code, message, hint]
    [
      'no region anywhere (the SDK resolver throws a plain Error)',
      new Error('Region is missing'),
      { op: 'HeadBucket', bucket: 'bkt3' },
      'REGION_MISSING',
      EXIT.usage,
      /^no AWS region: set s3\.region in the config, or AWS_REGION$/,
      /HeadBucket bkt3 needs a region.*"s3": \{ "region": "us-east-1" \}/,
    ],
    [
      'a bare 403 on HEAD (no body, so no code)',
      sdkError('Unknown', 'UnknownError', 403),
      { op: 'HeadBucket', bucket: 'bkt' },
      'ACCESS_DENIED',
      EXIT.s3Unusable,
      /^HeadBucket bkt answered 403 \(a HEAD response carries no error code\): the access key may be wrong, or it lacks permission for this bucket$/,
      /access key ID and secret.*allowed s3:ListBucket/,
    ],
    [
      'a bare 403 named by its status',
      sdkError('403', '403', 403),
      { op: 'HeadObject', key: 'docs/a.txt' },
      'ACCESS_DENIED',
      EXIT.s3Unusable,
      /^HeadObject docs\/a\.txt answered 403 \(a HEAD response carries no error code\): the access key may be wrong/,
      /access key ID and secret/,
    ],
    [
      'a bare 403 on a request that has a body',
      sdkError('Unknown', 'UnknownError', 403),
      { op: 'PutObject', key: 'a.txt' },
      'ACCESS_DENIED',
      EXIT.s3Unusable,
      /^PutObject a\.txt answered 403 \(the response carried no error code\): the access key may be wrong/,
      /access key ID and secret/,
    ],
    [
      'AccessDenied with its code: a permission problem',
      sdkError('AccessDenied', 'Access Denied', 403),
      { op: 'PutObject', key: 'a.txt' },
      'ACCESS_DENIED',
      EXIT.s3Unusable,
      /^PutObject a\.txt: AccessDenied \(Access Denied\)$/,
      /lack permission/,
    ],
    [
      'InvalidAccessKeyId with its code',
      sdkError('InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.', 403),
      { op: 'ListObjectsV2', bucket: 'bkt', prefix: '' },
      'CREDENTIALS_INVALID',
      EXIT.s3Unusable,
      /^ListObjectsV2 bkt\/: InvalidAccessKeyId/,
      /AWS chain/,
    ],
    [
      'SignatureDoesNotMatch',
      sdkError('SignatureDoesNotMatch', 'sig', 403),
      { op: 'PutObject', key: 'a' },
      'CREDENTIALS_INVALID',
      EXIT.s3Unusable,
      /SignatureDoesNotMatch/,
      /AWS chain/,
    ],
    [
      'no credentials at all',
      sdkError('CredentialsProviderError', 'Could not load credentials from any providers'),
      { op: 'HeadBucket', bucket: 'b' },
      'CREDENTIALS_INVALID',
      EXIT.s3Unusable,
      /Could not load credentials/,
      /AWS chain/,
    ],
    [
      'NoSuchBucket',
      sdkError('NoSuchBucket', 'The specified bucket does not exist', 404),
      { op: 'ListObjectsV2', bucket: 'b', prefix: '' },
      'BUCKET_MISSING',
      EXIT.s3Unusable,
      /NoSuchBucket/,
      /create the bucket/,
    ],
    [
      'HeadBucket 404 (no body)',
      sdkError('NotFound', 'NotFound', 404),
      { op: 'HeadBucket', bucket: 'b' },
      'BUCKET_MISSING',
      EXIT.s3Unusable,
      /^HeadBucket b: NotFound$/,
      /create the bucket/,
    ],
    [
      'connection refused',
      netError('ECONNREFUSED'),
      { op: 'HeadBucket', bucket: 'b' },
      'ENDPOINT_UNREACHABLE',
      EXIT.s3Unusable,
      /ECONNREFUSED/,
      /s3\.endpoint/,
    ],
    [
      'SlowDown',
      sdkError('SlowDown', 'Please reduce your request rate.', 503),
      { op: 'PutObject', key: 'a' },
      'S3_THROTTLED',
      EXIT.someFailed,
      /SlowDown/,
      undefined,
    ],
    [
      'a 500',
      sdkError('InternalError', 'We encountered an internal error.', 500),
      { op: 'PutObject', key: 'a' },
      'S3_SERVER_ERROR',
      EXIT.someFailed,
      /InternalError/,
      undefined,
    ],
    [
      'BadDigest',
      sdkError('BadDigest', 'The Content-MD5 you specified did not match', 400),
      { op: 'PutObject', key: 'a' },
      'S3_BAD_DIGEST',
      EXIT.someFailed,
      /the file changed while it was read/,
      undefined,
    ],
    [
      "HeadBucket 301 naming the bucket's region (the bucket is elsewhere)",
      Object.assign(sdkError('Unknown', 'UnknownError', 301), {
        $response: { headers: { 'x-amz-bucket-region': 'eu-west-1' } },
      }),
      { op: 'HeadBucket', bucket: 'b' },
      'REGION_WRONG',
      EXIT.usage,
      /^HeadBucket b: the bucket is in region eu-west-1/,
      /"s3": \{ "region": "eu-west-1" \}/,
    ],
    [
      "AuthorizationHeaderMalformed naming the bucket's region",
      Object.assign(
        sdkError('AuthorizationHeaderMalformed', 'the region us-east-1 is wrong; expecting eu-west-1', 400),
        { $response: { headers: { 'x-amz-bucket-region': 'eu-west-1' } } },
      ),
      { op: 'ListObjectsV2', bucket: 'b', prefix: '' },
      'REGION_WRONG',
      EXIT.usage,
      /region eu-west-1/,
      /eu-west-1/,
    ],
    [
      'a 400 on a PUT with a region header is not about the region',
      Object.assign(sdkError('InvalidArgument', 'bad', 400), {
        $response: { headers: { 'x-amz-bucket-region': 'eu-west-1' } },
      }),
      { op: 'PutObject', key: 'a' },
      'S3_REQUEST_FAILED',
      EXIT.someFailed,
      /InvalidArgument/,
      undefined,
    ],
    [
      'anything else',
      sdkError('InvalidArgument', 'bad', 400),
      { op: 'PutObject', key: 'a' },
      'S3_REQUEST_FAILED',
      EXIT.someFailed,
      /^PutObject a: InvalidArgument \(bad\)$/,
      undefined,
    ],
  ])('%s', (_what, error, op, code, exit, message, hint) => {
    const m = mapS3Error(error, op);
    expect(m).toBeInstanceOf(MirrorError);
    expect(m.code).toBe(code);
    expect(exitCodeFor(m)).toBe(exit);
    expect(m.message).toMatch(message);
    if (hint) expect(m.hint).toMatch(hint);
    else expect(m.hint).toBeUndefined();
  });

  it('REGION_MISSING and ACCESS_DENIED are not retried', () => {
    const op: S3Operation = { op: 'HeadBucket', bucket: 'b' };
    expect(mapS3Error(new Error('Region is missing'), op).retryable).toBe(false);
    expect(mapS3Error(sdkError('Unknown', 'UnknownError', 403), op).retryable).toBe(false);
  });

  it('a 400 to a HEAD naming the very region we sign for is not REGION_WRONG (e.g. an SSE-C object)', () => {
    const e = Object.assign(sdkError('BadRequest', 'Bad Request', 400), {
      $response: { headers: { 'x-amz-bucket-region': 'eu-west-1' } },
    });
    expect(mapS3Error(e, { op: 'HeadObject', key: 'a' }, 'eu-west-1').code).toBe('S3_REQUEST_FAILED');
    expect(mapS3Error(e, { op: 'HeadObject', key: 'a' }, 'us-east-1').code).toBe('REGION_WRONG');
  });

  it('passes a MirrorError through unchanged (fromFsError too)', () => {
    const e = new MirrorError('KEY_TOO_LONG', 'x');
    expect(mapS3Error(e, { op: 'PutObject', key: 'a' })).toBe(e);
    expect(fromFsError(e, '/srv/a')).toBe(e);
    expect(
      fromFsError(Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' }), '/srv/a'),
    ).toMatchObject({ code: 'FILE_UNREADABLE' });
  });

  // The shape the real SDK gives a bodiless 403 (no network: a request handler that answers it).
  it.each([
    ['HeadBucket', () => new HeadBucketCommand({ Bucket: 'bkt' })],
    ['HeadObject', () => new HeadObjectCommand({ Bucket: 'bkt', Key: 'a.txt' })],
  ] as const)('the SDK error of a bare 403 to %s maps to the honest message', async (op, command) => {
    const client = new S3Client({
      region: 'us-east-1',
      endpoint: 'http://127.0.0.1:9',
      forcePathStyle: true,
      credentials: { accessKeyId: 'WRONG', secretAccessKey: 'x' },
      maxAttempts: 1,
      requestHandler: {
        handle: async () => ({
          response: { statusCode: 403, reason: 'Forbidden', headers: {}, body: Readable.from([]) },
        }),
      },
    });
    let thrown: unknown;
    try {
      await client.send(command() as HeadBucketCommand);
    } catch (e) {
      thrown = e;
    } finally {
      client.destroy();
    }
    expect(thrown, 'the SDK should have thrown').toBeDefined();
    const m = mapS3Error(thrown, op === 'HeadBucket' ? { op, bucket: 'bkt' } : { op, key: 'bkt' });
    expect(m.code).toBe('ACCESS_DENIED');
    expect(m.message).toBe(
      `${op} bkt answered 403 (a HEAD response carries no error code): the access key may be wrong, or it lacks permission for this bucket`,
    );
  });
});
