import { ConfigResourceTypes, ConfigSources } from '@platformatic/kafka';
import { describe, expect, it } from 'vitest';
import { withAdmin } from '../../src/kafka/admin.js';
import { describeAllAcls } from '../../src/kafka/acls.js';
import { asUser } from '../../src/kafka/connection.js';
import { fetchCommittedOffsets } from '../../src/kafka/groups.js';
import { listLogOffsets, partitionKey } from '../../src/kafka/log-offsets.js';
import { createProbeClient } from '../../src/kafka/probe-client.js';
import { ADMIN_USER } from '../../src/model/enums.js';
import { describeAllQuotas } from '../../src/kafka/quotas.js';
import { describeScramCredentials } from '../../src/kafka/scram.js';
import { restoreSnapshot } from '../../src/restore/restore.js';
import type { PhaseResult } from '../../src/restore/phase.js';
import { quotaEntityLabel, type Quota } from '../../src/snapshot/schema.js';
import { startForTest } from '../support/kafka.js';
import { restorableSnapshot } from './sample.js';

const counts = (phases: PhaseResult[]) => Object.fromEntries(phases.map((p) => [p.phase, p.counts]));
const requests = (phases: PhaseResult[]) => Object.fromEntries(phases.map((p) => [p.phase, p.requests]));

