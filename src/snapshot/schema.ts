/**
 * The snapshot document: format "kafka-drill/snapshot", version 1.
 *
 * Every object is strict, so a misspelled or unknown field is refused rather than
 * silently dropped — and a password or salt cannot ride along in a SCRAM entry.
 *
 * Numbers: Kafka offsets are int64, but they are stored as JSON numbers that must be
 * safe integers (≤ 2^53 − 1). Real offsets never come near that, and plain numbers keep
 * the file readable and comparable; a value outside the safe range is refused on load.
 */
import { z } from 'zod';
import { formatPath } from '../errors.js';
import { metadataModes } from '../model/enums.js';
import { streamsTopicKinds, streamsTopicOwner, type StreamsApplication } from './streams.js';

export const SNAPSHOT_FORMAT = 'kafka-drill/snapshot';
export const SNAPSHOT_VERSION = 1;

/** "got …" wording shared by the schema's own messages and the loader's error map. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return value.length > 40 ? `${JSON.stringify(value.slice(0, 40))}…` : JSON.stringify(value);
  return String(value);
}

export function expectation(what: string, input: unknown): string {
  return input === undefined ? `missing (expected ${what})` : `expected ${what}, got ${describeValue(input)}`;
}

/** One message for every way a value can miss, e.g. `expected a whole number ≥ 1, got "3"`. */
function expecting(what: string) {
  return { error: (issue: { input?: unknown }) => expectation(what, issue.input) };
}

const name = z.string(expecting('a non-empty string')).min(1);
const wholeNumber = (min: number) => z.int(expecting(`a whole number ≥ ${min}`)).min(min);
const offset = z.int(expecting('a whole number ≥ 0 (a safe-integer offset)')).min(0);
const sha256Hex = z.string(expecting('64 lowercase hex digits')).regex(/^[0-9a-f]{64}$/);

/** Where Kafka says a config value comes from (DescribeConfigs ConfigSource). */
export const configSourceSchema = z.enum([
  'DYNAMIC_TOPIC_CONFIG',
  'DYNAMIC_BROKER_CONFIG',
  'DYNAMIC_DEFAULT_BROKER_CONFIG',
  'DYNAMIC_BROKER_LOGGER_CONFIG',
  'DYNAMIC_CLIENT_METRICS_CONFIG',
  'DYNAMIC_GROUP_CONFIG',
  'STATIC_BROKER_CONFIG',
  'DEFAULT_CONFIG',
  'UNKNOWN',
]);

/** A config value as captured: its text, or `redacted: true` for a sensitive value that was never written. */
export const configEntrySchema = z
  .strictObject({
    value: z.string().optional(),
    redacted: z.literal(true).optional(),
    source: configSourceSchema,
  })
  .check((ctx) => {
    const hasValue = ctx.value.value !== undefined;
    const isRedacted = ctx.value.redacted === true;
    if (hasValue === isRedacted) {
      ctx.issues.push({
        code: 'custom',
        input: ctx.value,
        message: hasValue ? 'has both a value and redacted: true (keep one)' : 'needs a value or redacted: true',
      });
    }
  });

export const configsSchema = z.record(z.string().min(1), configEntrySchema);

export const partitionOffsetsSchema = z.strictObject({
  partition: wholeNumber(0),
  logStartOffset: offset,
  logEndOffset: offset,
});

export const topicSchema = z.strictObject({
  name,
  partitions: wholeNumber(1),
  replicationFactor: wholeNumber(1),
  configs: configsSchema,
  partitionOffsets: z.array(partitionOffsetsSchema),
});

/** An internal topic the capture left out on purpose, e.g. __consumer_offsets. */
export const skippedTopicSchema = z.strictObject({ name, reason: z.string() });

export const sourceSchema = z.strictObject({
  clusterId: name,
  /** "unknown" when the cluster would not say. */
  kafkaVersion: name,
  capturedAt: z.iso.datetime({ offset: true, ...expecting('an ISO 8601 date-time') }),
  toolVersion: name,
  /** The node ids of the brokers the cluster had, ascending (absent in snapshots from before kafka-drill recorded them). */
  brokerIds: z.array(wholeNumber(0)).optional(),
  /** Present only when the capture was asked to record hostnames. */
  bootstrap: z.array(name).optional(),
  /** The name patterns (topics, consumer groups) the capture was run with. */
  filters: z.strictObject({ include: z.array(z.string()), exclude: z.array(z.string()) }),
  /** What the capture left out on purpose, and why (absent when nothing was; older snapshots lack it). */
  notes: z.array(z.string()).optional(),
  /** Where the source kept its metadata, as its brokers' configs said (absent when they would not say, and in older snapshots). */
  metadata: z.enum(metadataModes).optional(),
});

