import { createHash } from 'node:crypto';

/**
 * The whole-file MD5 of a file sent in parts, computed from the parts as they are read to be sent
 * (plan/one-pass.ts): parts are read concurrently, MD5 takes them in order, so each part's bytes
 * wait for those before it. A part that is never added (its upload stopped) leaves no digest.
 */
export class InOrderMd5 {
  private readonly hash = createHash('md5');
  /** turns[n]: parts 1..n are in (true), or one of them never will be (false). */
  private readonly turns: Promise<boolean>[];
  private readonly done: ((ok: boolean) => void)[] = [];

  constructor(private readonly parts: number) {
    this.turns = Array.from({ length: parts + 1 }, (_, i) =>
      i === 0 ? Promise.resolve(true) : new Promise<boolean>((r) => (this.done[i] = r)),
    );
  }

  /** Adds part `n` (1-based) once the parts before it are in; the body may be reused once this settles. */
  async add(n: number, body: Buffer): Promise<void> {
    const ok = await this.turns[n - 1]!;
    if (ok) this.hash.update(body);
    this.done[n]!(ok);
  }

  /** Part `n` will not be added (a no-op once it was): the parts after it cannot be hashed in order. */
  skip(n: number): void {
    void this.turns[n - 1]!.then(() => this.done[n]!(false));
  }

  /** The MD5 (hex) once every part is in; undefined if one never was. */
  async digest(): Promise<string | undefined> {
    return (await this.turns[this.parts]!) ? this.hash.digest('hex') : undefined;
  }
}
