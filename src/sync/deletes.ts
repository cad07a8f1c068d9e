import { randomBytes } from 'node:crypto';
import type { PairConfig } from '../config.js';
import { MirrorError } from '../errors.js';
import { failpoint } from '../failpoints.js';
import type { Logger } from '../log.js';
import { DELETE_BATCH_KEYS, deferGuard, inDeleteWindow } from '../plan/delete-flush.js';
import { guardDeletes } from '../plan/guard.js';
import { trashKey } from '../plan/trash.js';
import type { FileRow } from '../store/types.js';
import type { EngineDeps, PairStats } from './deps.js';
import { checkRoot } from './reconcile.js';

interface PendingDelete {
  row: FileRow;
  trash: boolean;
  released: boolean;
}

/**
 * The pending deletes of one key: names that differ only in normalisation map to one object, and
 * deleting both names is one delete of it (one guard count, one trash move, one key sent).
 */
type KeyDelete = PendingDelete[];

function byKeyOf(items: readonly PendingDelete[]): KeyDelete[] {
  const groups = new Map<string, KeyDelete>();
  for (const i of items) {
    const g = groups.get(i.row.key);
    if (g) g.push(i);
    else groups.set(i.row.key, [i]);
  }
  return [...groups.values()];
}

/**
 * One pair's deletes: collected as rows are examined, sent in DeleteObjects batches of up to
 * 1,000 keys (after a move to the trash where configured), and held by the mass-delete guard
 * when the evidence says the local side is not what it seems.
 */
export class PairDeletes {
  /**
   * Pending deletes by path, in the order they were added: an upload reclaims its path without a
   * scan, and a path examined again while its delete waits (its lease ran out) is one delete.
   */
  private items = new Map<string, PendingDelete>();
  /** The paths of each pending delete's key: a file that takes a key over reclaims it by key. */
  private byKey = new Map<string, Set<string>>();
  /**
   * Sources of renames whose copy succeeded, by path, with the generation of the tombstone that
   * was copied: that delete (and no later one of the path) is a move, not a loss.
   */
  private readonly movedAway = new Map<string, number>();
  /** When each delete of the daemon's rolling window was sent. */
  private deleteTimes: number[] = [];
  /** Keys whose trash move or delete is on its way to the server, until it settles. */
  private readonly sending = new Map<string, Promise<void>>();
  /** Since when the guard's verdict has been deferred for undecided deletes (daemon). */
  private deferredSince: number | undefined;

  constructor(
    private readonly pair: PairConfig,
    private readonly d: EngineDeps,
    private readonly log: Logger,
    private readonly stats: PairStats,
    private readonly fail: (row: FileRow, err: unknown) => void,
  ) {}

  get pending(): number {
    return this.items.size;
  }

  /** The last flush deferred the guard's verdict (deferGuard): its deletes wait for the rest. */
  get deferring(): boolean {
    return this.deferredSince !== undefined;
  }

  add(row: FileRow, trash: boolean): void {
    this.items.set(row.rel, { row, trash, released: row.released === 1 });
    this.indexKey(row);
  }

  private indexKey(row: FileRow): void {
    const rels = this.byKey.get(row.key);
    if (rels) rels.add(row.rel);
    else this.byKey.set(row.key, new Set([row.rel]));
  }

  /**
   * A file holds this key now (its upload, or its verified skip, is about to be recorded): a
   * delete still waiting for the key is void, and one already on its way must land first, or it
   * would remove the new object. A voided delete of another path (`by` took the key over from
   * it) is settled here: that object is `by`'s now. So is a held delete of the key.
   */
  async reclaim(key: string, by?: string): Promise<void> {
    for (const rel of this.byKey.get(key) ?? []) {
      const item = this.items.get(rel);
      if (!item || item.row.key !== key) continue;
      this.items.delete(rel);
      if (by !== undefined && rel !== by)
        this.d.journal.recordRemovalSettled(
          this.pair.name,
          rel,
          item.row.generation,
          this.d.now(),
          this.d.cfg.debounceMs,
        );
    }
    this.byKey.delete(key);
    // A delete of the key held by the guard is void as well: a file maps to the key now, under
    // another name (NFD for NFC) than the held row's, which never comes back to cancel it.
    if (by !== undefined) this.d.journal.pairs.cancelHeld(this.pair.name, key, by);
    await this.sending.get(key);
  }