export const clusterConfigsSchema = z.strictObject({
  clusterDefault: configsSchema,
  /** Broker id (decimal) → that broker's dynamic configs. */
  perBroker: z.record(z.string(expecting('a broker id')).regex(/^\d+$/), configsSchema),
});

export const aclSchema = z.strictObject({
  resourceType: z.enum(['TOPIC', 'GROUP', 'CLUSTER', 'TRANSACTIONAL_ID', 'DELEGATION_TOKEN', 'USER']),
  /** "*" is the wildcard resource (with patternType LITERAL). */
  resourceName: name,
  patternType: z.enum(['LITERAL', 'PREFIXED']),
  principal: z.string(expecting('a principal such as "User:alice" or "User:*"')).regex(/^[^:]+:.+$/),
  host: name,
  operation: z.enum([
    'ALL',
    'READ',
    'WRITE',
    'CREATE',
    'DELETE',
    'ALTER',
    'DESCRIBE',
    'CLUSTER_ACTION',
    'DESCRIBE_CONFIGS',
    'ALTER_CONFIGS',
    'IDEMPOTENT_WRITE',
    'CREATE_TOKENS',
    'DESCRIBE_TOKENS',
    'TWO_PHASE_COMMIT',
  ]),
  permissionType: z.enum(['ALLOW', 'DENY']),
});

/** Mechanism and iteration count only: never the password, salt, stored key or server key. */
export const scramCredentialSchema = z.strictObject({
  mechanism: z.enum(['SCRAM-SHA-256', 'SCRAM-SHA-512']),
  iterations: wholeNumber(1),
});

export const scramUserSchema = z.strictObject({ name, credentials: z.array(scramCredentialSchema) });

/** One part of a quota entity; name null is Kafka's `<default>` entity. */
export const quotaEntityPartSchema = z.strictObject({
  type: z.enum(['user', 'client-id', 'ip']),
  name: z.string().min(1).nullable(),
});

export const quotaSchema = z.strictObject({
  entity: z.array(quotaEntityPartSchema).min(1),
  /** Quota key (producer_byte_rate, request_percentage, …) → value. */
  values: z.record(z.string().min(1), z.number()),
});

export const recordFingerprintSchema = z.strictObject({
  /** sha256 over the key, value and timestamp of the record at the committed offset. */
  sha256: sha256Hex,
  timestamp: z.int(),
});

export const committedOffsetSchema = z.strictObject({
  topic: name,
  partition: wholeNumber(0),
  offset,
  metadata: z.string().nullable(),
  leaderEpoch: z.int().min(-1).optional(),
  fingerprint: recordFingerprintSchema.optional(),
});

export const consumerGroupSchema = z.strictObject({
  groupId: name,
  protocolType: z.string().optional(),
  state: z.string().optional(),
  offsets: z.array(committedOffsetSchema),
});

/** A connector config value: plain text (including `${...}` references, kept as written) or redacted. */
export const connectorConfigValueSchema = z.union([z.string(), z.strictObject({ redacted: z.literal(true) })], {
  error: (issue) => expectation('a string or { "redacted": true }', issue.input),
});

/** KIP-875 connector offsets: opaque partition and offset maps, as Connect reports them. */
export const connectorOffsetSchema = z.strictObject({
  partition: z.record(z.string(), z.unknown()),
  offset: z.record(z.string(), z.unknown()).nullable(),
});

export const connectorSchema = z.strictObject({
  name,
  /** source or sink, as the worker reported it; a sink's offsets are its consumer group connect-<name>. */
  type: z.enum(['source', 'sink']).optional(),
  config: z.record(z.string().min(1), connectorConfigValueSchema),
  tasks: wholeNumber(0),
  state: z.enum(['RUNNING', 'PAUSED', 'STOPPED', 'FAILED', 'UNASSIGNED', 'RESTARTING']),
  offsets: z.array(connectorOffsetSchema),
});

export const connectSchema = z.strictObject({
  connectors: z.array(connectorSchema),
  /** Kafka version of the worker the capture asked. */
  workerVersion: name.optional(),
  /** The workers' config/offset/status storage topics: named here, never in the topic list. */
  internalTopics: z.array(name).optional(),
});

