import { type ExitReason, exitReason, isMirrorError } from './errors.js';

/** Exit codes are part of the contract (README, systemd's RestartPreventExitStatus). */
export const EXIT = {
  ok: 0,
  someFailed: 1,
  usage: 2,
  deletesHeld: 3,
  s3Unusable: 4,
  stateDir: 5,
  busy: 75,
} as const satisfies Record<'ok' | ExitReason, number>;

/** An error's code picks the exit (its row in errors.ts); an error without one is a failure like any. */
export function exitCodeFor(e: unknown): number {
  return isMirrorError(e) ? EXIT[exitReason(e.code)] : EXIT.someFailed;
}

/** What each exit code means, for `--help` (and kept in step with the README's list). */
export const EXIT_MEANINGS: readonly (readonly [number, string])[] = [
  [EXIT.ok, 'ok'],
  [EXIT.someFailed, 'some files failed'],
  [EXIT.usage, 'usage or config error'],
  [EXIT.deletesHeld, 'deletes held (or a pair root is missing)'],
  [EXIT.s3Unusable, 'endpoint, bucket or credentials unusable'],
  [EXIT.stateDir, 'the stateDir cannot be used or written (full, read-only, not a directory)'],
  [EXIT.busy, 'the stateDir is in use by another s3mirror'],
];
