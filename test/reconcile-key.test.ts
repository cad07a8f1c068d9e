import { describe, expect, it } from 'vitest';
import { decideKey, type KeyContext, type KeyRow, type KeySides } from '../src/plan/reconcile-key.js';

// plan/reconcile-key.ts: one key of the lockstep reconciliation, every rule the whole-tree
// reconcile applied, as a table.

const STAT = { size: 3, mtimeNs: '10', ctimeNs: '10', ino: '7' };
const OBJ = { size: 3, etag: 'e1' };
const row = (o: Partial<KeyRow> = {}): KeyRow => ({
  rel: 'a.txt',
  key: 'p/a.txt',
  present: 1,
  state: 'clean',
  kind: 'file',
  size: 3,
  mtime_ns: '10',
  ctime_ns: '10',
  ino: '7',
  etag: 'e1',
  remote_size: 3,
  error_code: null,
  ...o,
});
const file = (rel = 'a.txt', stat = STAT) => ({ rel, kind: 'file' as const, stat });
const ctx = (o: Partial<KeyContext> = {}): KeyContext => ({
  prefix: 'p/',
  deleteKeep: false,
  keptExcluded: () => false,
  unknown: () => false,
  leftAtPreviousPrefix: () => false,
  ...o,
});
const NFD = 'cafe\u0301.txt';
const NFC = 'caf\u00e9.txt';

type Case = [string, Partial<KeySides>, Partial<KeyContext>, [string, string, string][]];

