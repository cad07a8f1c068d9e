import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type Config, loadConfig } from '../src/config.js';
import { MirrorError } from '../src/errors.js';
import { createLogger } from '../src/log.js';
import { StartWait } from '../src/sync/start-wait.js';

const HOUR = 3_600_000;

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 's3mirror-start-wait-'));
  made.push(dir);
  const file = join(dir, 'config.json');
  const write = (stateDir: string) =>
    writeFileSync(
      file,
      JSON.stringify({
        stateDir,
        s3: { region: 'us-east-1' },
        pairs: [{ name: 'main', path: join(dir, 'data'), bucket: 'a-bucket' }],
      }),
    );
  write('state-1');
  const logFile = join(dir, 'log.jsonl');
  return { dir, file, write, cfg: loadConfig(file), log: createLogger({ destination: logFile }), logFile };
}

const sqliteError = (code: string) => Object.assign(new Error(code), { code });
const turn = () => new Promise((r) => setImmediate(r));

// `s3mirror run` before its daemon exists: what it waits out (a stateDir it cannot write, however
// the failure is thrown), what it does not, and a SIGHUP meanwhile.
describe('StartWait', () => {
  it('waits out a full stateDir, whether the error was mapped or is SQLite’s own', async () => {
    const s = setup();
    const thrown = [
      new MirrorError('STATE_DIR_UNWRITABLE', 'cannot write: the disk is full'),
      sqliteError('SQLITE_FULL'),
      sqliteError('SQLITE_IOERR_WRITE'),
    ];
    let attempts = 0;
    const opened = await new StartWait(s.cfg, s.log, 1).open((cfg) => {
      attempts++;
      const e = thrown.shift();
      if (e) throw e;
      return cfg;
    });
    expect(attempts).toBe(4);
    expect(opened).toBe(s.cfg);
  });

  it('throws any other error at once', async () => {
    const s = setup();
    let attempts = 0;
    const wait = new StartWait(s.cfg, s.log, 1).open(() => {
      attempts++;
      throw sqliteError('SQLITE_CORRUPT');
    });
    await expect(wait).rejects.toThrow('SQLITE_CORRUPT');
    expect(attempts).toBe(1);
  });

  it('a reload re-reads the config and tries it at once; one that does not validate changes nothing', async () => {
    const s = setup();
    const seen: Config[] = [];
    const w = new StartWait(s.cfg, s.log, HOUR);
    const opened = w.open((cfg) => {
      seen.push(cfg);
      if (cfg.stateDir.endsWith('state-1')) throw sqliteError('SQLITE_READONLY');
      return cfg;
    });
    await turn();
    expect(seen).toHaveLength(1);
    writeFileSync(s.file, '{ "pairs": 1 }');
    w.reload();
    await turn();
    expect(seen, 'an invalid config is no reason to try again').toHaveLength(1);
    expect(w.cfg).toBe(s.cfg);
    s.write('state-2');
    w.reload();
    const cfg = await opened;
    expect(seen).toHaveLength(2);
    expect(cfg.stateDir).toBe(join(s.dir, 'state-2'));
  });
});