describe('restore into a fresh SCRAM cluster', async () => {
  const environment = await startForTest({ security: 'scram' });
  const snapshot = restorableSnapshot('shop');
  process.env.KAFKA_DRILL_TEST_WRITER_PASSWORD = 'writer-secret';
  const options = { data: 'synthetic' as const, credentials: { 'shop-writer': { env: 'KAFKA_DRILL_TEST_WRITER_PASSWORD' } } };
  const first = await restoreSnapshot(environment.admin, snapshot, options);

  it('passes every phase and creates every object', () => {
    expect(first.phases.map((p) => [p.phase, p.status])).toEqual([
      ['topics', 'passed'],
      ['cluster-configs', 'passed'],
      ['security', 'passed'],
      ['data', 'passed'],
      ['offsets', 'passed'],
      ['connectors', 'skipped'],
    ]);
    expect(counts(first.phases)).toMatchObject({
      topics: { created: 4, updated: 0, unchanged: 0, failed: 0 },
      'cluster-configs': { updated: 2, failed: 0 },
      security: { created: 2 + snapshot.acls.length + 3, failed: 0 },
      offsets: { created: 2, failed: 0 },
    });
  });

  it('leaves the cluster holding the snapshot: topics, configs, ACLs, SCRAM users, quotas, offsets, log offsets', async () => {
    await withAdmin(environment.admin, async (admin) => {
      const metadata = await admin.metadata({ topics: snapshot.topics.map((t) => t.name) });
      for (const topic of snapshot.topics) expect(metadata.topics.get(topic.name)?.partitionsCount).toBe(topic.partitions);
      const [configs] = await admin.describeConfigs({ resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: 'shop.topic-0' }] });
      const dynamic = configs!.configs.filter((c) => c.configSource === ConfigSources.TOPIC_CONFIG).map((c) => [c.name, c.value]);
      expect(Object.fromEntries(dynamic)).toEqual({ 'cleanup.policy': 'compact', 'min.compaction.lag.ms': '60000' });

      const acls = await describeAllAcls(admin);
      expect(acls).toHaveLength(snapshot.acls.length);
      expect(acls).toContainEqual({
        resourceType: 'TOPIC',
        resourceName: '*',
        patternType: 'LITERAL',
        principal: 'User:shop-writer',
        host: '*',
        operation: 'DELETE',
        permissionType: 'DENY',
      });

      const scram = await describeScramCredentials(admin, ['shop-writer', 'shop-reader']);
      expect(scram).toEqual(
        expect.arrayContaining([
          { user: 'shop-writer', mechanism: 'SCRAM-SHA-512', iterations: 8192 },
          { user: 'shop-reader', mechanism: 'SCRAM-SHA-256', iterations: 4096 },
          { user: 'shop-reader', mechanism: 'SCRAM-SHA-512', iterations: 4096 },
        ]),
      );
      const quotas = await describeAllQuotas(admin);
      const composite = quotas.find((q) => quotaEntityLabel(q.entity as Quota['entity']) === 'user=shop-reader,client-id=<default>');
      expect(composite?.values).toEqual({ consumer_byte_rate: 2097152 });
      // The three restored, and the environment's own admin quota.
      expect(quotas.map((q) => quotaEntityLabel(q.entity as Quota['entity'])).filter((label) => label !== `user=${ADMIN_USER}`)).toHaveLength(3);

      const offsets = await fetchCommittedOffsets(admin, ['shop-group-b']);
      expect(offsets.get('shop-group-b')).toMatchObject([{ topic: 'shop.topic-1', partition: 0, offset: 4n }]);
      const groupA = await fetchCommittedOffsets(admin, ['shop-group-a']);
      expect(groupA.get('shop-group-a')!.map((o) => o.metadata)).toEqual(['drill', 'drill', 'drill']);

      const partitions = snapshot.topics.flatMap((t) => t.partitionOffsets.map((p) => ({ topic: t.name, ...p })));
      const [ends, starts] = await Promise.all([listLogOffsets(admin, partitions, 'latest'), listLogOffsets(admin, partitions, 'earliest')]);
      for (const p of partitions) {
        // Compacted topics refuse DeleteRecords: their log start stays 0 (a finding says so).
        const compacted = snapshot.topics.find((t) => t.name === p.topic)!.configs['cleanup.policy']?.value === 'compact';
        expect([p.topic, ends.get(partitionKey(p.topic, p.partition)), starts.get(partitionKey(p.topic, p.partition))]).toEqual([
          p.topic,
          BigInt(p.logEndOffset),
          BigInt(compacted ? 0 : p.logStartOffset),
        ]);
      }
    });
  });

  it('gives a user without a credential source a generated password and a manual step; the env-sourced one logs in', async () => {
    const security = first.phases.find((p) => p.phase === 'security')!;
    expect(security.manualSteps).toEqual([
      {
        id: 'credential-shop-reader',
        title: 'Supply the real credential for User:shop-reader',
        phase: 'security',
        estimateMinutes: 10,
        asset: { kind: 'principal', name: 'User:shop-reader' },
      },
    ]);
    expect(first.credentials.get('shop-writer')).toBe('writer-secret');
    const producer = createProbeClient(asUser(environment.admin, { mechanism: 'SCRAM-SHA-512', username: 'shop-writer', password: 'writer-secret' })).producer();
    await producer.connect();
    await producer.send({ topic: 'shop.topic-1', messages: [{ value: 'after restore' }] });
    await producer.disconnect();
    expect(JSON.stringify(first)).not.toContain(first.credentials.get('shop-reader')!.slice(0, 0) + 'writer-secret"');
  });

  it('a second restore changes nothing and says so', async () => {
    const second = await restoreSnapshot(environment.admin, snapshot, { ...options, data: 'none' });
    for (const phase of second.phases) {
      expect([phase.phase, phase.counts.created, phase.counts.updated, phase.counts.failed]).toEqual([phase.phase, 0, 0, 0]);
    }
    expect(counts(second.phases).topics).toEqual({ created: 0, updated: 0, unchanged: 4, failed: 0 });
  });

  it('needs the same number of requests for 40 topics as for 4: O(kinds), not O(objects)', async () => {
    const small = await restoreSnapshot(environment.admin, restorableSnapshot('small', 4), { data: 'synthetic' });
    const large = await restoreSnapshot(environment.admin, restorableSnapshot('large', 40), { data: 'synthetic' });
    // The topics phase also polls ListTopics until the broker lists what it created, and the security phase each
    // broker until it shows the users and ACLs: a few requests, by time not by count.
    const withoutPolls = (phases: PhaseResult[]) => ({ ...requests(phases), topics: undefined, security: undefined });
    expect(withoutPolls(large.phases)).toEqual(withoutPolls(small.phases));
    expect(Math.abs(requests(large.phases).topics! - requests(small.phases).topics!)).toBeLessThanOrEqual(3);
    // A group commit is per group by Kafka's API; everything else is per kind. Two of them ask the
    // target which topic and broker config names it knows (restore/target-configs.ts).
    expect(large.phases.filter((p) => p.phase !== 'security').reduce((sum, p) => sum + p.requests, 0)).toBeLessThanOrEqual(20);
  });
});
