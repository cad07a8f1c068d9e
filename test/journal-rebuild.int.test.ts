import { readdirSync, readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnCli } from './support/cli.js';
import { expectMirror } from './support/cli-mirror.js';
import {
  baseConfig,
  cliSuiteHooks,
  describeRun,
  type Fixture,
  fixture,
  poll,
  status,
  stopDaemon,
  syncOk,
  waitForDaemon,
  writeJson,
  writeTree,
} from './support/cli-fixture.js';
import { type FaultProxy, startProxy } from './support/proxy.js';
import { testEnv } from './support/s3server.js';

const WRITES = ['PutObject', 'CreateMultipartUpload', 'UploadPart', 'CopyObject', 'UploadPartCopy'] as const;

let proxy: FaultProxy | undefined;
afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
});

/** A mirrored tree, then the config pointed at a counting proxy for the run under test. */
async function mirrored(): Promise<{ f: Fixture; proxy: FaultProxy }> {
  const f = await fixture();
  await writeTree(f.data);
  await syncOk(f.config);
  proxy = await startProxy(testEnv().endpoint);
  const cfg = baseConfig(f);
  await writeJson(f.config, { ...cfg, s3: { ...(cfg.s3 as object), endpoint: proxy.endpoint } });
  return { f, proxy };
}

function writes(p: FaultProxy): Record<string, number> {
  return Object.fromEntries(WRITES.map((op) => [op, p.counts.get(op) ?? 0]));
}

const noWrites = Object.fromEntries(WRITES.map((op) => [op, 0]));

function setAside(state: string): string[] {
  return readdirSync(state).filter((n) => n.startsWith('journal.db.broken-'));
}

// A journal that is gone or corrupt is moved aside and rebuilt from the tree and one listing:
// nothing the bucket already holds is uploaded again.
describe('a deleted or corrupt journal', () => {
  cliSuiteHooks();

  it('not a SQLite file: sync --once moves it aside, says so, and uploads nothing', async () => {
    const { f, proxy } = await mirrored();
    const journal = join(f.state, 'journal.db');
    await writeFile(journal, 'this is not a database\n'.repeat(200));
    const r = await syncOk(f.config);
    expect(writes(proxy), describeRun('sync --once', r)).toEqual(noWrites);
    const aside = setAside(f.state);
    expect(aside).toHaveLength(1);
    expect(readFileSync(join(f.state, aside[0]!), 'utf8')).toContain('this is not a database');
    expect(r.stderr).toContain('moved aside');
    expect(r.stderr).toContain(journal);
    expect(r.stderr).toContain(join(f.state, aside[0]!));
    await expectMirror(f.bucket, f.data);
  });

  it('pages overwritten: sync --once moves it aside and uploads nothing', async () => {
    const { f, proxy } = await mirrored();
    const journal = join(f.state, 'journal.db');
    const bytes = readFileSync(journal);
    // Page 1 (the header and schema) stays; every later page is garbage.
    bytes.fill(0xa5, 4096);
    await writeFile(journal, bytes);
    const r = await syncOk(f.config);
    expect(writes(proxy), describeRun('sync --once', r)).toEqual(noWrites);
    expect(setAside(f.state)).toHaveLength(1);
    expect(r.stderr).toContain('moved aside');
    await expectMirror(f.bucket, f.data);
  });

  it('deleted while its -wal remained (a kill -9): the -wal goes aside and nothing is uploaded', async () => {
    const { f, proxy } = await mirrored();
    const daemon = spawnCli(['run', '--config', f.config]);
    await waitForDaemon(f.config, daemon);
    await poll('the pair to be in sync', async () => ((await verdict(f.config)) === 'in sync' ? true : undefined), {
      timeoutMs: 30_000,
    });
    daemon.kill('SIGKILL');
    await daemon.exited;
    expect(readdirSync(f.state)).toContain('journal.db-wal');
    await rm(join(f.state, 'journal.db'));
    proxy.reset();
    const r = await syncOk(f.config);
    expect(writes(proxy), describeRun('sync --once', r)).toEqual(noWrites);
    expect(r.stderr).toContain('the journal was deleted');
    expect(setAside(f.state).some((n) => n.endsWith('-wal'))).toBe(true);
    await expectMirror(f.bucket, f.data);
  });

  it('corrupt at the daemon start: it moves the journal aside and reaches in sync without uploading', async () => {
    const { f, proxy } = await mirrored();
    await writeFile(join(f.state, 'journal.db'), Buffer.alloc(64 * 1024, 0x5a));
    const daemon = spawnCli(['run', '--config', f.config]);
    await waitForDaemon(f.config, daemon);
    await poll('the pair to be in sync', async () => ((await verdict(f.config)) === 'in sync' ? true : undefined), {
      timeoutMs: 30_000,
      note: () => daemon.stdout().slice(-2000),
    });
    expect(writes(proxy)).toEqual(noWrites);
    expect(daemon.stdout()).toContain('moved aside');
    expect(setAside(f.state)).toHaveLength(1);
    const stopped = await stopDaemon(daemon);
    expect(stopped.code, describeRun('run', stopped)).toBe(0);
  });
});

async function verdict(config: string): Promise<string | undefined> {
  const s = (await status(config)) as unknown as { pairs: { verdict: string }[] };
  return s.pairs[0]?.verdict;
}
