import type { Listed } from '../bucket.js';
import { MirrorError } from '../errors.js';

/** Pages of a listing held while verify works on earlier keys; beyond, the listing waits. */
const PAGES_AHEAD = 3;

/**
 * A streamed listing (`collect: false`) read object by object, in key order. The listing's next
 * request waits while PAGES_AHEAD pages are unread, so memory is a few pages whatever the tree.
 */
export class ListingReader {
  private readonly pages: Listed[][] = [];
  private i = 0;
  private done = false;
  private failure: unknown;
  private wakeReader: (() => void) | undefined;
  private wakeListing: (() => void) | undefined;
  /** Objects listed so far. */
  listed = 0;

  /** Starts the listing; `list` is the Bucket's, given this reader's page callbacks. */
  start(list: (o: { onPage: (page: readonly Listed[]) => Promise<void>; onRestart: () => void }) => Promise<unknown>) {
    list({
      onPage: async (page) => {
        this.pages.push([...page]);
        this.listed += page.length;
        this.wake();
        while (this.pages.length > PAGES_AHEAD) await new Promise<void>((r) => (this.wakeListing = r));
      },
      onRestart: () => {
        throw new MirrorError('S3_REQUEST_FAILED', 'the server does not list keys in UTF-8 order', {
          hint: 'verify meets the tree and the listing key by key, in S3 order',
        });
      },
    }).then(
      () => {
        this.done = true;
        this.wake();
      },
      (e: unknown) => {
        this.failure = e;
        this.done = true;
        this.wake();
      },
    );
  }

  private wake(): void {
    const w = this.wakeReader;
    this.wakeReader = undefined;
    w?.();
  }

  async peek(): Promise<Listed | undefined> {
    for (;;) {
      const page = this.pages[0];
      if (page && this.i < page.length) return page[this.i];
      if (page) {
        this.pages.shift();
        this.i = 0;
        const l = this.wakeListing;
        this.wakeListing = undefined;
        l?.();
        continue;
      }
      if (this.failure) throw this.failure;
      if (this.done) return undefined;
      await new Promise<void>((r) => (this.wakeReader = r));
    }
  }

  take(): Listed {
    return this.pages[0]![this.i++]!;
  }
}
