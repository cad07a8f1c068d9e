/**
 * Named points where a test can crash s3mirror, so crash tests hit the exact moment they mean
 * (after a PUT the journal does not know of yet, between a rename's copy and its delete, …)
 * instead of a kill -9 at a random time.
 *
 * A child process arms them with `S3MIRROR_FAILPOINTS=name[:n],...`: the n-th time (default the
 * first) the process reaches `name`, it kills itself with SIGKILL, a real crash. A test in the same
 * process arms them with `armFailpoint`: reaching one throws a FailpointCrash, which the engine
 * never records as a file's failure and lets out of the scheduler, so the test sees the crash and
 * drops the engine. Off (no variable, nothing armed), a failpoint is one boolean test.
 *
 *   const conn = new MemoryBuckets(s3);
 *   armFailpoint('after-put', { skip: 3, onCrash: () => conn.sever() });
 *   await syncOnce(cfg, log, { buckets: conn });  // rejects with FailpointCrash; the Runtime is
 *   resetFailpoints();                            // abandoned (journal closed unflushed, lock freed)
 *
 * A Runtime used directly is dropped with `rt.abandon()` after its loop threw the crash.
 */
const FAILPOINTS = [
  /** A PutObject succeeded; the journal has not recorded it. */
  'after-put',
  /** A part of a multipart upload was sent and recorded. */
  'after-part',
  /** Every part is sent; CompleteMultipartUpload is not. */
  'before-complete',
  /** CompleteMultipartUpload succeeded; neither the upload's end nor the file is recorded. */
  'after-complete',
  /** A rename's server-side copy succeeded; the old key is not deleted. */
  'rename-after-copy',
  /** A DeleteObjects call succeeded; the journal has not recorded its deletes. */
  'delete-mid-batch',
  /** A journal transaction's writes are made, not committed. */
  'journal-tx',
] as const;

export type Failpoint = (typeof FAILPOINTS)[number];

/** Thrown by an armed failpoint in a test's own process: a crash, not an error to handle. */
export class FailpointCrash extends Error {
  constructor(readonly point: Failpoint) {
    super(`failpoint ${point}: crashed`);
    this.name = 'FailpointCrash';
  }
}

interface Armed {
  /** Hits to let pass before the crash. */
  skip: number;
  kill: boolean;
  onCrash?: (point: Failpoint) => void;
}

const armed = new Map<Failpoint, Armed>();
/** The one test made when the points are off. */
let on = false;
/** Once one crashed in-process, every point reached afterwards throws: a dead process does nothing more. */
let crashedAt: Failpoint | undefined;
/** Rejected at an in-process crash, so loops waiting on work that will never finish stop too. */
let signal: { promise: Promise<never>; reject: (e: FailpointCrash) => void } | undefined;

function crashSignal(): NonNullable<typeof signal> {
  if (!signal) {
    let reject!: (e: FailpointCrash) => void;
    const promise = new Promise<never>((_, r) => (reject = r));
    promise.catch(() => undefined);
    signal = { promise, reject };
  }
  return signal;
}

function parse(spec: string | undefined): void {
  for (const item of (spec ?? '').split(',')) {
    const [name, count] = item.trim().split(':');
    if (!name) continue;
    if (!(FAILPOINTS as readonly string[]).includes(name))
      throw new Error(`S3MIRROR_FAILPOINTS: unknown failpoint ${name} (known: ${FAILPOINTS.join(', ')})`);
    const n = count === undefined ? 1 : Number(count);
    if (!Number.isInteger(n) || n < 1)
      throw new Error(`S3MIRROR_FAILPOINTS: ${item}: the count must be a positive integer`);
    armed.set(name as Failpoint, { skip: n - 1, kill: true });
    on = true;
  }
}
parse(process.env.S3MIRROR_FAILPOINTS);

/** Mark a crash point. Free when no failpoint is armed. */
export function failpoint(name: Failpoint): void {
  if (on) hit(name);
}

function hit(name: Failpoint): void {
  if (crashedAt) throw new FailpointCrash(name);
  const a = armed.get(name);
  if (!a) return;
  if (a.skip-- > 0) return;
  armed.delete(name);
  if (a.kill) process.kill(process.pid, 'SIGKILL');
  crashedAt = name;
  a.onCrash?.(name);
  const crash = new FailpointCrash(name);
  crashSignal().reject(crash);
  throw crash;
}

/**
 * `p`, or the in-process crash if one comes first: a loop awaiting work the crash left hanging
 * (requests to a severed client never answer) ends with the crash instead. `p` itself when off.
 */
export function untilCrash<T>(p: Promise<T>): Promise<T> {
  return on ? Promise.race([p, crashSignal().promise]) : p;
}

/**
 * Arm `name` in this process: its `skip + 1`-th hit throws a FailpointCrash (after calling
 * `onCrash`, e.g. to sever the test's bucket client before anything else runs).
 */
export function armFailpoint(
  name: Failpoint,
  opts: { skip?: number; onCrash?: (point: Failpoint) => void } = {},
): void {
  armed.set(name, { skip: opts.skip ?? 0, kill: false, ...(opts.onCrash ? { onCrash: opts.onCrash } : {}) });
  on = true;
}

/** Paths a test made unreadable (as root, chmod cannot): opening one fails with EACCES. */
let unreadable: ((abs: string) => boolean) | undefined;

/** Opening a path `deny` names fails as a file without read permission does (in this process). */
export function denyReads(deny: (abs: string) => boolean): void {
  unreadable = deny;
  on = true;
}

/** Mark the opening of a local file for reading. Free when no failpoint is armed. */
export function readFailpoint(abs: string): void {
  if (on && unreadable?.(abs))
    throw Object.assign(new Error(`EACCES: permission denied, open '${abs}'`), {
      code: 'EACCES',
      errno: -13,
      syscall: 'open',
      path: abs,
    });
}

/** Disarm every point and forget a crash: the next engine starts as a fresh process would. */
export function resetFailpoints(): void {
  unreadable = undefined;
  armed.clear();
  crashedAt = undefined;
  signal = undefined;
  on = false;
}

/** The point this process "crashed" at (in-process arming), if any. */
export function crashed(): Failpoint | undefined {
  return crashedAt;
}

/**
 * While failpoints are armed: `p` rejecting with the crash (or with anything, once `dead()`) is
 * for a loop to report through untilCrash, not an unhandled rejection. Nothing at all when off.
 */
export function crashIsHandled(p: Promise<unknown>, dead: () => boolean): void {
  if (!on) return;
  p.catch((e: unknown) => {
    if (!(e instanceof FailpointCrash) && !dead()) throw e;
  });
}

/**
 * A FailpointCrash goes on up: it is never a file's failure or a reason to fall back. After one,
 * so does every error: what is left of a crashed engine handles nothing.
 */
export function rethrowCrash(e: unknown): void {
  if (e instanceof FailpointCrash) throw e;
  if (crashedAt) throw new FailpointCrash(crashedAt);
}
