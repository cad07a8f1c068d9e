import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Starts s3rver (child process, random 127.0.0.1 port) unless S3MIRROR_TEST_ENDPOINT is set.
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Separate processes: tests spawn children, change cwd and open native handles (SQLite).
    pool: 'forks',
    // File parallelism stays on: integration tests use their own uniquely named buckets.
  },
});
