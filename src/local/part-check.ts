import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { MirrorError, fromFsError } from '../errors.js';
import type { LocalStat } from '../model.js';
import { partCount } from '../plan/etag.js';
import { type PartOptions, uploadShape } from '../plan/parts.js';
import { changed, type Hashed, openForRead, sameContentStat } from './hasher.js';
import { metered } from './read-meter.js';
import { absOf, type TreePath } from './safe-open.js';
import { toLocalStat } from './stat.js';

const CHUNK = 1024 * 1024;

/** A file opened in its tree, with the stat of the descriptor (its identity and mode). */
export interface OpenedFile {
  fh: FileHandle;
  abs: string;
  stat: LocalStat;
  mode: number;
}

/** Open a regular file and stat it, reading nothing; the caller closes `fh`. */
export async function openStat(p: TreePath): Promise<OpenedFile> {
  const abs = absOf(p);
  const fh = await openForRead(p);
  try {
    const st = await fh.stat({ bigint: true });
    if (!st.isFile()) throw new MirrorError('UNSUPPORTED_FILE', `${abs} is not a regular file`);
    return { fh, abs, stat: toLocalStat(st), mode: Number(st.mode & 0o7777n) };
  } catch (e) {
    await fh.close();
    throw fromFsError(e, abs);
  }
}

/**
 * MD5 (hex) of the parts `numbers` of an opened file, each read once in 1 MiB chunks; the stat
 * after the reads must be the one before, or the file is reported changed.
 */
export async function partMd5sOf(
  f: OpenedFile,
  numbers: readonly number[],
  partSize: number,
): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  const size = f.stat.size;
  const buf = Buffer.allocUnsafe(Math.min(CHUNK, Math.max(1, partSize)));
  try {
    for (const n of numbers) {
      const start = (n - 1) * partSize;
      const end = Math.min(size, start + partSize);
      if (start >= end) continue;
      const h = createHash('md5');
      for (let pos = start; pos < end; ) {
        const got = metered((await f.fh.read(buf, 0, Math.min(buf.length, end - pos), pos)).bytesRead);
        if (got === 0) throw changed(f.abs);
        h.update(buf.subarray(0, got));
        pos += got;
      }
      out.set(n, h.digest('hex'));
    }
    if (!sameContentStat(toLocalStat(await f.fh.stat({ bigint: true })), f.stat)) throw changed(f.abs);
    return out;
  } catch (e) {
    throw fromFsError(e, f.abs);
  }
}

/**
 * A file to be hashed as its parts are sent (plan/one-pass.ts): opened and stat'ed, nothing read.
 * Its MD5 and part MD5s are learned by the upload (Transfers.sendParts), which re-checks the stat.
 */
export async function toHashWhileSent(p: TreePath, o: PartOptions): Promise<Hashed | undefined> {
  const f = await openStat(p);
  try {
    const { partSize } = uploadShape(f.stat.size, o);
    if (!partSize) return undefined;
    const partMd5s = Array.from({ length: partCount(f.stat.size, partSize) }, () => undefined);
    return { stat: f.stat, mode: f.mode, md5: '', partSize, localEtag: '', partMd5s, onePass: true };
  } finally {
    await f.fh.close();
  }
}
