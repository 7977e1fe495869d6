import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { metadataV12 } from '@platformatic/kafka';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRILL_OFFSETS_TOPIC_PARTITIONS } from '../../../src/environment/broker-config.js';
import { DEFAULT_KAFKA_VERSION } from '../../../src/runtime/distribution.js';
import { startEnvironment } from '../../../src/environment/start.js';
import type { EnvironmentRequest, StartedEnvironment } from '../../../src/environment/types.js';
import { createAdmin, describeCluster, withAdmin } from '../../../src/kafka/admin.js';
import { kafkaErrorName } from '../../../src/kafka/errors.js';
import { brokerConnection } from '../../../src/kafka/raw.js';
import { alive, integrationVersions, processGroupOf, startForTest } from '../../support/kafka.js';
import { itWith, onPath } from '../../support/require.js';

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
        const failure = await describeCluster(admin).then(
          () => undefined,
          (error: unknown) => error,
        );
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

/** Every command line on the machine, sampled with `ps -eo args` until stopped. */
function sampleCommandLines(intervalMs = 50): { stop(): Promise<string[]> } {
  const lines = new Set<string>();
  let running = true;
  const loop = (async () => {
    while (running) {
      const { stdout } = await execa('ps', ['-eo', 'args'], { reject: false });
      for (const line of stdout.split('\n')) lines.add(line);
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return [...lines];
    },
  };
}

/** Leader of each __consumer_offsets partition, by partition (the Admin class leaves internal topics out of its metadata). */
async function offsetsTopicLeaders(environment: StartedEnvironment): Promise<number[]> {
  return withAdmin(environment.admin, async (admin) => {
    const connection = await brokerConnection(admin);
    const response = await metadataV12.api.async(connection, ['__consumer_offsets'], false, false);
    const partitions = response.topics.find((topic) => topic.name === '__consumer_offsets')?.partitions ?? [];
    return [...partitions].sort((a, b) => a.partitionIndex - b.partitionIndex).map((partition) => partition.leaderId);
  });
}

/**
 * An environment started in the suite's beforeAll and stopped in its afterAll, so that the
 * larger clusters below run one after another rather than all at once from collection time.
 */
function environmentPerSuite(request: Partial<EnvironmentRequest>, around: { before?: () => void; after?: () => Promise<void> } = {}) {
  let environment: StartedEnvironment | undefined;
  beforeAll(async () => {
    around.before?.();
    try {
      environment = await startEnvironment('process', { kafkaVersion: DEFAULT_KAFKA_VERSION, brokers: 1, security: 'plaintext', heapMb: 384, ...request });
    } finally {
      await around.after?.();
    }
  });
  afterAll(() => environment?.stop());
  return () => environment!;
}

describe('process provider, broker ids from 0, three brokers, scram', () => {
  let sampler: ReturnType<typeof sampleCommandLines>;
  let commandLines: string[] = [];
  const started = environmentPerSuite(
    { brokers: 3, nodeIds: [0, 1, 2], security: 'scram' },
    { before: () => (sampler = sampleCommandLines()), after: async () => void (commandLines = await sampler.stop()) },
  );

  it('registers the brokers under ids 0, 1 and 2', async () => {
    const environment = started();
    expect(environment.brokers.map((broker) => broker.nodeId)).toEqual([0, 1, 2]);
    expect((await withAdmin(environment.admin, describeCluster)).brokerIds).toEqual([0, 1, 2]);
  });

  it('is ready only with __consumer_offsets created at the drill size and every partition led', async () => {
    const environment = started();
    const leaders = await offsetsTopicLeaders(environment);
    expect(leaders).toHaveLength(DRILL_OFFSETS_TOPIC_PARTITIONS);
    expect(leaders.every((leader) => [0, 1, 2].includes(leader))).toBe(true);
  });

  itWith(onPath('ps'))('never shows the admin password on a command line during start-up', () => {
    const environment = started();
    const password = environment.admin.sasl!.password;
    // The sampling saw the storage format step (its arguments in an @argfile) and the brokers.
    expect(commandLines.some((line) => line.includes(environment.workDir) && /@\S*format\.args/.test(line))).toBe(true);
    expect(commandLines.some((line) => line.includes(environment.workDir) && line.includes('kafka.Kafka'))).toBe(true);
    expect(commandLines.filter((line) => line.includes(password))).toEqual([]);
  });

  it("runs each broker in a process group of its own, not the test runner's", () => {
    const environment = started();
    for (const broker of environment.brokers) expect(processGroupOf(broker.pid)).toBe(broker.pid);
    expect(environment.brokers.map((broker) => processGroupOf(broker.pid))).not.toContain(processGroupOf(process.pid));
  });
});

describe('process provider, broker id 1001, one broker, data in memory', () => {
  const started = environmentPerSuite({ brokers: 1, nodeIds: [1001], brokerStorage: 'memory' });

  it('registers the broker as 1001 with its coordinator leading every __consumer_offsets partition', async () => {
    const environment = started();
    expect((await withAdmin(environment.admin, describeCluster)).brokerIds).toEqual([1001]);
    expect(await offsetsTopicLeaders(environment)).toEqual(Array(DRILL_OFFSETS_TOPIC_PARTITIONS).fill(1001));
  });

  it("keeps the broker's log and metadata on the tmpfs, outside its work dir, and removes them on stop", async () => {
    const environment = started();
    expect(environment.brokers[0]!.storage).toEqual({ kind: 'memory' });
    const logDirs = /^log\.dirs=(.*)$/m.exec(readFileSync(path.join(environment.workDir, 'node-1001', 'server.properties'), 'utf8'))![1]!;
    expect(logDirs).toMatch(/^\/dev\/shm\/kafka-drill-data-[0-9a-f]{12}\/node-1001$/);
    expect(readdirSync(logDirs)).toEqual(expect.arrayContaining(['meta.properties', '__cluster_metadata-0', '__consumer_offsets-0']));
    await environment.stop();
    expect(existsSync(path.dirname(logDirs))).toBe(false);
  });
});

describe('process provider, five brokers', () => {
  const started = environmentPerSuite({ brokers: 5, heapMb: 320 });

  it('registers five brokers, each with the heap asked for', async () => {
    const environment = started();
    expect((await withAdmin(environment.admin, describeCluster)).brokerIds).toEqual([1, 2, 3, 4, 5]);
    for (const broker of environment.brokers) expect(readFileSync(`/proc/${broker.pid}/cmdline`, 'utf8').split('\0')).toContain('-Xmx320m');
    const leaders = await offsetsTopicLeaders(environment);
    expect(leaders).toHaveLength(DRILL_OFFSETS_TOPIC_PARTITIONS);
    expect(leaders.every((leader) => leader >= 1 && leader <= 5)).toBe(true);
  });
});
