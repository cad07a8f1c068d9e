import { open } from 'node:fs/promises';
import mime from 'mime-types';
import type { PairConfig } from '../config.js';
import { MirrorError, fromFsError } from '../errors.js';
import { etagKind } from '../plan/etag.js';
import type { ObjectSettings, S3Store } from '../s3/store.js';
import type { Journal } from '../store/journal.js';
import type { SyncedContent } from '../store/types.js';
import { toLocalStat } from '../watch/stat.js';
import { ByteBudget } from './budget.js';
import { changed, readPart, type Hashed } from './hasher.js';

export interface InFlight {
  pair: string;
  rel: string;
  bytes: number;
  sent: number;
  startedAt: number;
}

/**
 * Moves bytes: single PUTs (the hashed buffer itself, with its Content-MD5) and multipart uploads
 * written with client-s3 commands, because lib-storage's Upload cannot resume after a restart,
 * sends the whole-file MD5 with every part, and bounds parts per upload instead of globally.
 * Each part carries the MD5 we hashed it with, so a server that checks Content-MD5 rejects a part
 * that changed since; a re-stat after the last part catches servers that do not check.
 */
export class Transfers {
  readonly inFlight = new Map<string, InFlight>();
  readonly budget: ByteBudget;
  bytesUploaded = 0;
  bytesCopied = 0;

  constructor(
    private readonly store: S3Store,
    private readonly journal: Journal,
    private readonly opts: { concurrency: number; partSizeBytes: number; now: () => number },
  ) {
    // Enough bytes for every worker to hold a part, within a cap that keeps RSS predictable.
    const limit = Math.min(256 * 1024 * 1024, Math.max(64 * 1024 * 1024, opts.concurrency * opts.partSizeBytes));
    this.budget = new ByteBudget(limit);
  }

  settingsFor(pair: PairConfig, key: string, h: Hashed): ObjectSettings {
    return {
      contentType: mime.lookup(key) || 'application/octet-stream',
      metadata: { md5: h.md5, mtime: h.stat.mtimeNs, mode: (h.mode & 0o7777).toString(8) },
      ...(pair.storageClass ? { storageClass: pair.storageClass } : {}),
      ...(pair.sse ? { sse: pair.sse } : {}),
      ...(pair.kmsKeyId ? { kmsKeyId: pair.kmsKeyId } : {}),
      ...(pair.cacheControl ? { cacheControl: pair.cacheControl } : {}),
    };
  }

  async upload(pair: PairConfig, rel: string, key: string, abs: string, h: Hashed): Promise<SyncedContent> {
    const id = `${pair.name}\0${rel}`;
    const t: InFlight = { pair: pair.name, rel, bytes: h.stat.size, sent: 0, startedAt: this.opts.now() };
    this.inFlight.set(id, t);
    try {
      const s = this.settingsFor(pair, key, h);
      if (h.body) {
        const release = await this.budget.acquire(h.body.length);
        try {
          const etag = await this.store.put(pair.bucket, key, h.body, h.md5, s);
          t.sent = h.body.length;
          this.bytesUploaded += h.body.length;
          return { md5: h.md5, partSize: 0, localEtag: h.localEtag, etag, etagKind: etagKind(etag) };
        } finally {
          release();
        }
      }
      return await this.multipart(pair, rel, key, abs, h, s, t);
    } finally {
      this.inFlight.delete(id);
    }
  }

  private async multipart(pair: PairConfig, rel: string, key: string, abs: string, h: Hashed, s: ObjectSettings, t: InFlight): Promise<SyncedContent> {
    const uploadId = await this.store.createMultipart(pair.bucket, key, s);
    this.journal.beginUpload({ pair: pair.name, rel, key, uploadId, md5: h.md5, size: h.stat.size, partSize: h.partSize, mtimeNs: h.stat.mtimeNs }, this.opts.now());
    let fh;
    try {
      fh = await open(abs, 'r');
    } catch (e) {
      await this.store.abortMultipart(pair.bucket, key, uploadId);
      this.journal.endUpload(pair.name, rel);
      throw fromFsError(e, abs);
    }
    const parts: { n: number; etag: string }[] = [];
    let failure: unknown;
    try {
      const total = h.partMd5s.length;
      let next = 1;
      // Part workers: as many as the pool allows; the byte budget is the real, global bound.
      const worker = async () => {
        while (failure === undefined && next <= total) {
          const n = next++;
          const len = Math.min(h.partSize, h.stat.size - (n - 1) * h.partSize);
          const release = await this.budget.acquire(len);
          try {
            if (failure !== undefined) return;
            const body = await readPart(fh, n, h.partSize, h.stat.size);
            if (body.length !== len) throw changed(abs);
            const etag = await this.store.uploadPart(pair.bucket, key, uploadId, n, body, h.partMd5s[n - 1]!);
            parts.push({ n, etag });
            this.journal.recordPart(pair.name, rel, uploadId, n, etag);
            t.sent += len;
            this.bytesUploaded += len;
          } catch (e) {
            failure ??= e;
          } finally {
            release();
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(this.opts.concurrency, total) }, worker));
      if (failure !== undefined) throw failure;
      const after = toLocalStat(await fh.stat({ bigint: true }));
      if (after.size !== h.stat.size || after.mtimeNs !== h.stat.mtimeNs || after.ctimeNs !== h.stat.ctimeNs) throw changed(abs);
      parts.sort((a, b) => a.n - b.n);
      const etag = await this.store.completeMultipart(pair.bucket, key, uploadId, parts);
      this.journal.endUpload(pair.name, rel);
      return { md5: h.md5, partSize: h.partSize, localEtag: h.localEtag, etag, etagKind: etagKind(etag) };
    } catch (e) {
      await this.store.abortMultipart(pair.bucket, key, uploadId);
      this.journal.endUpload(pair.name, rel);
      throw e instanceof MirrorError ? e : fromFsError(e, abs);
    } finally {
      await fh.close();
    }
  }

  async copy(pair: PairConfig, from: string, to: string, size: number): Promise<string> {
    const etag = await this.store.copy(pair.bucket, from, to, {
      ...(pair.storageClass ? { storageClass: pair.storageClass } : {}),
      ...(pair.sse ? { sse: pair.sse } : {}),
      ...(pair.kmsKeyId ? { kmsKeyId: pair.kmsKeyId } : {}),
    });
    this.bytesCopied += size;
    return etag;
  }
}
