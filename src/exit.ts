import { isMirrorError, type ErrorCode } from './errors.js';

/** Exit codes are part of the contract (README, systemd's RestartPreventExitStatus). */
export const EXIT = {
  ok: 0,
  someFailed: 1,
  usage: 2,
  deletesHeld: 3,
  s3Unusable: 4,
  busy: 75,
} as const;

const BY_CODE: Partial<Record<ErrorCode, number>> = {
  CONFIG_INVALID: EXIT.usage,
  CONFIG_UNREADABLE: EXIT.usage,
  USAGE: EXIT.usage,
  // No region anywhere is a config problem: retrying or restarting cannot help until it is set.
  REGION_MISSING: EXIT.usage,
  REGION_WRONG: EXIT.usage,
  STATE_DIR_BUSY: EXIT.busy,
  ENDPOINT_UNREACHABLE: EXIT.s3Unusable,
  BUCKET_MISSING: EXIT.s3Unusable,
  CREDENTIALS_INVALID: EXIT.s3Unusable,
  ACCESS_DENIED: EXIT.s3Unusable,
  DELETES_HELD: EXIT.deletesHeld,
};

export function exitCodeFor(e: unknown): number {
  return isMirrorError(e) ? (BY_CODE[e.code] ?? EXIT.someFailed) : EXIT.someFailed;
}

/** What each exit code means, for `--help` (and kept in step with the README's list). */
export const EXIT_MEANINGS: readonly (readonly [number, string])[] = [
  [EXIT.ok, 'ok'],
  [EXIT.someFailed, 'some files failed'],
  [EXIT.usage, 'usage or config error'],
  [EXIT.deletesHeld, 'deletes held (or a pair root is missing)'],
  [EXIT.s3Unusable, 'endpoint, bucket or credentials unusable'],
  [EXIT.busy, 'the stateDir is in use by another s3mirror'],
];
