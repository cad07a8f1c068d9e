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
  | 'STATE_DIR_UNWRITABLE'
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
  | 'RESTORE_PATH_REFUSED'
  | 'VERSIONING_OFF'
  | 'USAGE';

/**
 * Codes that status and logs show but no MirrorError carries: `INTERNAL` names an error without a
 * code (a bug), `WATCHER_ERROR` a pair whose watcher failed (`Runtime.noteWatcherError`), and
 * `DELETE_RELEASED` a held delete that `resume` let through (the guard does not count it again).
 */
type StatusMarker = 'INTERNAL' | 'WATCHER_ERROR' | 'DELETE_RELEASED';

/** Every code a journal row, the error log, status or a log line can carry. */
export type StatusCode = ErrorCode | StatusMarker;

/**
 * What a failure calls for, in three families.
 * - Try again: `transient` (backoff; errors of these codes are retryable unless built otherwise).
 * - Fatal for the file or the pair until something changes: `settle` (the file changed while it
 *   was read: wait until it is quiet), `file` (only a change to the file itself, its name, type or
 *   permissions, can cure it), `pair` (refused outside the file: the bucket, credentials, held
 *   deletes, a pair root, an error without a code; the daemon looks again every 5 minutes, a
 *   pass gives up).
 * - Fatal for the process: `config` (config or usage: no retry can fix it, so the daemon stops and
 *   the exit code keeps systemd from restarting it) and `process` (the stateDir cannot be used or
 *   written: a command stops; the daemon waits for a full or read-only stateDir to recover).
 * `note` marks a row that did not fail at all.
 * An error may still be built retryable against its code's class (an fs error other than a
 * permission one, a request that got no HTTP answer): that instance backs off first.
 */
export type ErrorClass = 'transient' | 'settle' | 'file' | 'pair' | 'config' | 'process' | 'note';

/** Why a process exits, by name; `EXIT` in exit.ts gives each its number. */
export type ExitReason = 'someFailed' | 'usage' | 'deletesHeld' | 's3Unusable' | 'stateDir' | 'busy';

/** A code's class and the exit code it ends a command with (none for a marker no error carries). */
interface Classification<C extends StatusCode> {
  readonly class: ErrorClass;
  readonly exit: C extends ErrorCode ? ExitReason : null;
}

/** The one answer to "what kind of failure is this?": the compiler wants a row for every code. */
const CLASSIFICATION: { readonly [C in StatusCode]: Classification<C> } = {
  CONFIG_INVALID: { class: 'config', exit: 'usage' },
  CONFIG_UNREADABLE: { class: 'config', exit: 'usage' },
  USAGE: { class: 'config', exit: 'usage' },
  // `restore --at` on a bucket that keeps no versions: asked of a bucket that cannot answer it.
  VERSIONING_OFF: { class: 'config', exit: 'usage' },
  // No region anywhere is a config problem: retrying or restarting cannot help until it is set.
  REGION_MISSING: { class: 'config', exit: 'usage' },
  REGION_WRONG: { class: 'config', exit: 'usage' },
  STATE_DIR_BUSY: { class: 'process', exit: 'busy' },
  // Exit 5, which systemd does not restart: a stateDir that is not a directory, or one the
  // service user may not write, stays so until someone fixes it.
  STATE_DIR_UNUSABLE: { class: 'process', exit: 'stateDir' },
  // A full or read-only stateDir: a one-shot command stops (exit 5); the daemon pauses and retries.
  STATE_DIR_UNWRITABLE: { class: 'process', exit: 'stateDir' },
  ENDPOINT_UNREACHABLE: { class: 'transient', exit: 's3Unusable' },
  BUCKET_MISSING: { class: 'pair', exit: 's3Unusable' },
  CREDENTIALS_INVALID: { class: 'pair', exit: 's3Unusable' },
  ACCESS_DENIED: { class: 'pair', exit: 's3Unusable' },
  DELETES_HELD: { class: 'pair', exit: 'deletesHeld' },
  // `sync --once` exits 3 for a root problem by its own check, not by this code.
  PAIR_PATH_MISSING: { class: 'pair', exit: 'someFailed' },
  S3_REQUEST_FAILED: { class: 'pair', exit: 'someFailed' },
  S3_THROTTLED: { class: 'transient', exit: 'someFailed' },
  S3_SERVER_ERROR: { class: 'transient', exit: 'someFailed' },
  S3_BAD_DIGEST: { class: 'transient', exit: 'someFailed' },
  FILE_CHANGED: { class: 'settle', exit: 'someFailed' },
  FILE_NEVER_SETTLES: { class: 'settle', exit: 'someFailed' },
  FILE_UNREADABLE: { class: 'file', exit: 'someFailed' },
  UNSUPPORTED_FILE: { class: 'file', exit: 'someFailed' },
  KEY_TOO_LONG: { class: 'file', exit: 'someFailed' },
  KEY_COLLISION: { class: 'file', exit: 'someFailed' },
  // A key restore will not write (it could leave the restore directory): that key only.
  RESTORE_PATH_REFUSED: { class: 'file', exit: 'someFailed' },
  INTERNAL: { class: 'pair', exit: null },
  WATCHER_ERROR: { class: 'pair', exit: null },
  DELETE_RELEASED: { class: 'note', exit: null },
};

function isStatusCode(code: string): code is StatusCode {
  return Object.hasOwn(CLASSIFICATION, code);
}

/**
 * The class of any code a row may carry. A code this version does not know (a journal written by
 * another version) is treated as a refusal outside the file: looked at again, never given up on.
 */
export function errorClass(code: string): ErrorClass {
  return isStatusCode(code) ? CLASSIFICATION[code].class : 'pair';
}

/** The exit a command ends with when this code stops it. */
export function exitReason(code: ErrorCode): ExitReason {
  return CLASSIFICATION[code].exit;
}

export class MirrorError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, opts: { hint?: string; retryable?: boolean; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'MirrorError';
    this.code = code;
    this.hint = opts.hint;
    this.retryable = opts.retryable ?? errorClass(code) === 'transient';
  }
}

export function isMirrorError(e: unknown): e is MirrorError {
  return e instanceof MirrorError;
}

/** Errors no retry can fix (config and usage, exit 2): the daemon stops instead of retrying. */
export function isConfigClass(e: unknown): e is MirrorError {
  return e instanceof MirrorError && errorClass(e.code) === 'config';
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
export function errorSummary(e: unknown): { code: ErrorCode | 'INTERNAL'; message: string; hint?: string } {
  if (isMirrorError(e)) return { code: e.code, message: e.message, ...(e.hint ? { hint: e.hint } : {}) };
  return { code: 'INTERNAL', message: errorMessage(e) };
}
