import type { Bucket, Listed } from '../bucket.js';
import { isMirrorError } from '../errors.js';
import { ContentDigest, digestFile } from '../local/digest.js';
import { treePath } from '../local/safe-open.js';
import type { LocalStat } from '../model.js';
import { sameStat } from '../plan/planner.js';
import { judgeKey, type VerifyContext, type VerifyVerdict, type VerifyView } from '../plan/verify.js';
import type { FileRow } from '../store/types.js';

/** One key as verify reports it (identical keys are only counted). */
export interface VerifyLine {
  pair: string;
  key: string;
  /** The local path, when a file or a row names one. */
  rel?: string;
  verdict: VerifyVerdict | 'unreadable';
  reason: string;
}

/** What one key's judgement needs from the pair, the file and the bucket. */
export interface KeyJob {
  pair: { name: string; path: string; followSymlinks: boolean };
  key: string;
  rel?: string;
  local?: { kind: 'file' | 'symlink' | 'special'; stat: LocalStat };
  row?: FileRow;
  object?: Listed;
  ctx: VerifyContext;
  bucket: Bucket;
  /** Bytes read from files and objects, for the progress line. */
  onBytes: (n: number) => void;
}

/** The journal's MD5 for a file it recorded with exactly this stat: no read needed (unless --deep). */
function recordedDigest(row: FileRow | undefined, stat: LocalStat | undefined): VerifyView['digest'] {
  const multipart = row?.local_etag?.includes('-') ? row.local_etag : undefined;
  if (!row || !stat || row.present !== 1 || !(row.md5 || (multipart && row.part_size))) return undefined;
  if (!sameStat(stat, { size: row.size, mtimeNs: row.mtime_ns, ctimeNs: row.ctime_ns, ino: row.ino })) return undefined;
  return {
    md5: row.md5 || null,
    read: false,
    ...(row.part_size && multipart ? { partSize: row.part_size, multipartEtag: multipart } : {}),
  };
}

/** Longest chain of reads and requests one key can need (hash, HEAD, hash in its part size, GET). */
const MAX_STEPS = 6;

/**
 * Asks plan/verify.ts about one key and performs what it needs first (read the file, HEAD or GET
 * the object) until it gives a verdict. A file that vanished meanwhile is pending; one that cannot
 * be read is reported as such.
 */
export async function judgeJob(j: KeyJob): Promise<VerifyLine> {
  const base = { pair: j.pair.name, key: j.key, ...(j.rel !== undefined ? { rel: j.rel } : {}) };
  const view: VerifyView = {
    ...(j.local ? { local: j.local } : {}),
    ...(j.row ? { row: { state: j.row.state, etag: j.row.etag, remoteSize: j.row.remote_size } } : {}),
    ...(j.object ? { object: { size: j.object.size, etag: j.object.etag } } : {}),
  };
  const known = recordedDigest(j.row, j.local?.stat);
  if (known) view.digest = known;
  for (let step = 0; step < MAX_STEPS; step++) {
    const d = judgeKey(view, j.ctx);
    if ('verdict' in d) return { ...base, verdict: d.verdict, reason: d.reason };
    if (d.need === 'hash') {
      try {
        const got = await digestFile(treePath(j.pair.path, j.rel!, j.pair.followSymlinks), d.partSize);
        j.onBytes(got.size);
        if (got.size !== j.local!.stat.size)
          return { ...base, verdict: 'pending', reason: 'changed while verify read it' };
        view.digest = { ...got, read: true, ...(d.partSize ? { partSize: d.partSize } : {}) };
      } catch (e) {
        const cause = isMirrorError(e) ? e.cause : e;
        if ((cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT')
          return { ...base, verdict: 'pending', reason: 'gone while verify read it' };
        const why = isMirrorError(e) ? e.message : String(e);
        return { ...base, verdict: 'unreadable', reason: why };
      }
    } else if (d.need === 'head') {
      const h = await j.bucket.head(j.key);
      view.head = h
        ? { metaMd5: h.metaMd5, metaPartSize: h.metadata['part-size'] ?? null, ...(h.sse ? { sse: h.sse } : {}) }
        : null;
    } else {
      const got = await j.bucket.get(j.key);
      if (!got) view.head = null;
      else {
        const digest = new ContentDigest();
        for await (const chunk of got.body) {
          digest.update(chunk);
          j.onBytes(chunk.length);
        }
        view.got = { md5: digest.finish().md5 };
      }
    }
  }
  return { ...base, verdict: 'unreadable', reason: 'no verdict after every read (a bug: please report)' };
}