describe('decideKey', () => {
  it.each<Case>([
    ['a file in sync', { entries: [file()], rows: [row()], object: OBJ }, {}, [['a.txt', 'none', 'in sync']]],
    ['a new file', { entries: [file()] }, {}, [['a.txt', 'dirty', 'new file']]],
    [
      'a pending file keeps its due time and backoff',
      { entries: [file()], rows: [row({ state: 'dirty' })] },
      {},
      [['a.txt', 'none', 'pending: keeps its due time']],
    ],
    [
      'a file whose tombstone is there is back',
      { entries: [file()], rows: [row({ present: 0 })], object: OBJ },
      {},
      [['a.txt', 'dirty', 'file is back']],
    ],
    [
      'a held row whose file is here',
      { entries: [file()], rows: [row({ state: 'held' })], object: OBJ },
      {},
      [['a.txt', 'dirty', 'row held']],
    ],
    [
      'stat changed',
      { entries: [file('a.txt', { ...STAT, size: 4 })], rows: [row()], object: OBJ },
      {},
      [['a.txt', 'dirty', 'stat changed']],
    ],
    ['object missing', { entries: [file()], rows: [row()] }, {}, [['a.txt', 'dirty', 'object missing']]],
    [
      'object changed',
      { entries: [file()], rows: [row()], object: { size: 3, etag: 'other' } },
      {},
      [['a.txt', 'dirty', 'object changed']],
    ],
    [
      'object of another size, same ETag',
      { entries: [file()], rows: [row()], object: { size: 4, etag: 'e1' } },
      {},
      [['a.txt', 'dirty', 'object changed']],
    ],
    [
      'one file and one clean row at a key, under two names',
      { key: NFC, entries: [file(NFD)], rows: [row({ rel: NFC, key: NFC })], object: OBJ },
      { prefix: '' },
      [
        [NFD, 'dirty', 'new file'],
        [NFC, 'gone', 'file gone'],
      ],
    ],
    [
      'skipped and unchanged',
      { entries: [file()], rows: [row({ state: 'skipped' })] },
      {},
      [['a.txt', 'none', 'skipped: unchanged']],
    ],
    [
      'skipped and changed',
      { entries: [file('a.txt', { ...STAT, mtimeNs: '11' })], rows: [row({ state: 'skipped' })] },
      {},
      [['a.txt', 'dirty', 'skipped: look again']],
    ],
    [
      'failed locally and unchanged',
      { entries: [file()], rows: [row({ state: 'failed', error_code: 'FILE_UNREADABLE' })] },
      {},
      [['a.txt', 'none', 'failed: unchanged']],
    ],
    [
      'a key collision: the loser waits while the holder is here',
      {
        key: `p/${NFC}`,
        entries: [file(NFC), file(NFD)],
        rows: [
          row({ rel: NFC, key: `p/${NFC}` }),
          row({ rel: NFD, key: `p/${NFC}`, state: 'failed', error_code: 'KEY_COLLISION' }),
        ],
        object: OBJ,
      },
      {},
      [
        [NFC, 'none', 'in sync'],
        [NFD, 'none', 'failed: unchanged'],
      ],
    ],
    [
      'a key collision: the holder went, the loser takes the key',
      {
        key: `p/${NFC}`,
        entries: [file(NFD)],
        rows: [
          row({ rel: NFC, key: `p/${NFC}` }),
          row({ rel: NFD, key: `p/${NFC}`, state: 'failed', error_code: 'KEY_COLLISION' }),
        ],
        object: OBJ,
      },
      {},
      [
        [NFD, 'dirty', 'failed: look again'],
        [NFC, 'gone', 'file gone'],
      ],
    ],
    ['a file gone', { rows: [row()], object: OBJ }, {}, [['a.txt', 'gone', 'file gone']]],
    ['a settled tombstone', { rows: [row({ present: 0 })] }, {}, [['a.txt', 'none', 'settled tombstone']]],
    [
      'delete: keep leaves a clean tombstone whose object is there',
      { rows: [row({ present: 0 })], object: OBJ },
      { deleteKeep: true },
      [['a.txt', 'none', 'delete: keep']],
    ],
    [
      'a tombstone whose object came back',
      { rows: [row({ present: 0 })], object: OBJ },
      {},
      [['a.txt', 'dirty', 'tombstone clean']],
    ],
    [
      'a pending delete',
      { rows: [row({ present: 0, state: 'dirty' })], object: OBJ },
      {},
      [['a.txt', 'none', 'delete pending']],
    ],
    [
      'under an unreadable directory: unknown, not gone',
      { rows: [row()], object: OBJ },
      { unknown: () => true },
      [['a.txt', 'none', 'under an unreadable directory']],
    ],
    [
      'a held delete stays held',
      { rows: [row({ present: 0, state: 'held' })], object: OBJ },
      {},
      [['a.txt', 'none', 'held delete']],
    ],
    [
      'a held delete of a path excluded now (its object kept) is decided again',
      { rows: [row({ present: 0, state: 'held' })], object: OBJ },
      { keptExcluded: (rel) => rel === 'a.txt' },
      [['a.txt', 'dirty', 'held delete of a path excluded now']],
    ],
    [
      'a held delete whose key a file maps to under another name is cancelled',
      {
        key: `p/${NFC}`,
        entries: [file(NFD)],
        rows: [row({ rel: NFC, key: `p/${NFC}`, present: 0, state: 'held' })],
        object: OBJ,
      },
      {},
      [
        [NFD, 'dirty', 'new file'],
        [NFC, 'cancel', 'key held by a file found now'],
      ],
    ],
    [
      'a row under another key than its path gives is not taken for gone',
      { key: 'old/a.txt', rows: [row({ key: 'old/a.txt' })], object: OBJ },
      {},
      [['a.txt', 'dirty', 'row under another key']],
    ],
    ['a remote-only object', { key: 'p/x.txt', object: OBJ }, {}, [['x.txt', 'remote-only', 'object with no file']]],
    [
      'a remote-only object, delete: keep',
      { key: 'p/x.txt', object: OBJ },
      { deleteKeep: true },
      [['x.txt', 'none', 'delete: keep']],
    ],
    [
      'an object the previous prefix left',
      { key: 'p/x.txt', object: OBJ },
      { leftAtPreviousPrefix: () => true },
      [['x.txt', 'none', 'left at the previous prefix']],
    ],
    ['a folder marker', { key: 'p/d/', object: OBJ }, {}, [['/d/', 'none', 'no path']]],
    ['a key no file can have', { key: 'p/a//b', object: OBJ }, {}, [['/a//b', 'remote-only', 'object with no file']]],
  ])('%s', (_rule, sides, c, want) => {
    const s: KeySides = { key: 'p/a.txt', entries: [], rows: [], object: undefined, ...sides };
    expect(decideKey(s, ctx(c)).map((d) => [d.rel, d.action, d.reason])).toEqual(want);
  });
});
