import { describe, expect, it } from 'vitest';
import { compareItems, dumpItems, type ToolDump } from './kafka-cli-dump.js';

// Lines as Kafka 3.9.2 (ZooKeeper mode) and 4.3.1 (KRaft) printed them in test/cli/zookeeper-source.test.ts.
const dump = (kafkaVersion: string, tools: Record<string, string>): ToolDump => ({
  kafkaVersion,
  jvmMs: 0,
  tools: Object.entries(tools).map(([tool, stdout]) => ({ tool, exit: 0, stdout })),
});

const zookeeper392 = dump('3.9.2', {
  'TopicCommand --describe --exclude-internal': [
    'Topic: legacy-events\tTopicId: iop4QUfSS9O-BUMkUuMnFg\tPartitionCount: 1\tReplicationFactor: 1\tConfigs: retention.ms=604800000,message.format.version=3.0',
    '\tTopic: legacy-events\tPartition: 0\tLeader: 1\tReplicas: 1\tIsr: 1\tElr: N/A\tLastKnownElr: N/A',
  ].join('\n'),
  'ConfigCommand --describe --entity-type brokers': [
    'Dynamic configs for broker 1 are:',
    '  log.cleaner.threads=2 sensitive=false synonyms={DYNAMIC_BROKER_CONFIG:log.cleaner.threads=2, DEFAULT_CONFIG:log.cleaner.threads=1}',
    'Default configs for brokers in the cluster are:',
    '  log.retention.ms=604800000 sensitive=false synonyms={DYNAMIC_DEFAULT_BROKER_CONFIG:log.retention.ms=604800000}',
  ].join('\n'),
  'ConfigCommand --describe --entity-type users': [
    'Quota configs for the default user-principal are producer_byte_rate=2097152.0',
    "SCRAM credential configs for user-principal 'kafka-drill-admin' are SCRAM-SHA-256=iterations=8192, SCRAM-SHA-512=iterations=8192",
    "Quota configs for user-principal 'app-reader', client-id 'reporting' are consumer_byte_rate=524288.0",
    'Quota configs for the default ip are connection_creation_rate=50.0',
  ].join('\n'),
  'AclCommand --list': [
    'Current ACLs for resource `ResourcePattern(resourceType=TOPIC, name=orders, patternType=LITERAL)`: ',
    ' \t(principal=User:app-writer, host=*, operation=DESCRIBE, permissionType=ALLOW)',
    '\t(principal=User:app-writer, host=*, operation=WRITE, permissionType=ALLOW) ',
    '',
  ].join('\n'),
  'ConsumerGroupCommand --describe --all-groups --offsets': [
    '',
    'GROUP           TOPIC           PARTITION  CURRENT-OFFSET  LOG-END-OFFSET  LAG             CONSUMER-ID     HOST            CLIENT-ID',
    'orders-app      orders          0          7               10              3               -               -               -',
  ].join('\n'),
});

describe('dumpItems', () => {
  it("turns each tool's lines into one item per thing shown, <default> entities and composite quotas included", () => {
    expect(Object.fromEntries(dumpItems(zookeeper392))).toEqual({
      'topic legacy-events': 'partitions=1 replicationFactor=1',
      'topic legacy-events config retention.ms': '604800000',
      'topic legacy-events config message.format.version': '3.0',
      'topic legacy-events partition 0': 'replicas=1 isr=1',
      'broker 1 dynamic-config log.cleaner.threads': '2',
      'broker <default> dynamic-config log.retention.ms': '604800000',
      'quota user=<default> producer_byte_rate': '2097152',
      'scram kafka-drill-admin SCRAM-SHA-256': 'iterations=8192',
      'scram kafka-drill-admin SCRAM-SHA-512': 'iterations=8192',
      'quota user=app-reader,client-id=reporting consumer_byte_rate': '524288',
      'quota ip=<default> connection_creation_rate': '50',
      'acl TOPIC:LITERAL:orders User:app-writer@* DESCRIBE ALLOW': 'present',
      'acl TOPIC:LITERAL:orders User:app-writer@* WRITE ALLOW': 'present',
      'group orders-app offset orders-0': 'current=7 logEnd=10 lag=3',
    });
  });

  it('fails on a line it does not know, so a changed format never compares as an empty dump', () => {
    expect(() => dumpItems(dump('4.4.0', { 'AclCommand --list': 'ACLs for pattern TOPIC:orders:' }))).toThrow(
      '4.4.0 AclCommand --list: unrecognised line "ACLs for pattern TOPIC:orders:"',
    );
  });
});

describe('compareItems', () => {
  it('names each item missing, extra or different, and leaves out only what a normalisation matches', () => {
    const source = new Map([
      ['acl TOPIC:PREFIXED:ord User:app-reader@* READ ALLOW', 'present'],
      ['scram app-writer SCRAM-SHA-512', 'iterations=8192'],
      ['scram kafka-drill-admin SCRAM-SHA-512', 'iterations=8192'],
      ['group orders-app offset orders-0', 'current=7 logEnd=10 lag=3'],
    ]);
    const target = new Map([
      ['scram app-writer SCRAM-SHA-512', 'iterations=4096'],
      ['scram kafka-drill-admin SCRAM-SHA-512', 'iterations=4096'],
      ['group orders-app offset orders-0', 'current=7 logEnd=10 lag=3'],
      ['quota user=app-reader producer_byte_rate', '1024'],
    ]);
    const admin = { matches: (key: string) => key.includes(' kafka-drill-admin '), reason: "the drill's own admin" };
    expect(compareItems(source, target, [admin])).toEqual([
      'differs: scram app-writer SCRAM-SHA-512: source iterations=8192, target iterations=4096',
      'extra in target: quota user=app-reader producer_byte_rate = 1024',
      'missing in target: acl TOPIC:PREFIXED:ord User:app-reader@* READ ALLOW = present',
    ]);
    expect(compareItems(source, source, [])).toEqual([]);
  });
});
