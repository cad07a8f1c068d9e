import { ByteBudget } from '../local/budget.js';
import type { Config } from '../config.js';
import { type LaneShare, laneOf, laneShare, type ShareFacts, transferBudgetBytes } from '../plan/lanes.js';
import { Slots } from './slots.js';

/**
 * One pair's way to its bucket: its own transfer slots, examination slots and byte budgets
 * (shares from plan/lanes.ts), so a pair whose bucket is slow holds only what is its own. Small
 * files run ahead of large ones and keep slots that large transfers cannot take, so a change of
 * a few KiB goes up while large files are still uploading.
 */
export class PairLanes {
  /** Both lanes' transfers; a large one first takes a place in `largeGate`. */
  private readonly slots: Slots;
  private readonly largeGate: Slots;
  readonly examine: Slots;
  readonly small: ByteBudget;
  readonly large: ByteBudget;

  constructor(share: LaneShare) {
    this.slots = new Slots(share.slots);
    this.largeGate = new Slots(share.largeSlots);
    this.examine = new Slots(share.examineSlots);
    this.small = new ByteBudget(share.smallBytes);
    this.large = new ByteBudget(share.largeBytes);
  }

  apply(share: LaneShare): void {
    this.slots.concurrency = share.slots;
    this.largeGate.concurrency = share.largeSlots;
    this.examine.concurrency = share.examineSlots;
    this.small.resize(share.smallBytes);
    this.large.resize(share.largeBytes);
  }

  /** Transfers at once (both lanes). */
  get concurrency(): number {
    return this.slots.concurrency;
  }

  /** Run a transfer of `bytes` (0: a delete or other small request) in its lane. */
  run<T>(bytes: number, fn: () => Promise<T>): Promise<T> {
    if (laneOf(bytes).lane === 'small') return this.slots.add(fn, { urgent: true });
    return this.largeGate.add(() => this.slots.add(fn));
  }

  /** The byte budget a body of `bytes` is held in while it waits for and makes its upload. */
  budgetFor(bytes: number): ByteBudget {
    return laneOf(bytes).lane === 'small' ? this.small : this.large;
  }

  /** Nothing queued or running in either lane. */
  get idle(): boolean {
    return this.slots.size === 0 && this.slots.pending === 0 && this.largeGate.size === 0;
  }
}

/** Every pair's lanes, re-shared whenever pairs come or go or `concurrency` changes (a reload). */
export class Lanes {
  private readonly byPair = new Map<string, PairLanes>();

  constructor(private facts: Omit<ShareFacts, 'pairs'>) {}

  static forConfig(cfg: Pick<Config, 'concurrency' | 'multipart'>): Lanes {
    const { partSizeBytes } = cfg.multipart;
    return new Lanes({ concurrency: cfg.concurrency, budgetBytes: transferBudgetBytes(partSizeBytes), partSizeBytes });
  }

  private share(): LaneShare {
    return laneShare({ ...this.facts, pairs: Math.max(1, this.byPair.size) });
  }

  /** The pair's lanes, made when the pair is first seen (which re-shares the others). */
  of(pair: string): PairLanes {
    let l = this.byPair.get(pair);
    if (l) return l;
    l = new PairLanes(this.share());
    this.byPair.set(pair, l);
    this.reshare();
    return l;
  }

  /** A pair gone (or set up anew by a reload, once quiet): its share goes back to the others. */
  drop(pair: string): void {
    if (this.byPair.delete(pair)) this.reshare();
  }

  setConcurrency(concurrency: number): void {
    this.facts = { ...this.facts, concurrency };
    this.reshare();
  }

  /** No pair has a transfer queued or running. */
  get idle(): boolean {
    for (const l of this.byPair.values()) if (!l.idle) return false;
    return true;
  }

  private reshare(): void {
    const s = this.share();
    for (const l of this.byPair.values()) l.apply(s);
  }
}
