// src/local/: reads files under a pair root without following symlinks out of it; state-file modes.
import {
  closeSync,
  constants,
  existsSync,
  fstatSync,
  lstatSync,
  openSync,
  readlinkSync,
  realpathSync,
  type BigIntStats,
} from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { MirrorError } from '../errors.js';

/**
 * A path inside a pair's tree. Unless `follow`, it is resolved under `root` without following a
 * symlink in any component: a directory swapped for a symlink must not let anything
 * outside the tree be read, stat'ed or listed as if it were inside. The root itself may be a
 * symlink: it is the configured place.
 */
export interface TreePath {
  root: string;
  /** '/'-separated, relative to root; '' is the root. */
  rel: string;
  follow: boolean;
}

export function treePath(root: string, rel: string, follow: boolean): TreePath {
  return { root, rel, follow };
}

export function absOf(p: TreePath): string {
  return p.rel ? join(p.root, p.rel) : p.root;
}

/**
 * Every directory between the root and the path is a real directory (lstat, not a symlink).
 * False when one is missing, a symlink or not a directory: the path is not in the tree then.
 */
function parentsInTree(p: TreePath): boolean {
  if (p.follow || !p.rel.includes('/')) return true;
  const parts = p.rel.split('/');
  let dir = p.root;
  for (let i = 0; i < parts.length - 1; i++) {
    dir = join(dir, parts[i]!);
    try {
      if (!lstatSync(dir).isDirectory()) return false;
    } catch {
      return false;
    }
  }
  return true;
}

/** lstat of a path in the tree; null when it (or a directory on its way) is not there. */
export function lstatInTree(p: TreePath): BigIntStats | null {
  if (!parentsInTree(p)) return null;
  try {
    return lstatSync(absOf(p), { bigint: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw e;
  }
}

const PROC_FD = existsSync('/proc/self/fd') ? '/proc/self/fd/' : undefined;

/** Where the kernel says descriptor `fd` is (Linux), or undefined where it cannot say. */
function fdPath(fd: number): string | undefined {
  return PROC_FD ? `${PROC_FD}${fd}` : undefined;
}

const realRoots = new Map<string, string>();

function realRoot(root: string, fresh: boolean): string {
  let r = fresh ? undefined : realRoots.get(root);
  if (r === undefined) {
    r = realpathSync.native(root);
    realRoots.set(root, r);
  }
  return r;
}

function expectedPath(real: string, rel: string): string {
  if (!rel) return real;
  return real.endsWith('/') ? real + rel : `${real}/${rel}`;
}

/**
 * Is the open descriptor the file at `p`, reached through real directories only? On Linux the
 * kernel names the file a descriptor refers to, which settles it without a race; elsewhere every
 * directory on the way is lstat'ed after the open and the path must still lead to the same inode.
 */
function isAt(fd: number, p: TreePath): boolean {
  const link = fdPath(fd);
  if (link) {
    let actual: string;
    try {
      actual = readlinkSync(link);
    } catch {
      return false;
    }
    if (actual === expectedPath(realRoot(p.root, false), p.rel)) return true;
    // The root may have been moved or re-pointed since it was resolved: once more, fresh.
    return actual === expectedPath(realRoot(p.root, true), p.rel);
  }
  if (!parentsInTree(p)) return false;
  try {
    const a = fstatSync(fd, { bigint: true });
    const b = lstatSync(absOf(p), { bigint: true });
    return a.dev === b.dev && a.ino === b.ino;
  } catch {
    return false;
  }
}

function notInTree(p: TreePath): MirrorError {
  return new MirrorError(
    'FILE_CHANGED',
    `${absOf(p)} is no longer a file under ${p.root} (a directory on its way is a symlink now, or it moved); retried once it settles`,
    {
      retryable: true,
    },
  );
}

function flagsFor(p: TreePath, flags: number): number {
  return p.follow || !p.rel ? flags : flags | constants.O_NOFOLLOW;
}

/** A symlink in the last component (O_NOFOLLOW's ELOOP) is a path that left the tree too. */
function mapOpenError(e: unknown, p: TreePath): unknown {
  return !p.follow && (e as NodeJS.ErrnoException).code === 'ELOOP' ? notInTree(p) : e;
}

/** open(2) a path in the tree; throws FILE_CHANGED when it leads outside (see notInTree). */
export function openInTreeSync(p: TreePath, flags: number): number {
  let fd: number;
  try {
    fd = openSync(absOf(p), flagsFor(p, flags));
  } catch (e) {
    throw mapOpenError(e, p);
  }
  if (p.follow || isAt(fd, p)) return fd;
  closeSync(fd);
  throw notInTree(p);
}

export async function openInTree(p: TreePath, flags: number): Promise<FileHandle> {
  let fh: FileHandle;
  try {
    fh = await open(absOf(p), flagsFor(p, flags));
  } catch (e) {
    throw mapOpenError(e, p);
  }
  if (p.follow || isAt(fh.fd, p)) return fh;
  await fh.close();
  throw notInTree(p);
}

/**
 * A directory of the tree opened for listing: `path` names exactly that directory (on Linux its
 * descriptor, so entries are listed and lstat'ed there even if a directory on the way is swapped
 * for a symlink meanwhile). Null when the directory is not in the tree.
 */
export interface TreeDir {
  path: string;
  /**
   * Its path in the tree, where entries are lstat'ed: a lookup through /proc/self/fd costs the
   * kernel about 1.5 µs more per file. `stillAt()` after the lstats says whether they saw the
   * directory that was listed. (Only the planner's own look at a file, through descriptors it
   * checks, decides what is read or sent; a walk's lstat only picks the rows to look at.)
   */
  treePath: string;
  /** Still the directory that was opened, at its place? Asked after listing and lstat'ing it. */
  stillAt(): boolean;
  close(): void;
}

export function openDirInTree(p: TreePath): TreeDir | null {
  let fd: number;
  try {
    fd = openSync(absOf(p), flagsFor(p, constants.O_RDONLY | constants.O_DIRECTORY));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || (code === 'ELOOP' && !p.follow)) return null;
    throw e;
  }
  if (!p.follow && !isAt(fd, p)) {
    closeSync(fd);
    return null;
  }
  const link = p.follow ? undefined : fdPath(fd);
  return {
    path: link ?? absOf(p),
    treePath: absOf(p),
    stillAt: () => p.follow || isAt(fd, p),
    close: () => closeSync(fd),
  };
}
