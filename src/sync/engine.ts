// src/sync/: turns due journal rows into bucket operations and records what S3 confirmed.
import type { PairConfig } from '../config.js';
import { errorSummary, MirrorError } from '../errors.js';
import { failpoint, rethrowCrash } from '../failpoints.js';
import type { Logger } from '../log.js';
import { previousPrefixSource } from '../plan/moves.js';
import { flushAfterBatch } from '../plan/delete-flush.js';
import type { SyncedContent } from '../model.js';
import type { FileRow } from '../store/types.js';
import type { Hashed } from '../local/hasher.js';
import { Filter } from '../watch/filter.js';
import { examine, type Examined, type ExamineContext } from './examine.js';
import { handled, nextTurn } from './async-turns.js';
import { PairDeletes } from './deletes.js';
import { mayBeMoved, pairRenames, waitsForRenamePartner } from './rename-pairing.js';
import type { BatchHooks, EngineDeps, PairStats } from './deps.js';
import { recordRowFailure } from './row-failure.js';

/**
 * One pair's work: examine due rows, pair renames, act, and hold deletes behind the guard.
 * All bucket effects go through Transfers / the pair's Bucket; all state through the Journal.
 */
export class PairEngine {
  readonly filter: Filter;
  readonly stats: PairStats = { uploaded: 0, copied: 0, deleted: 0, trashed: 0, skipped: 0, failed: 0, held: 0 };
  private readonly log: Logger;
  private readonly deletes: PairDeletes;
  /** The prefix this pair mirrored to before the config changed it (same bucket), if any. */
  private readonly movedFrom: string | null;

  /** `filter`: the one a reload keeps when root and excludes are unchanged (the watcher holds it). */
  constructor(
    readonly pair: PairConfig,
    private readonly d: EngineDeps,
    filter?: Filter,
  ) {
    this.filter = filter ?? new Filter(pair.path, pair.exclude);
    this.log = d.log.child({ pair: pair.name });
    this.deletes = new PairDeletes(pair, d, this.log, this.stats, (row, err) => this.fail(row, err));
    this.movedFrom = d.journal.pairs.get(pair.name)?.moved_from ?? null;
  }

  get pendingDeletes(): number {
    return this.deletes.pending;
  }
  get deletesDeferred(): boolean {
    return this.deletes.deferring;
  }

  flushDeletes(): Promise<void> {
    return this.deletes.flush();
  }
  /** Batches of this pair still being examined, and rename copies on their way. */
  private examining = 0;
  private copying = 0;

  /** Nothing that could make a pending delete half of a move is under way: deletes may go, uploads or not. */
  get readyToFlush(): boolean {
    return this.examining === 0 && this.copying === 0;
  }

  /**
   * Examine a batch and act on each row as soon as its decision is known. New content that may be
   * a moved file (a pending delete has the same size and content) waits for the rest of the batch, so
   * that matching deletes and uploads become copies. Each row's work completes on its own
   * (`hooks.act` hands it over as it starts); the returned promise settles with the last of them.
   */
  async processBatch(rows: readonly FileRow[], hooks: BatchHooks = {}): Promise<void> {
    this.examining++;
    let examining = true;
    const examined = () => {
      if (!examining) return;
      examining = false;
      this.examining--;
      hooks.examined?.();
    };
    try {
      const all: Examined[] = [];
      const maybeMoved: Examined[] = [];
      const acts: Promise<void>[] = [];
      const start = (e: Examined, from: FileRow | undefined) => {
        const p = handled(this.settle(e, from));
        acts.push(p);
        hooks.act?.(e.row, p);
      };
      const keys = rows.map((r) => r.key);
      const batch = {
        remote: this.d.journal.remote.getMany(this.pair.name, keys),
        holders: this.d.journal.query.fileByKeyMany(this.pair.name, keys),
      };
      const tombstones = this.d.journal.query.anyPendingTombstone(this.pair.name); // a later one: next batch
      await Promise.all(
        rows.map((r) =>
          this.d.lanes.examine.add(async () => {
            await nextTurn();
            const e = await this.examineSafe(r, batch);
            if (!e) return;
            all.push(e);
            if (tombstones && mayBeMoved(this.d, this.pair, e)) maybeMoved.push(e);
            else start(e, undefined);
          }),
        ),
      );
      const copies = pairRenames(this.d, this.pair, maybeMoved, all);
      for (const e of maybeMoved) start(e, copies.get(e.row.rel));
      examined();
      await Promise.all(acts);
      this.d.journal.flush();
      if (flushAfterBatch(this.d.mode, this.deletes.pending).action === 'flush') await this.deletes.flush();
      this.d.journal.pairs.clearHoldIfNone(this.pair.name);
    } finally {
      examined();
    }
  }

