import { execFileSync } from 'node:child_process';
import { installKafka } from '../../src/runtime/distribution.js';
import { integrationVersions, VERSION_LINES } from './kafka.js';
import { repoRoot } from './require.js';

/**
 * Builds dist/ (incrementally: seconds when it is current), which the tests that run the CLI as a
 * user would start, and installs every Kafka version the suite starts, once, before any test file runs.
 */
export default async function setup(): Promise<void> {
  // Vitest calls the global setup of each project (and of the root): the work is done once.
  if (process.env.KAFKA_DRILL_TEST_SETUP_DONE) return;
  process.env.KAFKA_DRILL_TEST_SETUP_DONE = '1';
  try {
    execFileSync('npm', ['run', 'build'], { cwd: repoRoot, stdio: 'pipe', encoding: 'utf8' });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`npm run build failed:\n${stdout ?? ''}${stderr ?? ''}`);
  }
  const versions = [...new Set([...integrationVersions(), ...VERSION_LINES])];
  for (const version of versions) {
    const report = await installKafka(version);
    if (!report.alreadyInstalled) console.log(`installed Kafka ${version} in ${report.seconds.toFixed(1)}s (${(report.bytes / 1048576).toFixed(1)} MiB)`);
  }
}
