import type { LocalStat } from '../model.js';
import { keyOfRel, relForKey } from './keys.js';
import { sameStat, type StatView } from './planner.js';
import { recheckFailed } from './retry.js';

/** What reconciliation knows of a row (the journal's `files`). */
export interface KeyRow {
  rel: string;
  key: string;
  present: 0 | 1;
  state: 'dirty' | 'clean' | 'failed' | 'skipped' | 'held';
  kind: 'file' | 'symlink' | 'special' | 'remote';
  size: number | null;
  mtime_ns: string | null;
  ctime_ns: string | null;
  ino: string | null;
  etag: string | null;
  remote_size: number | null;
  error_code: string | null;
}

/** Everything the three sides hold for one key: files found now, rows, the object. */
export interface KeySides {
  key: string;
  entries: readonly { rel: string; kind: 'file' | 'symlink' | 'special'; stat: LocalStat }[];
  rows: readonly KeyRow[];
  object: { size: number; etag: string } | undefined;
}

export interface KeyContext {
  prefix: string;
  deleteKeep: boolean;
  /** Is the path excluded while `deleteExcluded` is off (its object is kept, never deleted)? */
  keptExcluded: (rel: string) => boolean;
  /** Is the row's path under a directory the walk could not read (unknown, not deleted)? */
  unknown: (rel: string) => boolean;
  /** Is this listed key one the previous prefix left (plan/moves.ts leftAtPreviousPrefix)? */
  leftAtPreviousPrefix: (key: string) => boolean;
}

/**
 * What reconciliation does with one path: `dirty` marks it due now; `gone` also records its file
 * as gone (a tombstone a new file can pair with as a rename); `remote-only` marks the row of an
 * object no file or row stands for; `cancel` drops a held delete whose key a file maps to again;
 * `none` leaves the row as it is.
 */
type KeyAction = 'dirty' | 'gone' | 'remote-only' | 'cancel' | 'none';

export interface KeyDecision {
  rel: string;
  key: string;
  action: KeyAction;
  reason: string;
}

function statOf(r: KeyRow): StatView {
  return { size: r.size, mtimeNs: r.mtime_ns, ctimeNs: r.ctime_ns, ino: r.ino };
}

/**
 * Nearly every key of a rescan: one file, its clean row, its object, all as recorded. decideKey
 * would say `none` ('in sync'). A pass meets every file, so the march settles most keys before it
 * even reads their rows whole, by the same test in the form of a signature (`syncSignature`).
 */
export function inSync(s: KeySides): boolean {
  if (s.entries.length !== 1 || s.rows.length !== 1) return false;
  const e = s.entries[0]!;
  const r = s.rows[0]!;
  return (
    e.rel === r.rel &&
    r.present === 1 &&
    r.state === 'clean' &&
    sameStat(e.stat, statOf(r)) &&
    s.object?.etag === r.etag &&
    s.object.size === r.remote_size
  );
}

/**
 * What a clean row's signature (SIGNATURE in src/store/march.ts) is when the file's stat and the
 * object are what the row recorded: a pass compares the two strings and reads no more of the row.
 */
export function syncSignature(stat: LocalStat, object: { size: number; etag: string }): string {
  return `${stat.size}:${stat.mtimeNs}:${stat.ctimeNs}:${stat.ino}:${object.size}:${object.etag}`;
}

/**
 * One key of the lockstep reconciliation (src/sync/march.ts): the files that map to it now, the
 * rows that name it, and the listed object, compared. Nothing is decided about the work itself:
 * the planner does that per row; this only says which rows may need work.
 */
export function decideKey(s: KeySides, ctx: KeyContext): KeyDecision[] {
  if (inSync(s)) return [{ rel: s.entries[0]!.rel, key: s.key, action: 'none', reason: 'in sync' }];
  const out: KeyDecision[] = [];
  const d = (rel: string, action: KeyAction, reason: string) => out.push({ rel, key: s.key, action, reason });
  const o = s.object;
  const seen = new Set<string>();
  for (const e of s.entries) {
    seen.add(e.rel);
    const r = s.rows.find((x) => x.rel === e.rel);
    // A file already pending keeps its due time and its failures: marking it again would throw
    // away its backoff and retry it at once.
    if (r && r.present === 1 && r.state === 'dirty') d(e.rel, 'none', 'pending: keeps its due time');
    else if (!r) d(e.rel, 'dirty', 'new file');
    else if (r.present === 0) d(e.rel, 'dirty', 'file is back');
    else if (r.state === 'dirty' || r.state === 'held') d(e.rel, 'dirty', `row ${r.state}`);
    else if (r.state === 'skipped' || r.state === 'failed') {
      const changed = !sameStat(e.stat, statOf(r)) || r.kind !== e.kind;
      const again =
        r.state === 'skipped'
          ? changed
          : recheckFailed({ code: r.error_code, changed, keyHeldByOther: s.entries.length > 1 });
      d(e.rel, again ? 'dirty' : 'none', again ? `${r.state}: look again` : `${r.state}: unchanged`);
    } else if (!sameStat(e.stat, statOf(r))) d(e.rel, 'dirty', 'stat changed');
    else if (!o) d(e.rel, 'dirty', 'object missing');
    else if (o.etag !== r.etag || o.size !== r.remote_size) d(e.rel, 'dirty', 'object changed');
    else d(e.rel, 'none', 'in sync');
  }
  for (const r of s.rows) {
    if (seen.has(r.rel)) continue;
    if (r.present === 0 && r.state === 'clean' && !o) d(r.rel, 'none', 'settled tombstone');
    else if (r.present === 0 && r.state === 'clean' && ctx.deleteKeep) d(r.rel, 'none', 'delete: keep');
    else if (ctx.unknown(r.rel)) d(r.rel, 'none', 'under an unreadable directory');
    // A file maps to its key under another name (NFD for NFC): the object is that file's.
    else if (r.state === 'held' && s.entries.length) d(r.rel, 'cancel', 'key held by a file found now');
    // A held delete stays held until `resume` (or its file comes back, above): deciding it again
    // would count it again, or let it pass a guard whose verdict has changed since.
    // Under delete: keep no delete is made: a held one is decided again (kept), so it cannot come
    // back as a delete once the mode changes again; the guard then weighs it like a new one.
    else if (r.state === 'held' && ctx.deleteKeep) d(r.rel, 'dirty', 'held delete under delete: keep');
    else if (r.state === 'held' && ctx.keptExcluded(r.rel)) d(r.rel, 'dirty', 'held delete of a path excluded now');
    else if (r.state === 'held' && o) d(r.rel, 'none', 'held delete');
    // A row whose key is not its path's (never true once rekeyed): its file is looked at by the
    // planner, never taken for gone here, where its file's entry is met at another key.
    else if (r.present === 1 && r.key !== keyOfRel(ctx.prefix, r.rel)) d(r.rel, 'dirty', 'row under another key');
    else if (r.present === 1) d(r.rel, 'gone', 'file gone');
    else if (r.state !== 'dirty') d(r.rel, 'dirty', `tombstone ${r.state}`);
    else d(r.rel, 'none', 'delete pending');
  }
  if (o && !s.entries.length && !s.rows.length) {
    const rel = relForKey(ctx.prefix, s.key);
    if (ctx.deleteKeep) d(rel ?? s.key, 'none', 'delete: keep');
    else if (ctx.leftAtPreviousPrefix(s.key)) d(rel ?? s.key, 'none', 'left at the previous prefix');
    else if (rel === undefined || rel.endsWith('/')) d(rel ?? s.key, 'none', 'no path');
    else d(rel, 'remote-only', 'object with no file');
  }
  return out;
}
