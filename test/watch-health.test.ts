import { describe, expect, it } from 'vitest';
import {
  eventlessFilesystem,
  WATCH_LIMIT_SYSCTL,
  watchesNeeded,
  watchFailure,
  type WatchFailureFacts,
} from '../src/plan/watch-health.js';

// What a failed watch means and how to fix it (src/plan/watch-health.ts), as tables.

const base: WatchFailureFacts = {
  code: 'ENOSPC',
  message: 'ENOSPC: System limit for number of file watchers reached',
  watchLimit: 8192,
  instanceLimit: 128,
  treeEntries: 200_000,
  degradedRescanMs: 60_000,
};

const NEEDED: readonly [string, number, number | null, number][] = [
  ['a tree of 200,000 entries gets a quarter more, in whole KiB', 200_000, 8192, 250_880],
  ['a small tree still gets 8,192 of headroom', 100, null, 9216],
  ['a limit already above the need: other processes hold it, the tree is added on top', 100, 192_543, 201_728],
];

describe('watchesNeeded', () => {
  for (const [name, entries, limit, want] of NEEDED) it(name, () => expect(watchesNeeded(entries, limit)).toBe(want));
});

const FAILURES: readonly [string, Partial<WatchFailureFacts>, { cause: RegExp; fix: RegExp; retryWatch: boolean }][] = [
  [
    'ENOSPC names the sysctl, its value, the tree and the value to set, at once and persistently',
    {},
    {
      cause: /fs\.inotify\.max_user_watches is 8192; this tree has 200000 directories and files.*every 60 s/,
      fix: /sudo sysctl fs\.inotify\.max_user_watches=250880.*\/etc\/sysctl\.d\/60-s3mirror\.conf/,
      retryWatch: true,
    },
  ],
  [
    'ENOSPC before the first walk: the tree is not counted yet',
    { treeEntries: null, watchLimit: null },
    { cause: /is unknown here; this tree has not counted yet/, fix: /=8192,/, retryWatch: true },
  ],
  [
    "inside a user namespace with a lower limit of its own, that limit's sysctl is named",
    { watchLimit: 40, watchSysctl: 'user.max_inotify_watches', treeEntries: 600 },
    { cause: /user\.max_inotify_watches is 40;/, fix: /sudo sysctl user\.max_inotify_watches=9216/, retryWatch: true },
  ],
  [
    'EMFILE names the instance limit and the open-file limit',
    { code: 'EMFILE' },
    { cause: /max_user_instances is 128/, fix: /LimitNOFILE=/, retryWatch: true },
  ],
  [
    'another watcher error is named as it came',
    { code: 'EPERM', message: 'operation not permitted', degradedRescanMs: 5000 },
    { cause: /EPERM: operation not permitted.*every 5 s/, fix: /tried again at each rescan/, retryWatch: true },
  ],
  [
    'a rescan interval under a second is said in milliseconds',
    { code: 'EPERM', message: 'operation not permitted', degradedRescanMs: 300 },
    { cause: /every 300 ms/, fix: /tried again at each rescan/, retryWatch: true },
  ],
  [
    'a root on a network filesystem stays degraded: watching it again would not help',
    { code: 'EVENTLESS_FS', filesystem: 'nfs' },
    {
      cause: /on nfs, which does not report changes made on other machines/,
      fix: /local filesystem/,
      retryWatch: false,
    },
  ],
];

describe('watchFailure', () => {
  for (const [name, facts, want] of FAILURES)
    it(name, () => {
      const f = watchFailure({ ...base, ...facts });
      expect(f.cause).toMatch(want.cause);
      expect(f.fix).toMatch(want.fix);
      expect(f.retryWatch).toBe(want.retryWatch);
    });
  it('every ENOSPC message names the sysctl', () => {
    const f = watchFailure(base);
    expect(f.cause).toContain(WATCH_LIMIT_SYSCTL);
    expect(f.fix).toContain(WATCH_LIMIT_SYSCTL);
  });
});

const FILESYSTEMS: readonly [number, string | null][] = [
  [0x6969, 'nfs'],
  [0xff534d42, 'cifs'],
  [0xfe534d42, 'smb2'],
  [0x01021997, '9p'],
  [0xef53, null], // ext4
  [0x58465342, null], // xfs
  [0x01021994, null], // tmpfs
  [0x9123683e, null], // btrfs
];

describe('eventlessFilesystem', () => {
  for (const [type, want] of FILESYSTEMS)
    it(`0x${type.toString(16)} → ${want ?? 'has events'}`, () => expect(eventlessFilesystem(type)).toBe(want));
});
