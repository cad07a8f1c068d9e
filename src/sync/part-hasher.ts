import { Worker } from 'node:worker_threads';

/**
 * Per-part MD5s of a file, computed on a worker thread while the caller hashes the whole file on
 * the main thread: MD5 is sequential, so the two digests of a multipart file take two passes,
 * and on two cores they can run at once. It halves the time before the first byte of a large
 * file can be sent when nothing else is uploading (the first file of a pass, a lone change in
 * the daemon).
 *
 * The worker's code is inline (eval) rather than a module beside this one, so the same code runs
 * from dist/ and from the TypeScript sources under the test runner. It reads the file itself
 * (page cache), so no bytes cross threads.
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { openSync, readSync, closeSync, constants } = require('node:fs');
const { createHash } = require('node:crypto');
const buf = Buffer.allocUnsafe(1024 * 1024);
parentPort.on('message', ({ id, abs, partSize, size }) => {
  let fd;
  try {
    fd = openSync(abs, constants.O_RDONLY | constants.O_NONBLOCK);
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
    parentPort.postMessage({ id, parts });
  } catch (e) {
    parentPort.postMessage({ id, error: { code: e && e.code, message: String(e && e.message) } });
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
});
`;

interface Reply {
  id: number;
  parts?: string[];
  error?: { code?: string; message: string };
}

/** An error from the worker, carrying the errno code (ENOENT, EACCES…) or SHORT_READ. */
export class PartHashError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

let worker: Worker | undefined;
let nextId = 1;
let requests = 0;
const pending = new Map<number, { resolve: (parts: string[]) => void; reject: (e: Error) => void }>();

function getWorker(): Worker {
  if (worker) return worker;
  const w = new Worker(WORKER_SOURCE, { eval: true });
  w.on('message', (r: Reply) => {
    const p = pending.get(r.id);
    if (!p) return;
    pending.delete(r.id);
    if (pending.size === 0) w.unref();
    if (r.parts) p.resolve(r.parts);
    else p.reject(new PartHashError(r.error?.message ?? 'part hashing failed', r.error?.code));
  });
  // A worker that dies takes its requests with it; the next request starts a new one.
  const fail = (e: Error) => {
    if (worker === w) worker = undefined;
    for (const p of pending.values()) p.reject(e);
    pending.clear();
  };
  w.on('error', fail);
  w.on('exit', (code) => fail(new Error(`part hasher exited (${code})`)));
  worker = w;
  return w;
}

/** MD5 (hex) of each `partSize` slice of the first `size` bytes of `abs`. */
export function partMd5sOffThread(abs: string, partSize: number, size: number): Promise<string[]> {
  const w = getWorker();
  const id = nextId++;
  requests++;
  return new Promise<string[]>((resolve, reject) => {
    pending.set(id, { resolve, reject });
    // Held only while it works: an idle worker must not keep the process alive.
    w.ref();
    w.postMessage({ id, abs, partSize, size });
  });
}

/** Requests made so far in this process (tests: which path a hash took). */
export function partHasherRequests(): number {
  return requests;
}

/** Stop the worker (tests, clean shutdown); a later request starts a new one. */
export async function stopPartHasher(): Promise<void> {
  const w = worker;
  worker = undefined;
  if (w) await w.terminate();
}
