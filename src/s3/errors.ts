import { MirrorError } from '../errors.js';
import { isHead, operationLabel, type S3Operation } from './operation.js';

const NETWORK = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'TimeoutError',
  'RequestTimeout',
]);

/**
 * Map an SDK error of request `op` once, so every caller reports (and retries) it the same way.
 * `signingRegion`, when known, keeps a 400 that merely carries the bucket's own region (e.g. an
 * SSE-C HEAD) from passing for a wrong region.
 */
export function mapS3Error(e: unknown, op: S3Operation, signingRegion?: string): MirrorError {
  if (e instanceof MirrorError) return e;
  const what = operationLabel(op);
  const err = e as {
    name?: string;
    code?: string;
    message?: string;
    $metadata?: { httpStatusCode?: number };
    $response?: { headers?: Record<string, string> };
    Code?: string;
  };
  const name = err?.name ?? err?.Code ?? '';
  const status = err?.$metadata?.httpStatusCode;
  const msg = `${what}: ${name || 'error'}${err?.message && err.message !== name ? ` (${err.message})` : ''}`;
  // The SDK's region resolver throws a plain Error before any request is made: a config problem.
  if (/^Region is missing/.test(err?.message ?? '')) {
    return new MirrorError('REGION_MISSING', 'no AWS region: set s3.region in the config, or AWS_REGION', {
      hint: `${what} needs a region, and none was found in s3.region, AWS_REGION, AWS_DEFAULT_REGION or the AWS profile; e.g. "s3": { "region": "us-east-1" }`,
      cause: e,
    });
  }
  // The bucket lives in another region than the one we sign for: AWS answers 301 (or 400), naming
  // the bucket's region in a header (a HEAD response has no body to say more). A config problem.
  const bucketRegion = err?.$response?.headers?.['x-amz-bucket-region'];
  if (
    bucketRegion &&
    bucketRegion !== signingRegion &&
    (status === 301 || (status === 400 && (name === 'AuthorizationHeaderMalformed' || isHead(op))))
  ) {
    return new MirrorError(
      'REGION_WRONG',
      `${what}: the bucket is in region ${bucketRegion}, not in the one s3mirror signs for`,
      {
        hint: `set "s3": { "region": "${bucketRegion}" } in the config (or AWS_REGION)`,
        cause: e,
      },
    );
  }
  if (
    NETWORK.has(err?.code ?? '') ||
    NETWORK.has(name) ||
    /ECONNREFUSED|socket hang up|ENOTFOUND|ETIMEDOUT/.test(err?.message ?? '')
  ) {
    return new MirrorError('ENDPOINT_UNREACHABLE', msg, {
      hint: 'check s3.endpoint and that the server is up; s3mirror retries',
      cause: e,
    });
  }
  if (name === 'NoSuchBucket') {
    return new MirrorError('BUCKET_MISSING', msg, { hint: 'create the bucket or fix pairs[].bucket', cause: e });
  }
  if (
    [
      'InvalidAccessKeyId',
      'SignatureDoesNotMatch',
      'ExpiredToken',
      'InvalidToken',
      'CredentialsProviderError',
    ].includes(name) ||
    /Could not load credentials/.test(err?.message ?? '')
  ) {
    return new MirrorError('CREDENTIALS_INVALID', msg, {
      hint: 'credentials come from the AWS chain: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, s3.profile, or an instance role',
      cause: e,
    });
  }
  // A 403 without an error code: HEAD responses have no body, so the server cannot say whether the
  // access key is unknown (InvalidAccessKeyId), the signature is wrong or the key lacks permission.
  if (status === 403 && !hasErrorCode(name)) {
    const why = isHead(op) ? 'a HEAD response carries no error code' : 'the response carried no error code';
    return new MirrorError(
      'ACCESS_DENIED',
      `${what} answered 403 (${why}): the access key may be wrong, or it lacks permission for this bucket`,
      {
        hint:
          'check the access key ID and secret the AWS chain supplies (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, s3.profile or an instance role), ' +
          'and that they are allowed s3:ListBucket, s3:GetObject, s3:PutObject, s3:DeleteObject and s3:AbortMultipartUpload on this bucket (README: Permissions)',
        cause: e,
      },
    );
  }
  if (name === 'AccessDenied' || status === 403) {
    return new MirrorError('ACCESS_DENIED', msg, {
      hint: 'the credentials lack permission for this bucket or key (README: Permissions lists what s3mirror needs)',
      cause: e,
    });
  }
  if (name === 'BadDigest' || name === 'InvalidDigest') {
    return new MirrorError('S3_BAD_DIGEST', `${msg}; the file changed while it was read`, { cause: e });
  }
  if (isThrottling(e)) {
    return new MirrorError('S3_THROTTLED', msg, { cause: e });
  }
  if (status !== undefined && status >= 500) {
    return new MirrorError('S3_SERVER_ERROR', msg, { cause: e });
  }
  if (name === 'NotFound' && status === 404 && op.op === 'HeadBucket') {
    return new MirrorError('BUCKET_MISSING', msg, { hint: 'create the bucket or fix pairs[].bucket', cause: e });
  }
  return new MirrorError('S3_REQUEST_FAILED', msg, { retryable: status === undefined || status >= 500, cause: e });
}

/** Whether the SDK found an error code in the response, rather than making one up from the status. */
function hasErrorCode(name: string): boolean {
  return name !== '' && name !== 'Unknown' && name !== 'UnknownError' && !/^\d{3}$/.test(name) && name !== 'Forbidden';
}

export function isNotFound(e: unknown): boolean {
  const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
  return err?.name === 'NotFound' || err?.name === 'NoSuchKey' || err?.$metadata?.httpStatusCode === 404;
}

/** A throttling answer (503 SlowDown, 429): the server is up and asks for fewer requests. */
export function isThrottling(e: unknown): boolean {
  const err = e as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number } };
  const status = err?.$metadata?.httpStatusCode;
  return (err?.name ?? err?.Code) === 'SlowDown' || status === 503 || status === 429;
}

/** A request that got no answer in time: the connection or the socket timed out. */
export function isTimeout(e: unknown): boolean {
  const err = e as { name?: string; code?: string };
  return err?.name === 'TimeoutError' || err?.code === 'ETIMEDOUT';
}
