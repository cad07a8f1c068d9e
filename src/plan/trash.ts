import { keyOfRel } from './keys.js';

/**
 * Where a deleted object is moved with `delete: "trash"`:
 * `<prefix><trashPrefix><YYYY-MM-DD>/<HHMMSS.mmm>-<unique>/<path>` (UTC). The date comes first so
 * a lifecycle rule (or a person) can expire or browse the trash by day; the time and `unique`
 * give every delete a folder of its own, so deleting the same path twice, even within a
 * millisecond, keeps both versions; the path stays last, as it was in the tree (NFC, like keys).
 */
export function trashKey(prefix: string, trashPrefix: string, rel: string, now: number, unique: string): string {
  const iso = new Date(now).toISOString(); // 2026-12-06T17:55:12.345Z
  const day = iso.slice(0, 10);
  const time = `${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 23)}`;
  return keyOfRel(`${prefix}${trashPrefix}${day}/${time}-${unique}/`, rel);
}
