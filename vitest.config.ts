import { defineConfig } from 'vitest/config';

// Integration tests start real JVMs; on 2 cores, two files at a time is the most that helps.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    maxWorkers: 2,
    reporters: ['default'],
    globalSetup: ['test/support/global-setup.ts'],
    // A test that SIGKILLs a broker on purpose (test/drill/environment-exit.test.ts) can leave
    // @platformatic/kafka throwing a connection error from its socket callback after the run has
    // already reported the dead broker. Only that error — a refused connection to a loopback
    // broker — is let through; every other unhandled error still fails the suite.
    onUnhandledError: (error) => !(/^Connection to 127\.0\.0\.1:\d+ failed\.$/.test(error.message ?? '') && (error as { code?: string }).code === 'PLT_KFK_NETWORK'),
    setupFiles: ['test/support/setup.ts'],
  },
});
