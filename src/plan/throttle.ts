/**
 * How many requests a bucket that throttles (503 SlowDown, 429) is sent at once: halved at a
 * throttling answer, raised by one after a round of successes, never above `concurrency`. Pure:
 * src/sync/throttle.ts applies it to every attempt the SDK makes.
 *
 * One halving per round: answers to attempts that began before the last decrease describe the
 * load before it, so they do not halve the cap again (as TCP takes one loss per window).
 */
export interface ThrottleState {
  /** Attempts in flight allowed; null: not capped (the bucket has never throttled). */
  cap: number | null;
  /** Decreases so far: an attempt remembers the epoch it began in. */
  epoch: number;
  /** Successes since the cap last changed. */
  successes: number;
}

export const UNTHROTTLED: ThrottleState = { cap: null, epoch: 0, successes: 0 };

export interface ThrottleVerdict {
  state: ThrottleState;
  reason: string;
}

/** A throttling answer to an attempt that began in `epoch`, with `inFlight` attempts under way. */
export function afterThrottle(s: ThrottleState, f: { epoch: number; inFlight: number; max: number }): ThrottleVerdict {
  if (f.epoch < s.epoch) return { state: s, reason: 'the attempt began before the last decrease: already counted' };
  const from = Math.min(s.cap ?? f.inFlight, f.max);
  const cap = Math.max(1, Math.floor(from / 2));
  return {
    state: { cap, epoch: s.epoch + 1, successes: 0 },
    reason: `throttled with ${f.inFlight} in flight: at most ${cap} at once (was ${s.cap ?? 'uncapped'})`,
  };
}

/**
 * An attempt that succeeded: a whole round of them (as many as the cap) raises the cap by one.
 * Only attempts that filled the cap count (`full`): a cap that is not what holds requests back
 * learns nothing from their success, and would otherwise grow far past what the server takes.
 */
export function afterSuccess(s: ThrottleState, f: { max: number; full: boolean }): ThrottleVerdict {
  if (s.cap === null) return { state: s, reason: 'not capped' };
  if (!f.full) return { state: s, reason: 'the cap was not full: it held nothing back' };
  if (s.cap >= f.max) return { state: { ...s, successes: 0 }, reason: `at concurrency (${f.max}) already` };
  const successes = s.successes + 1;
  if (successes < s.cap) return { state: { ...s, successes }, reason: `${successes} of ${s.cap} successes` };
  return { state: { ...s, cap: s.cap + 1, successes: 0 }, reason: `a round of ${s.cap} successes: ${s.cap + 1}` };
}

/** `concurrency` lowered by a reload: a cap above it comes down to it. */
export function withMax(s: ThrottleState, max: number): ThrottleState {
  return s.cap !== null && s.cap > max ? { ...s, cap: max, successes: 0 } : s;
}
