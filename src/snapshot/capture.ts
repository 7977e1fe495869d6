/**
 * Capture: a live cluster's control plane as a SnapshotContent. Read-only — it sends only
 * Metadata, ApiVersions, DescribeConfigs, DescribeAcls, DescribeUserScramCredentials,
 * DescribeClientQuotas, ListGroups, FindCoordinator, OffsetFetch, ListOffsets and (for
 * fingerprints) Fetch — and batched: a fixed number of requests per kind of object (per
 * broker, leader or coordinator where Kafka routes that way; DescribeConfigs one per 500 topics),
 * never one per topic or group.
 */
import type { Admin } from '@platformatic/kafka';
import { errorMessage, InfrastructureError } from '../errors.js';
import { describeAllAcls } from '../kafka/acls.js';
import { createAdmin } from '../kafka/admin.js';
import { describeApiVersions, kafkaVersionFromApiVersions } from '../kafka/api-versions.js';
import { describeTopicAndBrokerConfigs, type DescribedConfig } from '../kafka/configs.js';
import type { KafkaConnection } from '../kafka/connection.js';
import { kafkaErrorName } from '../kafka/errors.js';
import { fetchCommittedOffsets, listAllGroups } from '../kafka/groups.js';
import { listLogOffsets, partitionKey, type TopicPartition } from '../kafka/log-offsets.js';
import { describeAllQuotas } from '../kafka/quotas.js';
import { fetchRecordsAt, roundsByPartition, type RecordPosition } from '../kafka/records.js';
import { countRequests } from '../kafka/request-count.js';
import { describeScramCredentials } from '../kafka/scram.js';
import { drillAdminNames } from '../kafka/principal-mapping.js';
import type { MetadataMode } from '../model/enums.js';
import { canonicalOrder } from './canonical.js';
import { recordFingerprint } from './fingerprint.js';
import { findStreamsApplications } from './streams.js';
import {
  withoutUsers,
  quotaEntityLabel,
  type Acl,
  type ConfigSource,
  type Configs,
  type ConsumerGroup,
  type Quota,
  type QuotaEntityPart,
  type ScramUser,
  type SkippedTopic,
  type SnapshotContent,
  type Topic,
} from './schema.js';

export interface CaptureOptions {
  /** Topics and group ids to keep (default: all). */
  include?: RegExp;
  /** Topics and group ids to leave out (applied after include). */
  exclude?: RegExp;
  /** Hash the record at each committed offset (needs READ on the topics). */
  fingerprints?: boolean;
  /** Write the bootstrap addresses into source.bootstrap (off: no hostnames in a snapshot). */
  recordBootstrap?: boolean;
  /**
   * Leave out the admin of a kafka-drill environment (`env up`): the environment's, not the
   * cluster's. Its SCRAM user and quotas (under any name its certificate maps to, with mtls) are
   * left out, with a note; a drill has an admin of its own.
   */
  leaveOutDrillAdmin?: boolean;
  toolVersion: string;
}

export interface CaptureResult {
  snapshot: SnapshotContent;
  /** Requests sent, by API name: the round trips the capture cost. */
  requests: Record<string, number>;
  elapsedMs: number;
}

export async function captureSnapshot(connection: KafkaConnection, options: CaptureOptions): Promise<SnapshotContent> {
  return (await captureWithStats(connection, options)).snapshot;
}

export async function captureWithStats(connection: KafkaConnection, options: CaptureOptions): Promise<CaptureResult> {
  const started = performance.now();
  const admin = createAdmin(connection, { timeoutMs: 30_000, retries: 3 });
  const counter = countRequests(admin);
  try {
    const snapshot = await captureWith(admin, connection, options);
    return { snapshot, requests: counter.counts(), elapsedMs: performance.now() - started };
  } finally {
    counter.stop();
    await admin.close().catch(() => {});
  }
}

