import type { SnapshotContent } from '../../src/snapshot/schema.js';

/** A small cluster with one of everything, in a deliberately non-canonical order. */
export function sampleSnapshotContent(): SnapshotContent {
  return {
    format: 'kafka-drill/snapshot',
    version: 1,
    source: {
      clusterId: 'MkU3OEVBNTcwNTJENDM2Qg',
      kafkaVersion: '3.9.1',
      capturedAt: '2025-01-15T02:00:00.000Z',
      toolVersion: '0.1.0',
      filters: { include: ['*'], exclude: ['tmp-*'] },
    },
    topics: [
      {
        name: 'payments',
        partitions: 2,
        replicationFactor: 3,
        configs: {
          'min.insync.replicas': { value: '2', source: 'DYNAMIC_TOPIC_CONFIG' },
          'cleanup.policy': { value: 'compact', source: 'DYNAMIC_TOPIC_CONFIG' },
        },
        partitionOffsets: [
          { partition: 1, logStartOffset: 0, logEndOffset: 40 },
          { partition: 0, logStartOffset: 5, logEndOffset: 42 },
        ],
      },
      {
        name: 'orders',
        partitions: 3,
        replicationFactor: 3,
        configs: {
          'retention.ms': { value: '604800000', source: 'DYNAMIC_TOPIC_CONFIG' },
          'min.insync.replicas': { value: '2', source: 'DYNAMIC_TOPIC_CONFIG' },
        },
        partitionOffsets: [
          { partition: 0, logStartOffset: 0, logEndOffset: 100 },
          { partition: 2, logStartOffset: 0, logEndOffset: 98 },
          { partition: 1, logStartOffset: 0, logEndOffset: 101 },
        ],
      },
    ],
    skippedTopics: [
      { name: '__consumer_offsets', reason: 'internal' },
      { name: '__cluster_metadata', reason: 'internal' },
    ],
    clusterConfigs: {
      clusterDefault: {
        'log.retention.ms': { value: '86400000', source: 'DYNAMIC_DEFAULT_BROKER_CONFIG' },
        'listener.name.internal.ssl.keystore.password': { redacted: true, source: 'DYNAMIC_DEFAULT_BROKER_CONFIG' },
      },
      perBroker: {
        '2': { 'log.cleaner.threads': { value: '2', source: 'DYNAMIC_BROKER_CONFIG' } },
        '10': { 'log.cleaner.threads': { value: '4', source: 'DYNAMIC_BROKER_CONFIG' } },
      },
    },
    acls: [
      {
        resourceType: 'TOPIC',
        resourceName: 'orders',
        patternType: 'LITERAL',
        principal: 'User:billing',
        host: '*',
        operation: 'READ',
        permissionType: 'ALLOW',
      },
      {
        resourceType: 'GROUP',
        resourceName: 'billing-',
        patternType: 'PREFIXED',
        principal: 'User:billing',
        host: '*',
        operation: 'READ',
        permissionType: 'ALLOW',
      },
      {
        resourceType: 'TOPIC',
        resourceName: '*',
        patternType: 'LITERAL',
        principal: 'User:*',
        host: '*',
        operation: 'DELETE',
        permissionType: 'DENY',
      },
    ],
    scramUsers: [
      {
        name: 'billing',
        credentials: [
          { mechanism: 'SCRAM-SHA-512', iterations: 8192 },
          { mechanism: 'SCRAM-SHA-256', iterations: 4096 },
        ],
      },
      { name: 'admin', credentials: [{ mechanism: 'SCRAM-SHA-512', iterations: 4096 }] },
    ],
    quotas: [
      {
        entity: [
          { type: 'client-id', name: null },
          { type: 'user', name: 'billing' },
        ],
        values: { producer_byte_rate: 1048576 },
      },
      { entity: [{ type: 'user', name: null }], values: { request_percentage: 50, consumer_byte_rate: 2097152 } },
    ],
    consumerGroups: [
      {
        groupId: 'billing-payments',
        protocolType: 'consumer',
        state: 'Empty',
        offsets: [
          { topic: 'payments', partition: 1, offset: 40, metadata: null },
          { topic: 'payments', partition: 0, offset: 41, metadata: '' },
          { topic: 'orders', partition: 0, offset: 90, metadata: 'batch-7', leaderEpoch: 3 },
        ],
      },
    ],
    connect: {
      connectors: [
        {
          name: 'orders-sink',
          config: {
            'connector.class': 'org.apache.kafka.connect.file.FileStreamSinkConnector',
            topics: 'orders',
            file: '/tmp/orders.out',
            'db.password': '${file:/etc/secrets/db.properties:password}',
            'api.token': { redacted: true },
          },
          tasks: 1,
          state: 'RUNNING',
          offsets: [],
        },
        {
          name: 'orders-source',
          config: { 'connector.class': 'org.apache.kafka.connect.file.FileStreamSourceConnector', topic: 'orders', file: '/tmp/in' },
          tasks: 1,
          state: 'RUNNING',
          offsets: [
            { partition: { filename: '/tmp/in' }, offset: { position: 1024 } },
            { partition: { filename: '/tmp/a' }, offset: null },
          ],
        },
      ],
    },
  };
}
