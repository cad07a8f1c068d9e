// A settled tombstone (the local file gone, its delete confirmed or not needed) is deleted from the
// journal: a pass that creates and deletes files leaves no row behind, and what such rows were kept
// for still holds: an object another writer puts back after our delete is deleted again at the
// next audit, and kept with `delete: keep`. Real files, a real journal, a real S3 server.
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readStatus } from '../src/status/status.js';
import { Journal } from '../src/store/journal.js';
import { audit, expectMirror, once, scratch, type Scratch } from './support/mirror.js';
import { independentClient, listAll } from './support/s3client.js';

let s: Scratch | undefined;
afterEach(() => {
  s?.cleanup();
  s = undefined;
});

/** The journal's rows of pair `p`, and its counters, read after the process closed it. */
function journalRows(stateDir: string) {
  const j = Journal.open(stateDir);
  try {
    return {
      rels: j.db.prepare("SELECT rel FROM files WHERE pair = 'p' ORDER BY rel").pluck().all() as string[],
      counts: j.query.stateCounts('p'),
    };
  } finally {
    j.close();
  }
}

const putByOther = (bucket: string, key: string, body: string) =>
  independentClient().send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));

const keys = async (bucket: string) => (await listAll(bucket)).map((o) => o.key).sort();

describe('settled tombstones are purged', () => {
  it('500 files created, synced, deleted and synced leave no row', async () => {
    s = await scratch('purge');
    const cfg = s.config({ maxDeletePercent: 100, maxDeleteCount: 1000 });
    for (let i = 0; i < 500; i++) s.write(`d/f${i}.txt`, `file ${i}`);
    expect((await once(cfg)).failures).toEqual([]);
    expect(await keys(s.bucket)).toHaveLength(500);
    expect(journalRows(s.stateDir).rels).toHaveLength(500);
    // Status counts from the counters, not the rows: what the counters say is what it shows.
    const bytes = Array.from({ length: 500 }, (_, i) => `file ${i}`.length).reduce((a, b) => a + b, 0);
    expect(readStatus(cfg).pairs[0]!.inSync).toEqual({ files: 500, bytes });
    const j = Journal.open(s.stateDir);
    j.db.prepare("UPDATE file_counts SET n = n + 1 WHERE pair = 'p' AND state = 'clean' AND present = 1").run();
    j.close();
    expect(readStatus(cfg).pairs[0]!.inSync).toEqual({ files: 501, bytes });
    const k = Journal.open(s.stateDir);
    k.db.prepare("UPDATE file_counts SET n = n - 1 WHERE pair = 'p' AND state = 'clean' AND present = 1").run();
    k.close();

    // The directory stays (an empty root would hold the deletes): only the files go.
    rmSync(join(s.root, 'd'), { recursive: true });
    mkdirSync(join(s.root, 'd'));
    const r = await once(cfg);
    expect(r.failures).toEqual([]);
    expect(r.held).toEqual([]);
    expect(await keys(s.bucket)).toEqual([]);
    expect(journalRows(s.stateDir)).toEqual({ rels: [], counts: [] });

    // A file made again at one of those paths is a new file: uploaded, one row.
    s.write('d/f7.txt', 'back again');
    expect((await once(cfg)).failures).toEqual([]);
    await expectMirror(s.root, s.bucket);
    expect(journalRows(s.stateDir).rels).toEqual(['d/f7.txt']);
  });

  it('an object put back by another writer after our delete is deleted again at the next audit', async () => {
    s = await scratch('purge-back');
    const cfg = s.config({ maxDeletePercent: 100 });
    s.write('stay.txt', 'stay');
    s.write('gone.txt', 'gone');
    await once(cfg);
    rmSync(join(s.root, 'gone.txt'));
    await once(cfg);
    expect(await keys(s.bucket)).toEqual(['stay.txt']);
    expect(journalRows(s.stateDir).rels).toEqual(['stay.txt']);

    await putByOther(s.bucket, 'gone.txt', 'restored by someone else');
    expect((await audit(cfg)).failures).toEqual([]);
    await expectMirror(s.root, s.bucket);
    expect(journalRows(s.stateDir).rels).toEqual(['stay.txt']);
  });

  it('with delete: keep, the object stays, before and after another writer puts it back', async () => {
    s = await scratch('purge-keep');
    const cfg = s.config({ delete: 'keep' });
    s.write('stay.txt', 'stay');
    s.write('gone.txt', 'gone');
    await once(cfg);
    rmSync(join(s.root, 'gone.txt'));
    await once(cfg);
    expect(await keys(s.bucket)).toEqual(['gone.txt', 'stay.txt']);
    expect(journalRows(s.stateDir).rels).toEqual(['stay.txt']);

    await putByOther(s.bucket, 'gone.txt', 'restored by someone else');
    const r = await audit(cfg);
    expect(r.failures).toEqual([]);
    expect(await keys(s.bucket)).toEqual(['gone.txt', 'stay.txt']);
    expect(journalRows(s.stateDir).rels).toEqual(['stay.txt']);
  });
});