async function captureWith(admin: Admin, connection: KafkaConnection, options: CaptureOptions): Promise<SnapshotContent> {
  const wanted = (name: string) => (!options.include || options.include.test(name)) && !(options.exclude && options.exclude.test(name));

  const allTopicNames = await step('listing topics', () => admin.listTopics({ includeInternals: true }));
  const metadata = await step('reading topic metadata', () => admin.metadata({ topics: allTopicNames, forceUpdate: true }));
  const brokerIds = [...metadata.brokers.keys()].sort((a, b) => a - b);
  const kafkaInternal = allTopicNames.filter((name) => kafkaInternalReason(name) !== undefined);
  const candidates = allTopicNames.filter((name) => !kafkaInternal.includes(name) && wanted(name));

  const [configs, apiVersions, acls, scramCredentials, quotas, groups] = await Promise.all([
    step('describing topic and broker configs', () => describeTopicAndBrokerConfigs(admin, candidates, brokerIds, { keepTopicConfig: capturedTopicConfig })),
    step('reading API versions', () => describeApiVersions(admin, brokerIds[0]!)),
    step('describing ACLs', () => describeAllAcls(admin)),
    step('describing SCRAM credentials', () => describeScramCredentials(admin, null)),
    step('describing client quotas', () => describeAllQuotas(admin)),
    step('listing consumer groups', () => listAllGroups(admin)),
  ]);

  const skippedTopics: SkippedTopic[] = kafkaInternal.map((name) => ({ name, reason: kafkaInternalReason(name)! }));
  const topicNames: string[] = [];
  for (const name of candidates) {
    const reason = storageTopicReason(name, configs.topics.get(name) ?? []);
    if (reason) skippedTopics.push({ name, reason });
    else topicNames.push(name);
  }

  const partitions: TopicPartition[] = topicNames.flatMap((topic) => metadata.topics.get(topic)!.partitions.map((_, partition) => ({ topic, partition })));
  // Only classic/consumer groups hold offsets a consumer resumes from; Connect workers,
  // Schema Registry and share groups coordinate through groups without committed offsets.
  const groupIds = groups.filter((group) => ['consumer', ''].includes(group.protocolType) && group.groupType !== 'share' && wanted(group.groupId)).map((group) => group.groupId);
  const [logStarts, logEnds, committed] = await Promise.all([
    step('listing log start offsets', () => listLogOffsets(admin, partitions, 'earliest')),
    step('listing log end offsets', () => listLogOffsets(admin, partitions, 'latest')),
    step('fetching committed offsets', () => fetchCommittedOffsets(admin, groupIds)),
  ]);

  const topics: Topic[] = topicNames.map((name) => {
    const topicMetadata = metadata.topics.get(name)!;
    return {
      name,
      partitions: topicMetadata.partitionsCount,
      replicationFactor: topicMetadata.partitions[0]?.replicas.length ?? 0,
      configs: configsFrom(configs.topics.get(name) ?? [], 'DYNAMIC_TOPIC_CONFIG'),
      partitionOffsets: topicMetadata.partitions.map((_, partition) => ({
        partition,
        logStartOffset: safeNumber(logStarts.get(partitionKey(name, partition))),
        logEndOffset: safeNumber(logEnds.get(partitionKey(name, partition))),
      })),
    };
  });

  // Offsets on topics the snapshot does not hold could not be restored: they stay out.
  const captured = new Set(topicNames);
  const consumerGroups: ConsumerGroup[] = groups
    .filter((group) => groupIds.includes(group.groupId))
    .map((group) => ({
      groupId: group.groupId,
      ...(group.protocolType ? { protocolType: group.protocolType } : {}),
      state: group.state,
      offsets: (committed.get(group.groupId) ?? [])
        .filter((entry) => captured.has(entry.topic))
        .map((entry) => ({
          topic: entry.topic,
          partition: entry.partition,
          offset: safeNumber(entry.offset),
          metadata: entry.metadata,
          leaderEpoch: entry.leaderEpoch,
        })),
    }));

  if (options.fingerprints) await addFingerprints(admin, consumerGroups, metadata, logStarts, logEnds);

  const own = options.leaveOutDrillAdmin
    ? leaveOutDrillAdmin(scramUsersFrom(scramCredentials), quotas as Quota[], environmentAdminNames(configs.brokers))
    : { scramUsers: scramUsersFrom(scramCredentials), quotas: quotas as Quota[], notes: [] };

  const brokerConfigs: Record<string, Configs> = {};
  for (const [brokerId, described] of configs.brokers) {
    const own = configsFrom(described, 'DYNAMIC_BROKER_CONFIG');
    if (Object.keys(own).length > 0) brokerConfigs[String(brokerId)] = own;
  }

  return canonicalOrder({
    format: 'kafka-drill/snapshot',
    version: 1,
    source: {
      clusterId: metadata.id,
      kafkaVersion: kafkaVersionFromApiVersions(apiVersions),
      capturedAt: new Date().toISOString(),
      toolVersion: options.toolVersion,
      brokerIds,
      ...metadataModeOf(configs.brokers),
      ...(options.recordBootstrap ? { bootstrap: [...connection.bootstrap] } : {}),
      filters: { include: options.include ? [options.include.source] : [], exclude: options.exclude ? [options.exclude.source] : [] },
      ...(own.notes.length > 0 ? { notes: own.notes } : {}),
    },
    topics,
    skippedTopics,
    clusterConfigs: { clusterDefault: configsFrom(configs.clusterDefault, 'DYNAMIC_DEFAULT_BROKER_CONFIG'), perBroker: brokerConfigs },
    acls: acls as Acl[],
    scramUsers: own.scramUsers,
    quotas: own.quotas.map((quota): Quota => ({ entity: quota.entity as QuotaEntityPart[], values: quota.values })),
    consumerGroups,
    ...streamsSection(topics, consumerGroups),
  });
}

