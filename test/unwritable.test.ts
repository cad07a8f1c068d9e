import { describe, expect, it } from 'vitest';
import { MirrorError } from '../src/errors.js';
import { unwritableError } from '../src/store/unwritable.js';

const err = (code: string) => Object.assign(new Error(code), { code });

// Which failures mean "the stateDir cannot be written" (exit 5; the daemon pauses), and what they say.
describe('unwritableError', () => {
  it.each([
    ['SQLITE_FULL', 'the disk is full'],
    ['ENOSPC', 'the disk is full'],
    ['EDQUOT', 'the disk is full'],
    ['SQLITE_READONLY', 'read-only'],
    ['SQLITE_READONLY_DBMOVED', 'read-only'],
    ['EROFS', 'read-only'],
    ['SQLITE_IOERR_WRITE', 'the filesystem failed'],
    ['SQLITE_CANTOPEN', 'the filesystem failed'],
    ['EIO', 'the filesystem failed'],
  ])('%s → STATE_DIR_UNWRITABLE (%s), naming the path', (code, why) => {
    const e = unwritableError(err(code), '/var/lib/s3mirror/journal.db');
    expect(e?.code).toBe('STATE_DIR_UNWRITABLE');
    expect(e?.message).toContain('/var/lib/s3mirror/journal.db');
    expect(e?.message).toContain(why);
    expect(e?.message.split(code).length, 'the code is named once').toBe(2);
    expect(e?.hint).toBeTruthy();
  });

  it.each(['SQLITE_CORRUPT', 'SQLITE_NOTADB', 'SQLITE_BUSY', 'SQLITE_CONSTRAINT_UNIQUE', 'EACCES', 'ENOENT'])(
    '%s is not',
    (code) => {
      expect(unwritableError(err(code), '/x')).toBeUndefined();
    },
  );

  it('passes an already mapped error through, and no other MirrorError', () => {
    const mapped = unwritableError(err('ENOSPC'), '/x')!;
    expect(unwritableError(mapped, '/y')).toBe(mapped);
    expect(unwritableError(new MirrorError('USAGE', 'no'), '/x')).toBeUndefined();
  });
});
