/**
 * Which version of one key `restore --at` brings back: the newest one made at or before the
 * moment, and nothing when that is a delete marker or when every version came later. Versions
 * arrive as ListObjectVersions gives them: versions and delete markers in two lists (the SDK
 * splits the XML), each newest first within a key. LastModified is to the second on AWS, so two
 * entries can share a time: the one the server marks latest is newest, then listing order within
 * its list; a version and a delete marker that tie otherwise are ordered version first, so a
 * restore brings a file back rather than lose it.
 */
export interface VersionView {
  versionId: string;
  /** ms since the epoch, as the listing gives it. */
  lastModified: number;
  isLatest: boolean;
  deleteMarker: boolean;
}

export type VersionChoice<V extends VersionView> =
  | { action: 'restore'; version: V; reason: string }
  | { action: 'absent'; reason: string };

/** Newest first: later time, then latest, then a version before a delete marker, then listing order. */
function newestFirst<V extends VersionView>(versions: readonly V[]): V[] {
  return versions
    .map((v, i) => ({ v, i }))
    .sort(
      (a, b) =>
        b.v.lastModified - a.v.lastModified ||
        Number(b.v.isLatest) - Number(a.v.isLatest) ||
        Number(a.v.deleteMarker) - Number(b.v.deleteMarker) ||
        a.i - b.i,
    )
    .map(({ v }) => v);
}

export function versionAt<V extends VersionView>(versions: readonly V[], atMs: number): VersionChoice<V> {
  const chosen = newestFirst(versions).find((v) => v.lastModified <= atMs);
  if (!chosen) return { action: 'absent', reason: versions.length ? 'created after that time' : 'no versions' };
  if (chosen.deleteMarker) return { action: 'absent', reason: 'deleted at that time' };
  const id = chosen.versionId === 'null' ? 'the null version (from before versioning)' : `version ${chosen.versionId}`;
  return { action: 'restore', version: chosen, reason: id };
}

/** `--at`: an ISO 8601 date-time with its zone (Z or ±hh:mm); a bare date means its UTC midnight. */
export function parseAt(text: string): number | undefined {
  const iso = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2}))?$/;
  if (!iso.test(text)) return undefined;
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? ms : undefined;
}