  private async examineSafe(row: FileRow, batch: ExamineContext['batch']): Promise<Examined | undefined> {
    try {
      return await examine(row, {
        batch,
        pair: this.pair,
        journal: this.d.journal,
        bucket: this.d.bucket,
        filter: this.filter,
        encryption: this.d.transfers.encryption,
        thresholdBytes: this.d.cfg.multipart.thresholdBytes,
        partSizeBytes: this.d.cfg.multipart.partSizeBytes,
        budgetFor: (bytes) => this.d.lanes.budgetFor(bytes),
        hashes: this.d.hashes,
        linkIdle: () => this.d.transfers.inFlight.size === 0 && this.d.lanes.idle,
        now: this.d.now,
      });
    } catch (e) {
      this.fail(row, e);
      return undefined;
    }
  }

  /** Act, then give back what the examination held (a small file's body in the byte budget). */
  private async settle(e: Examined, renameFrom: FileRow | undefined): Promise<void> {
    // Counted before the first await: a delete flush must not send the source's delete meanwhile.
    if (renameFrom) this.copying++;
    try {
      await this.act(e, renameFrom);
    } finally {
      if (renameFrom) this.copying--;
      e.hashed?.release?.();
    }
  }

  private async act(e: Examined, renameFrom: FileRow | undefined, again = false): Promise<void> {
    const { row, decision } = e;
    const { journal } = this.d;
    const now = this.d.now;
    const debounce = this.d.cfg.debounceMs;
    try {
      switch (decision.op) {
        case 'skip': {
          const h = e.hashed;
          const stat = e.local!.stat;
          const etag = decision.learned?.etag ?? row.etag!;
          // As for an upload: a delete of this key still waiting is void, one on its way lands
          // first. If one landed since the batch read the bucket's state, the object we matched
          // is gone: examined again, the file is uploaded, never recorded over a deleted object.
          await this.deletes.reclaim(row.key, row.rel);
          if (journal.remote.get(this.pair.name, row.key)?.etag !== etag) {
            if (again)
              throw new MirrorError('S3_REQUEST_FAILED', `${row.key} changed in the bucket while it was examined`, {
                retryable: true,
              });
            const fresh = await this.examineSafe(row, undefined);
            if (fresh) await this.act(fresh, undefined, true).finally(() => fresh.hashed?.release?.());
            return;
          }
          const c = {
            md5: h ? h.md5 || null : row.md5,
            partSize: h?.partSize ?? row.part_size ?? 0,
            localEtag: h?.localEtag ?? row.local_etag ?? row.md5!,
            etag,
            etagKind: decision.learned?.etagKind ?? row.etag_kind ?? 'md5',
          };
          const synced = { pair: this.pair.name, rel: row.rel, gen: row.generation, stat, content: c, racy: h?.racy };
          journal.queueWrite(() => journal.recordSynced({ ...synced, now: now(), debounceMs: debounce }));
          this.stats.skipped++;
          return;
        }
        case 'upload': {
          const h = e.hashed!;
          await this.deletes.reclaim(row.key, row.rel);
          if (renameFrom) {
            try {
              const c = await this.d.lanes.run(h.stat.size, () =>
                this.d.transfers.renameCopy({
                  pair: this.pair,
                  rel: row.rel,
                  from: renameFrom,
                  key: row.key,
                  hashed: h,
                }),
              );
              failpoint('rename-after-copy');
              this.uploaded(row, h, c!);
              this.deletes.moved(renameFrom.rel, renameFrom.generation);
              this.stats.copied++;
              this.log.info({ rel: row.rel, from: renameFrom.rel, reason: 'rename: same size and content' }, 'copied');
              return;
            } catch (err) {
              rethrowCrash(err);
              // Some servers cannot copy some keys (s3rver and `+#?&=`): an upload is always correct.
              this.log.warn(
                { rel: row.rel, from: renameFrom.rel, error: errorSummary(err) },
                'server-side copy failed; uploading instead',
              );
            }
          }
          if (await this.copiedFromPreviousPrefix(row, h)) return;
          const c = await this.d.lanes.run(h.stat.size, () =>
            this.d.transfers.upload(this.pair, row.rel, row.key, e.abs, h),
          );
          this.uploaded(row, h, c!);
          this.stats.uploaded++;
          this.log.info({ rel: row.rel, bytes: h.stat.size, reason: decision.reason }, 'uploaded');
          return;
        }
        case 'delete':
        case 'trash':
          journal.markDeletePending(this.pair.name, row.rel);
          if (waitsForRenamePartner(this.d, this.pair, row)) return;
          this.deletes.add(row, decision.op === 'trash');
          return;
        case 'forget':
          if (row.present === 1 || row.kind === 'remote' || e.local)
            journal.dropRow(this.pair.name, row.rel, row.generation);
          else journal.recordRemovalSettled(this.pair.name, row.rel, row.generation, now(), debounce);
          return;
        case 'refuse':
          this.fail(
            row,
            new MirrorError(decision.code, decision.reason, {
              hint: 'shorten the path (or the pair prefix); the file is tried again when it changes',
            }),
          );
          return;
        case 'ignore':
          journal.recordSkipped({
            pair: this.pair.name,
            rel: row.rel,
            gen: row.generation,
            kind: e.local?.kind ?? 'file',
            code: decision.code,
            message: decision.reason,
            now: now(),
          });
          this.log.info({ rel: row.rel, code: decision.code, reason: decision.reason }, 'skipped');
          return;
        case 'hash':
        case 'head':
          throw new Error(`unsettled decision ${decision.op} for ${row.rel}`);
      }
    } catch (err) {
      this.fail(row, err);
    }
  }