/** One certificate the source presented on its bootstrap listener: public parts only, never a key. */
export const certificateRecordSchema = z.strictObject({
  subject: z.string(),
  issuer: z.string(),
  subjectAltNames: z.array(z.string()),
  notBefore: z.iso.datetime({ offset: true, ...expecting('an ISO 8601 date-time') }),
  notAfter: z.iso.datetime({ offset: true, ...expecting('an ISO 8601 date-time') }),
  sha256Fingerprint: z.string().regex(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/),
  /** The certificate itself (PEM), so trust can be checked against a truststore later. */
  pem: z.string().regex(/^-----BEGIN CERTIFICATE-----\n[\s\S]+-----END CERTIFICATE-----\n?$/, expecting('one PEM certificate')),
});

/** The TLS certificate chain the source presented, leaf first (capture with security.protocol SSL or SASL_SSL). */
export const tlsChainSchema = z.strictObject({ chain: z.array(certificateRecordSchema).min(1) });

/** A Kafka Streams application the capture recognised: its internal topics, tied to its consumer group (src/snapshot/streams.ts). */
export const streamsApplicationSchema = z.strictObject({
  applicationId: name,
  internalTopics: z.array(z.strictObject({ name, kind: z.enum(streamsTopicKinds) })).min(1),
}) satisfies z.ZodType<StreamsApplication>;

export const snapshotSchema = z
  .strictObject({
    format: z.literal(SNAPSHOT_FORMAT),
    version: z.literal(SNAPSHOT_VERSION),
    digest: z.string(expecting('"sha256:" followed by 64 lowercase hex digits')).regex(/^sha256:[0-9a-f]{64}$/),
    source: sourceSchema,
    topics: z.array(topicSchema),
    skippedTopics: z.array(skippedTopicSchema),
    clusterConfigs: clusterConfigsSchema,
    acls: z.array(aclSchema),
    scramUsers: z.array(scramUserSchema),
    quotas: z.array(quotaSchema),
    consumerGroups: z.array(consumerGroupSchema),
    connect: connectSchema.optional(),
    tls: tlsChainSchema.optional(),
    /** Absent when the capture saw no Streams application (and in snapshots from before kafka-drill marked them). */
    streamsApplications: z.array(streamsApplicationSchema).optional(),
  })
  // Cross-element rules run once everything else is right (so one mistake gives one message),
  // at the top, where the full path of each element is known.
  .check((ctx) => {
    if (ctx.issues.length > 0) return;
    for (const issue of snapshotInvariantViolations(ctx.value)) ctx.issues.push({ code: 'custom', input: undefined, ...issue });
  });

export type Snapshot = z.infer<typeof snapshotSchema>;
/** A snapshot before its digest is computed: what capture builds and serializeSnapshot takes. */
export type SnapshotContent = Omit<Snapshot, 'digest'>;
export type SnapshotSource = z.infer<typeof sourceSchema>;
export type ConfigSource = z.infer<typeof configSourceSchema>;
export type ConfigEntry = z.infer<typeof configEntrySchema>;
export type Configs = z.infer<typeof configsSchema>;
export type Topic = z.infer<typeof topicSchema>;
export type PartitionOffsets = z.infer<typeof partitionOffsetsSchema>;
export type SkippedTopic = z.infer<typeof skippedTopicSchema>;
export type ClusterConfigs = z.infer<typeof clusterConfigsSchema>;
export type Acl = z.infer<typeof aclSchema>;
export type ScramUser = z.infer<typeof scramUserSchema>;
export type ScramCredential = z.infer<typeof scramCredentialSchema>;
export type Quota = z.infer<typeof quotaSchema>;
export type QuotaEntityPart = z.infer<typeof quotaEntityPartSchema>;
export type ConsumerGroup = z.infer<typeof consumerGroupSchema>;
export type CertificateRecord = z.infer<typeof certificateRecordSchema>;
export type CommittedOffset = z.infer<typeof committedOffsetSchema>;
export type RecordFingerprint = z.infer<typeof recordFingerprintSchema>;
export type Connect = z.infer<typeof connectSchema>;
export type Connector = z.infer<typeof connectorSchema>;
export type ConnectorConfigValue = z.infer<typeof connectorConfigValueSchema>;
export type ConnectorOffset = z.infer<typeof connectorOffsetSchema>;

/** Identity of an ACL binding: all seven fields. */
export function aclKey(acl: Acl): string {
  return [acl.resourceType, acl.patternType, acl.resourceName, acl.principal, acl.host, acl.operation, acl.permissionType].join('\u0000');
}

const entityTypeOrder = { user: 0, 'client-id': 1, ip: 2 } as const;

