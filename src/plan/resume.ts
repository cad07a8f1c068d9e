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
  /** Fingerprint of the headers the upload was created with; null when not recorded (never resumed). */
  settings: string | null;
  parts: readonly { n: number; size: number; md5: string; etag: string }[];
}

/** The file as hashed for this upload. */
export interface FileToSend {
  key: string;
  identity: FileIdentity;
  md5: string;
  partSize: number;
  /** One per part, in order; undefined for a part not read yet (resumed without a full hash): sent. */
  partMd5s: readonly (string | undefined)[];
  /** Fingerprint of the headers an upload created now would get. */
  settings: string;
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

function settingsReason(recorded: string | null): string {
  return recorded === null
    ? 'the record does not say which headers the upload was created with'
    : "the pair's object settings (headers, storage class, encryption) changed since";
}

function partLength(n: number, partSize: number, size: number): number {
  return Math.min(partSize, size - (n - 1) * partSize);
}

/** Continue `rec` for `file`, or give it up. A part is kept only if it is provably this file's bytes. */
export function resumeUpload(rec: RecordedUpload, file: FileToSend, server: ServerParts): ResumeDecision {
  if (!rec.identity) return { action: 'abort', reason: 'the record cannot be resumed (a copy, or an older version)' };
  if (rec.key !== file.key) return { action: 'abort', reason: 'the file now maps to another key' };
  if (!sameIdentity(rec.identity, file.identity)) return { action: 'abort', reason: 'the file changed since' };
  // '': the upload was hashed as it was sent (plan/one-pass.ts); its parts' MD5s prove them below.
  if (rec.md5 !== '' && rec.md5 !== file.md5)
    return { action: 'abort', reason: 'the content changed since (MD5 differs)' };
  if (rec.partSize !== file.partSize) return { action: 'abort', reason: 'the part size changed' };
  if (rec.settings !== file.settings) return { action: 'abort', reason: settingsReason(rec.settings) };
  if (server === 'gone') return { action: 'forget', reason: 'the server no longer has the upload' };
  const listed = server === 'unknown' ? undefined : new Map(server.map((p) => [p.n, p]));
  const keep: { n: number; etag: string }[] = [];
  const send: number[] = [];
  const recorded = new Map(rec.parts.map((p) => [p.n, p]));
  const size = file.identity.size;
  for (let n = 1; n <= file.partMd5s.length; n++) {
    const len = partLength(n, file.partSize, size);
    const md5 = file.partMd5s[n - 1];
    const r = recorded.get(n);
    const s = listed?.get(n);
    if (r && md5 && r.size === len && r.md5 === md5 && (!listed || (s && s.size === len && s.etag === r.etag))) {
      keep.push({ n, etag: r.etag });
    } else if (!r && s && md5 && s.size === len && s.etag === md5) {
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

/**
 * A file with a recorded upload is about to be hashed: when its identity and headers are those the
 * upload began with, the whole file is not read. Only the parts the journal says were sent are
 * read, to prove them (verifiedParts); the whole-file MD5 is the record's, and the parts still
 * missing are hashed as they are read to be sent. The same trust as the planner's rule 5: equal
 * size, mtime, ctime and inode mean equal content.
 */
export function resumeRead(a: {
  rec: Pick<RecordedUpload, 'key' | 'identity' | 'partSize' | 'settings'>;
  key: string;
  now: FileIdentity;
  /** The part size an upload of the file would have now. */
  partSize: number;
  settings: string;
}): { action: 'verify' | 'hash'; reason: string } {
  const { rec } = a;
  const hash = (reason: string) => ({ action: 'hash' as const, reason });
  if (!rec.identity) return hash('the record cannot be resumed (a copy, or an older version)');
  if (rec.key !== a.key) return hash('the file now maps to another key');
  if (!sameIdentity(rec.identity, a.now)) return hash('the file changed since its upload began');
  if (rec.partSize !== a.partSize) return hash('the part size changed');
  if (rec.settings !== a.settings) return hash(settingsReason(rec.settings));
  return { action: 'verify', reason: 'unchanged since its upload began: only the parts sent are read' };
}

/**
 * The recorded parts as read again: every one must hash as recorded, or nothing of the record is
 * trusted (the file changed under an unchanged stat, or the journal is wrong) and the whole file
 * is hashed. Proven, one MD5 per part, undefined for the parts not sent yet.
 */
export function verifiedParts(a: {
  recorded: readonly { n: number; md5: string }[];
  read: ReadonlyMap<number, string>;
  total: number;
}): { action: 'resume'; partMd5s: (string | undefined)[]; reason: string } | { action: 'hash'; reason: string } {
  const partMd5s: (string | undefined)[] = Array.from({ length: a.total }, () => undefined);
  for (const p of a.recorded) {
    if (p.n < 1 || p.n > a.total) return { action: 'hash', reason: `part ${p.n} is beyond the file's ${a.total}` };
    if (a.read.get(p.n) !== p.md5) return { action: 'hash', reason: `part ${p.n} no longer hashes as recorded` };
    partMd5s[p.n - 1] = p.md5;
  }
  return { action: 'resume', partMd5s, reason: `${a.recorded.length} recorded parts proven by their MD5s` };
}

/**
 * A part failed: is the upload kept for the row's retry to resume (pickUp), or aborted? Kept
 * after whatever a retry can cure (a reset connection, a timeout, a 5xx, throttling, a corrupted
 * body); aborted when the file changed or the server refused for good (NoSuchUpload, a 4xx).
 */
export function afterPartFailure(e: { code: string; retryable: boolean }): {
  action: 'keep' | 'abort';
  reason: string;
} {
  if (e.code === 'FILE_CHANGED') return { action: 'abort', reason: 'the file changed while it was sent' };
  if (!e.retryable) return { action: 'abort', reason: `${e.code} cannot be cured by a retry` };
  return { action: 'keep', reason: `${e.code} may pass: the upload is resumed by the retry` };
}
