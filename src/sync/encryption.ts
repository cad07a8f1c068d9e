import type { Stored } from '../bucket.js';
import type { PairConfig } from '../config.js';
import { MirrorError } from '../errors.js';
import { etagKind, etagsOpaque } from '../plan/etag.js';
import type { Journal } from '../store/journal.js';
import type { SyncedContent } from '../model.js';

/** Are a pair's ETags its objects' MD5s? 'unknown' until the pair's config or bucket says. */
export type EtagTrust = 'md5' | 'opaque' | 'unknown';

/**
 * What a pair's bucket does to ETags. A pair's own `sse` decides; without one, the bucket's
 * default encryption does, which only its responses reveal (x-amz-server-side-encryption): a
 * bucket with default SSE-KMS returns ETags that look like MD5s and are not. Remembered in the
 * journal per pair and bucket, so a new process does not learn it again object by object.
 */
export class BucketEncryption {
  private readonly seen = new Map<string, EtagTrust>();

  constructor(private readonly journal: Journal) {}

  trust(pair: PairConfig): EtagTrust {
    if (etagsOpaque(pair.sse)) return 'opaque';
    if (pair.sse) return 'md5';
    const k = metaKey(pair);
    let v = this.seen.get(k);
    if (v === undefined) {
      const m = this.journal.getMeta(k);
      v = m === 'md5' || m === 'opaque' ? m : 'unknown';
      this.seen.set(k, v);
    }
    return v;
  }

  /** The ETag of a body a write stored, once it is known to hold what was sent. */
  intact(pair: PairConfig, what: string, st: Stored, md5: string): string {
    this.written(pair, st.sse);
    return sentIntact(pair, what, st, md5);
  }

  /**
   * A copy's result. s3rver and Debian's RGW ignore x-amz-copy-source-if-match, so a source
   * another writer replaced since we listed it is copied all the same: where ETags are digests, the
   * new object's must be one of `expected` (the content's MD5 or multipart ETag, or the source
   * ETag we matched on, which a server may keep on copy), or the copy is refused as the wrong
   * bytes and the caller uploads instead.
   */
  copied(pair: PairConfig, what: string, st: Stored, expected: readonly string[]): void {
    this.written(pair, st.sse);
    if (etagsOpaque(pair.sse) || etagsOpaque(st.sse) || etagKind(st.etag) === 'opaque' || expected.includes(st.etag))
      return;
    throw new MirrorError(
      'S3_REQUEST_FAILED',
      `${what}: the copy holds content with ETag ${st.etag}, not ${expected.join(' or ')}: the source changed since it was listed; uploaded instead`,
      { retryable: true },
    );
  }

  /** What an object written with `st` holds. */
  content(pair: PairConfig, st: Stored, c: Omit<SyncedContent, 'etag' | 'etagKind'>): SyncedContent {
    this.written(pair, st.sse);
    return {
      ...c,
      etag: st.etag,
      etagKind: etagsOpaque(pair.sse) || etagsOpaque(st.sse) ? 'opaque' : etagKind(st.etag),
    };
  }

  /** A write's response: the object it stored is encrypted as the bucket encrypts new objects now. */
  written(pair: PairConfig, sse: string | undefined): void {
    this.set(pair, etagsOpaque(sse) ? 'opaque' : 'md5');
  }

  /**
   * A HEAD's response. An SSE-KMS object proves the bucket makes opaque ETags; a plain object
   * whose ETag is the MD5 we stored beside it proves ETags are MD5s; anything else proves nothing.
   */
  read(pair: PairConfig, head: { etag: string; metaMd5: string | null; sse?: string }): void {
    if (etagsOpaque(head.sse)) this.set(pair, 'opaque');
    else if (!head.sse && head.metaMd5 && etagKind(head.etag) === 'md5' && head.etag === head.metaMd5)
      this.set(pair, 'md5');
  }

  private set(pair: PairConfig, v: 'md5' | 'opaque'): void {
    if (pair.sse) return;
    const k = metaKey(pair);
    if (this.trust(pair) === v) return;
    this.seen.set(k, v);
    this.journal.setMeta(k, v);
  }
}

function metaKey(pair: PairConfig): string {
  return `etags:${pair.name}:${pair.bucket}`;
}

/**
 * The server's ETag for a body it stored is that body's MD5, unless SSE-KMS makes it opaque: asked
 * for by the pair, or applied by the bucket's default encryption, which the response names. One
 * that differs from the MD5 we sent means the server stored other bytes (a server that ignores
 * Content-MD5, on a link that corrupted the body; bodies are not SHA-256-signed): refuse it, so
 * the file is sent again rather than recorded as mirrored.
 */
function sentIntact(pair: PairConfig, what: string, { etag, sse }: Stored, md5: string): string {
  if (!etagsOpaque(pair.sse) && !etagsOpaque(sse) && etagKind(etag) === 'md5' && etag !== md5) {
    throw new MirrorError(
      'S3_BAD_DIGEST',
      `${what}: the server stored content with MD5 ${etag}, not the ${md5} sent; sent again`,
      { retryable: true },
    );
  }
  return etag;
}
