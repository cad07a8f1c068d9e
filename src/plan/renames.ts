/**
 * Pair uploads of new content with pending deletes of the same content: a move inside a pair
 * becomes a server-side copy plus a delete instead of a second upload. Pure; greedy, each
 * tombstone used once; among candidates the one with the same file name wins (a folder rename
 * keeps names), then the lexically first, so the outcome is deterministic.
 */
export interface RenameCandidate {
  id: string;
  size: number;
  md5: string;
  name: string;
}

export function matchRenames(uploads: readonly RenameCandidate[], tombstones: readonly RenameCandidate[]): Map<string, string> {
  const pool = new Map<string, RenameCandidate[]>();
  for (const t of [...tombstones].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
    const k = `${t.size}:${t.md5}`;
    const list = pool.get(k);
    if (list) list.push(t);
    else pool.set(k, [t]);
  }
  const out = new Map<string, string>();
  const sorted = [...uploads].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  // Two rounds: same-name matches first, so the order of uploads cannot steal a name's partner.
  for (const sameName of [true, false]) {
    for (const u of sorted) {
      if (out.has(u.id)) continue;
      const list = pool.get(`${u.size}:${u.md5}`);
      if (!list?.length) continue;
      const i = sameName ? list.findIndex((t) => t.name === u.name) : 0;
      if (i < 0) continue;
      const [t] = list.splice(i, 1);
      out.set(u.id, t!.id);
    }
  }
  return out;
}

export function baseName(rel: string): string {
  const i = rel.lastIndexOf('/');
  return i < 0 ? rel : rel.slice(i + 1);
}
