/**
 * Where a restored object may be written: the path its key names under the pair prefix, checked
 * as text before anything touches the disk. A key can be anything a writer put in the bucket, so
 * every form that could leave the restore directory, or that no file system path can hold, is
 * refused with its reason; the trash and directory markers are not files to restore.
 */
export type RestorePath =
  | { action: 'write'; rel: string }
  | { action: 'skip'; reason: string }
  | { action: 'refuse'; reason: string };

/** Linux's limits: NAME_MAX per component, PATH_MAX for the whole path. */
const NAME_MAX = 255;
const PATH_MAX = 4095;

export function restorePath(o: { key: string; prefix: string; trashPrefix: string; dirBytes: number }): RestorePath {
  const { key, prefix } = o;
  if (!key.startsWith(prefix)) return { action: 'skip', reason: 'outside the pair prefix' };
  const rel = key.slice(prefix.length);
  if (rel === '' || rel.endsWith('/')) return { action: 'skip', reason: 'a directory marker, not a file' };
  if (rel.startsWith(o.trashPrefix)) return { action: 'skip', reason: 'in the trash prefix' };
  if (rel.includes('\0')) return { action: 'refuse', reason: 'the key holds a NUL byte' };
  if (rel.includes('\\')) return { action: 'refuse', reason: 'the key holds a backslash (a Windows path?)' };
  if (rel.startsWith('/')) return { action: 'refuse', reason: 'an absolute path after the prefix' };
  const parts = rel.split('/');
  if (parts.some((c) => c === '')) return { action: 'refuse', reason: 'an empty path component (//)' };
  if (parts.some((c) => c === '.' || c === '..')) return { action: 'refuse', reason: 'a "." or ".." path component' };
  if (parts.some((c) => Buffer.byteLength(c) > NAME_MAX))
    return { action: 'refuse', reason: `a path component longer than ${NAME_MAX} bytes` };
  if (o.dirBytes + 1 + Buffer.byteLength(rel) > PATH_MAX)
    return { action: 'refuse', reason: `longer than ${PATH_MAX} bytes under the restore directory` };
  return { action: 'write', rel };
}
