/**
 * Resuming a multipart upload after a restart: which recorded uploads are kept at start, and for
 * the one an upload picks up, which parts are kept and which are sent (again). Pure: the journal's
 * record, the file as it is now and (where the server has ListParts) the server's parts come in.
 */

/** The file's identity when its upload began, or as it is now. */
export interface FileIdentity {
  size: number;
  mtimeNs: string;
  ctimeNs: string;
  ino: string;
}

/** A multipart upload as the journal recorded it. */
export interface RecordedUpload {
  key: string;
  md5: string;
  partSize: number;
  /** Null for copies and for records from versions that did not record it: never resumed. */
  identity: FileIdentity | null;
  createdAt: number;
  parts: readonly { n: number; size: number; md5: string; etag: string }[];
}

/** The file as hashed for this upload. */
export interface FileToSend {
  key: string;
  identity: FileIdentity;
  md5: string;
  partSize: number;
  /** One per part, in order. */
  partMd5s: readonly string[];
}

/** What the server says it holds: its parts; `gone` (NoSuchUpload); `unknown` without ListParts. */
export type ServerParts = readonly { n: number; size: number; etag: string }[] | 'gone' | 'unknown';

export type ResumeDecision =
  | { action: 'resume'; keep: { n: number; etag: string }[]; send: number[]; reason: string }
  | { action: 'abort'; reason: string }
  | { action: 'forget'; reason: string };

function sameIdentity(a: FileIdentity, b: FileIdentity): boolean {
  return a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs && a.ino === b.ino;
}

function partLength(n: number, partSize: number, size: number): number {
  return Math.min(partSize, size - (n - 1) * partSize);
}

/** Continue `rec` for `file`, or give it up. A part is kept only if it is provably this file's bytes. */
export function resumeUpload(rec: RecordedUpload, file: FileToSend, server: ServerParts): ResumeDecision {
  if (!rec.identity) return { action: 'abort', reason: 'the record cannot be resumed (a copy, or an older version)' };
  if (rec.key !== file.key) return { action: 'abort', reason: 'the file now maps to another key' };
  if (!sameIdentity(rec.identity, file.identity)) return { action: 'abort', reason: 'the file changed since' };
  if (rec.md5 !== file.md5) return { action: 'abort', reason: 'the content changed since (MD5 differs)' };
  if (rec.partSize !== file.partSize) return { action: 'abort', reason: 'the part size changed' };
  if (server === 'gone') return { action: 'forget', reason: 'the server no longer has the upload' };
  const listed = server === 'unknown' ? undefined : new Map(server.map((p) => [p.n, p]));
  const keep: { n: number; etag: string }[] = [];
  const send: number[] = [];
  const recorded = new Map(rec.parts.map((p) => [p.n, p]));
  const size = file.identity.size;
  for (let n = 1; n <= file.partMd5s.length; n++) {
    const len = partLength(n, file.partSize, size);
    const md5 = file.partMd5s[n - 1]!;
    const r = recorded.get(n);
    const s = listed?.get(n);
    if (r && r.size === len && r.md5 === md5 && (!listed || (s && s.size === len && s.etag === r.etag))) {
      keep.push({ n, etag: r.etag });
    } else if (!r && s && s.size === len && s.etag === md5) {
      // Sent, but the crash came before the journal recorded it: its ETag is our MD5.
      keep.push({ n, etag: s.etag });
    } else send.push(n);
  }
  const checked = listed ? 'checked against ListParts' : 'trusting the journal (no ListParts)';
  return { action: 'resume', keep, send, reason: `${keep.length} parts kept, ${send.length} to send, ${checked}` };
}

/** At start (and each rescan), a recorded upload nobody works on: kept for its file, or aborted. */
export function keepRecorded(a: {
  rec: Pick<RecordedUpload, 'key' | 'identity' | 'createdAt'>;
  /** The key the pair maps the file to now; undefined when the pair is gone or changed bucket. */
  key: string | undefined;
  /** The file's identity now; null when it is not there. */
  now: FileIdentity | null;
  at: number;
  maxAgeMs: number;
}): { action: 'keep' | 'abort'; reason: string } {
  const { rec } = a;
  if (!rec.identity)
    return { action: 'abort', reason: 'not resumable (a copy, an abandoned upload, or an older version)' };
  if (a.key === undefined || a.key !== rec.key)
    return { action: 'abort', reason: 'the pair no longer maps the file there' };
  if (a.at - rec.createdAt > a.maxAgeMs) return { action: 'abort', reason: 'older than abortIncompleteAfterMs' };
  if (!a.now) return { action: 'abort', reason: 'the file is gone' };
  if (!sameIdentity(rec.identity, a.now)) return { action: 'abort', reason: 'the file changed since' };
  return { action: 'keep', reason: 'the file is unchanged: its upload resumes' };
}

/** Uploads the server lists under a pair's prefix that no record knows: aborted once old enough. */
export function orphansToAbort<U extends { uploadId: string; initiated: number }>(a: {
  listed: readonly U[];
  known: ReadonlySet<string>;
  at: number;
  maxAgeMs: number;
}): U[] {
  return a.listed.filter((u) => !a.known.has(u.uploadId) && a.at - u.initiated > a.maxAgeMs);
}
