import type { Hashed } from '../local/hasher.js';
import type { LocalStat } from '../model.js';
import { sameStat } from '../plan/planner.js';

/** Enough for every file a batch of the largest concurrency holds, and small (≈ 200 bytes each). */
const MAX_ENTRIES = 10_000;

/**
 * The last hash of each file read, kept until its stat changes: a file whose upload failed (an
 * outage, a server error) is not read and hashed again when it is retried, only read to be sent.
 * The same trust as the planner's rule 5: equal size, mtime, ctime and inode mean equal content.
 */
export class HashCache {
  private readonly byPath = new Map<string, Omit<Hashed, 'body' | 'release'>>();

  get(pair: string, rel: string, stat: LocalStat): Hashed | undefined {
    const h = this.byPath.get(`${pair}\0${rel}`);
    if (!h) return undefined;
    return sameStat(stat, h.stat) ? { ...h, partMd5s: [...h.partMd5s] } : undefined;
  }

  put(pair: string, rel: string, h: Hashed): void {
    const id = `${pair}\0${rel}`;
    // The body stays with the upload it was read for; a retry reads it again to send it.
    const { body: _body, release: _release, ...kept } = h;
    this.byPath.delete(id);
    this.byPath.set(id, kept);
    if (this.byPath.size > MAX_ENTRIES) this.byPath.delete(this.byPath.keys().next().value!);
  }
}
