// A virtual clock for the outage watch's probe waits (DaemonOptions.probeSleep): each wait the watch
// asks for is held until the test releases it, and releasing it advances the clock by what was
// asked. Probes are then counted against virtual time, never timed, and the number of waits held
// at once is the number of probe loops running.
export interface ProbeClock {
  sleep: (ms: number) => Promise<void>;
  /** Waits asked for and not yet released. */
  held(): number;
  /** Release the oldest held wait; the clock advances by it. Returns what it asked for. */
  release(): number;
  /** Every wait asked for so far, in order. */
  readonly asked: number[];
  /** Virtual time: the sum of the waits released. */
  now(): number;
}

export function probeClock(): ProbeClock {
  const waiting: { ms: number; go: () => void }[] = [];
  const asked: number[] = [];
  let t = 0;
  return {
    sleep: (ms) =>
      new Promise<void>((go) => {
        asked.push(ms);
        waiting.push({ ms, go });
      }),
    held: () => waiting.length,
    release() {
      const w = waiting.shift();
      if (!w) throw new Error('no probe wait is held');
      t += w.ms;
      w.go();
      return w.ms;
    },
    asked,
    now: () => t,
  };
}

/**
 * Whether the waits asked for make probes start 5 s after the outage and 10 s apart after it. The
 * watch measures 10 s from the last probe's start on the real clock, so each wait after the first
 * is 10 s less the real milliseconds the probe took: `slackMs` allows for them.
 */
export function probeSchedule(asked: readonly number[], slackMs = 2000): boolean {
  return asked.every((ms, i) => (i === 0 ? ms === 5000 : ms <= 10_000 && ms > 10_000 - slackMs));
}
