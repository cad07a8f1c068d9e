import { createHash, type Hash } from 'node:crypto';
import { Md5Stream } from './md5-thread.js';

/**
 * The whole-file MD5 of a file sent in parts, computed from the parts as they are read to be sent
 * (plan/one-pass.ts): parts are read concurrently, MD5 takes them in order, so each part's bytes
 * wait for those before it. A part that is never added (its upload stopped) leaves no digest.
 * Hashed on the MD5 thread (md5-thread.ts) where one can run, else on this thread.
 */
export class InOrderMd5 {
  private readonly off: Md5Stream | undefined;
  private readonly here: Hash | undefined;
  /** turns[n]: parts 1..n are in (true), or one of them never will be (false). */
  private readonly turns: Promise<boolean>[];
  private readonly done: ((ok: boolean) => void)[] = [];

  constructor(
    private readonly parts: number,
    opts: { offThread?: boolean } = {},
  ) {
    this.off = opts.offThread ? Md5Stream.open() : undefined;
    if (!this.off) this.here = createHash('md5');
    this.turns = Array.from({ length: parts + 1 }, (_, i) =>
      i === 0 ? Promise.resolve(true) : new Promise<boolean>((r) => (this.done[i] = r)),
    );
  }

  /** Adds part `n` (1-based) once the parts before it are in; the body may be reused once this settles. */
  async add(n: number, body: Buffer): Promise<void> {
    const ok = await this.turns[n - 1]!;
    if (!ok) return this.done[n]!(false);
    if (this.here) {
      this.here.update(body);
      return this.done[n]!(true);
    }
    // Posted in turn, so the thread hashes in part order; the next part need not wait for it.
    const hashed = this.off!.update(body);
    this.done[n]!(true);
    await hashed;
  }

  /** Part `n` will not be added (a no-op once it was): the parts after it cannot be hashed in order. */
  skip(n: number): void {
    void this.turns[n - 1]!.then(() => this.done[n]!(false));
  }

  /** The MD5 (hex) once every part is in; undefined if one never was. */
  async digest(): Promise<string | undefined> {
    if (!(await this.turns[this.parts]!)) {
      this.drop();
      return undefined;
    }
    return this.here ? this.here.digest('hex') : this.off!.digest();
  }

  /** The file will not be hashed whole: the thread forgets it (harmless after a digest). */
  drop(): void {
    this.off?.drop();
  }
}
