import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './support/cli.js';
import { cliSuiteHooks, describeRun, fixture, poll, put, syncOk } from './support/cli-fixture.js';

// `s3mirror share`: a presigned GET that a plain HTTP client can use, printed only while the
// object holds the file's content; the server refuses it once it has expired.
cliSuiteHooks();

const share = (config: string, path: string, ...more: string[]) => runCli(['share', '--config', config, path, ...more]);

describe('s3mirror share', () => {
  it('a mirrored file: a URL whose plain GET returns its bytes; an expired one is refused', async () => {
    const f = await fixture();
    const body = 'shared content ✓\n'.repeat(1000);
    await put(f.data, 'docs/report.txt', body);
    await syncOk(f.config);
    const r = await share(f.config, join(f.data, 'docs/report.txt'));
    expect(r.code, describeRun('share', r)).toBe(0);
    const url = r.stdout.trim();
    expect(url).toMatch(/^https?:\/\/\S+X-Amz-Signature=[0-9a-f]{64}/);
    expect(url).toContain('X-Amz-Expires=3600');
    const got = await fetch(url);
    expect(got.status).toBe(200);
    expect(await got.text()).toBe(body);

    const short = await share(f.config, join(f.data, 'docs/report.txt'), '--expires', '1s');
    expect(short.code, describeRun('share --expires 1s', short)).toBe(0);
    const refused = await poll(
      'the 1 s URL to expire',
      async () => {
        const res = await fetch(short.stdout.trim());
        const text = await res.text();
        return res.status === 403 ? text : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 250 },
    );
    // s3rver says "Request has expired"; RGW answers a bare AccessDenied. The hour-long URL, signed
    // the same way, still works: the refusal is the expiry.
    expect(refused).toMatch(/expired|AccessDenied/i);
    expect((await fetch(url)).status).toBe(200);
  });

  it('a file changed since its upload, or never uploaded: exit 1, nothing on stdout, pending on stderr', async () => {
    const f = await fixture();
    await put(f.data, 'a.txt', 'first');
    await syncOk(f.config);
    await writeFile(join(f.data, 'a.txt'), 'second, not uploaded yet');
    const changed = await share(f.config, join(f.data, 'a.txt'));
    expect(changed.code).toBe(1);
    expect(changed.stdout).toBe('');
    expect(changed.stderr).toContain('pending');
    await put(f.data, 'new.txt', 'never synced');
    const fresh = await share(f.config, join(f.data, 'new.txt'));
    expect(fresh.code).toBe(1);
    expect(fresh.stdout).toBe('');
    expect(fresh.stderr).toContain('not in the bucket yet');
  });

  it('a path outside every pair, or a bad --expires: exit 2', async () => {
    const f = await fixture();
    await put(f.data, 'a.txt', 'a');
    const outside = await share(f.config, join(f.root, 'config.json'));
    expect(outside.code).toBe(2);
    expect(outside.stderr).toContain("is not inside any pair's path");
    const tooLong = await share(f.config, join(f.data, 'a.txt'), '--expires', '8d');
    expect(tooLong.code).toBe(2);
    expect(tooLong.stderr).toContain('at most 7d');
    expect(tooLong.stdout).toBe('');
  });
});
