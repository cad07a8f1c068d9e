import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Machine-wide changes (the inotify limit) would break parallel files: vitest.alone.config.ts.
    exclude: [...configDefaults.exclude, 'test/**/*.alone.int.test.ts'],
    // Starts s3rver (child process, random 127.0.0.1 port) unless S3MIRROR_TEST_ENDPOINT is set.
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Separate processes: tests spawn children, change cwd and open native handles (SQLite).
    pool: 'forks',
    // The AWS SDK warns on Node 20 that later versions need Node 22: noise in test output. The CLI
    // test of one-line warnings removes this for its child, so the real warning is still seen there.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    // File parallelism stays on: integration tests use their own uniquely named buckets.
  },
});
