/**
 * The "known names" model (src/restore/target-configs.ts) against Kafka itself: what a broker
 * reports as its topic configs is exactly what its CreateTopics accepts, and the reason table's
 * "removed in Kafka 4.0" is what 3.9.2 knows and 4.3.1 does not.
 */
import { randomBytes } from 'node:crypto';
import { createTopicsV7, type Connection } from '@platformatic/kafka';
import { afterAll, describe, expect, it } from 'vitest';
import { createAdmin } from '../../src/kafka/admin.js';
import { brokerConnection, errorName, sendForResponse } from '../../src/kafka/raw.js';
import { isKnownBrokerConfig, knownBrokerConfigs, knownTopicConfigs, notAppliedReason, removedInKafka4 } from '../../src/restore/target-configs.js';
import { startForTest } from '../support/kafka.js';

interface Known {
  topic: Set<string>;
  broker: Set<string>;
  /** Each topic config's default, as the validate-only CreateTopics reported it. */
  defaults: Map<string, string | null>;
  connection: Connection;
}

async function known(version: string): Promise<Known> {
  const environment = await startForTest({ kafkaVersion: version });
  const admin = createAdmin(environment.admin);
  afterAll(() => admin.close());
  const connection = await brokerConnection(admin);
  const probe = await sendForResponse(connection, createTopicsV7, [{ name: 'defaults', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], 30_000, true);
  const defaults = new Map((probe.topics[0]?.configs ?? []).map((config) => [config.name, config.value ?? null]));
  return { topic: (await knownTopicConfigs(connection))!, broker: (await knownBrokerConfigs(connection, environment.brokers[0]!.nodeId))!, defaults, connection };
}

/** Validate-only CreateTopics, one topic per config set: each topic's error name ('NONE' when accepted). */
async function validate(connection: Connection, configSets: { name: string; value: string }[][]): Promise<string[]> {
  const topics = configSets.map((configs, index) => ({ name: `model-${index}`, numPartitions: 1, replicationFactor: 1, assignments: [], configs }));
  const response = await sendForResponse(connection, createTopicsV7, topics, 30_000, true);
  const byName = new Map(response.topics.map((topic) => [topic.name, topic.errorCode === 0 ? 'NONE' : errorName(topic.errorCode)]));
  return topics.map((topic) => byName.get(topic.name)!);
}

/** A shuffled copy: each run samples another order and grouping; a failure names the configs. */
function shuffled<T>(items: T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = randomBytes(4).readUInt32BE() % (i + 1);
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

describe('known config names, asked of the target', async () => {
  const [k431, k392, k402] = await Promise.all([known('4.3.1'), known('3.9.2'), known('4.0.2')]);

  for (const [version, k] of [
    ['4.3.1', k431],
    ['3.9.2', k392],
  ] as const) {
    it(`${version}: every topic config name it reports is accepted by CreateTopics (validate-only), in random groups with their defaults`, async () => {
      expect(k.topic.size).toBeGreaterThan(30);
      expect(k.topic).toEqual(new Set(k.defaults.keys()));
      const names = shuffled([...k.topic].filter((name) => k.defaults.get(name) !== null));
      // Every name, in groups of 1 to 6, each group one topic.
      const groups: string[][] = [];
      for (let i = 0; i < names.length;) {
        const size = 1 + (randomBytes(1)[0]! % 6);
        groups.push(names.slice(i, i + size));
        i += size;
      }
      const outcomes = await validate(
        k.connection,
        groups.map((group) => group.map((name) => ({ name, value: k.defaults.get(name)! }))),
      );
      expect(Object.fromEntries(groups.map((group, i) => [group.join(','), outcomes[i]]))).toEqual(Object.fromEntries(groups.map((group) => [group.join(','), 'NONE'])));
    });

    it(`${version}: a name not in the set is refused (INVALID_CONFIG), whatever its shape`, async () => {
      const sample = shuffled([...k.topic]).slice(0, 4);
      const unknown = [
        'confluent.value.schema.validation',
        'confluent.placement.constraints',
        `confluent.${randomBytes(3).toString('hex')}.enable`,
        ...sample.map((name) => `${name}x`),
        ...sample.map((name) => `x.${name}`),
        ...(version === '4.3.1' ? ['message.format.version', 'message.downconversion.enable', 'message.timestamp.difference.max.ms'] : []),
      ];
      for (const name of unknown) expect(k.topic.has(name), name).toBe(false);
      const outcomes = await validate(
        k.connection,
        unknown.map((name) => [{ name, value: 'true' }]),
      );
      expect(Object.fromEntries(unknown.map((name, i) => [name, outcomes[i]]))).toEqual(Object.fromEntries(unknown.map((name) => [name, 'INVALID_CONFIG'])));
    });
  }

  it('"removed in Kafka 4.0" is exactly what 3.9.2 knows and 4.0.2 does not', () => {
    const gone = (older: Known, newer: Known) => [...[...older.topic].filter((name) => !newer.topic.has(name)), ...[...older.broker].filter((name) => !newer.broker.has(name))];
    const removed = gone(k392, k402);
    expect(removed.length).toBeGreaterThan(10);
    expect(removed.filter((name) => !removedInKafka4(name))).toEqual([]);
    expect(removed.map((name) => notAppliedReason(name, '4.3.1'))).toEqual(removed.map(() => 'removed in Kafka 4.0'));
    // Removed later in 4.x (share groups' early-access config): the reason names the target.
    expect(gone(k392, k431).filter((name) => !removedInKafka4(name))).toEqual(['group.share.max.groups']);
    expect(notAppliedReason('group.share.max.groups', '4.3.1')).toBe('unknown to Apache Kafka 4.3.1');
    // The table names nothing 4.0.2 knows.
    expect([...k402.topic, ...k402.broker].filter((name) => removedInKafka4(name))).toEqual([]);
    // The table names nothing 4.3.1 still knows.
    expect([...k431.topic, ...k431.broker].filter((name) => removedInKafka4(name))).toEqual([]);
    expect(notAppliedReason('confluent.tier.enable', '4.3.1')).toBe('unknown to Apache Kafka 4.3.1');
  });

  it('broker configs: the names a broker reports, listener-scoped ones included, and not a vendor or removed name', () => {
    for (const name of [
      'log.cleaner.threads',
      'message.max.bytes',
      'listener.name.sasl_plaintext.ssl.keystore.location',
      'listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config',
    ]) {
      expect(isKnownBrokerConfig(name, k431.broker), name).toBe(true);
    }
    for (const name of ['confluent.balancer.enable', 'log.message.format.version', 'listener.name.sasl_plaintext.confluent.x', 'listener.name.x']) {
      expect(isKnownBrokerConfig(name, k431.broker), name).toBe(false);
    }
    expect(isKnownBrokerConfig('log.message.format.version', k392.broker)).toBe(true);
  });
});
