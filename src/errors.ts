/**
 * Every failure a user can meet carries a stable `code` (for scripts, status and logs), a `hint`
 * (what to do about it) and whether retrying can help. Errors without a code are bugs: only those
 * get a stack trace (the pnpm convention).
 */
export type ErrorCode =
  | 'CONFIG_INVALID'
  | 'CONFIG_UNREADABLE'
  | 'PAIR_PATH_MISSING'
  | 'STATE_DIR_BUSY'
  | 'STATE_DIR_UNUSABLE'
  | 'REGION_MISSING'
  | 'REGION_WRONG'
  | 'ENDPOINT_UNREACHABLE'
  | 'BUCKET_MISSING'
  | 'CREDENTIALS_INVALID'
  | 'ACCESS_DENIED'
  | 'S3_THROTTLED'
  | 'S3_SERVER_ERROR'
  | 'S3_REQUEST_FAILED'
  | 'S3_BAD_DIGEST'
  | 'FILE_UNREADABLE'
  | 'FILE_CHANGED'
  | 'FILE_NEVER_SETTLES'
  | 'KEY_TOO_LONG'
  | 'KEY_COLLISION'
  | 'UNSUPPORTED_FILE'
  | 'DELETES_HELD'
  | 'USAGE';

export class MirrorError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, opts: { hint?: string; retryable?: boolean; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'MirrorError';
    this.code = code;
    this.hint = opts.hint;
    this.retryable = opts.retryable ?? false;
  }
}

export function isMirrorError(e: unknown): e is MirrorError {
  return e instanceof MirrorError;
}

/**
 * Map a Node fs error on a local file once, so every caller reports it the same way. An error
 * already mapped (a MirrorError) passes through unchanged, as in mapS3Error.
 */
export function fromFsError(e: unknown, path: string): MirrorError {
  if (e instanceof MirrorError) return e;
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EACCES' || code === 'EPERM') {
    return new MirrorError('FILE_UNREADABLE', `cannot read ${path}: permission denied`, {
      hint: 'grant the s3mirror user read access; the file is retried when it changes',
      cause: e,
    });
  }
  if (code === 'ELOOP') {
    return new MirrorError('UNSUPPORTED_FILE', `symlink loop at ${path}`, { cause: e });
  }
  return new MirrorError('FILE_UNREADABLE', `cannot read ${path}: ${(e as Error)?.message ?? String(e)}`, {
    retryable: true,
    cause: e,
  });
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** A one-line description of any error, safe for logs and status (no stack, no secrets). */
export function describe(e: unknown): { code: string; message: string; hint?: string } {
  if (isMirrorError(e)) return { code: e.code, message: e.message, ...(e.hint ? { hint: e.hint } : {}) };
  return { code: 'INTERNAL', message: errorMessage(e) };
}
