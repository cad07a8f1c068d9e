// Without the SDK: a process that sends no request never loads it, and still reports its counts.
/** Requests per command name, counted once per call and once per HTTP attempt (retries included). */
export class RequestCounter {
  readonly calls = new Map<string, number>();
  readonly attempts = new Map<string, number>();
  bytesSent = 0;
  /** Told how long each HTTP attempt took, by operation (`PutObject`), and how it ended. */
  observe: ((operation: string, seconds: number, outcome: 'ok' | 'throttled' | 'error') => void) | undefined;

  total(map: 'calls' | 'attempts' = 'attempts'): number {
    let n = 0;
    for (const v of this[map].values()) n += v;
    return n;
  }
  snapshot(): Record<string, number> {
    return Object.fromEntries(this.attempts);
  }
}
