import type { Snapshot } from '../../src/snapshot/schema.js';

const config = (value: string) => ({ value, source: 'DYNAMIC_TOPIC_CONFIG' as const });

/** A restorable snapshot for a one-broker target: every kind of object, names under `prefix`. */
export function restorableSnapshot(prefix: string, topicCount = 4): Snapshot {
  const topics = Array.from({ length: topicCount }, (_, index) => ({
    name: `${prefix}.topic-${index}`,
    partitions: 1 + (index % 3),
    replicationFactor: 1,
    configs: (index % 2 === 0
      ? { 'cleanup.policy': config('compact'), 'min.compaction.lag.ms': config('60000') }
      : { 'retention.ms': config(String(3_600_000 * (index + 1))) }) as Snapshot['topics'][number]['configs'],
    partitionOffsets: Array.from({ length: 1 + (index % 3) }, (_, partition) => ({ partition, logStartOffset: partition === 0 ? 2 : 0, logEndOffset: 10 + partition })),
  }));
  return {
    format: 'kafka-drill/snapshot',
    version: 1,
    digest: `sha256:${'0'.repeat(64)}`,
    source: { clusterId: 'source-cluster-id-0001', kafkaVersion: '4.3.1', capturedAt: '2026-11-24T02:00:00.000Z', toolVersion: '0.1.0', filters: { include: [], exclude: [] } },
    topics,
    skippedTopics: [],
    clusterConfigs: {
      clusterDefault: { 'log.cleaner.threads': { value: '2', source: 'DYNAMIC_DEFAULT_BROKER_CONFIG' } },
      perBroker: { '1': { 'log.cleaner.io.max.bytes.per.second': { value: '52428800', source: 'DYNAMIC_BROKER_CONFIG' } } },
    },
    acls: [
      ...topics.flatMap((topic) => [
        {
          resourceType: 'TOPIC' as const,
          resourceName: topic.name,
          patternType: 'LITERAL' as const,
          principal: `User:${prefix}-writer`,
          host: '*',
          operation: 'WRITE' as const,
          permissionType: 'ALLOW' as const,
        },
        {
          resourceType: 'TOPIC' as const,
          resourceName: topic.name,
          patternType: 'LITERAL' as const,
          principal: `User:${prefix}-reader`,
          host: '*',
          operation: 'READ' as const,
          permissionType: 'ALLOW' as const,
        },
      ]),
      { resourceType: 'TOPIC', resourceName: `${prefix}.`, patternType: 'PREFIXED', principal: `User:${prefix}-reader`, host: '*', operation: 'DESCRIBE', permissionType: 'ALLOW' },
      {
        resourceType: 'GROUP',
        resourceName: `${prefix}-group-`,
        patternType: 'PREFIXED',
        principal: `User:${prefix}-reader`,
        host: '*',
        operation: 'READ',
        permissionType: 'ALLOW',
      },
      { resourceType: 'TOPIC', resourceName: '*', patternType: 'LITERAL', principal: `User:${prefix}-writer`, host: '*', operation: 'DELETE', permissionType: 'DENY' },
      {
        resourceType: 'CLUSTER',
        resourceName: 'kafka-cluster',
        patternType: 'LITERAL',
        principal: `User:${prefix}-writer`,
        host: '*',
        operation: 'IDEMPOTENT_WRITE',
        permissionType: 'ALLOW',
      },
      {
        resourceType: 'TRANSACTIONAL_ID',
        resourceName: `${prefix}-tx`,
        patternType: 'PREFIXED',
        principal: `User:${prefix}-writer`,
        host: '*',
        operation: 'WRITE',
        permissionType: 'ALLOW',
      },
    ],
    scramUsers: [
      { name: `${prefix}-writer`, credentials: [{ mechanism: 'SCRAM-SHA-512', iterations: 8192 }] },
      {
        name: `${prefix}-reader`,
        credentials: [
          { mechanism: 'SCRAM-SHA-256', iterations: 4096 },
          { mechanism: 'SCRAM-SHA-512', iterations: 4096 },
        ],
      },
    ],
    quotas: [
      { entity: [{ type: 'user', name: `${prefix}-writer` }], values: { producer_byte_rate: 1048576 } },
      {
        entity: [
          { type: 'user', name: `${prefix}-reader` },
          { type: 'client-id', name: null },
        ],
        values: { consumer_byte_rate: 2097152 },
      },
      { entity: [{ type: 'client-id', name: `${prefix}-batch` }], values: { request_percentage: 25 } },
    ],
    consumerGroups: [
      {
        groupId: `${prefix}-group-a`,
        offsets: topics
          .slice(0, 2)
          .flatMap((topic) => topic.partitionOffsets.map((p) => ({ topic: topic.name, partition: p.partition, offset: p.logEndOffset - 3, metadata: 'drill' }))),
      },
      { groupId: `${prefix}-group-b`, offsets: [{ topic: topics[1]!.name, partition: 0, offset: 4, metadata: null }] },
    ],
  };
}
