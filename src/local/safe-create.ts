import { randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  fchmodSync,
  futimesSync,
  lstatSync,
  mkdirSync,
  openSync,
  readlinkSync,
  realpathSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { MirrorError } from '../errors.js';

/**
 * A file being restored under `dir`: written to a temp file beside its final name, created with
 * O_EXCL | O_NOFOLLOW after every directory on the way was checked to be a real directory (never
 * a symlink, which could lead out of `dir`), then renamed into place once its content checks out.
 */
export interface Restoring {
  readonly temp: string;
  readonly final: string;
  write(chunk: Buffer): void;
  /** Sets mode and mtime, renames over the final name (never through a symlink), closes. */
  commit(o: { mode?: number; mtimeMs?: number }): void;
  /** Closes and removes the temp file. */
  discard(): void;
}

function refused(dir: string, rel: string, why: string): MirrorError {
  return new MirrorError('RESTORE_PATH_REFUSED', `${rel}: not written under ${dir}: ${why}`, {
    hint: 'the rest of the restore continues; remove or rename what is in the way and run it again',
  });
}

/** The directories of `rel` under `dir`, made where missing; a symlink or a file on the way refuses. */
function parentsOf(dir: string, rel: string): string {
  const parts = rel.split('/').slice(0, -1);
  let at = dir;
  for (const c of parts) {
    at = join(at, c);
    let st: ReturnType<typeof lstatSync> | undefined;
    try {
      st = lstatSync(at);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    if (!st) mkdirSync(at, { mode: 0o755 });
    else if (st.isSymbolicLink()) throw refused(dir, rel, `${at} is a symlink`);
    else if (!st.isDirectory()) throw refused(dir, rel, `${at} is not a directory`);
  }
  return at;
}

const PROC_FD = '/proc/self/fd/';

export function createRestoring(dir: string, rel: string): Restoring {
  const realDir = realpathSync.native(dir);
  const parent = parentsOf(dir, rel);
  const name = rel.split('/').at(-1)!;
  const final = join(parent, name);
  const temp = join(parent, `.${name.slice(0, 200)}.s3mirror-restore-${randomBytes(4).toString('hex')}`);
  const fd = openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  // A directory swapped for a symlink between the check and the open: the kernel names where the
  // file really is, and anything but the expected path is refused (and the file removed there).
  const expected = join(realDir, relativeTo(dir, temp));
  let where: string | undefined;
  try {
    where = readlinkSync(PROC_FD + fd);
  } catch {
    where = undefined; // no /proc: the lstat checks above are what there is
  }
  if (where !== undefined && where !== expected) {
    closeSync(fd);
    unlinkSync(where);
    throw refused(dir, rel, 'a directory on the way changed into a symlink while restoring');
  }
  let open = true;
  const close = () => {
    if (open) closeSync(fd);
    open = false;
  };
  return {
    temp,
    final,
    write(chunk) {
      let off = 0;
      while (off < chunk.length) off += writeSync(fd, chunk, off);
    },
    commit(o) {
      if (o.mode !== undefined) fchmodSync(fd, o.mode & 0o7777);
      if (o.mtimeMs !== undefined) futimesSync(fd, new Date(), new Date(o.mtimeMs));
      close();
      let st: ReturnType<typeof lstatSync> | undefined;
      try {
        st = lstatSync(final);
      } catch {
        st = undefined;
      }
      if (st?.isSymbolicLink() || st?.isDirectory()) {
        unlinkSync(temp);
        throw refused(dir, rel, `${final} is a ${st.isDirectory() ? 'directory' : 'symlink'}`);
      }
      renameSync(temp, final);
    },
    discard() {
      close();
      try {
        unlinkSync(temp);
      } catch {
        /* already gone */
      }
    },
  };
}

function relativeTo(dir: string, path: string): string {
  return path.slice(dir.length).replace(/^\/+/, '');
}
