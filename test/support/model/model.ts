// The reference model: what the local tree holds and what the bucket must hold once a pass has
// settled. Deliberately written from the README ("What gets mirrored, and how"), not from src/:
// it shares no code with the engine, so a rule the engine gets wrong cannot hide here too.
import { createHash } from 'node:crypto';
import { KNOWN } from './known.js';

type Entry = { t: 'file'; data: string } | { t: 'dir' } | { t: 'link' };
export type DeleteMode = 'mirror' | 'keep' | 'trash';

export const PREFIXES = ['m1/', 'm2/'] as const;
export const Q_PREFIX = 'q/';
export const TRASH = '.s3mirror-trash/';
/** Keys the outside world owns; the mirror must never touch them. */
export const FOREIGN = 'z/';
/** Patterns the model understands by hand (see excluded()). */
export const PATTERNS = ['*.log', 'b/', 'a/c/'] as const;
export type Pattern = (typeof PATTERNS)[number];

export interface PairSettings {
  prefix: string;
  exclude: Pattern[];
  delete: DeleteMode;
  deleteExcluded: boolean;
  /** `generous`: maxDeletePercent 100 (only the empty-root rule can hold); `default`: 50 %. */
  guard: 'generous' | 'default';
  /** The bucket encrypts with SSE-KMS by default (the pair sets no `sse`): ETags are not MD5s. */
  kms?: boolean;
}

export interface Model {
  tree: Map<string, Entry>;
  /** Files whose reads answer EACCES (the failpoint hook), by rel. */
  unreadable: Set<string>;
  cfg: PairSettings;
  /** The second pair: present in the config, and its files (fixed names). */
  q: { present: boolean; files: Map<string, string> };
  /** Every object of the bucket except trash objects: key → content. */
  bucket: Map<string, string>;
  /** Contents moved to the trash, per pair prefix (a multiset). */
  trash: Map<string, string[]>;
  /** Keys whose delete the guard holds (pair p), and those `resume` released. */
  held: Set<string>;
  released: Set<string>;
  /** Held deletes the journal may count differently from the model (a config change met them). */
  heldUncertain: boolean;
  /** Which rel holds each NFC key when two local names collide. */
  holder: Map<string, string>;
  outage: boolean;
  /** A crash since the last settle: the next settle adopts what the crashed pass did. */
  crashed: boolean;
  /** Passes since the last settle (removing a pair with dirty rows is a known defect). */
  passesSinceSettle: number;
  /**
   * NFC paths the journal may hold a listing-made (kind `remote`) row for: objects kept or held
   * without a file, written by another writer, or met by a fresh journal (see KNOWN.restoredFiles).
   */
  remoteRows: Set<string>;
  /** Keys another writer put last: under SSE-KMS their identity is unknown (no x-amz-meta-md5). */
  othersWrote: Set<string>;
  /**
   * Another writer changed the bucket since the last settle: a trusted journal would not see it
   * until the next audit (the README's trade-off), so the passes until then audit.
   */
  audit: boolean;
  /** Keys two names wanted at once: each name's row may count a delete of the one object. */
  collided: Set<string>;
  /** The first raw name each NFC path had in this case (see KNOWN.nfcTwins). */
  names: Map<string, string>;
  /** No settle since the stateDir was lost or a crash: trash copies may be repeated. */
  trashMayRepeat: boolean;
  /** Contents the trash may hold beyond the model's own (see KNOWN.collisionDeletes). */
  trashExtra: Set<string>;
  /**
   * Deletes a pass cut by an outage may have held (the guard decides before the outage begins,
   * the model cannot tell): held if the next settle finds them still there.
   */
  mayBeHeld: Set<string>;
  /** The last step was a settled pass: a pass now has nothing to do, so a crash would be idle. */
  quiet: boolean;
}

export function initialModel(cfg: PairSettings): Model {
  return {
    tree: new Map(),
    unreadable: new Set(),
    cfg,
    q: {
      present: false,
      files: new Map([
        ['q1', 'q-one'],
        ['d/q2', 'q-two'],
      ]),
    },
    bucket: new Map([[`${FOREIGN}keep-me`, 'foreign']]),
    trash: new Map(),
    held: new Set(),
    released: new Set(),
    heldUncertain: false,
    holder: new Map(),
    outage: false,
    crashed: false,
    passesSinceSettle: 0,
    trashMayRepeat: false,
    trashExtra: new Set(),
    mayBeHeld: new Set(),
    quiet: false,
    names: new Map(),
    collided: new Set(),
    othersWrote: new Set(),
    audit: false,
    remoteRows: new Set(),
  };
}

