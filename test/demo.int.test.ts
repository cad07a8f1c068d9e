// The README's first command: `npm run demo` (= `s3mirror demo` after the build). It starts its own
// s3rver, so this runs the same whichever server the rest of the suite is pointed at.
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterEach, describe, expect, it } from 'vitest';
import { killAllClis, spawnCli } from './support/cli.js';
import { eventually } from './support/mirror.js';

afterEach(() => killAllClis());

describe('s3mirror demo', () => {
  it('mirrors its sample folder, takes a dropped file, and cleans up on Ctrl-C, whatever AWS setup the shell has', async () => {
    // A user's own AWS identity must not leak into (or break) the demo's local server.
    const demo = spawnCli(['demo'], {
      env: {
        AWS_ACCESS_KEY_ID: 'AKIAUSERSOWNKEY00000',
        AWS_SECRET_ACCESS_KEY: 'users-own-secret',
        AWS_PROFILE: 'no-such-profile',
      },
    });
    const running = await eventually(() => {
      const m = /s3mirror demo is running: (.+?) {2}→ {2}s3:\/\/demo\/mirror\/ at (http:\/\/127\.0\.0\.1:\d+)/.exec(
        demo.stdout(),
      );
      if (!m) throw new Error(`not running yet; stdout: ${demo.stdout()} stderr: ${demo.stderr()}`);
      return { folder: m[1]!, endpoint: m[2]! };
    }, 30_000);
    expect(demo.stdout()).toContain('[in sync]');

    const client = new S3Client({
      endpoint: running.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });
    const read = async (key: string) =>
      await (await client.send(new GetObjectCommand({ Bucket: 'demo', Key: key }))).Body!.transformToString();
    try {
      expect(await read('mirror/hello.txt')).toBe('Hello from s3mirror!\n');
      await writeFile(join(running.folder, 'dropped.txt'), 'dropped in\n');
      await eventually(async () => expect(await read('mirror/dropped.txt')).toBe('dropped in\n'), 15_000);
    } finally {
      client.destroy();
    }

    demo.kill('SIGINT');
    const r = await demo.exited;
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(running.folder)).toBe(false);
    expect(demo.stdout()).toContain('demo stopped and cleaned up.');
  });
});
