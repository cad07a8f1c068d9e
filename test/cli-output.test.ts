import { describe, expect, it } from 'vitest';
import { renderStatus, type Status } from '../src/status/status.js';
import { formatPairStats } from '../src/status/summary.js';
import { warningLine } from '../src/warnings.js';

/** Unit tables for what the CLI prints: the per-pair line of `sync --once`, one-line warnings, status lines. */

describe('formatPairStats', () => {
  it.each<[string, unknown, string]>([
    [
      'every counter, in a fixed order',
      { held: 0, failed: 0, skipped: 4, trashed: 0, deleted: 1, copied: 3, uploaded: 12 },
      'docs: 12 uploaded, 3 copied, 1 deleted, 0 trashed, 4 skipped, 0 failed, 0 held',
    ],
    ['a counter this version does not know comes last', { uploaded: 1, retried: 2 }, 'docs: 1 uploaded, 2 retried'],
    ['non-numbers are left out', { uploaded: 1, note: 'x' }, 'docs: 1 uploaded'],
    ['no counters', {}, 'docs: nothing done'],
    ['not an object', undefined, 'docs: nothing done'],
  ])('%s', (_what, stats, line) => {
    expect(formatPairStats('docs', stats)).toBe(line);
  });
});

describe('warningLine', () => {
  const w = (name: string, message: string, code?: string) =>
    Object.assign(new Error(message), { name, ...(code ? { code } : {}) });
  it.each<[string, Error, string]>([
    [
      "the AWS SDK's eight-line warning becomes one line",
      w(
        'Warning',
        'NodeVersionSupportWarning: The AWS SDK for JavaScript (v3)\nversions published after the first week of January 2027\nwill require node >=22.\n\nMore information can be found at: https://a.co/c895JFp',
      ),
      'NodeVersionSupportWarning: The AWS SDK for JavaScript (v3) versions published after the first week of January 2027 will require node >=22. More information can be found at: https://a.co/c895JFp',
    ],
    [
      'a named warning with a code',
      w('DeprecationWarning', 'Buffer() is deprecated', 'DEP0005'),
      'DeprecationWarning [DEP0005]: Buffer() is deprecated',
    ],
    [
      'trailing whitespace and newlines go',
      w('ExperimentalWarning', '  x is experimental\n'),
      'ExperimentalWarning: x is experimental',
    ],
  ])('%s', (_what, warning, line) => {
    expect(warningLine(warning)).toBe(line);
  });
});

describe('renderStatus: unfinished multipart uploads', () => {
  const status = (openUploads: number, transfers: Status['transfers']): Status => ({
    schemaVersion: 1,
    daemon: { running: true, pid: 42, mode: 'daemon', heartbeatAt: null, startedAt: null },
    bandwidth: null,
    pairs: [],
    transfers,
    openUploads,
    recentErrors: [],
    health: { healthy: true, reason: null },
  });
  const single = { pair: 'p', rel: 'small.txt', bytes: 10, sent: 0, multipart: false, progress: 0 };
  const multi = { pair: 'p', rel: 'big.bin', bytes: 9 << 20, sent: 0, multipart: true, progress: 0 };
  it.each<[string, number, Status['transfers'], boolean]>([
    ['none recorded', 0, [], false],
    ['the one recorded is under way', 1, [multi], false],
    ['one recorded, a single PUT under way: the recorded one is stuck', 1, [single], true],
    ['two recorded, one under way', 2, [multi, single], true],
  ])('%s', (_what, open, transfers, shown) => {
    expect(renderStatus(status(open, transfers)).includes(`unfinished multipart uploads: ${open}`)).toBe(shown);
  });
});

describe('renderStatus: bandwidth', () => {
  const status = (bandwidth: Status['bandwidth']): Status => ({
    schemaVersion: 1,
    daemon: { running: true, pid: 42, mode: 'daemon', heartbeatAt: null, startedAt: null },
    bandwidth,
    pairs: [],
    transfers: [],
    openUploads: 0,
    recentErrors: [],
    health: { healthy: true, reason: null },
  });
  it.each([
    [{ rate: '10 MiB/s', until: '19:00', paused: false }, 'bandwidth: 10 MiB/s until 19:00'],
    [{ rate: 'paused', until: '08:00', paused: true }, 'bandwidth: paused until 08:00'],
    [{ rate: 'unlimited', until: null, paused: false }, 'bandwidth: unlimited'],
  ])('%j', (b, line) => {
    expect(renderStatus(status(b)).split('\n')).toContain(line);
  });
  it('says nothing of bandwidth when no daemon runs', () => {
    expect(renderStatus(status(null))).not.toMatch(/bandwidth/);
  });
});
