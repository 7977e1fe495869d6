/**
 * What Kafka would refuse when a snapshot is restored, found when it is loaded: topic names
 * Kafka does not accept (its Topic.validate rules), topics whose names collide, and committed
 * offsets for topics or partitions the snapshot does not hold, and connector secrets in clear.
 * A capture never writes these; a hand-edited or foreign file can.
 */
import { isSensitiveConfig } from './capture-connect.js';
import { describeValue, type Snapshot } from './schema.js';
import type { SnapshotProblem } from './validate.js';
import { formatPath } from '../errors.js';

const maxTopicNameLength = 249;
const legalTopicName = /^[a-zA-Z0-9._-]+$/;

/** Why Kafka refuses `name` as a topic name, or undefined when it accepts it. */
export function topicNameRefusal(name: string): string | undefined {
  if (name === '.' || name === '..') return `${describeValue(name)} is not a topic name Kafka accepts`;
  if (name.length > maxTopicNameLength) return `${describeValue(name)} is ${name.length} characters long; Kafka accepts at most ${maxTopicNameLength}`;
  if (!legalTopicName.test(name)) return `${describeValue(name)} is not a topic name Kafka accepts (only letters, digits, ".", "_" and "-")`;
  return undefined;
}

export function kafkaRuleViolations(snapshot: Snapshot): SnapshotProblem[] {
  const problems: SnapshotProblem[] = [];
  const at = (path: PropertyKey[], message: string) => problems.push({ path: formatPath(path), message });

  // Kafka maps "." and "_" to the same metric name, so it refuses a topic that differs from another only there.
  const byMetricName = new Map<string, number>();
  snapshot.topics.forEach((topic, index) => {
    const refusal = topicNameRefusal(topic.name);
    if (refusal) return at(['topics', index, 'name'], refusal);
    const metricName = topic.name.replaceAll('.', '_');
    const first = byMetricName.get(metricName);
    if (first === undefined) byMetricName.set(metricName, index);
    else {
      at(
        ['topics', index, 'name'],
        `${describeValue(topic.name)} collides with ${describeValue(snapshot.topics[first]!.name)} (topics[${first}]): Kafka refuses topic names that differ only in "." and "_"`,
      );
    }
  });

  const partitionCounts = new Map(snapshot.topics.map((topic) => [topic.name, topic.partitions]));
  snapshot.consumerGroups.forEach((group, groupIndex) =>
    group.offsets.forEach((committed, index) => {
      const path = ['consumerGroups', groupIndex, 'offsets', index];
      const partitions = partitionCounts.get(committed.topic);
      if (partitions === undefined) at([...path, 'topic'], `topic ${describeValue(committed.topic)} is not in the snapshot's topics`);
      else if (committed.partition >= partitions) {
        at([...path, 'partition'], `partition ${committed.partition} does not exist (topic ${describeValue(committed.topic)} has ${partitions})`);
      }
    }),
  );

  // The value is never quoted back: it is the secret.
  snapshot.connect?.connectors.forEach((connector, connectorIndex) => {
    for (const [name, value] of Object.entries(connector.config)) {
      if (typeof value === 'string' && isSensitiveConfig(name, value)) {
        at(
          ['connect', 'connectors', connectorIndex, 'config', name],
          'holds a secret in clear (not shown); a capture writes { "redacted": true } here, and the drill takes the value from restore.connectorSecrets',
        );
      }
    }
  });
  return problems;
}
