/**
 * When a bucket counts as offline, and how often an offline bucket is probed. Pure: the clock is
 * an input. Offline stops per-file attempts for the bucket's pairs (src/sync/outage.ts): while
 * the server is down, retrying every file re-reads every file and learns nothing new.
 */
/** What one request to a bucket came to, as far as the link to the server is concerned. */
export type RequestOutcome =
  /** The server answered: success, or a refusal that proves it is up (404, 403, 400 …). */
  | 'answered'
  /** No answer: connection refused or reset, DNS failure, a socket idle past its timeout. */
  | 'unreachable'
  /** A 5xx other than throttling. */
  | 'server-error'
  /** 503 SlowDown or 429: the server is up and asks us to slow down. */
  | 'throttled';

/** Server errors in a row that make a bucket offline: s3rver answers one 500 to a DeleteObjects that succeeded. */
const SERVER_ERRORS_FOR_OUTAGE = 3;
/**
 * The first probe of an offline bucket waits PROBE_FIRST_MS, and probes start PROBE_MAX_MS apart.
 * Half the cap first: a blip is over quickly and its first probe comes before the cap; the request
 * that found the outage is not a probe. After that a flat 10 s: the issue allows one probe per
 * bucket per 10 s, and a doubling ramp below the cap (2 s, 4 s, 8 s) would send two probes in the
 * first 10 s. Start to start, so a probe that hangs until PROBE_TIMEOUT_MS does not stretch the
 * interval: an endpoint back from a hang is probed within 10 s all the same.
 */
const PROBE_FIRST_MS = 5_000;
export const PROBE_MAX_MS = 10_000;
/** A probe unanswered for this long (connect, or a silent socket) has failed. */
export const PROBE_TIMEOUT_MS = 5_000;

/** The outcome of a request that failed with `code` (null: it succeeded). */
export function outcomeOf(code: string | null): RequestOutcome {
  if (code === null) return 'answered';
  if (code === 'ENDPOINT_UNREACHABLE') return 'unreachable';
  if (code === 'S3_THROTTLED') return 'throttled';
  if (code === 'S3_SERVER_ERROR') return 'server-error';
  // A refusal of any other kind (access, a missing key, a bad request) proves the server is up.
  return 'answered';
}

export interface LinkState {
  /** Since when the bucket is offline; null: online. */
  offlineSince: number | null;
  /** 5xx answers in a row (throttling neither counts nor breaks the run). */
  serverErrors: number;
  /** The error that made it offline, or the last one seen while offline. */
  lastError: string | null;
}

export const ONLINE: LinkState = { offlineSince: null, serverErrors: 0, lastError: null };

export interface LinkChange {
  state: LinkState;
  /** The bucket went offline or came back with this request; null: no change. */
  change: 'offline' | 'online' | null;
  reason: string;
}

/** The link's state after one request's outcome. */
export function nextLink(s: LinkState, outcome: RequestOutcome, now: number, error: string | null): LinkChange {
  const offline = s.offlineSince !== null;
  switch (outcome) {
    case 'answered':
      if (offline) return { state: ONLINE, change: 'online', reason: 'the server answers again' };
      return { state: s.serverErrors ? ONLINE : s, change: null, reason: 'the server answers' };
    case 'throttled':
      // Throttling is the server at work: the caller slows down, the link stays as it is.
      return { state: s, change: null, reason: 'throttled: slowing down, not an outage' };
    case 'unreachable':
      if (offline) return { state: { ...s, lastError: error }, change: null, reason: 'still unreachable' };
      return {
        state: { offlineSince: now, serverErrors: s.serverErrors, lastError: error },
        change: 'offline',
        reason: 'the server does not answer (connection failed or timed out)',
      };
    case 'server-error': {
      const n = s.serverErrors + 1;
      if (offline) return { state: { ...s, serverErrors: n, lastError: error }, change: null, reason: 'still failing' };
      if (n < SERVER_ERRORS_FOR_OUTAGE)
        return { state: { ...s, serverErrors: n }, change: null, reason: `${n} server error(s) in a row` };
      return {
        state: { offlineSince: now, serverErrors: n, lastError: error },
        change: 'offline',
        reason: `${n} server errors in a row`,
      };
    }
  }
}

/**
 * How long to wait before the probe after `failed` failed probes of this outage (0: the first one).
 * `sinceLastProbeMs`: how long ago the last probe of the bucket started, in this outage or an
 * earlier one (undefined: never). Probes start at least PROBE_MAX_MS apart, so a bucket that comes
 * back and goes offline again at once is not probed twice within 10 s either.
 */
export function probeDelay(failed: number, sinceLastProbeMs?: number): number {
  const first = failed <= 0 ? PROBE_FIRST_MS : 0;
  if (sinceLastProbeMs === undefined) return failed <= 0 ? PROBE_FIRST_MS : PROBE_MAX_MS;
  return Math.max(first, PROBE_MAX_MS - Math.max(sinceLastProbeMs, 0));
}
