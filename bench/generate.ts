/**
 * The benchmark's snapshots: a cluster of `topics` topics × 3 partitions with everything else in
 * proportion — per 1,000 topics 5,000 ACLs (literal and prefixed, allow and deny, every resource
 * kind), 100 SCRAM users, 50 quota entities and 300 consumer groups. Deterministic: the same size
 * gives the same snapshot.
 */
import { aclKey, type Acl, type Configs, type Quota, type SnapshotContent, type Topic } from '../src/snapshot/schema.js';

export const PARTITIONS_PER_TOPIC = 3;
/** Records per partition, so synthetic data and consumer resumption have something to work on. */
export const RECORDS_PER_PARTITION = 4;

export interface SnapshotShape {
  topics: number;
  partitions: number;
  acls: number;
  scramUsers: number;
  quotas: number;
  groups: number;
}

export function shapeFor(topicCount: number): SnapshotShape {
  return {
    topics: topicCount,
    partitions: topicCount * PARTITIONS_PER_TOPIC,
    acls: topicCount * 5,
    scramUsers: Math.max(10, Math.round(topicCount / 10)),
    quotas: Math.max(5, Math.round(topicCount / 20)),
    groups: Math.round((topicCount * 3) / 10),
  };
}

const topicName = (i: number) => `bench.topic-${i}`;
const user = (i: number) => `svc-${i}`;
const groupId = (k: number) => `bench-group-${k}`;

