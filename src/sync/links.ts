import type {
  Bucket,
  BucketProvider,
  ListOptions,
  PartCopy,
  PartUpload,
  ObjectSettings,
  CopyOptions,
} from '../bucket.js';
import { errorSummary, MirrorError } from '../errors.js';
import { nextLink, ONLINE, outcomeOf, type LinkState, type RequestOutcome } from '../plan/outage.js';

/** A bucket went offline or came back. */
export interface LinkEvent {
  bucket: string;
  change: 'offline' | 'online';
  state: LinkState;
  reason: string;
}

/**
 * The link to each bucket, as every request to it finds it (src/plan/outage.ts decides). Requests
 * are observed by wrapping the bucket provider, so the in-memory bucket of the tests and the SDK's
 * are watched alike; the SDK also reports a timed-out attempt before its own retries end.
 */
export class Links {
  private readonly states = new Map<string, LinkState>();
  private readonly listeners = new Set<(e: LinkEvent) => void>();

  /**
   * `refuse`: requests to an offline bucket fail at once (the daemon, which probes it). A `sync
   * --once` pass has no probe and only tracks the state: its own retries decide.
   */
  constructor(
    private readonly now: () => number,
    private readonly refuse: boolean,
  ) {}

  /**
   * A request went unanswered or failed on the server's side: it may have taken effect without
   * the journal knowing, so this process does not close the journal as clean (plan/trust.ts).
   */
  uncertain = false;

  note(bucket: string, outcome: RequestOutcome, error: string | null): void {
    if (outcome === 'unreachable' || outcome === 'server-error') this.uncertain = true;
    const r = nextLink(this.state(bucket), outcome, this.now(), error);
    this.states.set(bucket, r.state);
    if (r.change) for (const fn of this.listeners) fn({ bucket, change: r.change, state: r.state, reason: r.reason });
  }

  state(bucket: string): LinkState {
    return this.states.get(bucket) ?? ONLINE;
  }

  isOffline(bucket: string): boolean {
    return this.state(bucket).offlineSince !== null;
  }

  /** Requests refused here because their bucket is offline: they say nothing new about the link. */
  private readonly refusals = new WeakSet<object>();

  /** The error a request to an offline bucket fails with at once; undefined while it is online. */
  refusal(bucket: string): MirrorError | undefined {
    const s = this.state(bucket);
    if (!this.refuse || s.offlineSince === null) return undefined;
    const e = new MirrorError('ENDPOINT_UNREACHABLE', `bucket ${bucket} is offline: ${s.lastError ?? 'no answer'}`, {
      hint: 'check s3.endpoint and that the server is up; s3mirror probes it and resumes on its own',
    });
    this.refusals.add(e);
    return e;
  }

  isRefusal(e: unknown): boolean {
    return typeof e === 'object' && e !== null && this.refusals.has(e);
  }

  /**
   * For the SDK client, before each attempt: a request other than the probe (HeadBucket) to an
   * offline bucket is refused, so a request caught in the outage stops retrying into it.
   */
  gate(bucket: string, command: string): Error | undefined {
    return command === 'HeadBucketCommand' ? undefined : this.refusal(bucket);
  }

  onChange(fn: (e: LinkEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** The same buckets, each request's outcome noted here. */
  watch(provider: BucketProvider): BucketProvider {
    const byName = new Map<string, Bucket>();
    return {
      bucket: (name) => {
        let b: Bucket | undefined = byName.get(name);
        if (!b) {
          b = new WatchedBucket(provider.bucket(name), this);
          byName.set(name, b);
        }
        return b;
      },
      close: () => provider.close(),
    };
  }
}

function describe(e: unknown): string {
  const { code, message } = errorSummary(e);
  return `${code}: ${message}`;
}

class WatchedBucket implements Bucket {
  constructor(
    private readonly b: Bucket,
    private readonly links: Links,
  ) {}

  get name(): string {
    return this.b.name;
  }

  /**
   * While the bucket is offline, requests other than the probe fail at once: transfers queued
   * before the outage was noticed neither wait out timeouts nor touch the server.
   */
  private async watch<T>(request: () => Promise<T>, probe = false): Promise<T> {
    if (!probe) this.refuseWhileOffline();
    let r: T;
    try {
      r = await request();
    } catch (e) {
      if (!this.links.isRefusal(e)) this.links.note(this.name, outcomeOf(errorSummary(e).code), describe(e));
      throw e;
    }
    this.links.note(this.name, 'answered', null);
    return r;
  }

  private refuseWhileOffline(): void {
    const e = this.links.refusal(this.name);
    if (e) throw e;
  }

  check(): Promise<void> {
    return this.watch(() => this.b.check(), true);
  }
  list(prefix: string, opts?: ListOptions) {
    return this.watch(() => this.b.list(prefix, opts));
  }
  head(key: string) {
    return this.watch(() => this.b.head(key));
  }
  get(key: string) {
    return this.watch(() => this.b.get(key));
  }
  put(key: string, body: Buffer, md5Hex: string, s: ObjectSettings) {
    return this.watch(() => this.b.put(key, body, md5Hex, s));
  }
  createMultipart(key: string, s: ObjectSettings, encryption?: (sse: string | undefined) => void) {
    return this.watch(() => this.b.createMultipart(key, s, encryption));
  }
  uploadPart(p: PartUpload) {
    return this.watch(() => this.b.uploadPart(p));
  }
  listParts(key: string, uploadId: string) {
    return this.watch(() => this.b.listParts(key, uploadId));
  }
  listUploads(prefix: string) {
    return this.watch(() => this.b.listUploads(prefix));
  }
  completeMultipart(key: string, uploadId: string, parts: readonly { n: number; etag: string }[]) {
    return this.watch(() => this.b.completeMultipart(key, uploadId, parts));
  }
  async abortMultipart(key: string, uploadId: string): Promise<true | MirrorError> {
    const refused = this.links.refusal(this.name);
    if (refused) return refused;
    const r = await this.b.abortMultipart(key, uploadId);
    // Reported, not thrown: an unreachable server here is an outage all the same.
    if (r === true) this.links.note(this.name, 'answered', null);
    else if (this.links.isRefusal(r)) return r;
    else this.links.note(this.name, outcomeOf(r.code), describe(r));
    return r;
  }
  copy(from: string, to: string, o: CopyOptions) {
    return this.watch(() => this.b.copy(from, to, o));
  }
  uploadPartCopy(p: PartCopy) {
    return this.watch(() => this.b.uploadPartCopy(p));
  }
  deleteMany(keys: readonly string[]) {
    return this.watch(() => this.b.deleteMany(keys));
  }
}
