import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnCli } from './support/cli.js';
import {
  baseConfig,
  cliSuiteHooks,
  fixture,
  metricsBase,
  put,
  stopDaemon,
  waitForDaemon,
  writeJson,
} from './support/cli-fixture.js';

// The status page on the metrics listener, loaded in a real headless Chromium (Debian's, driven
// by playwright-core, which never downloads a browser): no console error, the pair shown, and
// the page changes by itself after a sync.

let browser: Browser;

beforeAll(async () => {
  execFileSync('bash', [fileURLToPath(new URL('./support/chromium.sh', import.meta.url))], { stdio: 'inherit' });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    // As root Chromium needs --no-sandbox; the rest keeps it off a network it cannot reach.
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}, 600_000);

afterAll(async () => {
  await browser?.close();
});

describe('the status page (issue 11, item 7)', () => {
  cliSuiteHooks();

  it('shows each pair, its state and watermark, and redraws itself after a sync', async () => {
    const f = await fixture();
    await writeJson(f.config, baseConfig(f, { metrics: { listen: '127.0.0.1:0' }, debounceMs: 100, maxDelayMs: 2000 }));
    await put(f.data, 'a.txt', 'hello');
    const d = spawnCli(['run', '--config', f.config]);
    const shots = await mkdtemp(join(tmpdir(), 's3mirror-page-'));
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
    try {
      await waitForDaemon(f.config, d);
      const url = `${await metricsBase(d)}/`;
      // Redrawn every half second here (the default is 5 s): the test waits on what it shows.
      await page.goto(`${url}?every=500`);
      const row = page.locator('#pairs tr', { hasText: 'main' });
      await row.locator('.state.in-sync').waitFor({ timeout: 30_000 });
      expect(await row.locator('td').nth(2).textContent()).toMatch(/ago\)$/);
      const label = page.locator('#chart-label');
      await expect.poll(() => label.textContent(), { timeout: 20_000 }).toMatch(/^5 B sent in the last hour/);
      expect(await page.locator('#chart rect').count()).toBe(60);

      await put(f.data, 'b.txt', 'more bytes');
      // No reload: the page fetches and redraws by itself.
      await expect.poll(() => label.textContent(), { timeout: 30_000 }).toMatch(/^15 B sent in the last hour/);
      await row.locator('.state.in-sync').waitFor({ timeout: 30_000 });
      expect(await page.locator('#errors td.muted').textContent()).toBe('none');
      const png = join(shots, 'page.png');
      await page.screenshot({ path: png, fullPage: true });
      expect((await readFile(png)).subarray(1, 4).toString()).toBe('PNG');
      expect(problems).toEqual([]);
    } finally {
      await page.close();
      await stopDaemon(d);
      await rm(shots, { recursive: true, force: true });
    }
  });

  it('answers / with the page and /status.json with what it draws; anything else is 404', async () => {
    const f = await fixture();
    await writeJson(f.config, baseConfig(f, { metrics: { listen: '127.0.0.1:0' } }));
    const d = spawnCli(['run', '--config', f.config]);
    try {
      await waitForDaemon(f.config, d);
      const url = `${await metricsBase(d)}/`;
      const html = await fetch(url);
      expect(html.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await html.text()).toContain('<title>s3mirror</title>');
      const data = (await (await fetch(`${url}status.json`)).json()) as {
        pairs: { pair: string; state: string }[];
        throughput: { bytes: number[] };
      };
      expect(data.pairs.map((p) => p.pair)).toEqual(['main']);
      expect(data.throughput.bytes).toHaveLength(60);
      expect((await fetch(`${url}nothing-here`)).status).toBe(404);
    } finally {
      await stopDaemon(d);
    }
  });
});
