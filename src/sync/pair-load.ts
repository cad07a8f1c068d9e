/** Batches of one pair being examined at once: one examines while the one before starts its transfers. */
const EXAMINING_PER_PAIR = 2;

/**
 * Each pair's work in hand, for the scheduler's back-pressure: rows at work and batches being
 * examined. A pair with too much in hand gets no more rows; the others still do.
 */
export class PairLoad {
  private readonly load = new Map<string, { rows: number; examining: number }>();
  /** A pair was left out for its load: the next row done should wake the scheduler. */
  private starved = false;

  of(pair: string): { rows: number; examining: number } {
    const l = this.load.get(pair) ?? { rows: 0, examining: 0 };
    this.load.set(pair, l);
    return l;
  }

  /** The pairs of `pairs` with room for another batch of `batchSize` rows. */
  withRoom(pairs: readonly string[], batchSize: number): string[] {
    return pairs.filter((name) => {
      const l = this.load.get(name);
      const room = !l || (l.examining < EXAMINING_PER_PAIR && l.rows < batchSize * 2);
      if (!room) this.starved = true;
      return room;
    });
  }

  /** Was a pair left out since the last call? */
  takeStarved(): boolean {
    const was = this.starved;
    this.starved = false;
    return was;
  }
}
