import type { Bucket, Listed } from '../bucket.js';
import type { Journal } from '../store/journal.js';
import type { KeyedObject } from '../store/march.js';

/**
 * A listing written into the remote table page by page as it arrives, and how far the table is
 * known to be the bucket's truth: every key up to `watermark` ('' for none yet) has been listed.
 * Ranges listed side by side arrive out of order; the watermark follows the contiguous part. A
 * server that lists out of S3's order gives no ranges: its listing is gathered whole and applied
 * at its end (memory then grows with the bucket, on such servers only).
 */
export class ListingFeed {
  watermark = '';
  complete = false;
  /** Objects listed (trash excluded). */
  objects = 0;
  /** The most objects held at once (a page, or the whole listing of an unordered server). */
  peak = 0;
  private failure: unknown;
  private stopped = false;
  private readonly ahead = new Map<string, string | null>();
  private unordered: Listed[] | undefined;
  private wake: (() => void) | undefined;
  readonly done: Promise<void>;

  constructor(
    private readonly l: {
      journal: Journal;
      bucket: Bucket;
      pair: string;
      prefix: string;
      trash: string;
      splitAfter: string[];
      now: () => number;
      fingerprint: string;
    },
  ) {
    this.done = this.run().then(
      () => this.settle(),
      (e: unknown) => {
        this.failure = e;
        this.settle();
      },
    );
  }

  /** Resolves when the watermark moves, the listing ends, or fails (then it rejects). */
  progress(): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.complete) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const prev = this.wake;
      this.wake = () => {
        prev?.();
        resolve();
      };
    }).then(() => {
      if (this.failure !== undefined) throw this.failure;
    });
  }

  /** The reconciliation gave up: pages still arriving are not written (the journal may be closing). */
  stop(): void {
    this.stopped = true;
  }

  /** The listing ended or failed: throws its error. */
  async finished(): Promise<void> {
    await this.done;
    if (this.failure !== undefined) throw this.failure;
  }

  private settle(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  private async run(): Promise<void> {
    const { journal, bucket, pair, prefix, trash } = this.l;
    await bucket.list(prefix, {
      splitAfter: this.l.splitAfter,
      collect: false,
      onRestart: () => {
        this.unordered = [];
        this.ahead.clear();
        this.objects = 0;
        this.complete = false;
      },
      onPage: (page, covered) => {
        if (this.stopped) return;
        const objects: KeyedObject[] = page.filter((o) => !o.key.startsWith(trash));
        this.objects += objects.length;
        this.peak = Math.max(this.peak, objects.length);
        if (!covered || this.unordered) {
          this.unordered ??= [];
          for (const o of objects) this.unordered.push(o);
          this.peak = Math.max(this.peak, this.unordered.length);
          return;
        }
        journal.march.applyPage(pair, objects, covered, this.l.now());
        this.ahead.set(covered.after, covered.through);
        let moved = false;
        while (this.ahead.has(this.watermark)) {
          const next = this.ahead.get(this.watermark)!;
          this.ahead.delete(this.watermark);
          moved = true;
          if (next === null) {
            this.complete = true;
            break;
          }
          this.watermark = next;
        }
        if (moved) this.settle();
      },
    });
    if (this.stopped) return;
    const at = { now: this.l.now(), fingerprint: this.l.fingerprint };
    if (this.unordered) {
      this.objects = this.unordered.length;
      journal.remote.replace(pair, this.unordered, at);
      this.unordered = undefined;
    } else journal.march.listed(pair, at);
    this.complete = true;
  }
}
