import { configDefaults, defineConfig } from 'vitest/config';
import { LongestFirstSequencer } from './test/support/sequencer.js';

/**
 * Test files that start no Kafka, no JVM and no long-lived process, and change no global state
 * (no vi.mock or vi.spyOn, no process.env; memory.test only sets --expose-gc): they share a worker process instead of each paying
 * for a fresh one and its imports (about 0.7 s a file on two busy cores). A file not listed runs
 * isolated, which is always safe.
 */
const unitFiles = [
  'test/cli/memory.test.ts',
  'test/drill-spec/json-schema.test.ts',
  'test/drill-spec/load.test.ts',
  'test/drill/configs-accepted.test.ts',
  'test/drill/progress-display.test.ts',
  'test/drill/sampler-logic.test.ts',
  'test/drill/secrets.test.ts',
  'test/environment/broker-config.test.ts',
  'test/environment/broker-ids.test.ts',
  'test/environment/coordinator.test.ts',
  'test/environment/docker/image.test.ts',
  'test/environment/plan.test.ts',
  'test/environment/sizing.test.ts',
  'test/environment/start.test.ts',
  'test/errors.test.ts',
  'test/input-file.test.ts',
  'test/kafka/codecs.test.ts',
  'test/kafka/mirror-checkpoint.test.ts',
  'test/kafka/principal-mapping.test.ts',
  'test/kafka/request-limits.test.ts',
  'test/kafka/retry.test.ts',
  'test/kafka/throttle-tap.test.ts',
  'test/model/objectives.test.ts',
  'test/model/result.test.ts',
  'test/probes/authorization/denials.test.ts',
  'test/probes/authorization/transactional-producer.test.ts',
  'test/probes/client-classes.test.ts',
  'test/probes/connect/connector-idempotency.test.ts',
  'test/probes/connect/jdbc-records.test.ts',
  'test/probes/custom.test.ts',
  'test/probes/probe-order.test.ts',
  'test/probes/quota/quota-plan.test.ts',
  'test/probes/quota/quota-rate.test.ts',
  'test/probes/restored-reads.test.ts',
  'test/probes/streams/streams-evidence.test.ts',
  'test/probes/success-criteria.test.ts',
  'test/report/client-matrix.test.ts',
  'test/report/danger-findings.test.ts',
  'test/report/junit.test.ts',
  'test/report/samples.test.ts',
  'test/report/summary.test.ts',
  'test/restore/connectors.test.ts',
  'test/restore/external-settings.test.ts',
  'test/restore/offset-map.test.ts',
  'test/scripts/folder-cycles.test.ts',
  'test/snapshot/canonical.test.ts',
  'test/snapshot/cli-diff.test.ts',
  'test/snapshot/connect-redaction.test.ts',
  'test/snapshot/diff.test.ts',
  'test/snapshot/load.test.ts',
  'test/snapshot/streams.test.ts',
  'test/snapshot/tls-chain.test.ts',
  'test/support/kafka-cli-dump.test.ts',
];

// Integration tests start real JVMs; on 2 cores, two files at a time is the most that helps.
export default defineConfig({
  test: {
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
    // Longest files first (test/support/expected-seconds.json), the quick ones at the end.
    sequence: { sequencer: LongestFirstSequencer },
    projects: [
      { extends: true, test: { name: 'integration', include: ['test/**/*.test.ts'], exclude: [...configDefaults.exclude, ...unitFiles] } },
      { extends: true, test: { name: 'unit', include: unitFiles, isolate: false } },
    ],
  },
});
