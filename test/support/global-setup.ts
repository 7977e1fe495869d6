import { installKafka } from '../../src/runtime/distribution.js';
import { integrationVersions, VERSION_LINES } from './kafka.js';

/** Installs every Kafka version the suite starts, once, before any test file runs. */
export default async function setup(): Promise<void> {
  const versions = [...new Set([...integrationVersions(), ...VERSION_LINES])];
  for (const version of versions) {
    const report = await installKafka(version);
    if (!report.alreadyInstalled) console.log(`installed Kafka ${version} in ${report.seconds.toFixed(1)}s (${(report.bytes / 1048576).toFixed(1)} MiB)`);
  }
}
