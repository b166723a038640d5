import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // `*.soak.ts` files (a RabbitMQ cluster takes too long to start for CI) run in `npm run soak` only.
    include: ['test/**/*.test.ts', ...(process.env.READPOINT_SOAK === '1' ? ['test/**/*.soak.ts'] : [])],
    pool: 'forks',
    // Two cores: integration tests drive real brokers, PTYs and child processes.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