/**
 * KRaft or ZooKeeper, from what the brokers report of their own static configs: a KRaft node has
 * `process.roles`, a ZooKeeper-mode broker (Kafka 3.x) an empty one and `zookeeper.connect`.
 * Nothing when a cluster hides both (some managed services do).
 */
export function metadataModeOf(brokers: Map<number, DescribedConfig[]>): { metadata?: MetadataMode } {
  if (staticConfigOf(brokers, 'process.roles') !== undefined) return { metadata: 'kraft' };
  if (staticConfigOf(brokers, 'zookeeper.connect') !== undefined) return { metadata: 'zookeeper' };
  return {};
}

/** A broker config's value as any broker reports it, or undefined when none sets it (or all hide it). */
function staticConfigOf(brokers: Map<number, DescribedConfig[]>, name: string): string | undefined {
  const value = [...brokers.values()].flat().find((config) => config.name === name)?.value ?? '';
  return value === '' ? undefined : value;
}

function streamsSection(topics: Topic[], groups: ConsumerGroup[]): Pick<SnapshotContent, 'streamsApplications'> {
  const applications = findStreamsApplications(
    topics.map((topic) => topic.name),
    groups.map((group) => group.groupId),
  );
  return applications.length > 0 ? { streamsApplications: applications } : {};
}

/** Why Kafka itself owns a topic, or undefined. */
export function kafkaInternalReason(name: string): string | undefined {
  // __consumer_offsets, __transaction_state, __share_group_state, and by the same convention
  // any double-underscore topic a broker plugin keeps (e.g. __remote_log_metadata).
  if (name.startsWith('__')) return 'internal to Kafka';
  return undefined;
}

const CLEANUP_POLICY = 'cleanup.policy';

/** Of each topic's ~40 configs, what a capture needs: those set on the topic, and the one that tells Connect's storage apart. */
export function capturedTopicConfig(config: DescribedConfig): boolean {
  return config.source === 'DYNAMIC_TOPIC_CONFIG' || config.name === CLEANUP_POLICY;
}

/**
 * Why a topic is another system's storage rather than application data, or undefined.
 * Schema Registry keeps `_schemas`; Confluent components `_confluent-*`; MirrorMaker 2
 * `*.internal`; a Connect worker its config/offset/status topics, which by convention are
 * named `…connect…-configs|-offsets|-status` and which the worker creates compacted — both
 * are required, so an application's compacted `payments-status` is still captured.
 */
export function storageTopicReason(name: string, configs: DescribedConfig[]): string | undefined {
  if (name === '_schemas') return 'Schema Registry storage';
  if (name.startsWith('_confluent')) return 'Confluent Platform internal';
  if (name.endsWith('.internal')) return 'MirrorMaker 2 internal';
  const cleanupPolicy = configs.find((config) => config.name === CLEANUP_POLICY)?.value ?? '';
  if (/connect/i.test(name) && /-(configs|offsets|status)$/.test(name) && cleanupPolicy.split(',').includes('compact') && !cleanupPolicy.includes('delete')) {
    return 'Kafka Connect storage (compacted, worker naming)';
  }
  return undefined;
}

function configsFrom(described: DescribedConfig[], source: ConfigSource): Configs {
  const configs: Configs = {};
  for (const config of described) {
    if (config.source !== source) continue;
    configs[config.name] = config.value === null ? { redacted: true, source } : { value: config.value, source };
  }
  return configs;
}

/**
 * A snapshot of a kafka-drill environment holds the environment's admin (a SCRAM user, and quotas
 * exempting it from throttling): they are the environment's, not the cluster's, and a drill starts
 * an admin of its own (the restore would leave them out with a finding). Captured without them,
 * with a note.
 */
/**
 * The names the environment's admin may have here: kafka-drill's own (its SCRAM user, its
 * certificate subject as DEFAULT renders it), and a name the cluster's mapping rules make of its
 * certificate only when the brokers' super.users holds it, as every kafka-drill environment's do.
 * A production cluster whose rules happen to map that subject to a real user keeps that user.
 */