export const md5 = (s: string | Buffer): string => createHash('md5').update(s).digest('hex');
export const nfc = (s: string): string => s.normalize('NFC');
export const parentOf = (rel: string): string => (rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/')) : '');

/** The three patterns, with gitignore's meaning: `*.log` and `b/` at any depth, `a/c/` from the root. */
function excluded(rel: string, patterns: readonly Pattern[]): boolean {
  const parts = rel.split('/');
  const dirs = parts.slice(0, -1);
  for (const p of patterns) {
    if (p === '*.log' && parts.some((x) => x.endsWith('.log'))) return true;
    if (p === 'b/' && dirs.includes('b')) return true;
    if (p === 'a/c/' && rel.startsWith('a/c/')) return true;
  }
  return false;
}

/** Can `rel` be created as a file or directory: no ancestor is a file or a symlink. */
export function ancestorsAreDirs(m: Model, rel: string): boolean {
  for (let p = parentOf(rel); p; p = parentOf(p)) {
    const e = m.tree.get(p);
    if (e && e.t !== 'dir') return false;
  }
  return true;
}

export function mkdirs(m: Model, dir: string): void {
  for (let p = dir; p; p = parentOf(p)) if (!m.tree.has(p)) m.tree.set(p, { t: 'dir' });
}

/** Remove an entry and everything under it. */
export function removeTree(m: Model, rel: string): void {
  for (const k of [...m.tree.keys()]) if (k === rel || k.startsWith(`${rel}/`)) m.tree.delete(k);
  for (const k of [...m.unreadable]) if (k === rel || k.startsWith(`${rel}/`)) m.unreadable.delete(k);
}

function rootEmpty(m: Model): boolean {
  return ![...m.tree.keys()].some((k) => !k.includes('/'));
}

/** Local files that want a key under the current prefix: key → candidate rels. */
export function candidates(m: Model): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [rel, e] of m.tree) {
    if (e.t !== 'file' || excluded(rel, m.cfg.exclude)) continue;
    const key = m.cfg.prefix + nfc(rel);
    out.set(key, [...(out.get(key) ?? []), rel].sort());
  }
  return out;
}

export function symlinks(m: Model): number {
  return [...m.tree].filter(([rel, e]) => e.t === 'link' && !excluded(rel, m.cfg.exclude)).length;
}

/** What one settled pass must leave for a key with local candidates. */
export type Want =
  | { kind: 'data'; data: string; rel: string }
  /**
   * Two names collide and the model does not know the holder: one of these, or (`orUnchanged`,
   * when an unreadable name is in the race and may hold the key) the object as it was.
   */
  | { kind: 'either'; options: { data: string; rel: string }[]; orUnchanged?: boolean }
  /** The holder cannot be read: the object stays as it is. */
  | { kind: 'unchanged' };

export function wanted(m: Model): Map<string, Want> {
  const out = new Map<string, Want>();
  for (const [key, rels] of candidates(m)) {
    const live =
      rels.length > 1 && m.holder.has(key) && rels.includes(m.holder.get(key)!) ? [m.holder.get(key)!] : rels;
    const opts = live.map((rel) => ({ rel, data: (m.tree.get(rel) as { data: string }).data }));
    if (opts.length === 1) {
      out.set(key, m.unreadable.has(opts[0]!.rel) ? { kind: 'unchanged' } : { kind: 'data', ...opts[0]! });
    } else {
      const readable = opts.filter((o) => !m.unreadable.has(o.rel));
      if (!readable.length) out.set(key, { kind: 'unchanged' });
      else
        out.set(key, {
          kind: 'either',
          options: readable,
          ...(readable.length < opts.length ? { orUnchanged: true } : {}),
        });
    }
  }
  return out;
}

/**
 * How many files must show as failed after a settle: unreadable ones and collision losers. A
 * range, because when an unreadable name races a readable one for a key, who wins decides
 * whether the unreadable one fails to read or fails to collide (one failure or two).
 */
export function expectedFailures(m: Model): { min: number; max: number } {
  let min = 0;
  let max = 0;
  for (const [key, rels] of candidates(m)) {
    const h = m.holder.get(key);
    const known = h !== undefined && rels.includes(h);
    const bad = rels.filter((r) => m.unreadable.has(r)).length;
    const lose = rels.length - 1;
    if (rels.length === 1 || known) {
      const n = lose + (m.unreadable.has(known ? h! : rels[0]!) ? 1 : 0);
      min += n;
      max += n;
    } else {
      min += lose + (bad === rels.length ? 1 : 0);
      max += lose + (bad > 0 ? 1 : 0);
    }
  }
  return { min, max };
}

export type Fate = 'keep' | 'delete' | 'held';

/**
 * The objects under the prefix that no local file wants, and what a settled pass does with each:
 * kept (keep mode, or excluded without deleteExcluded), deleted / trashed, or held by the guard.
 * `guardHolds` says what the guard decided for the deletes nobody released.
 */
export function orphans(m: Model, guardHolds: boolean): Map<string, Fate> {
  const want = candidates(m);
  const out = new Map<string, Fate>();
  const pfx = m.cfg.prefix;
  for (const key of m.bucket.keys()) {
    if (!key.startsWith(pfx) || key.startsWith(pfx + TRASH) || want.has(key)) continue;
    const rel = key.slice(pfx.length);
    const keepIt = m.cfg.delete === 'keep' || (excluded(rel, m.cfg.exclude) && !m.cfg.deleteExcluded);
    if (keepIt) out.set(key, 'keep');
    else if (m.released.has(key)) out.set(key, 'delete');
    // Until held deletes stay held (KNOWN.heldStay), each pass weighs them again like new ones.
    else if (m.held.has(key) && KNOWN.heldStay) out.set(key, 'held');
    else out.set(key, guardHolds ? 'held' : 'delete');
  }
  return out;
}

/** Deletes a pass would send that the guard weighs (not held already, not released). */
export function guardedDeletes(m: Model): string[] {
  return [...orphans(m, false)].filter(([k, f]) => f === 'delete' && !m.released.has(k)).map(([k]) => k);
}

/** The empty-root rule is the only hold the model predicts exactly; the share rule only under `default`. */
export function guardCertain(m: Model): boolean | undefined {
  const gd = guardedDeletes(m);
  if (!gd.length) return false;
  if (rootEmpty(m)) return true;
  if (!KNOWN.collisionDeletes && gd.some((k) => m.collided.has(k))) return undefined;
  return m.cfg.guard === 'generous' ? false : undefined;
}
