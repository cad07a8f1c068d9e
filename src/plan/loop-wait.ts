/** The longest sleep with nothing due, and with due rows no pair has room for. */
export const IDLE_WAIT_MS = 5000;
export const ROOM_WAIT_MS = 1000;

/**
 * How long the daemon loop sleeps when it dispatched nothing. Rows that were due when it looked
 * were left for want of room: the next batch examined or row done wakes it, and it looks again
 * within a second in any case. A row that falls due later, even by the millisecond the clock
 * moved on while it looked (or that a timer fired early by, as this clock reads), is slept for
 * exactly, at least 1 ms: never the second kept for a loop with no room.
 */
export function loopWait(next: number | undefined, looked: number, now: number): number {
  if (next === undefined) return IDLE_WAIT_MS;
  if (next <= looked) return ROOM_WAIT_MS;
  return Math.min(IDLE_WAIT_MS, Math.max(1, next - now));
}

/** A wall clock that moves back by more than this between two looks was stepped (NTP, a VM restored). */
export const CLOCK_STEP_MS = 1000;

/**
 * How far the wall clock went back since the loop last looked, or 0. Due times are wall-clock
 * times: after a step back by an hour, every row made due before it would wait that hour again.
 */
export function clockWentBack(last: number | undefined, now: number): number {
  return last !== undefined && last - now > CLOCK_STEP_MS ? last - now : 0;
}
