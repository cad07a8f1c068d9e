import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EventAggregator, type Schedule } from '../src/watch/events.js';
import { Filter } from '../src/watch/filter.js';
import type { ChangeEvent } from '../src/watch/watcher.js';

// Which directories that appear are walked: a tree once, whatever order its directories are
// reported in, and a directory again whenever what a walk found there may no longer be so.

const base = mkdtempSync(join(tmpdir(), 's3mirror-walks-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));
let n = 0;

function setup(files: readonly string[]) {
  const root = join(base, `root-${++n}`);
  for (const rel of files) {
    mkdirSync(join(root, rel, '..'), { recursive: true });
    writeFileSync(join(root, rel), rel);
  }
  mkdirSync(root, { recursive: true });
  const ticks: (() => void)[] = [];
  const schedule: Schedule = (fn) => {
    ticks.push(fn);
    return () => {};
  };
  const walks: string[][] = [];
  const agg = new EventAggregator({
    tree: () => ({ root, filter: new Filter(root, []), followSymlinks: false }),
    onChanges: () => {},
    onFound: (_pair, rels) => walks.push([...rels].sort()),
    schedule,
  });
  /** The events as one batch, sent at once. */
  const batch = (...events: [string, ChangeEvent['kind']][]) => {
    for (const [rel, kind] of events) agg.push({ pair: 'p', rel, kind });
    for (const t of ticks.splice(0)) t();
  };
  return { root, agg, walks, batch };
}

const TREE = ['t/a/x', 't/a/b/y', 't/c/z'];

describe('directories that appear', () => {
  it('a tree reported directory by directory in one batch is one walk', async () => {
    const { agg, walks, batch } = setup(TREE);
    batch(['t/a/b', 'addDir'], ['t', 'addDir'], ['t/a', 'addDir'], ['t/c', 'addDir']);
    await agg.settled();
    expect(walks).toEqual([TREE.slice().sort()]);
  });

  it('directories reported while the walk of the tree runs, or after it, are not walked again', async () => {
    const { agg, walks, batch } = setup(TREE);
    batch(['t', 'addDir']);
    // The walk is under way (it awaits the file system): these come in the meantime.
    batch(['t/a', 'addDir'], ['t/a/b', 'addDir']);
    await agg.settled();
    batch(['t/c', 'addDir']);
    await agg.settled();
    expect(walks).toEqual([TREE.slice().sort()]);
  });

  it('one the running walk did not find is walked after it', async () => {
    const { root, agg, walks, batch } = setup(TREE);
    batch(['t', 'addDir']);
    batch(['t/new', 'addDir']);
    // Made after the walk began (and after its event, as a watcher reports it): the walk of `t`
    // may or may not see it; either way its file is found.
    mkdirSync(join(root, 't/new'));
    writeFileSync(join(root, 't/new/w'), 'w');
    await agg.settled();
    expect(walks.flat()).toContain('t/new/w');
  });

  it('a directory that left and came back is walked again, once per return', async () => {
    const { root, agg, walks, batch } = setup(TREE);
    batch(['t', 'addDir']);
    await agg.settled();
    rmSync(join(root, 't/a'), { recursive: true });
    mkdirSync(join(root, 't/a'));
    writeFileSync(join(root, 't/a/new'), 'new');
    batch(['t/a', 'unlinkDir']);
    batch(['t/a', 'addDir']);
    await agg.settled();
    expect(walks).toEqual([TREE.slice().sort(), ['t/a/new']]);
    // Its walk found nothing under it to remember: a report of it again is walked again.
    batch(['t/a', 'addDir']);
    await agg.settled();
    expect(walks).toHaveLength(3);
  });

  it('a walk during which something under it left proves nothing: what came meanwhile is walked', async () => {
    const { agg, walks, batch } = setup(TREE);
    batch(['t', 'addDir']);
    batch(['t/a', 'addDir'], ['t/c/old', 'dirGone']);
    await agg.settled();
    expect(walks).toEqual([TREE.slice().sort(), ['t/a/b/y', 't/a/x']]);
    // And what it found is not remembered: a late report of `t/c` is walked.
    batch(['t/c', 'addDir']);
    await agg.settled();
    expect(walks[2]).toEqual(['t/c/z']);
  });
});
