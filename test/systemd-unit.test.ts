import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

// The shipped unit is valid and hardened: systemd's own analysis, offline, on the file as shipped.
const unit = fileURLToPath(new URL('../systemd/s3mirror.service', import.meta.url));
const text = readFileSync(unit, 'utf8');

beforeAll(() => {
  execFileSync('bash', [fileURLToPath(new URL('./support/systemd.sh', import.meta.url))], { stdio: 'inherit' });
}, 600_000);

describe('systemd/s3mirror.service', () => {
  it('passes systemd-analyze verify', () => {
    const r = spawnSync('systemd-analyze', ['verify', unit], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    // verify reports unknown or misspelt settings on stderr without failing.
    expect(r.stderr.trim()).toBe('');
  });

  it('has an exposure score of at most 3.0 ("OK") by systemd-analyze security', () => {
    const r = spawnSync('systemd-analyze', ['security', '--offline=true', '--no-pager', unit], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const m = /Overall exposure level for \S+: (\d+\.\d+) (\w+)/.exec(r.stdout);
    expect(m, r.stdout.slice(-2000)).not.toBeNull();
    const score = Number(m![1]);
    process.stdout.write(`systemd-analyze security: exposure ${score} ${m![2]}\n`);
    expect(score).toBeLessThanOrEqual(3.0);
  });

  it.each([
    'ProtectSystem=strict',
    'ProtectHome=read-only',
    'PrivateTmp=true',
    'PrivateDevices=true',
    'NoNewPrivileges=true',
    'CapabilityBoundingSet=',
    'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX',
    'SystemCallFilter=@system-service',
    'SystemCallErrorNumber=EPERM',
    'ProtectKernelTunables=true',
    'ProtectKernelModules=true',
    'ProtectKernelLogs=true',
    'ProtectControlGroups=true',
    'RestrictNamespaces=true',
    'LockPersonality=true',
    'ExecReload=/bin/kill -HUP $MAINPID',
    'StateDirectory=s3mirror',
  ])('sets %s', (line) => {
    expect(text.split('\n')).toContain(line);
  });

  it('leaves out MemoryDenyWriteExecute, and says why', () => {
    expect(text).not.toMatch(/^MemoryDenyWriteExecute=/m);
    expect(text).toMatch(/^# Not MemoryDenyWriteExecute=: V8's JIT/m);
  });
});