  /** The object at this tombstone's key was copied to a new key: deleting it completes a move. */
  moved(rel: string, generation: number): void {
    this.movedAway.set(rel, generation);
  }

  private isMoved(i: PendingDelete): boolean {
    return this.movedAway.get(i.row.rel) === i.row.generation;
  }

  /** Sent whatever the guard says: released by `resume`, or the old key of a move. */
  private exempt(g: KeyDelete): boolean {
    return g.some((i) => i.released || this.isMoved(i));
  }

  /**
   * Send pending deletes (≤ 1000 keys a call), unless the guard holds them. The guard weighs the
   * deletes in hand together with those still undecided in the journal, and leaves out the old
   * keys of renames (their content lives on under the new key). A daemon whose verdict would be
   * a hold while part of the picture is still undecided waits for the rest first (deferGuard).
   */
  async flush(): Promise<void> {
    if (!this.items.size) return;
    const { journal } = this.d;
    const items = this.current([...this.items.values()]);
    this.items = new Map();
    this.byKey = new Map();
    // A move whose delete never came (the file came back, or its delete is held) exempts nothing
    // later: the path's generation has moved on, or will before it is deleted again.
    for (const [rel, gen] of this.movedAway)
      if (journal.getFile(this.pair.name, rel)?.generation !== gen) this.movedAway.delete(rel);
    if (!items.length) return;
    const now = this.d.now();
    this.deleteTimes = inDeleteWindow(this.deleteTimes, this.d.mode, now);
    const groups = byKeyOf(items);
    const counted = groups.filter((g) => !this.exempt(g));
    const inHand = new Set(groups.map((g) => g[0]!.row.key));
    const undecided = new Set(
      journal.query
        .undecidedDeletes(this.pair.name)
        .filter((u) => !inHand.has(u.key) && !this.movedAway.has(u.rel))
        .map((u) => u.key),
    ).size;
    const root = checkRoot(this.pair, journal);
    const verdict = guardDeletes({
      rootProblem: root.problem,
      rootEmpty: root.empty,
      knownFiles: journal.query.knownFiles(this.pair.name),
      objects: journal.remote.count(this.pair.name),
      pending: counted.length + undecided,
      recent: this.deleteTimes.length,
      maxDeletePercent: this.pair.maxDeletePercent,
      maxDeleteCount: this.pair.maxDeleteCount,
    });
    const wait = deferGuard({
      hold: verdict.hold,
      undecided,
      rootProblem: root.problem,
      mode: this.d.mode,
      now,
      deferredSince: this.deferredSince,
      maxDelayMs: this.d.cfg.maxDelayMs,
    });
    if (wait.action === 'defer') {
      this.deferredSince = wait.since;
      this.items = new Map([...items.map((i): [string, PendingDelete] => [i.row.rel, i]), ...this.items]);
      for (const i of this.items.values()) this.indexKey(i.row);
      return;
    }
    this.deferredSince = undefined;
    let go = groups;
    if (verdict.hold) {
      journal.tx(() => {
        for (const [first, ...others] of counted) {
          journal.recordHeld(this.pair.name, first!.row.rel, first!.row.generation, verdict.reason, now);
          // One held delete per object: the other names' tombstones are that delete, and a
          // tombstone left to decide again would pass the guard alone at a later pass.
          for (const o of others) journal.dropRow(this.pair.name, o.row.rel, o.row.generation);
        }
        journal.pairs.setState(this.pair.name, 'deletes-held', verdict.reason, now);
      });
      this.stats.held += counted.length;
      this.log.warn(
        { held: counted.length, reason: verdict.reason },
        'deletes held; run `s3mirror resume --pair NAME --allow-deletes` to release them',
      );
      go = groups.filter((g) => this.exempt(g));
    }
    let settle!: () => void;
    const settled = new Promise<void>((r) => (settle = r));
    for (const g of go) this.sending.set(g[0]!.row.key, settled);
    try {
      await this.send(go, now);
    } finally {
      for (const g of go) if (this.sending.get(g[0]!.row.key) === settled) this.sending.delete(g[0]!.row.key);
      settle();
    }
  }

