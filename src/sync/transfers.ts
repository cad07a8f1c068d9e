import type { FileHandle } from 'node:fs/promises';
import type { BucketProvider, ObjectSettings } from '../bucket.js';
import type { PairConfig } from '../config.js';
import { fromFsError } from '../errors.js';
import { failpoint, rethrowCrash } from '../failpoints.js';
import { BufferPool } from '../local/budget.js';
import {
  changed,
  type Hashed,
  openForRead,
  readAndHash,
  readPart,
  readWhole,
  sameContentStat,
} from '../local/hasher.js';
import { treePath } from '../local/safe-open.js';
import type { SyncedContent } from '../model.js';
import { etagsOpaque, md5Hex as md5HexOf, multipartEtag } from '../plan/etag.js';
import { afterPartFailure } from '../plan/resume.js';
import type { Journal } from '../store/journal.js';
import type { FileRow } from '../store/types.js';
import { toLocalStat } from '../local/stat.js';
import { type RenameCopy, ServerCopies } from './copies.js';
import { BucketEncryption } from './encryption.js';
import { MultipartUploads, partNumbers, runParts } from './multipart.js';
import type { BandwidthLimit } from './bandwidth.js';
import type { Lanes } from './lanes.js';
import { settingsFingerprint, settingsFor } from './object-settings.js';
import { transferBudgetBytes } from '../plan/lanes.js';

/** A multipart upload created for a file hashed as it is sent, answered with SSE-KMS (see multipart()). */
class OpaqueAtCreation extends Error {}

export interface InFlight {
  pair: string;
  rel: string;
  bytes: number;
  sent: number;
  startedAt: number;
  /** A multipart upload (it has a record in the journal while it runs). */
  multipart: boolean;
}

/** One file on its way up in parts. */
interface PartsSend {
  pair: PairConfig;
  rel: string;
  key: string;
  abs: string;
  h: Hashed;
  settings: ObjectSettings;
  t: InFlight;
}

/**
 * Moves bytes: single PUTs (the hashed buffer itself, with its Content-MD5) and multipart uploads
 * written with client-s3 commands, because lib-storage's Upload cannot resume after a restart,
 * sends the whole-file MD5 with every part, and bounds parts per upload instead of globally.
 * Each part carries the MD5 we hashed it with, so a server that checks Content-MD5 rejects a part
 * that changed since; a re-stat after the last part catches servers that do not check.
 * Copies inside the server are ServerCopies' (copies.ts).
 */
export class Transfers {
  readonly inFlight = new Map<string, InFlight>();
  private readonly partBuffers: BufferPool;
  bytesUploaded = 0;
  /** Bytes of each pair's confirmed uploads and copies. */
  readonly perPair = new Map<string, { uploaded: number; copied: number }>();
  readonly encryption: BucketEncryption;
  private readonly uploads: MultipartUploads;
  private readonly copies: ServerCopies;

  constructor(
    private readonly buckets: BucketProvider,
    private readonly journal: Journal,
    /** Each pair's slots and byte budgets (the budgets are the real bound on memory). */
    private readonly lanes: Lanes,
    private readonly opts: {
      concurrency: number;
      partSizeBytes: number;
      now: () => number;
      copyLimitBytes?: number;
      /** Paces every body sent (absent: no limit). */
      bandwidth?: Pick<BandwidthLimit, 'take'>;
    },
  ) {
    this.partBuffers = new BufferPool(transferBudgetBytes(opts.partSizeBytes));
    this.encryption = new BucketEncryption(journal);
    this.uploads = new MultipartUploads(journal, opts.now);
    this.copies = new ServerCopies(buckets, journal, this.encryption, this.uploads, opts);
  }

  get bytesCopied(): number {
    return this.copies.bytesCopied;
  }

