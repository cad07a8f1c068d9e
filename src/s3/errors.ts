import { MirrorError } from '../errors.js';

const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'TimeoutError', 'RequestTimeout']);

/** Map an SDK error once, so every caller reports (and retries) it the same way. */
export function mapS3Error(e: unknown, what: string): MirrorError {
  if (e instanceof MirrorError) return e;
  const err = e as { name?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number }; Code?: string };
  const name = err?.name ?? err?.Code ?? '';
  const status = err?.$metadata?.httpStatusCode;
  const msg = `${what}: ${name || 'error'}${err?.message && err.message !== name ? ` (${err.message})` : ''}`;
  if (NETWORK.has(err?.code ?? '') || NETWORK.has(name) || /ECONNREFUSED|socket hang up|ENOTFOUND|ETIMEDOUT/.test(err?.message ?? '')) {
    return new MirrorError('ENDPOINT_UNREACHABLE', msg, { retryable: true, hint: 'check s3.endpoint and that the server is up; s3mirror retries', cause: e });
  }
  if (name === 'NoSuchBucket') {
    return new MirrorError('BUCKET_MISSING', msg, { hint: 'create the bucket or fix pairs[].bucket', cause: e });
  }
  if (['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'ExpiredToken', 'InvalidToken', 'CredentialsProviderError'].includes(name) || /Could not load credentials/.test(err?.message ?? '')) {
    return new MirrorError('CREDENTIALS_INVALID', msg, {
      hint: 'credentials come from the AWS chain: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, s3.profile, or an instance role',
      cause: e,
    });
  }
  if (name === 'AccessDenied' || status === 403) {
    return new MirrorError('ACCESS_DENIED', msg, { hint: 'the credentials lack permission for this bucket or key', cause: e });
  }
  if (name === 'BadDigest' || name === 'InvalidDigest') {
    return new MirrorError('S3_BAD_DIGEST', `${msg}; the file changed while it was read`, { retryable: true, cause: e });
  }
  if (name === 'SlowDown' || status === 503 || status === 429) {
    return new MirrorError('S3_THROTTLED', msg, { retryable: true, cause: e });
  }
  if (status !== undefined && status >= 500) {
    return new MirrorError('S3_SERVER_ERROR', msg, { retryable: true, cause: e });
  }
  if (name === 'NotFound' && status === 404 && /HeadBucket/.test(what)) {
    return new MirrorError('BUCKET_MISSING', msg, { hint: 'create the bucket or fix pairs[].bucket', cause: e });
  }
  return new MirrorError('S3_REQUEST_FAILED', msg, { retryable: status === undefined || status >= 500, cause: e });
}

export function isNotFound(e: unknown): boolean {
  const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
  return err?.name === 'NotFound' || err?.name === 'NoSuchKey' || err?.$metadata?.httpStatusCode === 404;
}