  /**
   * Items still describing the journal: a path whose file came back (a newer generation, or
   * present again) has no delete to do any more. Outcomes waiting to be written go first.
   */
  private current(items: readonly PendingDelete[]): PendingDelete[] {
    const { journal } = this.d;
    journal.flush();
    return items.filter((i) => {
      const cur = journal.getFile(this.pair.name, i.row.rel);
      if (cur && cur.present === 0 && cur.generation === i.row.generation && cur.state === 'dirty') return true;
      // Its row may still carry the lease of the batch that decided the delete: due it now, so
      // the change that voided the delete is examined without waiting for the lease to run out.
      if (cur?.state === 'dirty') journal.postpone(this.pair.name, i.row.rel, this.d.now());
      return false;
    });
  }

  private async send(groups: readonly KeyDelete[], now: number): Promise<void> {
    const { journal } = this.d;
    let go = groups;
    const trash = go.filter((g) => g[0]!.trash);
    if (trash.length) {
      const moved = await Promise.all(
        trash.map((g) =>
          this.d.lanes.run(0, async () => {
            const row = g[0]!.row;
            try {
              const to = trashKey(
                this.pair.prefix,
                this.pair.trashPrefix,
                row.rel,
                now,
                randomBytes(3).toString('hex'),
              );
              await this.d.transfers.trashCopy(this.pair, row, to);
              return true;
            } catch (err) {
              for (const i of g) this.fail(i.row, err);
              return false;
            }
          }),
        ),
      );
      // By a set, not trash.indexOf per group: that was quadratic in the deletes of a flush.
      const notMoved = new Set(trash.filter((_, i) => !moved[i]));
      go = go.filter((g) => !notMoved.has(g));
    }
    for (let at = 0; at < go.length; at += DELETE_BATCH_KEYS) {
      const chunk = go
        .slice(at, at + DELETE_BATCH_KEYS)
        .map((g) => this.current(g))
        .filter((g) => g.length > 0);
      if (!chunk.length) continue;
      const keyOf = (g: KeyDelete) => g[0]!.row.key;
      try {
        const { failed } = await this.d.lanes.run(0, () => this.d.bucket.deleteMany(chunk.map(keyOf)));
        failpoint('delete-mid-batch');
        const t = this.d.now();
        journal.tx(() => {
          for (const g of chunk) {
            if (failed.get(keyOf(g))) continue;
            for (const i of g)
              journal.recordRemovalSettled(this.pair.name, i.row.rel, i.row.generation, t, this.d.cfg.debounceMs);
            journal.remote.drop(this.pair.name, keyOf(g));
          }
        });
        for (const g of chunk) {
          const why = failed.get(keyOf(g));
          if (why) {
            for (const i of g)
              this.fail(
                i.row,
                new MirrorError('S3_REQUEST_FAILED', `DeleteObjects ${i.row.key}: ${why}`, { retryable: true }),
              );
            continue;
          }
          if (g.some((i) => this.isMoved(i))) for (const i of g) this.movedAway.delete(i.row.rel);
          else this.deleteTimes.push(t);
          if (g[0]!.trash) this.stats.trashed++;
          else this.stats.deleted++;
        }
        this.log.info({ deleted: chunk.length - failed.size, failed: failed.size }, 'deleted');
      } catch (err) {
        for (const g of chunk) for (const i of g) this.fail(i.row, err);
      }
    }
  }
}
