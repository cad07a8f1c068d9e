import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { EventAggregator, type FileEvent, type Schedule } from '../src/watch/events.js';
import { Filter, IGNORE_FILE } from '../src/watch/filter.js';
import type { ChangeEvent } from '../src/watch/watcher.js';

const base = mkdtempSync(join(tmpdir(), 's3mirror-events-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));
let n = 0;

/** A timer the test fires by hand: a tick happens exactly when the test says. */
function manualTimer() {
  const ticks: { fn: () => void; ms: number; cancelled: boolean; fired: boolean }[] = [];
  const schedule: Schedule = (fn, ms) => {
    const t = { fn, ms, cancelled: false, fired: false };
    ticks.push(t);
    return () => {
      t.cancelled = true;
    };
  };
  /** Every tick due and not cancelled. */
  const fire = () => {
    for (const t of ticks.filter((x) => !x.cancelled && !x.fired)) {
      t.fired = true;
      t.fn();
    }
  };
  return { ticks, schedule, fire };
}

/** One pair `p` over a fresh root; batches are collected as they come out. */
function setup(files: Record<string, string> = {}, patterns: string[] = []) {
  const root = join(base, `root-${++n}`);
  mkdirSync(root);
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(join(root, rel, '..'), { recursive: true });
    writeFileSync(join(root, rel), text);
  }
  const filter = new Filter(root, patterns);
  const timer = manualTimer();
  const changes: (readonly FileEvent[])[] = [];
  const found: { pair: string; rels: readonly string[] }[] = [];
  const refiltered: [string, string][] = [];
  const gone: [string, string][] = [];
  const agg = new EventAggregator({
    tree: () => ({ root, filter, followSymlinks: false }),
    onChanges: (events) => changes.push(events),
    onFound: (pair, rels) => found.push({ pair, rels }),
    onFilterChanged: (pair, dir) => refiltered.push([pair, dir]),
    onDirGone: (pair, dir) => gone.push([pair, dir]),
    schedule: timer.schedule,
  });
  return { root, filter, timer, changes, found, refiltered, gone, agg };
}

const ev = (rel: string, kind: ChangeEvent['kind'] = 'change', pair = 'p'): ChangeEvent => ({ pair, rel, kind });

describe('batching', () => {
  it('a burst of events is one batch, in arrival order, after one tick of 10 ms', () => {
    const { timer, changes, agg } = setup();
    agg.push(ev('a', 'add'));
    agg.push(ev('b', 'change'));
    agg.push(ev('a', 'unlink'));
    expect(changes).toEqual([]);
    expect(timer.ticks.map((t) => t.ms)).toEqual([10]);
    timer.fire();
    expect(changes).toEqual([
      [
        { pair: 'p', rel: 'a', kind: 'add' },
        { pair: 'p', rel: 'b', kind: 'change' },
        { pair: 'p', rel: 'a', kind: 'unlink' },
      ],
    ]);
    expect(agg.pending).toBe(false);
  });

  it('events after a batch wait for a tick of their own', () => {
    const { timer, changes, agg } = setup();
    agg.push(ev('a'));
    timer.fire();
    agg.push(ev('b'));
    expect(timer.ticks).toHaveLength(2);
    timer.fire();
    expect(changes.map((c) => c.map((e) => e.rel))).toEqual([['a'], ['b']]);
  });

  it('flush() sends what waits at once and cancels the tick', () => {
    const { timer, changes, agg } = setup();
    agg.push(ev('a'));
    expect(agg.pending).toBe(true);
    agg.flush();
    expect(changes.map((c) => c.map((e) => e.rel))).toEqual([['a']]);
    expect(timer.ticks[0]!.cancelled).toBe(true);
    timer.fire();
    expect(changes).toHaveLength(1);
  });

  it('directory events are not file events: a removed directory adds nothing, its files say it', () => {
    const { timer, changes, found, agg } = setup();
    agg.push(ev('gone', 'unlinkDir'));
    agg.push(ev('gone/x', 'unlink'));
    timer.fire();
    expect(changes).toEqual([[{ pair: 'p', rel: 'gone/x', kind: 'unlink' }]]);
    expect(found).toEqual([]);
  });

  it('a directory gone without events for its files is reported once, after the file events, outermost only', () => {
    const { timer, changes, gone, agg } = setup();
    agg.push(ev('a/b', 'dirGone'));
    agg.push(ev('a', 'dirGone'));
    agg.push(ev('x', 'unlink'));
    agg.push(ev('a', 'dirGone'));
    agg.push(ev('ab', 'dirGone'));
    agg.push(ev('a', 'dirGone', 'q'));
    expect(gone).toEqual([]);
    timer.fire();
    expect(changes).toEqual([[{ pair: 'p', rel: 'x', kind: 'unlink' }]]);
    expect(gone).toEqual([
      ['p', 'a'],
      ['p', 'ab'],
      ['q', 'a'],
    ]);
  });

  it('keeps each event its pair', () => {
    const { timer, changes, agg } = setup();
    agg.push(ev('a', 'add', 'one'));
    agg.push(ev('a', 'add', 'two'));
    timer.fire();
    expect(changes[0]!.map((e) => e.pair)).toEqual(['one', 'two']);
  });
});

describe('ignore files', () => {
  it.each([
    [IGNORE_FILE, ''],
    [`sub/${IGNORE_FILE}`, 'sub'],
    [`a/b/${IGNORE_FILE}`, 'a/b'],
    [`x${IGNORE_FILE}`, null],
    [`${IGNORE_FILE}/x`, null],
    ['plain.txt', null],
  ])('a change to %s invalidates the rules of %s', (rel, dir) => {
    const { filter, timer, changes, agg } = setup();
    const invalidate = vi.spyOn(filter, 'invalidate');
    agg.push(ev(rel));
    timer.fire();
    expect(invalidate.mock.calls).toEqual(dir === null ? [] : [[dir]]);
    // The ignore file itself is still a file to mirror.
    expect(changes).toEqual([[{ pair: 'p', rel, kind: 'change' }]]);
  });

  it('after the batch, the filter applies the changed rules', () => {
    const { root, filter, timer, agg } = setup({ [`sub/${IGNORE_FILE}`]: '*.tmp\n' });
    expect(filter.excludes('sub/a.tmp')).toBe(true);
    writeFileSync(join(root, 'sub', IGNORE_FILE), '*.log\n');
    expect(filter.excludes('sub/a.tmp')).toBe(true); // cached until told
    agg.push(ev(`sub/${IGNORE_FILE}`));
    timer.fire();
    expect(filter.excludes('sub/a.tmp')).toBe(false);
    expect(filter.excludes('sub/a.log')).toBe(true);
  });

  it('each directory whose rules changed is reported once per batch, after its file events', () => {
    const { timer, changes, refiltered, agg } = setup();
    agg.push(ev(IGNORE_FILE));
    agg.push(ev(`sub/${IGNORE_FILE}`, 'add'));
    agg.push(ev(IGNORE_FILE));
    agg.push(ev(`sub/${IGNORE_FILE}`, 'unlink', 'q'));
    agg.push(ev('plain.txt'));
    expect(refiltered).toEqual([]);
    timer.fire();
    expect(changes).toHaveLength(1);
    expect(refiltered).toEqual([
      ['p', ''],
      ['p', 'sub'],
      ['q', 'sub'],
    ]);
  });

  it('a removed ignore file stops excluding', () => {
    const { root, filter, timer, agg } = setup({ [IGNORE_FILE]: '*.tmp\n' });
    expect(filter.excludes('a.tmp')).toBe(true);
    rmSync(join(root, IGNORE_FILE));
    agg.push(ev(IGNORE_FILE, 'unlink'));
    timer.fire();
    expect(filter.excludes('a.tmp')).toBe(false);
  });
});

describe('new directories', () => {
  it("a directory that appears is walked: its files are reported, the filter's exclusions left out", async () => {
    const { timer, changes, found, agg } = setup(
      { 'd/a': '1', 'd/sub/b': '2', 'd/skip.tmp': '3', 'd/cache/c': '4', 'other/x': '5' },
      ['*.tmp', 'cache/'],
    );
    agg.push(ev('d', 'addDir'));
    timer.fire();
    expect(changes).toEqual([[]]);
    await agg.settled();
    expect(found).toHaveLength(1);
    expect(found[0]!.pair).toBe('p');
    expect([...found[0]!.rels].sort()).toEqual(['d/a', 'd/sub/b']);
  });

  it('an empty directory is reported with no files', async () => {
    const { root, timer, found, agg } = setup();
    mkdirSync(join(root, 'empty'));
    agg.push(ev('empty', 'addDir'));
    timer.fire();
    await agg.settled();
    expect(found).toEqual([{ pair: 'p', rels: [] }]);
  });

  it('a directory gone again before its walk reports nothing', async () => {
    const { timer, found, agg } = setup();
    agg.push(ev('vanished', 'addDir'));
    timer.fire();
    await agg.settled();
    expect(found).toEqual([]);
  });

  it('the walk uses the pair the event came from', async () => {
    const a = join(base, `pair-a-${++n}`);
    const b = join(base, `pair-b-${n}`);
    for (const [root, name] of [
      [a, 'fromA'],
      [b, 'fromB'],
    ] as const) {
      mkdirSync(join(root, 'd'), { recursive: true });
      writeFileSync(join(root, 'd', name), 'x');
    }
    const timer = manualTimer();
    const found: { pair: string; rels: readonly string[] }[] = [];
    const agg = new EventAggregator({
      tree: (pair) => ({
        root: pair === 'a' ? a : b,
        filter: new Filter(pair === 'a' ? a : b, []),
        followSymlinks: false,
      }),
      onChanges: () => {},
      onFound: (pair, rels) => found.push({ pair, rels }),
      schedule: timer.schedule,
    });
    agg.push(ev('d', 'addDir', 'a'));
    agg.push(ev('d', 'addDir', 'b'));
    timer.fire();
    await agg.settled();
    expect(found.sort((x, y) => x.pair.localeCompare(y.pair))).toEqual([
      { pair: 'a', rels: ['d/fromA'] },
      { pair: 'b', rels: ['d/fromB'] },
    ]);
  });
});

describe('the real timer', () => {
  it('sends the batch by itself when no timer is injected', async () => {
    const { root, filter } = setup();
    const batch = new Promise<readonly FileEvent[]>((resolve) => {
      const agg = new EventAggregator({
        tree: () => ({ root, filter, followSymlinks: false }),
        onChanges: resolve,
        onFound: () => {},
      });
      agg.push(ev('a', 'add'));
    });
    expect(await batch).toEqual([{ pair: 'p', rel: 'a', kind: 'add' }]);
  });
});