export function environmentAdminNames(brokers: Map<number, DescribedConfig[]>): string[] {
  const own = drillAdminNames();
  const superUsers = (staticConfigOf(brokers, 'super.users') ?? '').split(';').map((entry) => entry.trim());
  const mapped = drillAdminNames(staticConfigOf(brokers, 'ssl.principal.mapping.rules')).filter((name) => superUsers.includes(`User:${name}`));
  return [...new Set([...own, ...mapped])];
}

function leaveOutDrillAdmin(scramUsers: ScramUser[], quotas: Quota[], admins: string[]): { scramUsers: ScramUser[]; quotas: Quota[]; notes: string[] } {
  const left = withoutUsers({ scramUsers, quotas }, admins);
  const why = `the admin of the kafka-drill environment the snapshot was taken from, not the cluster's (a drill has its own)`;
  const notes: string[] = left.removedUsers.map((user) => `SCRAM user ${user} left out: ${why}`);
  for (const quota of left.removedQuotas) notes.push(`quota ${quotaEntityLabel(quota.entity)} left out: ${why}`);
  return { scramUsers: left.scramUsers, quotas: left.quotas, notes };
}

function scramUsersFrom(credentials: { user: string; mechanism: 'SCRAM-SHA-256' | 'SCRAM-SHA-512'; iterations: number }[]): ScramUser[] {
  const users = new Map<string, ScramUser>();
  for (const { user, mechanism, iterations } of credentials) {
    const entry = users.get(user) ?? { name: user, credentials: [] };
    entry.credentials.push({ mechanism, iterations });
    users.set(user, entry);
  }
  return [...users.values()];
}

async function addFingerprints(
  admin: Admin,
  groups: ConsumerGroup[],
  metadata: Awaited<ReturnType<Admin['metadata']>>,
  logStarts: Map<string, bigint>,
  logEnds: Map<string, bigint>,
): Promise<void> {
  const positions = new Map<string, RecordPosition>();
  for (const group of groups) {
    for (const entry of group.offsets) {
      const key = partitionKey(entry.topic, entry.partition);
      const offset = BigInt(entry.offset);
      // At the log end there is no record yet; below the log start it was deleted.
      if (offset >= (logEnds.get(key) ?? 0n) || offset < (logStarts.get(key) ?? 0n)) continue;
      const topic = metadata.topics.get(entry.topic)!;
      const partition = topic.partitions[entry.partition]!;
      positions.set(`${key}\u0000${offset}`, {
        topic: entry.topic,
        topicId: topic.id,
        partition: entry.partition,
        leader: partition.leader,
        leaderEpoch: partition.leaderEpoch,
        offset,
      });
    }
  }
  const records = new Map<string, ReturnType<typeof recordFingerprint>>();
  for (const round of roundsByPartition(positions.values())) {
    const fetched = await step('fetching records at committed offsets', () => fetchRecordsAt(admin, round));
    for (const position of round) {
      const record = fetched.get(partitionKey(position.topic, position.partition));
      if (record) records.set(`${partitionKey(position.topic, position.partition)}\u0000${position.offset}`, recordFingerprint(record));
    }
  }
  for (const group of groups) {
    for (const entry of group.offsets) {
      const fingerprint = records.get(`${partitionKey(entry.topic, entry.partition)}\u0000${entry.offset}`);
      if (fingerprint) entry.fingerprint = fingerprint;
    }
  }
}

function safeNumber(value: bigint | undefined): number {
  if (value === undefined) throw new InfrastructureError('capture: Kafka did not return an offset for every partition');
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new InfrastructureError(`capture: offset ${value} is beyond what a snapshot stores (2^53 − 1)`);
  return Number(value);
}

/** Hints for the authorization failures a capture principal meets most. */
const PERMISSION_HINTS: Record<string, string> = {
  CLUSTER_AUTHORIZATION_FAILED: 'the principal needs DESCRIBE and DESCRIBE_CONFIGS on the cluster',
  TOPIC_AUTHORIZATION_FAILED: 'the principal needs DESCRIBE and DESCRIBE_CONFIGS on the topics (and READ for --fingerprints)',
  GROUP_AUTHORIZATION_FAILED: 'the principal needs DESCRIBE on the consumer groups',
};

async function step<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof InfrastructureError) throw error;
    const name = kafkaErrorName(error);
    const hint = name ? PERMISSION_HINTS[name] : undefined;
    const detail = name ?? errorMessage(error);
    throw new InfrastructureError(`capture: ${what} failed: ${detail}${hint ? ` (${hint})` : ''}`);
  }
}
