import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Integration tests open real sockets and spawn processes; two workers suit a 2-core CI box.
    maxWorkers: 2,
    pool: 'forks',
  },
});
