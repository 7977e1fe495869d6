/**
 * Run by open-files.test.ts under `prlimit`: starts a one-broker environment asking for `argv[2]`
 * open files, prints one JSON line with the limit the broker got (from /proc/<pid>/limits), stops it.
 */
import { readFileSync } from 'node:fs';
import { startEnvironment } from '../../../src/environment/start.js';
import { parseOpenFilesLimit } from '../../../src/environment/host-limits.js';
import { DEFAULT_KAFKA_VERSION } from '../../../src/runtime/distribution.js';

try {
  const environment = await startEnvironment('process', {
    kafkaVersion: DEFAULT_KAFKA_VERSION,
    brokers: 1,
    security: 'plaintext',
    heapMb: 384,
    openFiles: Number(process.argv[2]),
  });
  try {
    const broker = environment.brokers[0]!;
    const limits = parseOpenFilesLimit(readFileSync(`/proc/${broker.pid}/limits`, 'utf8'));
    console.log(JSON.stringify({ recorded: broker.openFilesLimit, soft: limits?.soft, hard: limits?.hard }));
  } finally {
    await environment.stop();
  }
} catch (error) {
  console.log(JSON.stringify({ error: (error as Error).name, message: (error as Error).message }));
}
