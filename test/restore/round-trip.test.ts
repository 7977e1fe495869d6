import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_KAFKA_VERSION } from '../../src/runtime/distribution.js';
import { restoreSnapshot } from '../../src/restore/restore.js';
import { captureBaseline, verifyRestore } from '../../src/verify/verify.js';
import { captureSnapshot } from '../../src/snapshot/capture.js';
import { loadSnapshot, writeSnapshot } from '../../src/snapshot/load.js';
import type { Snapshot } from '../../src/snapshot/schema.js';
import { OLD_LINE_VERSION, startForTest } from '../support/kafka.js';
import { restorableSnapshot } from './sample.js';

const toolVersion = '0.0.0-test';
const dir = await mkdtemp(join(tmpdir(), 'kafka-drill-round-trip-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

/** A source cluster seeded with `seed`, captured to a file and loaded back as a user would. */
async function capturedSource(kafkaVersion: string, seed: Snapshot, file: string): Promise<Snapshot> {
  const source = await startForTest({ kafkaVersion, security: 'scram' });
  const seeded = await restoreSnapshot(source.admin, seed, { data: 'synthetic' });
  expect(seeded.phases.filter((p) => p.status === 'failed')).toEqual([]);
  await writeSnapshot(join(dir, file), await captureSnapshot(source.admin, { toolVersion, fingerprints: true }));
  await source.stop();
  return loadSnapshot(join(dir, file));
}

describe.each([
  { from: DEFAULT_KAFKA_VERSION, to: DEFAULT_KAFKA_VERSION },
  { from: OLD_LINE_VERSION, to: DEFAULT_KAFKA_VERSION },
])('capture on $from → restore into a fresh $to → capture → diff', async ({ from, to }) => {
  const seed = restorableSnapshot('rt');
  if (from.startsWith('3.')) {
    // Accepted by 3.9, removed in 4.0: the upgrade gate must name it, not lose it silently.
    seed.topics[1]!.configs['message.format.version'] = { value: '3.0-IV1', source: 'DYNAMIC_TOPIC_CONFIG' };
  }
  const snapshot = await capturedSource(from, seed, `source-${from}.json`);
  const target = await startForTest({ kafkaVersion: to, security: 'scram' });
  const baseline = await captureBaseline(target.admin, snapshot, toolVersion);
  const restored = await restoreSnapshot(target.admin, snapshot, { data: 'synthetic' });
  const verified = await verifyRestore(target.admin, snapshot, { baseline, phases: restored.phases, compareData: true, toolVersion });

  it('captured what was seeded', () => {
    expect(snapshot.source.kafkaVersion.startsWith(from.slice(0, 3))).toBe(true);
    expect(snapshot.topics.map((t) => t.name)).toEqual(seed.topics.map((t) => t.name));
    expect(snapshot.acls).toHaveLength(seed.acls.length);
    expect(snapshot.consumerGroups.map((g) => g.groupId)).toEqual(['rt-group-a', 'rt-group-b']);
  });

  it('shows no drift after the restore', () => {
    expect(verified.differences.filter((d) => d.classification === 'drift')).toEqual([]);
    expect(verified.summary.drift).toBe(0);
  });

  if (from.startsWith('3.')) {
    it('names the topic config 4.x removed, with its reason, and counts it as an expected difference', () => {
      const topics = restored.phases.find((p) => p.phase === 'topics')!;
      expect(topics.status).toBe('passed');
      expect(topics.counts.failed).toBe(0);
      expect(topics.findings).toEqual([
        { code: 'config-not-applied', severity: 'warning', object: 'topic rt.topic-1 config message.format.version', message: 'not applied: removed in Kafka 4.0' },
      ]);
      expect(verified.differences).toContainEqual(
        expect.objectContaining({
          kind: 'topic-config',
          object: 'topic rt.topic-1 config message.format.version',
          classification: 'expected',
          actual: null,
          reason: 'not applied: removed in Kafka 4.0',
        }),
      );
    });
  } else {
    it('restores every phase without a failure', () => {
      // The snapshot has no connectors, so the connectors phase has nothing to do.
      expect(restored.phases.map((p) => [p.phase, p.status])).toEqual([
        ['topics', 'passed'],
        ['cluster-configs', 'passed'],
        ['security', 'passed'],
        ['data', 'passed'],
        ['offsets', 'passed'],
        ['connectors', 'skipped'],
      ]);
    });
  }
});