/** Kafka's way of naming an entity, in a fixed part order: `user=alice,client-id=<default>`. */
export function quotaEntityLabel(entity: QuotaEntityPart[]): string {
  return [...entity]
    .sort((a, b) => entityTypeOrder[a.type] - entityTypeOrder[b.type])
    .map((part) => `${part.type}=${part.name ?? '<default>'}`)
    .join(',');
}

/**
 * The SCRAM users and quotas without one user (a kafka-drill environment's own admin), and what
 * was taken out: capture leaves it out with a note, restore with a finding.
 */
export function withoutUsers(security: Pick<SnapshotContent, 'scramUsers' | 'quotas'>, users: readonly string[]) {
  const named = (name: string) => users.includes(name);
  const names = (quota: Quota) => quota.entity.some((part) => part.type === 'user' && part.name !== null && named(part.name));
  return {
    scramUsers: security.scramUsers.filter((scramUser) => !named(scramUser.name)),
    quotas: security.quotas.filter((quota) => !names(quota)),
    removedUsers: security.scramUsers.filter((scramUser) => named(scramUser.name)).map((scramUser) => scramUser.name),
    removedQuotas: security.quotas.filter(names),
  };
}

interface Violation {
  path: PropertyKey[];
  message: string;
}

/** The rules a shape cannot express: unique names and bindings, consistent partition offsets. */
function snapshotInvariantViolations(snapshot: Omit<Snapshot, 'digest'>): Violation[] {
  const violations: Violation[] = [];
  const duplicates = <T>(items: T[], at: PropertyKey[], keyOf: (item: T) => string, wording: DuplicateWording) =>
    violations.push(...duplicateViolations(items, at, keyOf, wording));

  duplicates(snapshot.topics, ['topics'], (topic) => topic.name, { field: 'name', noun: 'topic' });
  snapshot.topics.forEach((topic, index) => violations.push(...partitionOffsetViolations(topic, ['topics', index])));
  duplicates(snapshot.skippedTopics, ['skippedTopics'], (topic) => topic.name, { field: 'name', noun: 'skipped topic' });
  duplicates(snapshot.acls, ['acls'], aclKey, { noun: 'ACL binding', shown: 'none' });
  duplicates(snapshot.scramUsers, ['scramUsers'], (user) => user.name, { field: 'name', noun: 'SCRAM user' });
  snapshot.scramUsers.forEach((user, index) =>
    duplicates(user.credentials, ['scramUsers', index, 'credentials'], (credential) => credential.mechanism, {
      field: 'mechanism',
      noun: 'credential',
    }),
  );
  duplicates(snapshot.quotas, ['quotas'], (quota) => quotaEntityLabel(quota.entity), { field: 'entity', noun: 'quota entity', shown: 'plain' });
  snapshot.quotas.forEach((quota, index) => duplicates(quota.entity, ['quotas', index, 'entity'], (part) => part.type, { field: 'type', noun: 'entity type' }));
  duplicates(snapshot.consumerGroups, ['consumerGroups'], (group) => group.groupId, { field: 'groupId', noun: 'consumer group' });
  snapshot.consumerGroups.forEach((group, index) =>
    duplicates(group.offsets, ['consumerGroups', index, 'offsets'], (committed) => `${committed.topic}-${committed.partition}`, {
      noun: 'committed offset for',
      shown: 'plain',
    }),
  );
  if (snapshot.connect) {
    duplicates(snapshot.connect.connectors, ['connect', 'connectors'], (connector) => connector.name, { field: 'name', noun: 'connector' });
  }
  if (snapshot.streamsApplications) violations.push(...streamsViolations(snapshot, snapshot.streamsApplications));
  return violations;
}

/** A marked application is a consumer group of the snapshot; each of its topics is a captured topic Streams would name so. */
function streamsViolations(snapshot: Omit<Snapshot, 'digest'>, applications: StreamsApplication[]): Violation[] {
  const violations: Violation[] = [];
  const groupIds = new Set(snapshot.consumerGroups.map((group) => group.groupId));
  const topicNames = new Set(snapshot.topics.map((topic) => topic.name));
  violations.push(
    ...duplicateViolations(applications, ['streamsApplications'], (application) => application.applicationId, { field: 'applicationId', noun: 'Streams application' }),
  );
  applications.forEach((application, index) => {
    const at = ['streamsApplications', index];
    if (!groupIds.has(application.applicationId)) {
      violations.push({ path: [...at, 'applicationId'], message: `no consumer group ${JSON.stringify(application.applicationId)} in consumerGroups` });
    }
    application.internalTopics.forEach((topic, topicIndex) => {
      const owner = streamsTopicOwner(topic.name, [application.applicationId]);
      if (!topicNames.has(topic.name)) violations.push({ path: [...at, 'internalTopics', topicIndex, 'name'], message: `no topic ${JSON.stringify(topic.name)} in topics` });
      else if (owner?.kind !== topic.kind) {
        violations.push({
          path: [...at, 'internalTopics', topicIndex, 'name'],
          message: `is not named like a ${topic.kind} topic of ${JSON.stringify(application.applicationId)} (${application.applicationId}-<name>-${topic.kind})`,
        });
      }
    });
    violations.push(...duplicateViolations(application.internalTopics, [...at, 'internalTopics'], (topic) => topic.name, { field: 'name', noun: 'internal topic' }));
  });
  return violations;
}

