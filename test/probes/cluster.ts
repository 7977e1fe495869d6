import { AclOperations, AclPermissionTypes, ResourcePatternTypes, ResourceTypes, type Admin } from '@platformatic/kafka';
import type { StartedEnvironment } from '../../src/environment/types.js';
import { withAdmin } from '../../src/kafka/admin.js';
import { createProbeClient } from '../../src/kafka/probe-client.js';
import { upsertScramCredentials } from '../../src/kafka/scram.js';
import type { ProbeRunContext } from '../../src/probes/probe.js';
import type { Acl, Snapshot } from '../../src/snapshot/schema.js';

/**
 * A small restored-looking cluster for probe tests: topics with records, SCRAM users, ACLs of
 * every pattern kind (LITERAL, PREFIXED, wildcard, DENY) and committed group offsets — built
 * directly with the admin — and the Snapshot that describes it.
 */
export const passwords = new Map([
  ['alice', 'alice-secret-1'],
  ['bob', 'bob-secret-1'],
]);

/**
 * Record timestamps: recent on purpose. Old ones (e.g. 2023) fall behind retention.ms (7 days),
 * and the broker's retention check (every 5 minutes) then deletes them mid-suite, moving the
 * log start past the committed offsets — which the offsets probe rightly reports as a reset.
 */
export const recordTimestampBase = Date.now() - 60_000;

export const topics = [
  { name: 'orders.eu', partitions: 2, records: 6 },
  { name: 'orders.us', partitions: 1, records: 2 },
  { name: 'payments', partitions: 1, records: 10 },
  { name: 'secrets', partitions: 1, records: 1 },
];

export const acls: Acl[] = [
  acl('User:alice', 'TOPIC', 'orders.', 'PREFIXED', 'WRITE'),
  acl('User:alice', 'TOPIC', 'orders.', 'PREFIXED', 'READ'),
  acl('User:alice', 'GROUP', 'alice-', 'PREFIXED', 'READ'),
  acl('User:alice', 'TOPIC', 'orders.us', 'LITERAL', 'WRITE', 'DENY'),
  acl('User:alice', 'TRANSACTIONAL_ID', 'alice-tx-', 'PREFIXED', 'WRITE'),
  acl('User:bob', 'TOPIC', 'payments', 'LITERAL', 'READ'),
  acl('User:bob', 'GROUP', 'billing', 'LITERAL', 'READ'),
  acl('User:bob', 'GROUP', '*', 'LITERAL', 'DESCRIBE'),
  acl('User:carol', 'TOPIC', '*', 'LITERAL', 'ALL'),
];

export function acl(
  principal: string,
  resourceType: Acl['resourceType'],
  resourceName: string,
  patternType: Acl['patternType'],
  operation: Acl['operation'],
  permissionType: Acl['permissionType'] = 'ALLOW',
  host = '*',
): Acl {
  return { principal, resourceType, resourceName, patternType, operation, permissionType, host };
}

/** Committed offsets of the restored groups, as the snapshot records them. */
export const committed = {
  billing: [{ topic: 'payments', partition: 0, offset: 3 }],
  'orders-app': [
    { topic: 'orders.eu', partition: 0, offset: 1 },
    { topic: 'orders.eu', partition: 1, offset: 3 },
  ],
};

const RESOURCE = { TOPIC: ResourceTypes.TOPIC, GROUP: ResourceTypes.GROUP, CLUSTER: ResourceTypes.CLUSTER, TRANSACTIONAL_ID: ResourceTypes.TRANSACTIONAL_ID } as Record<
  string,
  number
>;

export function platformaticAcl(binding: Acl) {
  return {
    resourceType: RESOURCE[binding.resourceType] as never,
    resourceName: binding.resourceName,
    resourcePatternType: (binding.patternType === 'PREFIXED' ? ResourcePatternTypes.PREFIXED : ResourcePatternTypes.LITERAL) as never,
    principal: binding.principal,
    host: binding.host,
    operation: AclOperations[binding.operation as keyof typeof AclOperations] as never,
    permissionType: (binding.permissionType === 'ALLOW' ? AclPermissionTypes.ALLOW : AclPermissionTypes.DENY) as never,
  };
}

