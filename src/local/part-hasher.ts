import { Worker } from 'node:worker_threads';
import { metered } from './read-meter.js';

/**
 * Per-part MD5s of a file, computed on a worker thread while the caller hashes the whole file on
 * the main thread: MD5 is sequential, so the two digests of a multipart file take two passes,
 * and on two cores they can run at once. It halves the time before the first byte of a large
 * file can be sent when nothing else is uploading (the first file of a pass, a lone change in
 * the daemon).
 *
 * The worker reads the caller's open descriptor (threads share the process's descriptors), never
 * the path: the caller's before/after stats on that descriptor then cover both reads, and a path
 * swapped meanwhile (a parent directory renamed, a symlink retargeted) cannot mix two files'
 * digests. The caller keeps the descriptor open until the worker has answered.
 *
 * The worker's code is inline (eval) rather than a module beside this one, so the same code runs
 * from dist/ and from the TypeScript sources under the test runner.
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { readSync } = require('node:fs');
const { createHash } = require('node:crypto');
const buf = Buffer.allocUnsafe(1024 * 1024);
parentPort.on('message', ({ id, fd, partSize, size }) => {
  try {
    const parts = [];
    let pos = 0;
    while (pos < size) {
      const end = Math.min(size, pos + partSize);
      const h = createHash('md5');
      while (pos < end) {
        const n = readSync(fd, buf, 0, Math.min(buf.length, end - pos), pos);
        if (n === 0) throw Object.assign(new Error('file shorter than its stat'), { code: 'SHORT_READ' });
        h.update(buf.subarray(0, n));
        pos += n;
      }
      parts.push(h.digest('hex'));
    }
    parentPort.postMessage({ id, parts, read: pos });
  } catch (e) {
    parentPort.postMessage({ id, error: { code: e && e.code, message: String(e && e.message) } });
  }
});
`;

interface Reply {
  id: number;
  parts?: string[];
  /** Bytes the worker read (counted by the read meter here). */
  read?: number;
  error?: { code?: string; message: string };
}

/** A read error in the worker, with its errno code (EIO…) or SHORT_READ. */
export class PartHashError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

/** No worker could do it (none could start, or it died): hash on the calling thread instead. */
export class PartHasherUnavailable extends Error {}

interface Pending {
  resolve: (parts: string[]) => void;
  reject: (e: Error) => void;
}

let current: { worker: Worker; pending: Map<number, Pending> } | undefined;
/** Set when a worker cannot be started here at all (e.g. a permission model without workers). */
let disabled = false;
let nextId = 1;
let requests = 0;

function getWorker(): { worker: Worker; pending: Map<number, Pending> } {
  if (current) return current;
  let worker: Worker;
  try {
    worker = new Worker(WORKER_SOURCE, { eval: true });
  } catch (e) {
    disabled = true;
    throw new PartHasherUnavailable(`cannot start the part hasher: ${(e as Error).message}`);
  }
  // Each worker answers only its own requests: a dead one's late exit must not fail its successor's.
  const self = { worker, pending: new Map<number, Pending>() };
  worker.on('message', (r: Reply) => {
    const p = self.pending.get(r.id);
    if (!p) return;
    self.pending.delete(r.id);
    if (self.pending.size === 0) worker.unref();
    if (r.parts) {
      metered(r.read ?? 0);
      p.resolve(r.parts);
    } else p.reject(new PartHashError(r.error?.message ?? 'part hashing failed', r.error?.code));
  });
  const fail = (why: string) => {
    if (current === self) current = undefined;
    for (const p of self.pending.values()) p.reject(new PartHasherUnavailable(why));
    self.pending.clear();
  };
  worker.on('error', (e) => fail(`part hasher failed: ${e.message}`));
  worker.on('exit', (code) => fail(`part hasher exited (${code})`));
  current = self;
  return self;
}

/** Whether the worker can be used at all in this process. */
export function partHasherAvailable(): boolean {
  return !disabled;
}

/**
 * MD5 (hex) of each `partSize` slice of the first `size` bytes readable from `fd`. Rejects with
 * PartHashError for a read error, PartHasherUnavailable when no worker can do it.
 */
export function partMd5sOffThread(fd: number, partSize: number, size: number): Promise<string[]> {
  let w: { worker: Worker; pending: Map<number, Pending> };
  try {
    w = getWorker();
  } catch (e) {
    return Promise.reject(e as Error);
  }
  const id = nextId++;
  requests++;
  return new Promise<string[]>((resolve, reject) => {
    w.pending.set(id, { resolve, reject });
    // Held only while it works: an idle worker must not keep the process alive.
    w.worker.ref();
    w.worker.postMessage({ id, fd, partSize, size });
  });
}

/** Requests made so far in this process (tests: which path a hash took). */
export function partHasherRequests(): number {
  return requests;
}

/** Stop the worker (tests, clean shutdown); a later request starts a new one. */
export async function stopPartHasher(): Promise<void> {
  const w = current;
  current = undefined;
  if (w) await w.worker.terminate();
}
