import { keyFor } from './keys.js';

/**
 * A pair whose prefix changed in the config (same bucket) still has its content under the previous
 * prefix, which is never deleted. Two rules follow from it, both pure.
 */

/**
 * The object to copy inside the server instead of uploading: the one this row's content was
 * confirmed at under the previous prefix. Only when the file holds exactly that content (same
 * size and MD5) and the copy can name the ETag we recorded for it, so an object someone changed
 * since is refused by the server rather than copied (the caller then uploads).
 */
export function previousPrefixSource(
  movedFrom: string | null,
  row: { rel: string; size: number | null; md5: string | null; etag: string | null },
  local: { size: number; md5: string },
): { key: string; ifMatch: string } | null {
  if (movedFrom === null || !row.etag || row.md5 === null) return null;
  if (row.md5 !== local.md5 || row.size !== local.size) return null;
  return { key: keyFor(movedFrom, row.rel), ifMatch: row.etag };
}

/**
 * A listed key under the previous prefix, when that lies inside the current one (e.g. `docs/` to
 * ``): it is what was mirrored before, left as it is, and never an object to delete.
 */
export function underPreviousPrefix(prefix: string, movedFrom: string | null, key: string): boolean {
  return movedFrom !== null && movedFrom.startsWith(prefix) && key.startsWith(movedFrom);
}