  /** The pair's prefix changed: content already confirmed under the previous one is copied, not sent. */
  private async copiedFromPreviousPrefix(row: FileRow, h: Hashed): Promise<boolean> {
    const src = previousPrefixSource(this.movedFrom, row, { ...h, size: h.stat.size });
    if (!src) return false;
    try {
      const copy = { pair: this.pair, rel: row.rel, from: { ...row, key: src.key }, key: row.key, hashed: h };
      const c = await this.d.lanes.run(h.stat.size, () =>
        this.d.transfers.renameCopy({ ...copy, sourceEtag: src.ifMatch }),
      );
      this.uploaded(row, h, c!);
      this.stats.copied++;
      this.log.info({ rel: row.rel, from: src.key, reason: 'same content under the previous prefix' }, 'copied');
      return true;
    } catch (err) {
      this.log.warn(
        { rel: row.rel, from: src.key, error: errorSummary(err) },
        'server-side copy from the previous prefix failed; uploading instead',
      );
      return false;
    }
  }

  /** The object at row.key now holds this content: recorded with the next group of outcomes. */
  private uploaded(row: FileRow, h: Hashed, c: SyncedContent): void {
    const { journal, now, cfg } = this.d;
    const pair = this.pair.name;
    const synced = { pair, rel: row.rel, gen: row.generation, stat: h.stat, content: c, racy: h.racy };
    journal.queueWrite(() => {
      journal.recordSynced({ ...synced, now: now(), debounceMs: cfg.debounceMs });
      journal.remote.put({ pair, key: row.key, size: h.stat.size, etag: c.etag, metaMd5: c.md5, now: now() });
    });
  }

  fail(row: FileRow, err: unknown): void {
    recordRowFailure({ d: this.d, pair: this.pair.name, row, err, stats: this.stats, log: this.log });
  }
}