  async upload(pair: PairConfig, rel: string, key: string, abs: string, h: Hashed): Promise<SyncedContent> {
    const id = `${pair.name}\0${rel}`;
    const t: InFlight = {
      pair: pair.name,
      rel,
      bytes: h.stat.size,
      sent: 0,
      startedAt: this.opts.now(),
      multipart: h.partSize > 0,
    };
    this.inFlight.set(id, t);
    try {
      const settings = settingsFor(pair, key, h, { partSize: h.partSize, etags: this.encryption.trust(pair) });
      if (h.partSize)
        return this.count(
          pair.name,
          'uploaded',
          t.bytes,
          await this.multipart({ pair, rel, key, abs, h, settings, t }),
        );
      // A kept body already holds its bytes of the budget (see readAndHash).
      const budget = this.lanes.of(pair.name).budgetFor(h.stat.size);
      const release = h.body ? () => undefined : await budget.acquire(h.stat.size);
      try {
        const body = h.body ?? (await readWhole(treePath(pair.path, rel, pair.followSymlinks), h));
        await this.opts.bandwidth?.take(body.length);
        const st = await this.buckets.bucket(pair.bucket).put(key, body, h.md5, settings);
        this.encryption.intact(pair, `PutObject ${key}`, st, h.md5);
        failpoint('after-put');
        t.sent = body.length;
        this.bytesUploaded += body.length;
        return this.count(
          pair.name,
          'uploaded',
          body.length,
          this.encryption.content(pair, st, { md5: h.md5, partSize: 0, localEtag: h.localEtag }),
        );
      } finally {
        release();
      }
    } finally {
      this.inFlight.delete(id);
    }
  }

  /** Is this multipart upload (or copy) being worked on now? Its record is not stale then. */
  isActive(uploadId: string): boolean {
    return this.uploads.isActive(uploadId);
  }

  async renameCopy(c: RenameCopy): Promise<SyncedContent> {
    return this.count(c.pair.name, 'copied', c.hashed.stat.size, await this.copies.renameCopy(c));
  }

  private count<T>(pair: string, kind: 'uploaded' | 'copied', bytes: number, done: T): T {
    const n = this.perPair.get(pair) ?? { uploaded: 0, copied: 0 };
    n[kind] += bytes;
    this.perPair.set(pair, n);
    return done;
  }

  trashCopy(pair: PairConfig, row: FileRow, to: string): Promise<void> {
    return this.copies.trashCopy(pair, row, to);
  }

  /** An upload a crash cut short continues where it stopped if the file is unchanged; else a new one. */
  private async multipart(u: PartsSend): Promise<SyncedContent> {
    const { pair, rel, key, settings, h } = u;
    const bucket = this.buckets.bucket(pair.bucket);
    const { partSize, partMd5s, md5 } = h;
    const fingerprint = settingsFingerprint(settings);
    const file = { key, identity: h.stat, md5, partSize, partMd5s, settings: fingerprint };
    const resumed = await this.uploads.pickUp({ bucket, pair: pair.name, rel, file });
    if (resumed) {
      const { uploadId, keep } = resumed;
      return this.uploads.resume(uploadId, () => this.sendParts(u, uploadId, keep));
    }
    const { size, mtimeNs, ctimeNs, ino } = h.stat;
    const record = { md5, size, partSize, mtimeNs, ctimeNs, ino, settings: fingerprint };
    const created = (sse: string | undefined) => {
      // SSE-KMS, learned only now: such an object needs x-amz-meta-md5, which a file hashed as it
      // is sent cannot have at creation. That upload is given up unused; the file is hashed first.
      if (!h.onePass || !etagsOpaque(sse)) return;
      this.encryption.written(pair, sse);
      throw new OpaqueAtCreation();
    };
    try {
      return await this.uploads.run({ bucket, pair, rel, key, settings, record, created }, (uploadId) =>
        this.sendParts(u, uploadId, []),
      );
    } catch (e) {
      if (!(e instanceof OpaqueAtCreation)) throw e;
      const full = await readAndHash(treePath(pair.path, rel, pair.followSymlinks), {
        thresholdBytes: 0,
        partSizeBytes: h.partSize,
      });
      if (!sameContentStat(full.stat, h.stat)) throw changed(u.abs);
      const again = settingsFor(pair, key, full, { partSize: full.partSize, etags: this.encryption.trust(pair) });
      return this.multipart({ ...u, h: full, settings: again });
    }
  }

