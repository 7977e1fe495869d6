/**
 * Drills for the runner's tests, written into a temporary directory: the small shop snapshot
 * (fixtures/small-snapshot.json) changed as a test needs, with a fresh digest, and a spec beside it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startDrill, type DrillHandle, type RunOptions } from '../../src/drill/runner.js';
import { loadSnapshot, writeSnapshot } from '../../src/snapshot/load.js';
import { loadSpec } from '../../src/drill-spec/load.js';
import type { Snapshot } from '../../src/snapshot/schema.js';
import type { DrillSpecInput } from '../../src/drill-spec/schema.js';
import { repoRoot } from '../support/require.js';

export function smallSnapshot(): Snapshot {
  return JSON.parse(readFileSync(path.join(repoRoot, 'fixtures/small-snapshot.json'), 'utf8')) as Snapshot;
}

/** Writes `snapshot.json` and `<name>.json` (the spec, naming that snapshot) into dir; returns the spec's path. */
export async function writeDrill(dir: string, snapshot: Snapshot, spec: Omit<DrillSpecInput, 'snapshot'> & { name: string }): Promise<string> {
  await writeSnapshot(path.join(dir, 'snapshot.json'), snapshot);
  const specFile = path.join(dir, `${spec.name}.json`);
  writeFileSync(specFile, JSON.stringify({ ...spec, snapshot: './snapshot.json' }, null, 2));
  return specFile;
}

/** A snapshot whose data phase takes long: one partition with `records` synthetic records to produce. */
export function slowDataSnapshot(records: number): Snapshot {
  const snapshot = smallSnapshot();
  snapshot.topics.push({ name: 'shop.archive', partitions: 1, replicationFactor: 1, configs: {}, partitionOffsets: [{ partition: 0, logStartOffset: 0, logEndOffset: records }] });
  return snapshot;
}

/**
 * Starts the small shop drill (one SCRAM broker, synthetic data, generated passwords) in-process on
 * 4.3.1, with the runner options a test overrides (a progress listener, a wrapped environment).
 */
export async function startSmallDrill(dir: string, name: string, options: Partial<RunOptions>): Promise<DrillHandle> {
  const specFile = await writeDrill(dir, smallSnapshot(), {
    name,
    target: { brokers: 1, security: 'scram' },
    restore: { data: 'synthetic', credentials: { '*': { generate: true } } },
  });
  const snapshotFile = path.join(dir, 'snapshot.json');
  return startDrill(
    { spec: await loadSpec(specFile), snapshot: await loadSnapshot(snapshotFile), snapshotFile, snapshotSha256: '0'.repeat(64) },
    { kafkaVersions: ['4.3.1'], provider: 'process', toolVersion: '0.0.0-test', signal: new AbortController().signal, progress: () => {}, ...options },
  );
}
