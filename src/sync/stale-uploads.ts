import type { BucketProvider } from '../bucket.js';
import type { Config } from '../config.js';
import { errorSummary } from '../errors.js';
import { treePath } from '../local/safe-open.js';
import type { Logger } from '../log.js';
import { keyOfRel } from '../plan/keys.js';
import { type FileIdentity, keepRecorded, orphansToAbort } from '../plan/resume.js';
import { orphanSweepDue } from '../plan/trust.js';
import type { Journal } from '../store/journal.js';
import type { UploadRecord } from '../store/uploads.js';
import { statLocal } from './examine.js';

const SWEEP_EVERY_MS = 3_600_000;

interface Deps {
  journal: Journal;
  buckets: BucketProvider;
  cfg: () => Config;
  log: Logger;
  now: () => number;
  /** Is this upload being worked on now? */
  isActive: (uploadId: string) => boolean;
}

/**
 * Multipart uploads nobody works on. A recorded one whose file is unchanged is kept, for its
 * upload to resume; the rest are aborted: those of changed or vanished files, copies, uploads a
 * previous version left, and those whose abort failed. Uploads the server lists under a pair's
 * prefix that no record knows are aborted once older than `abortIncompleteAfterMs`.
 */
export class StaleUploads {
  /** Buckets whose server has no ListMultipartUploads (s3rver): said once. */
  private readonly unlisted = new Set<string>();

  constructor(private readonly d: Deps) {}

  async sweep(unusable: ReadonlySet<string>): Promise<void> {
    for (const u of this.d.journal.uploads.all()) {
      // An unusable bucket would refuse the abort too: keep the record for a later try.
      if (unusable.has(u.pair) || this.d.isActive(u.upload_id)) continue;
      await this.settle(u);
    }
    for (const p of this.d.cfg().pairs) if (!unusable.has(p.name)) await this.sweepOrphans(p.name, p.bucket, p.prefix);
  }

  private async settle(u: UploadRecord): Promise<void> {
    const cfg = this.d.cfg();
    const pair = cfg.pairs.find((p) => p.name === u.pair);
    // Where it was started, even if the pair's bucket changed or the pair is gone since.
    const bucket = u.bucket ?? pair?.bucket;
    const log = this.d.log.child({ pair: u.pair });
    if (!bucket) {
      log.warn(
        { key: u.key, uploadId: u.upload_id },
        'forgetting a multipart upload of a pair no longer configured: its bucket was not recorded; abort it by hand if it still exists',
      );
      this.d.journal.uploads.end(u.pair, u.upload_id);
      return;
    }
    const identity: FileIdentity | null =
      u.resumable && u.ctime_ns !== null && u.ino !== null
        ? { size: u.size, mtimeNs: u.mtime_ns, ctimeNs: u.ctime_ns, ino: u.ino }
        : null;
    const here = pair && pair.bucket === bucket ? pair : undefined;
    let now: FileIdentity | null = null;
    if (identity && here) {
      try {
        const local = statLocal(treePath(here.path, u.rel, here.followSymlinks));
        if (local?.kind === 'file') now = local.stat;
      } catch {
        /* unreadable: not provably unchanged */
      }
    }
    const d = keepRecorded({
      rec: { key: u.key, identity, createdAt: u.created_at },
      key: here ? keyOfRel(here.prefix, u.rel) : undefined,
      now,
      at: this.d.now(),
      maxAgeMs: cfg.abortIncompleteAfterMs,
    });
    if (d.action === 'keep') {
      log.info({ key: u.key, uploadId: u.upload_id, reason: d.reason }, 'multipart upload kept to resume');
      return;
    }
    this.d.journal.uploads.giveUp(u.pair, u.upload_id);
    const r = await this.d.buckets.bucket(bucket).abortMultipart(u.key, u.upload_id);
    if (r === true) {
      this.d.journal.uploads.end(u.pair, u.upload_id);
      log.info({ key: u.key, uploadId: u.upload_id, reason: d.reason }, 'unfinished multipart upload aborted');
      return;
    }
    log.warn(
      { key: u.key, uploadId: u.upload_id, error: errorSummary(r) },
      'could not abort an unfinished multipart upload; its parts stay stored (and billed) until it is; tried again at the next rescan or start',
    );
    this.d.journal.errors.add(
      this.d.now(),
      u.pair,
      u.rel,
      r.code,
      `could not abort the unfinished multipart upload of ${u.key}: ${r.message}`,
    );
  }

  /**
   * Uploads under the pair's prefix that no record knows (a crash before the record): aborted once
   * old. At most once an hour per pair (remembered in the journal), and only after a listing of
   * the bucket since the last look (plan/trust.ts): a pass that trusts its journal sends nothing.
   */
  private async sweepOrphans(pair: string, bucketName: string, prefix: string): Promise<void> {
    const at = this.d.now();
    const metaKey = `orphan-sweep:${pair}`;
    const last = this.d.journal.getMeta(metaKey);
    const due = orphanSweepDue({
      lastSweep: last === undefined ? null : Number(last),
      lastListedAt: this.d.journal.pairs.get(pair)?.last_listed_at ?? null,
      now: at,
      everyMs: Math.min(SWEEP_EVERY_MS, this.d.cfg().abortIncompleteAfterMs),
    });
    if (!due) return;
    const log = this.d.log.child({ pair });
    const bucket = this.d.buckets.bucket(bucketName);
    let listed: Awaited<ReturnType<typeof bucket.listUploads>>;
    try {
      listed = await bucket.listUploads(prefix);
    } catch (e) {
      log.warn(
        { error: errorSummary(e) },
        'could not list unfinished multipart uploads; tried again at the next rescan',
      );
      return;
    }
    this.d.journal.setMeta(metaKey, String(at));
    if (listed === 'unsupported') {
      if (!this.unlisted.has(bucketName)) {
        this.unlisted.add(bucketName);
        log.info(
          { bucket: bucketName },
          'the server cannot list multipart uploads (ListMultipartUploads): uploads it holds that the journal does not know are not swept; a lifecycle rule can abort them',
        );
      }
      return;
    }
    const known = new Set(this.d.journal.uploads.all().map((u) => u.upload_id));
    const orphans = orphansToAbort({
      listed: listed.filter((u) => !this.d.isActive(u.uploadId)),
      known,
      at: this.d.now(),
      maxAgeMs: this.d.cfg().abortIncompleteAfterMs,
    });
    for (const o of orphans) {
      const r = await bucket.abortMultipart(o.key, o.uploadId);
      if (r === true) log.info({ key: o.key, uploadId: o.uploadId }, 'orphaned multipart upload aborted');
      else log.warn({ key: o.key, uploadId: o.uploadId, error: errorSummary(r) }, 'could not abort an orphaned upload');
    }
  }
}
