import type { WalkEntry, WalkItem } from './walker.js';

/**
 * The walk's next item (its key with the pair's prefix), looked at before it is taken. It reads
 * the walk a batch at a time (walkBatches): `ready` says whether the next item is at hand, and
 * only then do `next`, `nextKey` and `take` answer; `fill` waits for the walk otherwise. A
 * consumer awaits only when a batch runs out, not once per file.
 */
export class WalkReader {
  private buf: readonly WalkItem[] = [];
  /** The items' keys with the prefix; null when there is no prefix (the items' own keys). */
  private keys: readonly string[] | null = null;
  private i = 0;
  private done = false;
  constructor(
    private readonly it: AsyncIterator<readonly WalkItem[]>,
    private readonly prefix: string,
  ) {}

  /** Can the next item (or the walk's end) be told without waiting? */
  get ready(): boolean {
    return this.i < this.buf.length || this.done;
  }

  /** Reads the walk until the next item (or its end) is at hand. */
  async fill(): Promise<void> {
    while (!this.ready) {
      const r = await this.it.next();
      if (r.done) {
        this.done = true;
        return;
      }
      const p = this.prefix;
      this.buf = r.value;
      this.keys = p ? r.value.map((x) => p + x.key) : null;
      this.i = 0;
    }
  }

  /** The next item; undefined at the end. Only when `ready`. */
  next(): WalkItem | undefined {
    return this.buf[this.i];
  }

  /** The next item's key with the prefix; undefined at the end. Only when `ready`. */
  nextKey(): string | undefined {
    return this.keys ? this.keys[this.i] : this.buf[this.i]?.key;
  }

  take(): void {
    if (this.i < this.buf.length) this.i++;
  }

  async peek(): Promise<(WalkItem & { full: string }) | undefined> {
    await this.fill();
    const x = this.next();
    return x && { ...x, full: this.nextKey()! };
  }

  /** Takes every file at `key`: two local names (NFC and NFD) of one key are two entries. */
  async takeEntries(key: string): Promise<WalkEntry[]> {
    const entries: WalkEntry[] = [];
    for (;;) {
      if (!this.ready) await this.fill();
      const x = this.next();
      if (!x?.entry || this.nextKey() !== key) return entries;
      entries.push(x.entry);
      this.take();
    }
  }
}
