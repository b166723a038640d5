import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // `*.soak.ts` files (a RabbitMQ cluster takes too long to start for CI) run in `npm run soak` only.
    include: ['test/**/*.test.ts', ...(process.env.READPOINT_SOAK === '1' ? ['test/**/*.soak.ts'] : [])],
    pool: 'forks',
    // Two cores, but integration tests spend part of their time waiting on real brokers, PTYs and
    // child processes: a third worker measured a tenth less wall time on them.
    maxWorkers: 3,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
