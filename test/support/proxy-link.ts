// The fault proxy's (proxy.ts) slow uplink: request bodies of the requests it matches pass
// through one shared link of `bytesPerSec`, chunk by chunk in arrival order, so concurrent
// uploads share the bandwidth as they would on a real link. Answers are not slowed.
import type { ProxiedRequest } from './proxy-faults.js';

export interface LinkLimit {
  bytesPerSec: number;
  /** Which requests go through the link; default all. */
  match?: (req: ProxiedRequest) => boolean;
}

export class SharedLink {
  /** When the link has sent every chunk handed to it so far (performance.now() time). */
  private freeAt = 0;

  constructor(readonly limit: LinkLimit) {}

  applies(req: ProxiedRequest): boolean {
    return this.limit.match ? this.limit.match(req) : true;
  }

  /** Resolves once `n` bytes handed over now have passed the link. */
  pass(n: number): Promise<void> {
    const now = performance.now();
    this.freeAt = Math.max(now, this.freeAt) + (n * 1000) / this.limit.bytesPerSec;
    const wait = this.freeAt - now;
    return new Promise((resolve) => setTimeout(resolve, wait));
  }
}
