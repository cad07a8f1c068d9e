/**
 * At most `concurrency` tasks at once, the waiting ones started in order, urgent ones first. What
 * the lanes took p-queue for, without its per-task events, abort signals and promise wrappers:
 * every small file passes through two of these, and p-queue was a tenth of s3mirror's own CPU in W1.
 */
export class Slots {
  private running = 0;
  /** Waiting starts: urgent ones in `urgent`, the rest in `normal`, each read from its head. */
  private readonly urgent = new Fifo<() => void>();
  private readonly normal = new Fifo<() => void>();

  constructor(private limit: number) {}

  get concurrency(): number {
    return this.limit;
  }

  /** A raised limit starts waiting tasks at once; a lowered one lets running tasks finish. */
  set concurrency(n: number) {
    this.limit = n;
    this.startWaiting();
  }

  /** Tasks waiting for a slot. */
  get size(): number {
    return this.urgent.length + this.normal.length;
  }

  /** Tasks running. */
  get pending(): number {
    return this.running;
  }

  /** Runs `fn` in a slot (at once if one is free and nothing waits); settles as `fn` does. */
  add<T>(fn: () => Promise<T>, o: { urgent?: boolean } = {}): Promise<T> {
    if (this.running < this.limit && this.size === 0) return this.start(fn);
    return new Promise<T>((resolve, reject) => {
      (o.urgent ? this.urgent : this.normal).push(() => this.start(fn).then(resolve, reject));
    });
  }

  private async start<T>(fn: () => Promise<T>): Promise<T> {
    this.running++;
    try {
      return await fn();
    } finally {
      this.running--;
      this.startWaiting();
    }
  }

  private startWaiting(): void {
    while (this.running < this.limit) {
      const next = this.urgent.shift() ?? this.normal.shift();
      if (!next) return;
      next();
    }
  }
}

/** A queue read from its head without Array#shift's copying of a long array. */
class Fifo<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(v: T): void {
    this.items.push(v);
  }

  shift(): T | undefined {
    if (this.head === this.items.length) return undefined;
    const v = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return v;
  }
}
