import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Builds the action from the current src/ and points the runner emulator at it (KUBIYA_ACTION_DIR).
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // e2e tests spawn the built action as child processes; two cores on CI.
    maxWorkers: 2,
  },
});
