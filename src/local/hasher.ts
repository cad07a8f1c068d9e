import { createHash } from 'node:crypto';
import { closeSync, constants, fstatSync, readSync, type BigIntStats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { MirrorError, fromFsError } from '../errors.js';
import { readFailpoint } from '../failpoints.js';
import { absOf, openInTree, openInTreeSync, type TreePath } from './safe-open.js';
import { md5Hex, multipartEtag } from '../plan/etag.js';
import { hashRead, uploadShape, type PartOptions } from '../plan/parts.js';
import type { LocalStat } from '../model.js';
import { metered } from './read-meter.js';
import { toLocalStat } from './stat.js';
import type { ByteBudget } from './budget.js';
import { PartHashError, partHasherAvailable, PartHasherUnavailable, partMd5sOffThread } from './part-hasher.js';

export interface Hashed {
  stat: LocalStat;
  mode: number;
  md5: string;
  /** 0 for a single PUT. */
  partSize: number;
  /** The ETag our upload will produce. */
  localEtag: string;
  /**
   * Per-part MD5s (hex) for a multipart upload: each part is re-checked against them. Undefined
   * for a part not read yet (`deferred`): it is hashed as it is read to be sent.
   */
  partMd5s: (string | undefined)[];
  /**
   * Not a full read: the file continues a recorded upload, its MD5 is the record's and only the
   * parts already sent were read (sync/resume-read.ts). `localEtag` is '' until every part is hashed.
   */
  deferred?: true;
  /**
   * Nothing read yet (plan/one-pass.ts): `md5` and `localEtag` are '' and every part MD5 is
   * undefined; the upload hashes the parts and the whole file in the pass that sends them.
   */
  onePass?: true;
  /** The whole content of a small file (see hashRead in plan/parts.ts): what we hashed is what we send. */
  body?: Buffer;
  /** Gives the body's bytes back to the transfers' byte budget; called once it is sent or moot. */
  release?: () => void;
  /**
   * The file's mtime was too recent when it was looked at for its stat to vouch for this content
   * later (plan/racy.ts): the record keeps no ctime, so the next look reads the file again.
   */
  racy?: boolean;
}

const CHUNK = 1024 * 1024;

/**
 * Non-blocking: a path swapped for a FIFO between the stat and the open must not hang the open
 * (and with it a thread, or the whole event loop); a regular file reads the same either way.
 */
const READ_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK;

/** Opened in its pair's tree only (see TreePath): nothing outside the tree is ever read. */
export async function openForRead(p: TreePath): Promise<FileHandle> {
  try {
    readFailpoint(absOf(p));
    return await openInTree(p, READ_FLAGS);
  } catch (e) {
    throw fromFsError(e, absOf(p));
  }
}

/**
 * The small-file path of readAndHash: the body is kept for the upload, counted in the byte
 * budget so that files examined ahead of their upload stay within it. Undefined (the caller
 * streams instead, keeping nothing) when the open file is too large to be read whole after all or
 * the budget has no room now.
 */
function readSmall(p: TreePath, opts: PartOptions, budget: ByteBudget | undefined): Hashed | undefined {
  const abs = absOf(p);
  let fd: number;
  try {
    readFailpoint(abs);
    fd = openInTreeSync(p, READ_FLAGS);
  } catch (e) {
    throw fromFsError(e, abs);
  }
  try {
    const before = fstatSync(fd, { bigint: true });
    if (!before.isFile()) throw new MirrorError('UNSUPPORTED_FILE', `${abs} is not a regular file`);
    const size = Number(before.size);
    if (hashRead(size, opts).kind !== 'whole') return undefined;
    const release = budget ? budget.tryAcquire(size) : () => undefined;
    if (!release) return undefined;
    try {
      return hashBody(fd, abs, before, size, release);
    } catch (e) {
      release();
      throw e;
    }
  } catch (e) {
    throw fromFsError(e, abs);
  } finally {
    closeSync(fd);
  }
}

function hashBody(fd: number, abs: string, before: BigIntStats, size: number, release: () => void): Hashed {
  const body = Buffer.allocUnsafe(size);
  let off = 0;
  while (off < size) {
    const n = metered(readSync(fd, body, off, size - off, off));
    if (n === 0) break;
    off += n;
  }
  const stat = toLocalStat(before);
  const after = toLocalStat(fstatSync(fd, { bigint: true }));
  if (off !== size || !sameContentStat(after, stat)) throw changed(abs);
  const md5 = createHash('md5').update(body).digest('hex');
  return { stat, mode: Number(before.mode & 0o7777n), md5, partSize: 0, localEtag: md5, partMd5s: [], body, release };
}

/**
 * Read a file once: MD5 of the whole, and of each part when it will go multipart. The stat is
 * taken on the open descriptor before and after reading; if they differ the file is still being
 * written and we report FILE_CHANGED (the row is retried once it settles), so a torn read never
 * becomes an object.
 */
export async function readAndHash(
  p: TreePath,
  opts: PartOptions,
  sizeHint?: number,
  budget?: ByteBudget,
  /** True when no transfer is queued or running: the link waits on this hash. */
  linkIdle: () => boolean = () => false,
): Promise<Hashed> {
  const read = hashRead(sizeHint, opts).kind;
  if (read === 'whole') {
    const small = readSmall(p, opts, budget);
    if (small) return small;
  }
  if (read === 'parts') {
    return oneAtATime(async () => {
      // Two cores for the hash only while the link waits on it; otherwise a second hashing thread
      // takes CPU from the uploads (and from a local server). Asked one turn later, once the file
      // hashed before this one has been handed to the uploader.
      await new Promise((r) => setImmediate(r));
      const twoThreads = linkIdle() && partHasherAvailable();
      return readAndHashStreamed(p, opts, twoThreads).catch((e: unknown) => {
        // No worker after all: the same hash on this thread (one more pass, once).
        if (e instanceof PartHasherUnavailable) return readAndHashStreamed(p, opts, false);
        throw e;
      });
    });
  }
  return readAndHashStreamed(p, opts, false);
}

let bigTurn: Promise<unknown> = Promise.resolve();
/**
 * Large files are hashed one at a time: hashing is CPU-bound, so two at once finish no sooner
 * together, while one at a time lets the first start uploading as the next is read.
 */
function oneAtATime<T>(fn: () => Promise<T>): Promise<T> {
  const run = bigTurn.then(fn, fn);
  bigTurn = run.catch(() => undefined);
  return run;
}

async function readAndHashStreamed(p: TreePath, opts: PartOptions, offThread: boolean): Promise<Hashed> {
  const abs = absOf(p);
  const fh = await openForRead(p);
  let partsOffThread: Promise<string[]> | undefined;
  try {
    const before = await fh.stat({ bigint: true });
    if (!before.isFile()) throw new MirrorError('UNSUPPORTED_FILE', `${abs} is not a regular file`);
    const size = Number(before.size);
    const stat = toLocalStat(before);
    const mode = Number(before.mode & 0o7777n);
    // Streamed, nothing kept: a file above SMALL_READ_BYTES is read again when it is sent (under
    // the transfers' byte budget), so examining ahead of the uploads never holds whole files.
    const { partSize } = uploadShape(size, opts);
    // Inside the before/after stats like the loop below, so a write during either read is caught.
    // On this descriptor, so the stats above and below cover the worker's read too.
    partsOffThread = partSize && offThread ? partMd5sOffThread(fh.fd, partSize, size) : undefined;
    partsOffThread?.catch(() => undefined); // awaited below, or in `finally` if this read fails
    const whole = createHash('md5');
    const parts: Buffer[] = [];
    let part = createHash('md5');
    let inPart = 0;
    const buf = Buffer.allocUnsafe(Math.min(CHUNK, Math.max(1, size)));
    let pos = 0;
    while (pos < size) {
      const want = Math.min(CHUNK, size - pos, partSize ? partSize - inPart : CHUNK);
      const bytesRead = metered((await fh.read(buf, 0, want, pos)).bytesRead);
      if (bytesRead === 0) throw changed(abs);
      const chunk = buf.subarray(0, bytesRead);
      whole.update(chunk);
      pos += bytesRead;
      if (!partSize || partsOffThread) continue;
      part.update(chunk);
      inPart += bytesRead;
      if (inPart === partSize || pos === size) {
        parts.push(part.digest());
        part = createHash('md5');
        inPart = 0;
      }
    }
    const md5 = whole.digest('hex');
    const partMd5s = partsOffThread ? await offThreadParts(partsOffThread, abs) : parts.map((d) => d.toString('hex'));
    const result: Hashed = partSize
      ? { stat, mode, md5, partSize, localEtag: multipartEtag(partMd5s.map((p) => Buffer.from(p, 'hex'))), partMd5s }
      : { stat, mode, md5, partSize: 0, localEtag: md5, partMd5s: [] };
    const after = toLocalStat(await fh.stat({ bigint: true }));
    if (!sameContentStat(after, stat)) throw changed(abs);
    return result;
  } catch (e) {
    if (e instanceof PartHasherUnavailable) throw e;
    throw fromFsError(e, abs);
  } finally {
    // The worker reads this descriptor: closed only once it is done, or its number could be
    // reused by another open and read in its place.
    await partsOffThread?.catch(() => undefined);
    await fh.close();
  }
}

async function offThreadParts(p: Promise<string[]>, abs: string): Promise<string[]> {
  try {
    return await p;
  } catch (e) {
    if (!(e instanceof PartHashError)) throw e;
    if (e.code && e.code !== 'SHORT_READ') throw fromFsError(e, abs);
    throw changed(abs);
  }
}

export function changed(abs: string): MirrorError {
  return new MirrorError('FILE_CHANGED', `${abs} changed while it was read; retried once it settles`, {
    retryable: true,
  });
}

/**
 * Read a whole file again for a single PUT and check it is still the content that was hashed
 * (same stat on the descriptor, same MD5), so the bytes sent are exactly the hashed ones.
 */
export async function readWhole(p: TreePath, h: Hashed): Promise<Buffer> {
  const abs = absOf(p);
  const fh = await openForRead(p);
  try {
    const body = await readPart(fh, 1, h.stat.size, h.stat.size);
    const after = toLocalStat(await fh.stat({ bigint: true }));
    if (body.length !== h.stat.size || !sameContentStat(after, h.stat) || md5Hex(body) !== h.md5) throw changed(abs);
    return body;
  } catch (e) {
    throw fromFsError(e, abs);
  } finally {
    await fh.close();
  }
}

/** Size, mtime and ctime: any write to the file changes at least one of them. */
export function sameContentStat(a: LocalStat, b: LocalStat): boolean {
  return a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs;
}

/** Read part `n` (1-based) of a file into `into` (at least the part's length) or a fresh buffer. */
export async function readPart(
  fh: FileHandle,
  n: number,
  partSize: number,
  size: number,
  into?: Buffer,
): Promise<Buffer> {
  const start = (n - 1) * partSize;
  const len = Math.min(partSize, size - start);
  const buf = into && into.length >= len ? into.subarray(0, len) : Buffer.allocUnsafe(len);
  let off = 0;
  while (off < len) {
    const bytesRead = metered((await fh.read(buf, off, len - off, start + off)).bytesRead);
    if (bytesRead === 0) break;
    off += bytesRead;
  }
  return off === len ? buf : buf.subarray(0, off);
}
