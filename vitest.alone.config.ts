import { configDefaults, defineConfig } from 'vitest/config';
import base from './vitest.config.js';

// Tests that change something machine-wide (the kernel's inotify limit): one file at a time,
// after the parallel suite, never beside it. Everything else as in vitest.config.ts.
export default defineConfig({
  test: {
    ...base.test,
    include: ['test/**/*.alone.int.test.ts'],
    exclude: [...configDefaults.exclude],
    fileParallelism: false,
  },
});
