import { Worker } from 'node:worker_threads';

/**
 * Whole-file MD5s computed on a worker thread from the parts the upload has read, so a file sent
 * in one pass (plan/one-pass.ts) does not hash every byte twice on the thread that also sends it:
 * the part MD5 (its Content-MD5) stays here, the whole-file MD5 goes there. On two cores that
 * turns a second MD5 pass from wall time into the other core's time.
 *
 * Part buffers backed by a SharedArrayBuffer are read in place; others are copied into the
 * message. The caller must not overwrite a buffer until its `update` has settled. Messages are
 * taken in the order posted, so updates posted in part order hash in part order.
 *
 * The worker's code is inline (eval), so the same code runs from dist/ and under the test runner.
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const hashes = new Map();
parentPort.on('message', (m) => {
  let h = hashes.get(m.stream);
  if (m.op === 'drop') { hashes.delete(m.stream); return; }
  if (!h) hashes.set(m.stream, (h = createHash('md5')));
  if (m.op === 'update') {
    h.update(new Uint8Array(m.buffer, m.offset, m.length));
    parentPort.postMessage({ id: m.id });
  } else {
    hashes.delete(m.stream);
    parentPort.postMessage({ id: m.id, hex: h.digest('hex') });
  }
});
`;

/** The worker died or could not start: the stream's digest is lost. */
export class Md5ThreadUnavailable extends Error {}

interface Pending {
  resolve: (hex: string | undefined) => void;
  reject: (e: Error) => void;
}

interface Live {
  worker: Worker;
  pending: Map<number, Pending>;
  /** Why it stopped answering; set once it failed or exited. */
  dead?: string;
}

let current: Live | undefined;
let disabled = false;
let nextId = 1;
let nextStream = 1;

function live(): Live {
  if (current) return current;
  if (disabled) throw new Md5ThreadUnavailable('no MD5 thread in this process');
  let worker: Worker;
  try {
    worker = new Worker(WORKER_SOURCE, { eval: true });
  } catch (e) {
    disabled = true;
    throw new Md5ThreadUnavailable(`cannot start the MD5 thread: ${(e as Error).message}`);
  }
  worker.unref();
  // Each worker answers only its own requests: a dead one's late exit must not fail its successor's.
  const self: Live = { worker, pending: new Map() };
  worker.on('message', (r: { id: number; hex?: string }) => {
    const p = self.pending.get(r.id);
    if (!p) return;
    self.pending.delete(r.id);
    if (self.pending.size === 0) worker.unref();
    p.resolve(r.hex);
  });
  const fail = (why: string) => {
    self.dead ??= why;
    if (current === self) current = undefined;
    for (const p of self.pending.values()) p.reject(new Md5ThreadUnavailable(why));
    self.pending.clear();
  };
  worker.on('error', (e) => fail(`MD5 thread failed: ${e.message}`));
  worker.on('exit', (code) => fail(`MD5 thread exited (${code})`));
  current = self;
  return self;
}

function ask(w: Live, message: Record<string, unknown>, transfer: ArrayBuffer[] = []): Promise<string | undefined> {
  if (w.dead) return Promise.reject(new Md5ThreadUnavailable(w.dead));
  const id = nextId++;
  return new Promise((resolve, reject) => {
    w.pending.set(id, { resolve, reject });
    // Held only while it works: an idle worker must not keep the process alive.
    w.worker.ref();
    w.worker.postMessage({ ...message, id }, transfer);
  });
}

/** One file's MD5 on the worker thread, fed in order. */
export class Md5Stream {
  private readonly stream = nextStream++;

  private constructor(private readonly w: Live) {}

  /** A stream on the worker, or undefined where no worker can run (hash on this thread then). */
  static open(): Md5Stream | undefined {
    try {
      return new Md5Stream(live());
    } catch (e) {
      if (e instanceof Md5ThreadUnavailable) return undefined;
      throw e;
    }
  }

  /** Posts `body` now (so calls hash in call order); settles once the worker has hashed it. */
  async update(body: Buffer): Promise<void> {
    const shared = body.buffer instanceof SharedArrayBuffer;
    // A copy of its own, moved (not cloned again) into the message.
    const copy = shared ? undefined : body.buffer.slice(body.byteOffset, body.byteOffset + body.length);
    const message = { op: 'update', stream: this.stream, length: body.length };
    await ask(
      this.w,
      copy ? { ...message, buffer: copy, offset: 0 } : { ...message, buffer: body.buffer, offset: body.byteOffset },
      copy ? [copy as ArrayBuffer] : [],
    );
  }

  /** The MD5 (hex) of everything posted; the stream is gone afterwards. */
  async digest(): Promise<string> {
    const hex = await ask(this.w, { op: 'digest', stream: this.stream });
    if (hex === undefined) throw new Md5ThreadUnavailable('the MD5 thread gave no digest');
    return hex;
  }

  /** Forget the stream (its file was not sent whole). */
  drop(): void {
    if (!this.w.dead) this.w.worker.postMessage({ op: 'drop', stream: this.stream });
  }
}

/** A buffer the MD5 thread reads in place (no copy per part). */
export function sharedBuffer(size: number): Buffer {
  return Buffer.from(new SharedArrayBuffer(size));
}

/** Stop the worker (tests, clean shutdown); a later stream starts a new one. */
export async function stopMd5Thread(): Promise<void> {
  const w = current;
  current = undefined;
  if (!w) return;
  w.dead ??= 'stopped';
  await w.worker.terminate();
}
