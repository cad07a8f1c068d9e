import { statSync, type BigIntStats } from 'node:fs';
import type { LocalStat } from '../model.js';

/** Exact identity of a file version: ns times and 64-bit inodes as decimal strings. */
export function toLocalStat(s: BigIntStats): LocalStat {
  return { size: Number(s.size), mtimeNs: s.mtimeNs.toString(), ctimeNs: s.ctimeNs.toString(), ino: s.ino.toString() };
}

export type EntryKind = 'file' | 'dir' | 'symlink' | 'special';

export function kindOf(s: { isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean }): EntryKind {
  if (s.isFile()) return 'file';
  if (s.isDirectory()) return 'dir';
  if (s.isSymbolicLink()) return 'symlink';
  return 'special';
}

/** A root's identity (device and inode), or null when it is not a directory we can see. */
export function rootId(path: string): string | null {
  try {
    const st = statSync(path, { bigint: true });
    return st.isDirectory() ? `${st.dev}:${st.ino}` : null;
  } catch {
    return null;
  }
}