export function generateSnapshot(topicCount: number): SnapshotContent {
  const shape = shapeFor(topicCount);
  const topics: Topic[] = Array.from({ length: topicCount }, (_, i) => ({
    name: topicName(i),
    partitions: PARTITIONS_PER_TOPIC,
    replicationFactor: 1,
    configs: (i % 3 === 0
      ? { 'cleanup.policy': { value: 'compact', source: 'DYNAMIC_TOPIC_CONFIG' }, 'min.compaction.lag.ms': { value: '60000', source: 'DYNAMIC_TOPIC_CONFIG' } }
      : { 'retention.ms': { value: String(3_600_000 * (1 + (i % 48))), source: 'DYNAMIC_TOPIC_CONFIG' } }) as Configs,
    partitionOffsets: Array.from({ length: PARTITIONS_PER_TOPIC }, (_, partition) => ({ partition, logStartOffset: 0, logEndOffset: RECORDS_PER_PARTITION })),
  }));

  const users = shape.scramUsers;
  const writer = (i: number) => `User:${user(i % users)}`;
  const reader = (i: number) => `User:${user((i + 1) % users)}`;
  const acl = (
    resourceType: Acl['resourceType'],
    resourceName: string,
    patternType: Acl['patternType'],
    principal: string,
    operation: Acl['operation'],
    permissionType: Acl['permissionType'] = 'ALLOW',
  ): Acl => ({
    resourceType,
    resourceName,
    patternType,
    principal,
    host: '*',
    operation,
    permissionType,
  });
  const clusterOperations: Acl['operation'][] = ['IDEMPOTENT_WRITE', 'DESCRIBE_CONFIGS', 'DESCRIBE', 'ALTER_CONFIGS'];
  // Bindings for every principal (User:*), a fixed few whatever the size: each is checked for every user with a password.
  const forEveryone: Record<number, Acl> = {
    18: acl('TOPIC', 'bench.topic-1', 'PREFIXED', 'User:*', 'DELETE'),
    19: acl('GROUP', 'bench-group-1', 'PREFIXED', 'User:*', 'DESCRIBE'),
    38: acl('TOPIC', 'bench.topic-2', 'PREFIXED', 'User:*', 'DESCRIBE', 'DENY'),
    39: acl('TRANSACTIONAL_ID', '*', 'LITERAL', 'User:*', 'DESCRIBE'),
    58: acl('TOPIC', '*', 'LITERAL', 'User:*', 'CREATE'),
  };
  /**
   * Shapes whose interplay the authorization probe must model (they take the place of an
   * unprobed delegation-token or user binding in every other round): CREATE without
   * DESCRIBE_CONFIGS (CreateTopics then withholds configs), DENY DESCRIBE on a prefix that also
   * has an ALLOW DELETE (DeleteTopics of an absent topic is refused), ALL on the cluster (DELETE
   * on the cluster sees every topic), DENY ALL on a prefix, wildcard ALLOWs, implied DESCRIBE_CONFIGS.
   */
  const interplay = (i: number, topic: Topic): Acl => {
    const prefix = `bench.topic-${Math.floor(i / 10)}`;
    const shapes = [
      () => acl('TOPIC', prefix, 'PREFIXED', writer(i), 'CREATE'),
      () => acl('TOPIC', prefix, 'PREFIXED', reader(i), 'DESCRIBE', 'DENY'),
      () => acl('TOPIC', prefix, 'PREFIXED', writer(i), 'DELETE'),
      () => acl('TOPIC', '*', 'LITERAL', writer(i), 'DESCRIBE_CONFIGS'),
      () => acl('TOPIC', prefix, 'PREFIXED', reader(i), 'ALL', 'DENY'),
      () => acl('GROUP', 'bench-group-', 'PREFIXED', reader(i), 'DESCRIBE'),
      () => acl('CLUSTER', 'kafka-cluster', 'LITERAL', writer(i), 'ALL'),
      () => acl('TOPIC', topic.name, 'LITERAL', reader(i), 'ALTER_CONFIGS'),
      () => acl('TOPIC', `${prefix}`, 'PREFIXED', reader(i), 'DESCRIBE', 'DENY'),
      () => acl('TOPIC', 'bench.topic-1', 'PREFIXED', writer(i), 'DESCRIBE', 'DENY'),
    ];
    return forEveryone[i] ?? shapes[Math.floor(i / 20) % shapes.length]!();
  };
  // Five bindings a topic: three literal ALLOWs on it, one literal DENY, and one of ten other kinds in turn.
  const bindings: Acl[] = topics.flatMap((topic, i) => {
    const other = (() => {
      const round = Math.floor(i / 10);
      switch (i % 10) {
        case 0:
        case 1:
        case 2:
          return acl('GROUP', groupId(3 * round + (i % 10)), 'LITERAL', reader(i), 'READ');
        case 3:
          return acl('TOPIC', `${topic.name}.`, 'PREFIXED', reader(i), 'READ');
        case 4:
          return acl('TRANSACTIONAL_ID', `bench-tx-${i}`, 'LITERAL', writer(i), 'WRITE');
        case 5:
          return acl('TRANSACTIONAL_ID', `bench-tx-${i}-`, 'PREFIXED', writer(i), 'DESCRIBE');
        case 6:
          return acl('GROUP', `bench-denied-${i}-`, 'PREFIXED', reader(i), 'READ', 'DENY');
        case 7:
          return acl('CLUSTER', 'kafka-cluster', 'LITERAL', `User:${user(round % users)}`, clusterOperations[Math.floor(round / users) % clusterOperations.length]!);
        case 8:
          return round % 2 === 0 ? acl('DELEGATION_TOKEN', `bench-token-${i}`, 'LITERAL', writer(i), 'DESCRIBE') : interplay(i, topic);
        default:
          return round % 2 === 0 ? acl('USER', `User:bench-owner-${i}`, 'LITERAL', writer(i), 'CREATE_TOKENS') : interplay(i, topic);
      }
    })();
    return [
      acl('TOPIC', topic.name, 'LITERAL', writer(i), 'WRITE'),
      acl('TOPIC', topic.name, 'LITERAL', reader(i), 'READ'),
      acl('TOPIC', topic.name, 'LITERAL', reader(i), 'DESCRIBE'),
      acl('TOPIC', topic.name, 'LITERAL', writer(i), 'DELETE', 'DENY'),
      other,
    ];
  });
  // A wildcard or cluster shape can come round again for the same user: Kafka holds a binding once.
  const acls = [...new Map(bindings.map((binding) => [aclKey(binding), binding])).values()];

  const scramUsers = Array.from({ length: users }, (_, i) => ({
    name: user(i),
    credentials:
      i % 2 === 0
        ? [{ mechanism: 'SCRAM-SHA-512' as const, iterations: 8192 }]
        : [
            { mechanism: 'SCRAM-SHA-256' as const, iterations: 4096 },
            { mechanism: 'SCRAM-SHA-512' as const, iterations: 4096 },
          ],
  }));

  const quotas = Array.from({ length: shape.quotas }, (_, j): Quota => {
    switch (j % 5) {
      case 0:
        return { entity: [{ type: 'user', name: j === 0 ? null : user(j % users) }], values: { producer_byte_rate: 1_048_576 * (1 + (j % 7)) } };
      case 1:
        return { entity: [{ type: 'client-id', name: `bench-app-${j}` }], values: { consumer_byte_rate: 2_097_152, request_percentage: 25 } };
      case 2:
        return {
          entity: [
            { type: 'user', name: user(j % users) },
            { type: 'client-id', name: `bench-app-${j}` },
          ],
          values: { producer_byte_rate: 524_288 },
        };
      case 3:
        return { entity: [{ type: 'ip', name: `10.0.${Math.floor(j / 250)}.${j % 250}` }], values: { connection_creation_rate: 50 } };
      default:
        return {
          entity: [
            { type: 'user', name: user(j % users) },
            { type: 'client-id', name: null },
          ],
          values: { consumer_byte_rate: 4_194_304 },
        };
    }
  });
  // Entities must be unique; at small sizes user(j % users) can repeat across kinds, so keep the first.
  const seenEntities = new Set<string>();
  const uniqueQuotas = quotas.filter((q) => {
    const key = JSON.stringify(q.entity);
    if (seenEntities.has(key)) return false;
    seenEntities.add(key);
    return true;
  });

  const consumerGroups = Array.from({ length: shape.groups }, (_, k) => {
    // Group k is read by the reader of the topic whose GROUP ACL names it; it commits on that topic.
    const i = 10 * Math.floor(k / 3) + (k % 3);
    const topic = topics[i % topicCount]!;
    return {
      groupId: groupId(k),
      offsets: Array.from({ length: PARTITIONS_PER_TOPIC }, (_, partition) => ({ topic: topic.name, partition, offset: RECORDS_PER_PARTITION / 2, metadata: null })),
    };
  });

  return {
    format: 'kafka-drill/snapshot',
    version: 1,
    source: {
      clusterId: `bench-${topicCount}-topics`,
      kafkaVersion: '4.3.1',
      capturedAt: '2026-11-30T00:00:00.000Z',
      toolVersion: 'bench',
      filters: { include: [], exclude: [] },
    },
    topics,
    skippedTopics: [],
    clusterConfigs: { clusterDefault: {}, perBroker: {} },
    acls,
    scramUsers,
    quotas: uniqueQuotas,
    consumerGroups,
  };
}