export async function seedCluster(environment: StartedEnvironment): Promise<void> {
  await withAdmin(environment.admin, async (admin: Admin) => {
    for (const topic of topics) await admin.createTopics({ topics: [topic.name], partitions: topic.partitions, replicas: 1 });
    const errors = await upsertScramCredentials(admin, [
      { user: 'alice', mechanism: 'SCRAM-SHA-256', iterations: 4096, password: passwords.get('alice')! },
      { user: 'bob', mechanism: 'SCRAM-SHA-512', iterations: 4096, password: passwords.get('bob')! },
    ]);
    if (errors.length > 0) throw new Error(JSON.stringify(errors));
    await admin.createAcls({ creations: acls.map(platformaticAcl) });
  });
  const producer = createProbeClient(environment.admin).producer();
  await producer.connect();
  for (const topic of topics) {
    await producer.send({
      topic: topic.name,
      messages: Array.from({ length: topic.records }, (_, index) => ({
        partition: index % topic.partitions,
        key: `k${index}`,
        value: `${topic.name} record ${index}`,
        timestamp: String(recordTimestampBase + index),
      })),
    });
  }
  await producer.disconnect();
  await setGroupOffsets(environment, 'billing', committed.billing);
  await setGroupOffsets(environment, 'orders-app', committed['orders-app']);
}

export async function setGroupOffsets(environment: StartedEnvironment, groupId: string, offsets: { topic: string; partition: number; offset: number }[]): Promise<void> {
  // The group coordinator (__consumer_offsets) appears a moment after the first group request.
  for (let attempt = 1; ; attempt++) {
    try {
      return await alterOffsets(environment, groupId, offsets);
    } catch (error) {
      if (attempt >= 30) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

async function alterOffsets(environment: StartedEnvironment, groupId: string, offsets: { topic: string; partition: number; offset: number }[]): Promise<void> {
  await withAdmin(environment.admin, (admin) =>
    admin.alterConsumerGroupOffsets({
      groupId,
      topics: [...new Set(offsets.map((entry) => entry.topic))].map((name) => ({
        name,
        partitionOffsets: offsets.filter((entry) => entry.topic === name).map((entry) => ({ partition: entry.partition, offset: BigInt(entry.offset) })),
      })),
    }),
  );
}

export function snapshotOf(overrides: Partial<Snapshot> = {}): Snapshot {
  return {
    format: 'kafka-drill/snapshot',
    version: 1,
    digest: `sha256:${'0'.repeat(64)}`,
    source: { clusterId: 'test-source', kafkaVersion: '4.3.1', capturedAt: '2026-01-01T00:00:00Z', toolVersion: 'test', filters: { include: [], exclude: [] } },
    topics: topics.map((topic) => ({
      name: topic.name,
      partitions: topic.partitions,
      replicationFactor: 1,
      configs: {},
      partitionOffsets: Array.from({ length: topic.partitions }, (_, partition) => ({
        partition,
        logStartOffset: 0,
        logEndOffset: Math.ceil((topic.records - partition) / topic.partitions),
      })),
    })),
    skippedTopics: [],
    clusterConfigs: { clusterDefault: {}, perBroker: {} },
    acls,
    scramUsers: [
      { name: 'alice', credentials: [{ mechanism: 'SCRAM-SHA-256', iterations: 4096 }] },
      { name: 'bob', credentials: [{ mechanism: 'SCRAM-SHA-512', iterations: 4096 }] },
      { name: 'carol', credentials: [{ mechanism: 'SCRAM-SHA-512', iterations: 4096 }] },
    ],
    quotas: [],
    consumerGroups: Object.entries(committed).map(([groupId, offsets]) => ({ groupId, offsets: offsets.map((entry) => ({ ...entry, metadata: null })) })),
    ...overrides,
  };
}

export function contextFor(environment: StartedEnvironment, snapshot: Snapshot, overrides: Partial<ProbeRunContext> = {}): ProbeRunContext {
  return {
    connection: environment.admin,
    snapshot,
    credentials: passwords,
    environment: { bootstrap: environment.admin.bootstrap, security: environment.security, kafkaVersion: environment.kafkaVersion },
    specDir: new URL('./fixtures/', import.meta.url).pathname,
    signal: new AbortController().signal,
    timeoutMs: 120_000,
    ...overrides,
  };
}