  /** Send every part but those kept from before a restart, then complete. */
  private async sendParts(
    { pair, rel, key, abs, h, t }: PartsSend,
    uploadId: string,
    kept: readonly { n: number; etag: string }[],
  ): Promise<SyncedContent> {
    const bucket = this.buckets.bucket(pair.bucket);
    let fh: FileHandle;
    try {
      fh = await openForRead(treePath(pair.path, rel, pair.followSymlinks));
    } catch (e) {
      await this.uploads.abandon(bucket, pair.name, key, uploadId);
      throw e;
    }
    try {
      // The pair's byte budget, not the worker count, is the real bound on memory.
      const budget = this.lanes.of(pair.name).large;
      const have = new Set(kept.map((p) => p.n));
      const send = partNumbers(h.partMd5s.length).filter((n) => !have.has(n));
      // A resumed upload without a full hash (h.deferred) learns the missing parts' MD5s here.
      const md5s = [...h.partMd5s];
      t.sent = kept.reduce((b, p) => b + Math.min(h.partSize, h.stat.size - (p.n - 1) * h.partSize), 0);
      const sent = await runParts(send, this.opts.concurrency, async (n, stopped) => {
        const len = Math.min(h.partSize, h.stat.size - (n - 1) * h.partSize);
        const release = await budget.acquire(len);
        try {
          if (stopped()) return '';
          const buf = this.partBuffers.take(h.partSize);
          const body = await readPart(fh, n, h.partSize, h.stat.size, buf);
          if (body.length !== len) throw changed(abs);
          const md5Hex = md5s[n - 1] ?? md5HexOf(body);
          md5s[n - 1] = md5Hex;
          await this.opts.bandwidth?.take(len);
          const stored = await bucket.uploadPart({ key, uploadId, n, body, md5Hex });
          const etag = this.encryption.intact(pair, `UploadPart ${key} #${n}`, stored, md5Hex);
          // Reused only after a part that went through: a failed request is not reused, whatever
          // a torn-down socket might still hold of it.
          this.partBuffers.give(buf);
          this.journal.uploads.recordPart(pair.name, uploadId, { n, size: len, md5: md5Hex, etag });
          failpoint('after-part');
          t.sent += len;
          this.bytesUploaded += len;
          return etag;
        } finally {
          release();
        }
      });
      if (!sameContentStat(toLocalStat(await fh.stat({ bigint: true })), h.stat)) throw changed(abs);
      failpoint('before-complete');
      const parts = [...kept, ...sent].sort((a, b) => a.n - b.n);
      const st = await bucket.completeMultipart(key, uploadId, parts);
      failpoint('after-complete');
      this.uploads.end(pair.name, uploadId);
      const localEtag = h.localEtag || multipartEtag(md5s.map((m) => Buffer.from(m!, 'hex')));
      // A file sent as it was read has no whole-file MD5 (plan/one-pass.ts): its multipart ETag,
      // reproducible from its part size, is its identity.
      const md5 = h.md5 === '' ? null : h.md5;
      return this.encryption.content(pair, st, { md5, partSize: h.partSize, localEtag });
    } catch (e) {
      rethrowCrash(e);
      const error = fromFsError(e, abs);
      // Kept, not aborted, after what a retry can cure: the row's retry resumes it (pickUp).
      if (afterPartFailure(error).action === 'abort') await this.uploads.abandon(bucket, pair.name, key, uploadId);
      throw error;
    } finally {
      await fh.close();
    }
  }
}
