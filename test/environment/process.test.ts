import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createAdmin, describeCluster, withAdmin } from '../../src/kafka/admin.js';
import { kafkaErrorName } from '../../src/kafka/errors.js';
import { alive, integrationVersions, startForTest } from '../support/kafka.js';

describe.each(integrationVersions())('process provider on Kafka %s', (kafkaVersion) => {
  describe('plaintext, one broker', async () => {
    const environment = await startForTest({ kafkaVersion, security: 'plaintext' });

    it('answers as the cluster it formatted, with one broker registered', async () => {
      const cluster = await withAdmin(environment.admin, describeCluster);
      expect(cluster.clusterId).toBe(environment.clusterId);
      expect(cluster.brokerIds).toEqual([1]);
      expect(environment.admin.sasl).toBeUndefined();
      expect(environment.kafkaVersion).toBe(kafkaVersion);
    });

    it('stops every JVM and removes its directory, and stop is idempotent', async () => {
      const pids = environment.brokers.map((broker) => broker.pid);
      expect(pids.every(alive)).toBe(true);
      await environment.stop();
      await environment.stop();
      expect(pids.filter(alive)).toEqual([]);
      expect(existsSync(environment.workDir)).toBe(false);
    });
  });

  describe('scram, one broker', async () => {
    const environment = await startForTest({ kafkaVersion, security: 'scram' });

    it('lets the generated admin super user in over SASL/SCRAM', async () => {
      expect(environment.admin.sasl).toMatchObject({ mechanism: 'SCRAM-SHA-512', username: 'kafka-drill-admin' });
      expect(environment.admin.sasl!.password).toMatch(/^[0-9a-f]{36}$/);
      const cluster = await withAdmin(environment.admin, describeCluster);
      expect(cluster.clusterId).toBe(environment.clusterId);
    });

    it('refuses a wrong password with an authentication error', async () => {
      const admin = createAdmin({ ...environment.admin, sasl: { ...environment.admin.sasl!, password: 'wrong' } });
      try {
        const failure = await describeCluster(admin).then(() => undefined, (error: unknown) => error);
        expect(kafkaErrorName(failure)).toBe('SASL_AUTHENTICATION_FAILED');
      } finally {
        await admin.close().catch(() => {});
      }
    });
  });
});

describe('process provider, three brokers', async () => {
  const environment = await startForTest({ brokers: 3, security: 'scram' });

  it('registers all three brokers and keeps a replication-factor-3 topic fully in sync', async () => {
    await withAdmin(environment.admin, async (admin) => {
      expect((await describeCluster(admin)).brokerIds).toEqual([1, 2, 3]);
      await admin.createTopics({ topics: ['replicated'], partitions: 3, replicas: 3 });
      let partitions: { replicas: number[]; isr: number[] }[] = [];
      for (let attempt = 0; attempt < 50; attempt++) {
        // Right after CreateTopics, a broker that has not applied the new metadata yet answers "unknown topic".
        const metadata = await admin.metadata({ topics: ['replicated'], forceUpdate: true }).catch(() => undefined);
        partitions = metadata?.topics.get('replicated')?.partitions ?? [];
        if (partitions.length === 3 && partitions.every((p) => p.isr.length === 3)) break;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(partitions).toHaveLength(3);
      for (const partition of partitions) {
        expect([...partition.replicas].sort()).toEqual([1, 2, 3]);
        expect([...partition.isr].sort()).toEqual([1, 2, 3]);
      }
    });
  });
});
