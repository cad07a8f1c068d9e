import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULTS } from '../src/config.js';
import { EXIT } from '../src/exit.js';

// The README's "Install as a service" recipe and systemd/s3mirror.service must agree: the service
// user can read what the recipe installs, and the unit makes the example stateDir writable.

const read = (rel: string) => readFileSync(new URL(`../${rel}`, import.meta.url), 'utf8');

/** `Key=value` lines of the unit (comments dropped); a key may repeat. */
function unitEntries(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (m) out.set(m[1]!, [...(out.get(m[1]!) ?? []), m[2]!]);
  }
  return out;
}

/** The shell lines of the README's first code block after the given heading. */
function recipe(readme: string, heading: string): string[] {
  const at = readme.indexOf(`## ${heading}\n`);
  expect(at, `README has a "${heading}" section`).toBeGreaterThanOrEqual(0);
  const block = /```sh\n([\s\S]*?)```/.exec(readme.slice(at));
  expect(block, `"${heading}" has a sh code block`).not.toBeNull();
  return block![1]!
    .split('\n')
    .map((l) => l.replace(/\s+#.*$/, '').trim())
    .filter(Boolean);
}

interface Install {
  dir: boolean;
  mode?: string;
  owner?: string;
  group?: string;
  target: string;
}

/** `sudo install [-d] [-m MODE] [-o OWNER] [-g GROUP] [SRC] TARGET` lines, parsed. */
function installs(lines: string[]): Install[] {
  const out: Install[] = [];
  for (const l of lines) {
    const words = l.split(/\s+/);
    if (words[0] !== 'sudo' || words[1] !== 'install') continue;
    const it: Install = { dir: false, target: words[words.length - 1]! };
    for (let i = 2; i < words.length - 1; i++) {
      if (words[i] === '-d') it.dir = true;
      else if (words[i] === '-m') it.mode = words[++i];
      else if (words[i] === '-o') it.owner = words[++i];
      else if (words[i] === '-g') it.group = words[++i];
    }
    out.push(it);
  }
  return out;
}

const mode = (m: string | undefined) => parseInt(m ?? '0755', 8); // install's default mode is 0755

describe('systemd unit and README install recipe', () => {
  const unit = unitEntries(read('systemd/s3mirror.service'));
  const one = (k: string) => {
    const v = unit.get(k);
    expect(v, `unit sets ${k}=`).toBeDefined();
    return v![v!.length - 1]!;
  };
  const lines = recipe(read('README.md'), 'Install as a service');
  const inst = installs(lines);
  const user = one('User');
  const configPath = /--config\s+(\S+)/.exec(one('ExecStart'))?.[1];
  const example = JSON.parse(read('config.example.json')) as { stateDir: string };

  it('the service runs as an unprivileged user the recipe creates', () => {
    expect(user).not.toMatch(/^(root|0)$/);
    expect(one('Group')).toBe(user);
    expect(
      lines.some((l) => /^sudo useradd\b.*--system\b/.test(l) && l.endsWith(` ${user}`)),
      lines.join('\n'),
    ).toBe(true);
  });

  it('the service user can read the config and its directory, and cannot change them', () => {
    expect(configPath, 'ExecStart passes --config').toBeDefined();
    const dir = inst.find((i) => i.dir && i.target === dirname(configPath!));
    const file = inst.find((i) => !i.dir && i.target === configPath);
    expect(dir, `recipe creates ${dirname(configPath!)}`).toBeDefined();
    expect(file, `recipe installs ${configPath}`).toBeDefined();
    for (const i of [dir!, file!]) {
      const owned = i.owner === user;
      expect(owned || i.group === user, `${i.target} belongs to ${user} or its group`).toBe(true);
      if (!owned) expect(mode(i.mode) & 0o040, `${i.target} is group-readable`).toBeTruthy();
      expect(mode(i.mode) & 0o022, `${i.target} is not writable by group or others`).toBe(0);
    }
    expect(
      mode(dir!.mode) & (dir!.owner === user ? 0o100 : 0o010),
      `${dir!.target} is searchable by ${user}`,
    ).toBeTruthy();
    expect(mode(file!.mode) & 0o007, 'config is not world-readable').toBe(0);
  });

  it('the credentials file is root-only (systemd reads EnvironmentFile= as root)', () => {
    const envFile = one('EnvironmentFile').replace(/^-/, '');
    const env = inst.find((i) => !i.dir && i.target === envFile);
    expect(env, `recipe creates ${envFile}`).toBeDefined();
    expect(env!.owner ?? 'root').toBe('root');
    expect(mode(env!.mode) & 0o077).toBe(0);
  });

  it("the unit's StateDirectory is the example stateDir, so it is writable by the service user", () => {
    // systemd keeps a StateDirectory= writable under ProtectSystem=strict (it is implicitly a
    // ReadWritePaths= entry): the example stateDir must be that directory, or listed itself.
    const protect = unit.get('ProtectSystem')?.at(-1);
    const writable = [`/var/lib/${one('StateDirectory')}`, ...(unit.get('ReadWritePaths') ?? [])];
    expect(writable).toContain(example.stateDir);
    expect(protect).toBe('strict');
  });

  it('systemctl reload sends SIGHUP to the daemon, which re-reads its config', () => {
    expect(one('ExecReload')).toBe('/bin/kill -HUP $MAINPID');
  });

  it('a config error or an unusable stateDir is not restarted, and the stop timeout outlasts the drain', () => {
    const prevented = one('RestartPreventExitStatus').split(/\s+/);
    expect(prevented).toContain(String(EXIT.usage));
    // The daemon waits out a full or read-only stateDir; it exits 5 only for one no restart fixes.
    expect(prevented).toContain(String(EXIT.stateDir));
    expect(Number(one('TimeoutStopSec')) * 1000).toBeGreaterThan(DEFAULTS.drainTimeoutMs);
  });
});
