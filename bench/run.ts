/**
 * Benchmarks (not tests): how long the things a drill waits on take on this machine.
 *   npm run bench                 every supported line, 1 and 3 brokers, plus restore/capture
 *   npm run bench -- 4.3.1 3.9.2  only these versions
 * Prints a table and writes reports/bench/<timestamp>.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_KAFKA_VERSION, installKafka } from '../src/environment/distribution.js';
import { startEnvironment } from '../src/environment/start.js';
import { restoreSnapshot } from '../src/restore/restore.js';
import { captureWithStats } from '../src/snapshot/capture.js';
import { loadSnapshot } from '../src/snapshot/load.js';

const LINES = ['3.9.2', '4.0.2', '4.1.2', '4.2.1', '4.3.1', '4.4.0'];
const versions = process.argv.slice(2).length ? process.argv.slice(2) : LINES;
const rows: Record<string, unknown>[] = [];
const seconds = (ms: number) => Math.round(ms) / 1000;

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const value = await work();
  return [value, performance.now() - started];
}

for (const kafkaVersion of versions) {
  const install = await installKafka(kafkaVersion);
  for (const brokers of [1, 3] as const) {
    if (brokers === 3 && kafkaVersion !== DEFAULT_KAFKA_VERSION && kafkaVersion !== '3.9.2') continue;
    const environment = await startEnvironment('process', { kafkaVersion, brokers, security: 'scram' });
    const [, stopMs] = await timed(() => environment.stop());
    rows.push({
      kafkaVersion,
      brokers,
      startupS: seconds(environment.startupMs),
      teardownS: seconds(stopMs),
      cacheMiB: Math.round(install.bytes / 1048576),
      installS: install.alreadyInstalled ? 'cached' : seconds(install.seconds * 1000),
    });
    console.log(JSON.stringify(rows.at(-1)));
  }
}

// Restore and capture of the example cluster (29 topics, 37 ACLs, 11 users, 8 groups) on the default version.
const snapshot = await loadSnapshot('fixtures/example-snapshot.json');
const target = await startEnvironment('process', { kafkaVersion: DEFAULT_KAFKA_VERSION, brokers: 3, security: 'scram' });
try {
  const [restored, restoreMs] = await timed(() => restoreSnapshot(target.admin, snapshot, { data: 'synthetic', credentials: { '*': { generate: true } } }));
  const [again, againMs] = await timed(() => restoreSnapshot(target.admin, snapshot, { data: 'synthetic', credentials: { '*': { generate: true } } }));
  const capture = await captureWithStats(target.admin, { toolVersion: 'bench' });
  const restore = {
    restoreS: seconds(restoreMs),
    phases: Object.fromEntries(restored.phases.map((p) => [p.phase, { s: seconds(p.durationMs), requests: p.requests }])),
    secondRestoreS: seconds(againMs),
    secondRestoreRequests: again.phases.reduce((sum, p) => sum + p.requests, 0),
    captureS: seconds(capture.elapsedMs),
    captureRequests: Object.values(capture.requests).reduce((sum, n) => sum + n, 0),
  };
  console.log(JSON.stringify(restore));
  mkdirSync(join('reports', 'bench'), { recursive: true });
  const file = join('reports', 'bench', `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify({ machine: { cores: cpus().length, node: process.version }, environments: rows, restore }, null, 2) + '\n');
  console.table(rows);
  console.log(`written ${file}`);
} finally {
  await target.stop();
}
