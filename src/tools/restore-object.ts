import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import type { Bucket, Listed, VersionedReads } from '../bucket.js';
import { isMirrorError } from '../errors.js';
import { EXIT, exitCodeFor } from '../exit.js';
import { ContentDigest, digestFile } from '../local/digest.js';
import { createRestoring } from '../local/safe-create.js';
import { treePath } from '../local/safe-open.js';
import { partSizeFor } from '../plan/etag.js';
import { objectIdentity, sameContent } from '../plan/identity.js';
import { restorePath } from '../plan/restore-path.js';

export type Outcome = 'restored' | 'identical' | 'kept' | 'skipped' | 'refused' | 'failed';

export interface ObjectResult {
  key: string;
  outcome: Outcome;
  reason: string;
  bytes: number;
}

/** An object to restore; with `versionId`, that version of it (`--at`). */
export type RestoreSource = Listed & { versionId?: string };

export interface RestoreTarget {
  bucket: Bucket & VersionedReads;
  dir: string;
  prefix: string;
  trashPrefix: string;
  partSizeBytes: number;
  overwrite: boolean;
}

/** mode (octal text) and mtime (ns text) as s3mirror writes them in the object's metadata. */
function fileAttrs(meta: Record<string, string>): { mode?: number; mtimeMs?: number } {
  const mode = meta.mode && /^[0-7]{1,4}$/.test(meta.mode) ? Number.parseInt(meta.mode, 8) : undefined;
  const mtimeMs = meta.mtime && /^\d{1,20}$/.test(meta.mtime) ? Number(BigInt(meta.mtime) / 1_000_000n) : undefined;
  return { ...(mode !== undefined ? { mode } : {}), ...(mtimeMs !== undefined ? { mtimeMs } : {}) };
}

/** What is at the path now: nothing, a regular file, or something restore must not touch. */
function existing(dir: string, rel: string): 'none' | 'file' | string {
  try {
    const st = lstatSync(join(dir, rel));
    if (st.isFile()) return 'file';
    return st.isSymbolicLink() ? 'a symlink' : st.isDirectory() ? 'a directory' : 'a special file';
  } catch {
    return 'none';
  }
}

/** Is the file at `rel` the object's content? Checked against the file itself. */
async function isSame(t: RestoreTarget, rel: string, o: RestoreSource): Promise<boolean> {
  const head = await (o.versionId ? t.bucket.headVersion(o.key, o.versionId) : t.bucket.head(o.key));
  if (!head) return false;
  const id = objectIdentity(
    { etag: head.etag, size: head.size, metaMd5: head.metaMd5, metaPartSize: head.metadata['part-size'] ?? null },
    [partSizeFor(head.size, t.partSizeBytes)],
  );
  if (id.by === 'none') return false;
  const local = await digestFile(treePath(t.dir, rel, false), id.by === 'multipart' ? id.partSize : undefined);
  return sameContent(id, head, local).same;
}

/** One object: checked, downloaded to a temp file, verified, renamed into place. */
export async function restoreObject(t: RestoreTarget, o: RestoreSource): Promise<ObjectResult> {
  const r = (outcome: Outcome, reason: string, bytes = 0): ObjectResult => ({ key: o.key, outcome, reason, bytes });
  const path = restorePath({
    key: o.key,
    prefix: t.prefix,
    trashPrefix: t.trashPrefix,
    dirBytes: Buffer.byteLength(t.dir),
  });
  if (path.action === 'skip') return r('skipped', path.reason);
  if (path.action === 'refuse') return r('refused', path.reason);
  const rel = path.rel;
  try {
    const there = existing(t.dir, rel);
    if (there !== 'none' && there !== 'file') return r('refused', `${rel}: ${there} is in the way`);
    if (there === 'file') {
      if (await isSame(t, rel, o)) return r('identical', `${rel} is already identical`);
      if (!t.overwrite) return r('kept', `${rel} differs and is kept (--overwrite replaces it)`);
    }
    const got = await (o.versionId ? t.bucket.getVersion(o.key, o.versionId) : t.bucket.get(o.key));
    if (!got) return r('failed', `${o.key} vanished from the bucket`);
    const id = objectIdentity(
      {
        etag: got.head.etag,
        size: got.head.size,
        metaMd5: got.head.metaMd5,
        metaPartSize: got.head.metadata['part-size'] ?? null,
      },
      [partSizeFor(got.head.size, t.partSizeBytes)],
    );
    const file = createRestoring(t.dir, rel);
    const digest = new ContentDigest(id.by === 'multipart' ? id.partSize : undefined);
    try {
      for await (const chunk of got.body) {
        digest.update(chunk);
        file.write(chunk);
      }
    } catch (e) {
      file.discard();
      throw e;
    }
    const check = sameContent(id, got.head, digest.finish());
    // An object with no MD5 to check against (an opaque ETag and no x-amz-meta-md5) is kept as read.
    if (!check.same && id.by !== 'none') {
      file.discard();
      return r('failed', `${rel}: the download does not match the object (${check.reason}); not written`);
    }
    file.commit(fileAttrs(got.head.metadata));
    return r('restored', id.by === 'none' ? `${rel} (unverified: ${id.reason})` : rel, got.head.size);
  } catch (e) {
    if (isMirrorError(e) && e.code === 'RESTORE_PATH_REFUSED') return r('refused', e.message);
    // The bucket or the credentials are unusable: that ends the whole restore, not one file.
    if (isMirrorError(e) && exitCodeFor(e) === EXIT.s3Unusable) throw e;
    return r('failed', `${rel}: ${(e as Error).message}`);
  }
}
