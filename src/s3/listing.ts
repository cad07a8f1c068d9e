import type { S3Client } from '@aws-sdk/client-s3';
import type { ListOptions, Listed } from '../bucket.js';
import { normalizeEtag } from '../plan/etag.js';
import { compareKeys } from '../plan/key-order.js';
import { onResponseHeaders, readListPageDirectly, takeListPage } from './client.js';
import type { ListedObject } from './list-page.js';
import { sdk } from './sdk.js';

const { ListObjectsV2Command } = sdk;

const OUT_OF_ORDER = Symbol('out of order');

/** The SDK's listing entries in list-page.ts's shape (entries without a key are skipped). */
function sdkContents(contents: readonly { Key?: string; Size?: number; ETag?: string }[] | undefined): ListedObject[] {
  const out: ListedObject[] = [];
  for (const o of contents ?? []) if (o.Key !== undefined) out.push({ key: o.Key, size: o.Size ?? 0, etag: o.ETag });
  return out;
}

const QUOTED_MD5 = /^"[0-9a-f]{32}"$/;

/** normalizeEtag for the 1,000 ETags of a listing page: the usual quoted lower-case MD5 takes one test. */
function listedEtag(raw: string | undefined): string {
  return raw !== undefined && raw.length === 34 && QUOTED_MD5.test(raw) ? raw.slice(1, 33) : (normalizeEtag(raw) ?? '');
}

/**
 * Every object under `prefix`, in key order. With `splitAfter` — keys that existed at the last
 * listing, ascending in S3's order, typically every 1,000th — the key space is cut at those keys
 * and the ranges (start, k1], (k1, k2], …, (kn, end) are listed with StartAfter, each one
 * requested as soon as the response to the previous one starts to arrive: the server is never
 * idle while the client reads and parses a page (unlike continuation tokens, which only a parsed
 * page yields), and never lists two ranges at once (a single-threaded server only gets slower).
 * An unchanged bucket costs one request per page; a range stops at its upper key, so
 * it costs one more page only where the bucket gained objects. The ranges partition the key
 * space whichever keys are used; a server that does not list in UTF-8 order or ignores
 * StartAfter is detected (keys out of order) and listed again from the start, page by page.
 * Errors leave as the SDK threw them: the caller maps them.
 */
export async function listPrefix(
  client: S3Client,
  bucket: string,
  prefix: string,
  opts: ListOptions = {},
): Promise<Listed[]> {
  const splits = (opts.splitAfter ?? []).filter((k) => k.startsWith(prefix));
  if (splits.length && splits.every((k, i) => i === 0 || compareKeys(splits[i - 1]!, k) < 0)) {
    const ranges = await listRanges({ client, bucket, prefix, splits, opts });
    if (ranges) return ranges;
    opts.onRestart?.();
  }
  const collect = opts.collect !== false;
  if (!collect) {
    // Streamed: the consumer needs the key order, so it is checked here too.
    const r = await listRange({ client, bucket, prefix, onPage: opts.onPage, collect, abandoned: { now: false } });
    if (r !== OUT_OF_ORDER) return r;
    opts.onRestart?.();
  }
  return (await listRange({ client, bucket, prefix, onPage: opts.onPage, collect })) as Listed[];
}

/** The ranges cut at `splits`, chained on response headers; undefined when out of order. */
async function listRanges(l: {
  client: S3Client;
  bucket: string;
  prefix: string;
  splits: readonly string[];
  opts: ListOptions;
}): Promise<Listed[] | undefined> {
  const { client, bucket, prefix, splits } = l;
  const { onPage } = l.opts;
  const collect = l.opts.collect !== false;
  const n = splits.length + 1;
  const abandoned = { now: false };
  const runs: Promise<{ ok: true; v: Listed[] | typeof OUT_OF_ORDER } | { ok: false; e: unknown }>[] = [];
  const start = () => {
    const i = runs.length;
    if (i >= n || abandoned.now) return;
    let next: (() => void) | undefined = start;
    const once = () => {
      const f = next;
      next = undefined;
      f?.();
    };
    runs.push(
      listRange({
        client,
        bucket,
        prefix,
        after: i === 0 ? undefined : splits[i - 1],
        upTo: splits[i],
        onPage,
        collect,
        abandoned,
        onFirstHeaders: once,
      }).then(
        (v) => {
          once();
          return { ok: true as const, v };
        },
        (e: unknown) => {
          abandoned.now = true;
          return { ok: false as const, e };
        },
      ),
    );
  };
  start();
  const out: Listed[] = [];
  let failure: { e: unknown } | undefined;
  // `runs` grows while we wait: each range starts the next.
  for (let i = 0; i < runs.length; i++) {
    const r = await runs[i]!;
    if (!r.ok) failure ??= { e: r.e };
    else if (r.v === OUT_OF_ORDER) abandoned.now = true;
    else for (const x of r.v) out.push(x);
  }
  if (failure) throw failure.e;
  return abandoned.now ? undefined : out;
}

interface RangeList {
  client: S3Client;
  bucket: string;
  prefix: string;
  /** Exclusive lower bound; none: from the start of the prefix. */
  after?: string | undefined;
  /** Inclusive upper bound; none: to the end of the prefix. */
  upTo?: string | undefined;
  onPage: ListOptions['onPage'];
  /** false: pages go to onPage only. */
  collect?: boolean;
  /** Set when listing in order: order is checked, and a range out of order stops all of them. */
  abandoned?: { now: boolean };
  /** Called when the first page's response starts to arrive. */
  onFirstHeaders?: () => void;
}

/** Keys in (after, upTo], page by page; OUT_OF_ORDER when the server's order is not ours. */
async function listRange({
  client,
  bucket,
  prefix,
  after,
  upTo,
  onPage,
  collect = true,
  abandoned,
  onFirstHeaders,
}: RangeList): Promise<Listed[] | typeof OUT_OF_ORDER> {
  const out: Listed[] = [];
  let token: string | undefined;
  let last = after;
  // What the pages so far proved: every key in (after, coveredTo] (checked order only).
  let coveredTo = after ?? '';
  for (;;) {
    const input = {
      Bucket: bucket,
      Prefix: prefix || undefined,
      MaxKeys: 1000,
      ...(token ? { ContinuationToken: token } : after !== undefined ? { StartAfter: after } : {}),
    };
    if (onFirstHeaders && !token) onResponseHeaders(input, onFirstHeaders);
    readListPageDirectly(input);
    const r = await client.send(new ListObjectsV2Command(input));
    const direct = takeListPage(input);
    const page: Listed[] = [];
    let done = false;
    for (const o of direct ? direct.contents : sdkContents(r.Contents)) {
      if (abandoned) {
        if (abandoned.now || (last !== undefined && compareKeys(o.key, last) <= 0)) {
          abandoned.now = true;
          return OUT_OF_ORDER;
        }
        last = o.key;
        if (upTo !== undefined && compareKeys(o.key, upTo) > 0) {
          done = true; // the next range's
          break;
        }
      }
      page.push({ key: o.key, size: o.size, etag: listedEtag(o.etag) });
      if (o.key === upTo) {
        done = true;
        break;
      }
    }
    if (collect) for (const x of page) out.push(x);
    token = direct ? direct.nextToken : r.NextContinuationToken;
    const end = done || !(direct ? direct.isTruncated : r.IsTruncated) || !token;
    if (abandoned) {
      const through = end ? (upTo ?? null) : (page[page.length - 1]?.key ?? coveredTo);
      await onPage?.(page, { after: coveredTo, through });
      if (through !== null) coveredTo = through;
    } else await onPage?.(page);
    if (end) return out;
  }
}
