import {
  afterSuccess,
  afterThrottle,
  type ThrottleState,
  type ThrottleVerdict,
  UNTHROTTLED,
  withMax,
} from '../plan/throttle.js';

/** How an attempt ended, as far as throttling goes. */
export type AttemptOutcome = 'ok' | 'throttled' | 'other';

/** Parts of large uploads and copies wait behind every other request for a place under a cap. */
const BEHIND = new Set(['UploadPartCommand', 'UploadPartCopyCommand']);

interface Gate {
  state: ThrottleState;
  inFlight: number;
  first: (() => void)[];
  behind: (() => void)[];
}

/**
 * Each bucket's attempts in flight, capped once the bucket throttles (src/plan/throttle.ts
 * decides the cap). Every SDK attempt takes a place here first (s3/client.ts `admit`), retries
 * included, so a server that answers 503 above N requests at once is soon sent about N.
 */
export class BucketThrottles {
  private readonly gates = new Map<string, Gate>();

  constructor(
    private max: number,
    private readonly onDecrease: (bucket: string, v: ThrottleVerdict) => void = () => undefined,
  ) {}

  /** The attempts in flight a bucket is allowed now; null: not capped. */
  capOf(bucket: string): number | null {
    return this.gates.get(bucket)?.state.cap ?? null;
  }

  /** A reload changed `concurrency`. */
  setMax(max: number): void {
    this.max = max;
    for (const g of this.gates.values()) {
      g.state = withMax(g.state, max);
      this.pump(g);
    }
  }

  /** Wait for a place for one attempt of `command`; call what it returns once the attempt ended. */
  async admit(bucket: string, command: string): Promise<(o: AttemptOutcome) => void> {
    const g = this.gate(bucket);
    if (this.free(g) && !g.first.length && !g.behind.length) g.inFlight++;
    else await new Promise<void>((resolve) => (BEHIND.has(command) ? g.behind : g.first).push(resolve));
    const epoch = g.state.epoch;
    const full = g.state.cap !== null && g.inFlight >= g.state.cap;
    let ended = false;
    return (o) => {
      if (ended) return;
      ended = true;
      g.inFlight--;
      if (o === 'throttled') {
        const v = afterThrottle(g.state, { epoch, inFlight: g.inFlight + 1, max: this.max });
        if (v.state !== g.state) this.onDecrease(bucket, v);
        g.state = v.state;
      } else if (o === 'ok') g.state = afterSuccess(g.state, { max: this.max, full }).state;
      this.pump(g);
    };
  }

  private gate(bucket: string): Gate {
    let g = this.gates.get(bucket);
    if (!g) {
      g = { state: UNTHROTTLED, inFlight: 0, first: [], behind: [] };
      this.gates.set(bucket, g);
    }
    return g;
  }

  private free(g: Gate): boolean {
    return g.state.cap === null || g.inFlight < g.state.cap;
  }

  /** Places freed: the waiting attempts take them, parts last. */
  private pump(g: Gate): void {
    while (this.free(g)) {
      const next = g.first.shift() ?? g.behind.shift();
      if (!next) return;
      g.inFlight++;
      next();
    }
  }
}
