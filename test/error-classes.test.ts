import { describe, expect, it } from 'vitest';
import { type ErrorClass, type ErrorCode, errorClass, MirrorError, type StatusCode } from '../src/errors.js';
import { EXIT, exitCodeFor } from '../src/exit.js';

// The classification in src/errors.ts, pinned code by code: its class, the exit code it ends a
// command with (null: a marker no error carries), and whether its errors retry unless told.

const EXPECTED: Record<StatusCode, [ErrorClass, number | null]> = {
  CONFIG_INVALID: ['config', EXIT.usage],
  CONFIG_UNREADABLE: ['config', EXIT.usage],
  USAGE: ['config', EXIT.usage],
  REGION_MISSING: ['config', EXIT.usage],
  REGION_WRONG: ['config', EXIT.usage],
  STATE_DIR_BUSY: ['process', EXIT.busy],
  STATE_DIR_UNUSABLE: ['process', EXIT.stateDir],
  STATE_DIR_UNWRITABLE: ['process', EXIT.stateDir],
  ENDPOINT_UNREACHABLE: ['transient', EXIT.s3Unusable],
  BUCKET_MISSING: ['pair', EXIT.s3Unusable],
  CREDENTIALS_INVALID: ['pair', EXIT.s3Unusable],
  ACCESS_DENIED: ['pair', EXIT.s3Unusable],
  DELETES_HELD: ['pair', EXIT.deletesHeld],
  PAIR_PATH_MISSING: ['pair', EXIT.someFailed],
  S3_REQUEST_FAILED: ['pair', EXIT.someFailed],
  S3_THROTTLED: ['transient', EXIT.someFailed],
  S3_SERVER_ERROR: ['transient', EXIT.someFailed],
  S3_BAD_DIGEST: ['transient', EXIT.someFailed],
  FILE_CHANGED: ['settle', EXIT.someFailed],
  FILE_NEVER_SETTLES: ['settle', EXIT.someFailed],
  FILE_UNREADABLE: ['file', EXIT.someFailed],
  UNSUPPORTED_FILE: ['file', EXIT.someFailed],
  KEY_TOO_LONG: ['file', EXIT.someFailed],
  KEY_COLLISION: ['file', EXIT.someFailed],
  RESTORE_PATH_REFUSED: ['file', EXIT.someFailed],
  VERSIONING_OFF: ['config', EXIT.usage],
  INTERNAL: ['pair', null],
  WATCHER_ERROR: ['pair', null],
  DELETE_RELEASED: ['note', null],
};

const ROWS = Object.entries(EXPECTED) as [StatusCode, [ErrorClass, number | null]][];
const ERROR_ROWS = ROWS.filter((r): r is [ErrorCode, [ErrorClass, number]] => r[1][1] !== null);

describe('error classification', () => {
  it.each(ROWS)('%s is %j', (code, [cls]) => {
    expect(errorClass(code)).toBe(cls);
  });

  it.each(ERROR_ROWS)('%s exits with %j', (code, [, exit]) => {
    expect(exitCodeFor(new MirrorError(code, 'x'))).toBe(exit);
  });

  it.each(ERROR_ROWS)('%s: an error is retryable by default exactly when its class is transient', (code, [cls]) => {
    expect(new MirrorError(code, 'x').retryable).toBe(cls === 'transient');
    expect(new MirrorError(code, 'x', { retryable: true }).retryable).toBe(true);
  });

  it('the daemon stops on config errors only, and every one of them exits 2 (systemd does not restart it)', () => {
    const config = ERROR_ROWS.filter(([, [cls]]) => cls === 'config').map(([code]) => code);
    const usage = ERROR_ROWS.filter(([, [, exit]]) => exit === EXIT.usage).map(([code]) => code);
    expect(config).toEqual(usage);
  });

  it('an error without a code exits as a failure; a code this version does not know is retried, not given up', () => {
    expect(exitCodeFor(new Error('bug'))).toBe(EXIT.someFailed);
    expect(errorClass('SOME_FUTURE_CODE')).toBe('pair');
    expect(errorClass('toString')).toBe('pair');
  });
});
