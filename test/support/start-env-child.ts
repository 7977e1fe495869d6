// Starts an environment, prints what a test needs to find it, then waits to be killed.
import { startEnvironment } from '../../src/environment/start.js';

const environment = await startEnvironment('process', {
  kafkaVersion: process.env.KAFKA_DRILL_TEST_VERSION ?? '4.3.1',
  brokers: 1,
  security: 'plaintext',
  heapMb: 256,
  ...(process.env.KAFKA_DRILL_TEST_POSTGRES === '1' ? { postgres: true } : {}),
  ...(process.env.KAFKA_DRILL_TEST_STORAGE === 'memory' ? { brokerStorage: 'memory' as const } : {}),
});
process.stdout.write(
  JSON.stringify({
    pids: environment.brokers.map((broker) => broker.pid),
    workDir: environment.workDir,
    storage: environment.brokers[0]?.storage,
    ...(environment.postgres ? { postgres: { pid: environment.postgres.pid, dataDir: environment.postgres.dataDir } } : {}),
  }) + '\n',
);
setInterval(() => {}, 60_000);
