import { partsId, sameAsRecorded } from './identity.js';
import { keyFor } from './keys.js';

/**
 * A pair whose prefix changed in the config (same bucket) still has its content under the previous
 * prefix, which is never deleted. Two rules follow from it, both pure.
 */

/**
 * The object to copy inside the server instead of uploading: the one this row's content was
 * confirmed at under the previous prefix. Only when the file holds exactly that content (same
 * size, and the same MD5 or the same multipart ETag in the same part size) and the copy can name
 * the ETag we recorded for it, so an object someone changed since is refused by the server rather
 * than copied (the caller then uploads).
 */
export function previousPrefixSource(
  movedFrom: string | null,
  row: {
    rel: string;
    size: number | null;
    md5: string | null;
    etag: string | null;
    part_size: number | null;
    local_etag: string | null;
  },
  local: { size: number; md5: string; partSize: number; localEtag: string },
): { key: string; ifMatch: string } | null {
  if (movedFrom === null || !row.etag || row.size !== local.size) return null;
  const recorded = { md5: row.md5, partSize: row.part_size, localEtag: row.local_etag };
  if (sameAsRecorded(recorded, local) !== true) return null;
  return { key: keyFor(movedFrom, row.rel), ifMatch: row.etag };
}

/** Whether a row's content is recorded well enough to be found again (previousPrefixSource). */
export function contentRecorded(row: {
  md5: string | null;
  part_size: number | null;
  local_etag: string | null;
}): boolean {
  return !!row.md5 || partsId(row.part_size, row.local_etag) !== null;
}

/**
 * A listed key that belongs to the previous prefix, left as it is and never an object to delete:
 * anything under it when it lies inside the current prefix (`docs/` to ``), or, when the current
 * prefix lies inside it (`` to `docs/`), a key the previous prefix gave one of the pair's paths
 * (`previousKeys`: the listing then shows what we stored for them as unknown objects).
 */
export function leftAtPreviousPrefix(
  prefix: string,
  movedFrom: string | null,
  key: string,
  previousKeys: { has(key: string): boolean },
): boolean {
  if (movedFrom === null) return false;
  if (movedFrom.startsWith(prefix)) return key.startsWith(movedFrom);
  return previousKeysListed(prefix, movedFrom) && previousKeys.has(key);
}

/**
 * The key a row has now whose key under the previous prefix was `key` (rows are rekeyed when the
 * prefix changes): a listed key is asked of the journal's key index instead of a set of them all.
 */
export function currentKeyOfPrevious(prefix: string, movedFrom: string, key: string): string {
  return key.startsWith(movedFrom) ? prefix + key.slice(movedFrom.length) : '';
}

/** Does the listing of `prefix` reach keys the previous prefix gave to paths (see leftAtPreviousPrefix)? */
export function previousKeysListed(prefix: string, movedFrom: string | null): movedFrom is string {
  return movedFrom !== null && prefix.startsWith(movedFrom) && prefix !== movedFrom;
}
