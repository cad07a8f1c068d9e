/** Object keys are the pair prefix plus the NFC form of the '/'-separated relative path. */
export const MAX_KEY_BYTES = 1024;

export function keyFor(prefix: string, rel: string): string {
  return prefix + rel.normalize('NFC');
}

export function keyBytes(key: string): number {
  return Buffer.byteLength(key, 'utf8');
}

/**
 * Rows of listed objects that no file can map to start with this: walked paths never do. Such a
 * key's path may still be a file's own raw path (an NFD name, whose key is its NFC form): named
 * by its raw path, the object's row would be that file's row, and the object never deleted.
 */
const KEY_ONLY = '/';

/** A path a file can have: NFC (keys are), and no empty, `.` or `..` component. */
function isFilePath(path: string): boolean {
  return path.normalize('NFC') === path && path.split('/').every((c) => c !== '' && c !== '.' && c !== '..');
}

/**
 * The relative path a listed key stands for (used only for objects we hold no row for). A key no
 * file can map to gets a key-only rel (isKeyOnly), never stat'ed: it is a remote-only object.
 */
export function relForKey(prefix: string, key: string): string | undefined {
  if (!key.startsWith(prefix) || key.length === prefix.length) return undefined;
  const path = key.slice(prefix.length);
  return isFilePath(path) ? path : KEY_ONLY + path;
}

/** A row that stands for an object only: no local file can ever map to its key. */
export function isKeyOnly(rel: string): boolean {
  return rel.startsWith(KEY_ONLY);
}

/** The path under the prefix that a row names (for filters and trash keys). */
export function pathOfRel(rel: string): string {
  return isKeyOnly(rel) ? rel.slice(KEY_ONLY.length) : rel;
}

/** The key of a row's rel under `prefix` (a key-only rel keeps its path as it is). */
export function keyOfRel(prefix: string, rel: string): string {
  return isKeyOnly(rel) ? prefix + pathOfRel(rel) : keyFor(prefix, rel);
}