function partitionOffsetViolations(topic: Topic, at: PropertyKey[]): Violation[] {
  const violations: Violation[] = [];
  if (topic.partitionOffsets.length !== topic.partitions) {
    violations.push({
      path: [...at, 'partitionOffsets'],
      message: `has ${topic.partitionOffsets.length} entries for ${topic.partitions} partitions`,
    });
  }
  topic.partitionOffsets.forEach((entry, index) => {
    if (entry.partition >= topic.partitions) {
      violations.push({
        path: [...at, 'partitionOffsets', index, 'partition'],
        message: `partition ${entry.partition} does not exist (the topic has ${topic.partitions})`,
      });
    }
    if (entry.logStartOffset > entry.logEndOffset) {
      violations.push({
        path: [...at, 'partitionOffsets', index, 'logStartOffset'],
        message: `${entry.logStartOffset} is after logEndOffset ${entry.logEndOffset}`,
      });
    }
  });
  violations.push(
    ...duplicateViolations(topic.partitionOffsets, [...at, 'partitionOffsets'], (entry) => String(entry.partition), {
      field: 'partition',
      noun: 'partition',
      shown: 'plain',
    }),
  );
  return violations;
}

interface DuplicateWording {
  /** The field the duplicate is reported at; the element itself when absent. */
  field?: string;
  noun: string;
  /** How the key appears in the message: quoted (names, the default), plain, or not at all. */
  shown?: 'quoted' | 'plain' | 'none';
}

function duplicateViolations<T>(items: T[], at: PropertyKey[], keyOf: (item: T) => string, wording: DuplicateWording): Violation[] {
  const violations: Violation[] = [];
  const firstAt = new Map<string, number>();
  items.forEach((item, index) => {
    const key = keyOf(item);
    const first = firstAt.get(key);
    if (first === undefined) {
      firstAt.set(key, index);
      return;
    }
    const shown = wording.shown === 'none' ? '' : wording.shown === 'plain' ? ` ${key}` : ` ${JSON.stringify(key)}`;
    violations.push({
      path: wording.field ? [...at, index, wording.field] : [...at, index],
      message: `duplicate ${wording.noun}${shown} (also at ${formatPath([...at, first])})`,
    });
  });
  return violations;
}

/** Config values from the snapshot as Kafka wants them: name → value, redacted ones left out. */
export function plainConfigValues(configs: Snapshot['topics'][number]['configs']): Map<string, string> {
  const values = new Map<string, string>();
  for (const [name, entry] of Object.entries(configs)) if (entry.value !== undefined) values.set(name, entry.value);
  return values;
}

const MAPPING_RULES_CONFIG = /^(listener\.name\.[^.]+\.)?ssl\.principal\.mapping\.rules$/;

/**
 * The source's `ssl.principal.mapping.rules` from the snapshot's broker configs (cluster-wide
 * first, then any broker's; a listener-prefixed form counts), with the config's name, or undefined.
 */
export function snapshotMappingRules(snapshot: Snapshot): { config: string; rules: string; path: PropertyKey[] } | undefined {
  const { clusterDefault, perBroker } = snapshot.clusterConfigs;
  const resources: [PropertyKey[], typeof clusterDefault][] = [
    [['clusterConfigs', 'clusterDefault'], clusterDefault],
    ...Object.entries(perBroker).map(([id, configs]): [PropertyKey[], typeof clusterDefault] => [['clusterConfigs', 'perBroker', id], configs]),
  ];
  for (const [at, configs] of resources) {
    for (const [name, entry] of Object.entries(configs)) {
      if (MAPPING_RULES_CONFIG.test(name) && entry.value !== undefined) return { config: name, rules: entry.value, path: [...at, name, 'value'] };
    }
  }
  return undefined;
}
