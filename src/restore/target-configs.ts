import { ConfigResourceTypes, describeConfigsV4, type Connection } from '@platformatic/kafka';
import { createTopics as createTopicRequests } from '../kafka/create-topics.js';
import { sendForResponse } from '../kafka/raw.js';

/**
 * Which config names the target Kafka knows, asked of the target itself: a snapshot from Confluent
 * Server carries vendor configs (confluent.*), one from Kafka 3.9 configs 4.0 removed. Sent as they
 * are, a topic carrying one is refused whole (Kafka names only the first unknown config in its
 * error), and a broker takes an unknown dynamic config silently as a custom one nobody reads. The
 * restore leaves such configs out and says why; verify counts each as an expected difference.
 */

/**
 * Config names Apache Kafka 4.0 removed: known to 3.9.2, unknown to 4.0.2 (and 4.3.1), as those
 * brokers report them (test/restore/target-configs.test.ts checks the list against both). Only for
 * the reason text: what the target knows always comes from the target.
 */
const REMOVED_IN_4_0 = new Set([
  // topic configs
  'message.downconversion.enable',
  'message.format.version',
  'message.timestamp.difference.max.ms',
  // broker configs
  'alter.config.policy.kraft.compatibility.enable',
  'auto.include.jmx.reporter',
  'broker.id.generation.enable',
  'control.plane.listener.name',
  'controlled.shutdown.max.retries',
  'controlled.shutdown.retry.backoff.ms',
  'delegation.token.master.key',
  'eligible.leader.replicas.enable',
  'inter.broker.protocol.version',
  'leader.imbalance.per.broker.percentage',
  'log.message.downconversion.enable',
  'log.message.format.version',
  'log.message.timestamp.difference.max.ms',
  'offsets.commit.required.acks',
  'password.encoder.cipher.algorithm',
  'password.encoder.iterations',
  'password.encoder.key.length',
  'password.encoder.keyfactory.algorithm',
  'password.encoder.old.secret',
  'password.encoder.secret',
  'reserved.broker.max.id',
  // and every zookeeper.* config (KRaft only since 4.0)
]);

export function removedInKafka4(name: string): boolean {
  return REMOVED_IN_4_0.has(name) || name.startsWith('zookeeper.');
}

/** Why a config the target does not know was not applied, e.g. "removed in Kafka 4.0", "unknown to Apache Kafka 4.3.1". */
export function notAppliedReason(name: string, kafkaVersion: string | undefined): string {
  if (removedInKafka4(name)) return 'removed in Kafka 4.0';
  return kafkaVersion ? `unknown to Apache Kafka ${kafkaVersion}` : 'unknown to the target Kafka';
}

/** A topic name for the validate-only request; nothing is created. */
const PROBE_TOPIC = 'kafka-drill-known-configs';

/**
 * Every topic config name the target knows: a validate-only CreateTopics (v5+) answers with the
 * configs the topic would have, defaults included. Undefined when the target does not answer with
 * them (the restore then sends every config and lets the broker refuse).
 */
export async function knownTopicConfigs(connection: Connection): Promise<Set<string> | undefined> {
  const response = await createTopicRequests(connection, [{ name: PROBE_TOPIC, numPartitions: -1, replicationFactor: -1, assignments: [], configs: [] }], 30_000, true);
  const configs = response.topics[0]?.configs ?? [];
  return configs.length > 0 ? new Set(configs.map((config) => config.name)) : undefined;
}

/** Every broker config name the target knows: DescribeConfigs of one broker lists them all, defaults included. */
export async function knownBrokerConfigs(connection: Connection, brokerId: number): Promise<Set<string> | undefined> {
  const response = await sendForResponse(connection, describeConfigsV4, [{ resourceType: ConfigResourceTypes.BROKER, resourceName: String(brokerId) }], false, false);
  const configs = response.results[0]?.errorCode === 0 ? response.results[0].configs : [];
  return configs.length > 0 ? new Set(configs.map((config) => config.name)) : undefined;
}

/**
 * A broker config name the target knows, listener-scoped ones included:
 * listener.name.<listener>.<config> and listener.name.<listener>.<sasl mechanism>.<config>.
 */
export function isKnownBrokerConfig(name: string, known: Set<string>): boolean {
  if (known.has(name)) return true;
  const scoped = /^listener\.name\.[^.]+\.(.+)$/.exec(name)?.[1];
  if (scoped === undefined) return false;
  return known.has(scoped) || known.has(scoped.slice(scoped.indexOf('.') + 1));
}
