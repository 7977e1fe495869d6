import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path, { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { ConfigResourceTypes, IncrementalAlterConfigOperationTypes, incrementalAlterConfigsV1, type Admin } from '@platformatic/kafka';
import { errorMessage, InputError, InfrastructureError } from '../../errors.js';
import { aclToWire, describeAllAcls, type AclBinding } from '../../kafka/acls.js';
import { createAdmin, describeCluster } from '../../kafka/admin.js';
import { describeApiVersions, kafkaVersionFromApiVersions } from '../../kafka/api-versions.js';
import { loadCommandConfig } from '../../kafka/command-config.js';
import type { KafkaConnection } from '../../kafka/connection.js';
import { describeTopicAndBrokerConfigs, sameConfigValue } from '../../kafka/configs.js';
import { listAllGroups } from '../../kafka/groups.js';
import { describeAllQuotas } from '../../kafka/quotas.js';
import { connectionsTo, errorName } from '../../kafka/raw.js';
import { listLogOffsets, partitionKey } from '../../kafka/log-offsets.js';
import { createProbeClient } from '../../kafka/probe-client.js';
import { fetchRecordsAt } from '../../kafka/records.js';
import { deleteScramCredentials, describeScramCredentials } from '../../kafka/scram.js';
import { plainConfigValues, quotaEntityLabel, type Configs, type Quota, type Snapshot } from '../../snapshot/schema.js';
import { targetBrokerOf } from '../broker-ids.js';
import type { LoadedSpec } from '../../drill-spec/load.js';
import { trackEnvironment } from '../teardown.js';
import type { EnvironmentRequest, StartedEnvironment } from '../types.js';

/**
 * The `external` provider: a cluster someone else provisioned (per CI job, in a DR account).
 * Nothing is started; instead the drill proves it may write there. Before anything is written
 * the cluster must answer with the expected cluster id and hold none of the snapshot's topics,
 * groups, ACLs, SCRAM users or client quota entities, and no dynamic broker config (cluster-wide
 * or per broker) set to another value than the snapshot's, except those an earlier run of the
 * same drill recorded as its own. The record lives in the cluster itself (topic `kafka-drill.restored.<drill>`), written
 * before the restore, so a killed run's objects are recognised by the next one.
 * `cleanup: delete-restored` deletes exactly the recorded objects at teardown; `keep` leaves them.
 */

export interface ExternalTarget {
  drillName: string;
  bootstrap: string[];
  clusterId: string;
  /** Absolute path of the Java client properties file, if any. */
  commandConfig?: string;
  cleanup: 'delete-restored' | 'keep';
  snapshot: Snapshot;
  /** For error messages: the spec file. */
  specFile: string;
}

/** The kinds of object the guard checks and the cleanup deletes. */
interface DrillObjects {
  topics: string[];
  groups: string[];
  /** ACL bindings as canonical JSON (aclKey). */
  acls: string[];
  users: string[];
  /** Client quota entities (quotaEntityLabel). */
  quotas: string[];
  /** Dynamic broker configs as JSON [resource, name]; resource "" is the cluster-wide default, else a broker id. */
  configs: string[];
}
const KINDS = ['topics', 'groups', 'acls', 'users', 'quotas', 'configs'] as const;
const NO_OBJECTS: DrillObjects = { topics: [], groups: [], acls: [], users: [], quotas: [], configs: [] };

interface RestoreRecord {
  format: 'kafka-drill/restore-record';
  drill: string;
  clusterId: string;
  writtenAt: string;
  objects: DrillObjects;
}

export function externalTarget(spec: LoadedSpec, snapshot: Snapshot): ExternalTarget {
  const { target, name } = spec.spec;
  const missing = (['bootstrap', 'clusterId', 'cleanup'] as const).filter((key) => target[key] === undefined);
  if (missing.length) throw new InputError(`${spec.file}: target.${missing[0]}: required for provider "external"`);
  return {
    drillName: name,
    bootstrap: target
      .bootstrap!.split(',')
      .map((address) => address.trim())
      .filter(Boolean),
    clusterId: target.clusterId!,
    ...(target.commandConfig ? { commandConfig: path.resolve(spec.dir, target.commandConfig) } : {}),
    cleanup: target.cleanup!,
    snapshot,
    specFile: spec.file,
  };
}

export function markerTopic(drillName: string): string {
  return `kafka-drill.restored.${drillName.replace(/[^a-zA-Z0-9._-]/g, '_')}`.slice(0, 249);
}

function aclKey(acl: AclBinding): string {
  const { resourceType, resourceName, patternType, principal, host, operation, permissionType } = acl;
  return JSON.stringify([resourceType, resourceName, patternType, principal, host, operation, permissionType]);
}

function configKey(resource: string, name: string): string {
  return JSON.stringify([resource, name]);
}

/**
 * What the restore would write, with each dynamic config's value. A source broker's configs go to
 * the target broker of the same id, as the restore sends them to an external cluster; sensitive
 * values the snapshot redacted are never written, so they are not the drill's.
 */
function snapshotObjects(snapshot: Snapshot, brokerIds: number[]): { objects: DrillObjects; configValues: Map<string, string> } {
  const configValues = new Map<string, string>();
  const addConfigs = (resource: string, configs: Configs) => {
    for (const [name, value] of plainConfigValues(configs)) configValues.set(configKey(resource, name), value);
  };
  addConfigs('', snapshot.clusterConfigs.clusterDefault);
  for (const [sourceId, configs] of Object.entries(snapshot.clusterConfigs.perBroker)) {
    const target = targetBrokerOf(Number(sourceId), brokerIds);
    if (target !== undefined) addConfigs(String(target), configs);
  }
  return {
    objects: {
      topics: snapshot.topics.map((topic) => topic.name),
      groups: snapshot.consumerGroups.map((group) => group.groupId),
      acls: snapshot.acls.map(aclKey),
      users: snapshot.scramUsers.map((user) => user.name),
      quotas: snapshot.quotas.map((quota) => quotaEntityLabel(quota.entity)),
      configs: [...configValues.keys()],
    },
    configValues,
  };
}

async function connectionFor(target: ExternalTarget): Promise<KafkaConnection> {
  const connection = target.commandConfig ? await loadCommandConfig(target.commandConfig, { bootstrap: target.bootstrap }) : { bootstrap: target.bootstrap };
  return { ...connection, clientId: 'kafka-drill' };
}

interface Inventory {
  objects: DrillObjects;
  /** Every dynamic broker config set now (configKey → value). */
  configValues: Map<string, string | null>;
  brokerIds: number[];
}

async function inventory(admin: Admin): Promise<Inventory> {
  const { brokerIds } = await describeCluster(admin);
  const [topics, groups, acls, credentials, quotas, configs] = await Promise.all([
    admin.listTopics({ includeInternals: false }),
    listAllGroups(admin),
    describeAllAcls(admin),
    describeScramCredentials(admin),
    describeAllQuotas(admin),
    describeTopicAndBrokerConfigs(admin, [], brokerIds),
  ]);
  const configValues = new Map<string, string | null>();
  for (const config of configs.clusterDefault) if (config.source === 'DYNAMIC_DEFAULT_BROKER_CONFIG') configValues.set(configKey('', config.name), config.value);
  for (const [brokerId, brokerConfigs] of configs.brokers) {
    for (const config of brokerConfigs) if (config.source === 'DYNAMIC_BROKER_CONFIG') configValues.set(configKey(String(brokerId), config.name), config.value);
  }
  return {
    objects: {
      topics,
      groups: groups.map((group) => group.groupId),
      acls: acls.map(aclKey),
      users: [...new Set(credentials.map((credential) => credential.user))],
      quotas: quotas.map((quota) => quotaEntityLabel(quota.entity as Quota['entity'])),
      configs: [...configValues.keys()],
    },
    configValues,
    brokerIds,
  };
}

async function readRecord(admin: Admin, topic: string, drillName: string): Promise<RestoreRecord | undefined> {
  const metadata = await admin.metadata({ topics: [topic], forceUpdate: true }).catch(() => undefined);
  const described = metadata?.topics.get(topic);
  const partition = described?.partitions[0];
  if (!described || !partition) return undefined;
  const end = (await listLogOffsets(admin, [{ topic, partition: 0 }], 'latest')).get(partitionKey(topic, 0)) ?? 0n;
  if (end === 0n) return undefined;
  const records = await fetchRecordsAt(admin, [{ topic, topicId: described.id, partition: 0, leader: partition.leader, leaderEpoch: partition.leaderEpoch, offset: end - 1n }]);
  const value = records.get(partitionKey(topic, 0))?.value;
  if (!value) return undefined;
  const record = JSON.parse(gunzipSync(value).toString('utf8')) as RestoreRecord;
  return record.format === 'kafka-drill/restore-record' && record.drill === drillName ? record : undefined;
}

async function writeRecord(admin: Admin, connection: KafkaConnection, topic: string, record: RestoreRecord, topicExists: boolean): Promise<void> {
  if (!topicExists) await admin.createTopics({ topics: [topic], partitions: 1, replicas: -1 });
  const producer = createProbeClient(connection, { clientId: 'kafka-drill-restore-record', retries: 5 }).producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages: [{ key: record.drill, value: gzipSync(JSON.stringify(record)) }] });
  } finally {
    await producer.disconnect();
  }
}

export interface GuardedTarget {
  connection: KafkaConnection;
  /** What this drill may treat as its own: the snapshot's objects and an earlier run's record. */
  owned: DrillObjects;
  recordExists: boolean;
}

const NOUNS: Record<(typeof KINDS)[number], [string, string]> = {
  topics: ['topic', 'topics'],
  groups: ['group', 'groups'],
  acls: ['acl', 'acls'],
  users: ['user', 'users'],
  quotas: ['client quota entity', 'client quota entities'],
  configs: ['dynamic broker config set otherwise', 'dynamic broker configs set otherwise'],
};

function describeObjects(objects: DrillObjects): string {
  return KINDS.filter((kind) => objects[kind].length > 0)
    .map((kind) => `${objects[kind].length} ${NOUNS[kind][objects[kind].length === 1 ? 0 : 1]} (${objects[kind].slice(0, 5).join(', ')}${objects[kind].length > 5 ? ', …' : ''})`)
    .join('; ');
}

/**
 * Checks the target without writing anything: the cluster id, and that none of the snapshot's
 * objects exist unless an earlier run of this drill recorded them. Refusals are InputErrors (exit 2).
 */
export async function guardExternalTarget(target: ExternalTarget): Promise<GuardedTarget> {
  const connection = await connectionFor(target);
  const admin = createAdmin(connection, { timeoutMs: 15_000, retries: 2 });
  try {
    let clusterId: string;
    try {
      clusterId = (await describeCluster(admin)).clusterId;
    } catch (error) {
      throw new InfrastructureError(`cannot reach the external cluster at ${target.bootstrap.join(',')}: ${errorMessage(error)}`);
    }
    if (clusterId !== target.clusterId) {
      throw new InputError(
        `${target.specFile}: target.clusterId: expected "${target.clusterId}" but ${target.bootstrap.join(',')} is cluster "${clusterId}": refusing to write to it`,
      );
    }
    const topic = markerTopic(target.drillName);
    const [existing, record] = await Promise.all([inventory(admin), readRecord(admin, topic, target.drillName)]);
    const planned = snapshotObjects(target.snapshot, existing.brokerIds);
    const recorded = { ...NO_OBJECTS, ...record?.objects };
    const conflicts = {} as DrillObjects;
    for (const kind of KINDS) {
      const present = new Set(existing.objects[kind]);
      const ours = new Set(recorded[kind]);
      conflicts[kind] = planned.objects[kind].filter((key) => present.has(key) && !ours.has(key));
    }
    // A dynamic config already set to the snapshot's value is left as it is: not a conflict, and
    // not the drill's to delete. One set to another value would be overwritten, and could not be put back.
    const alreadySet = conflicts.configs.filter((key) => sameConfigValue(existing.configValues.get(key) ?? undefined, planned.configValues.get(key)));
    conflicts.configs = conflicts.configs.filter((key) => !alreadySet.includes(key));
    if (KINDS.some((kind) => conflicts[kind].length > 0)) {
      const listed = {
        ...conflicts,
        acls: conflicts.acls.map((key) => (JSON.parse(key) as string[]).slice(0, 2).join(' ')),
        configs: conflicts.configs.map((key) => {
          const [resource, name] = JSON.parse(key) as [string, string];
          return `${resource === '' ? 'cluster-wide' : `broker ${resource}`} ${name}=${existing.configValues.get(key) ?? '(sensitive)'}, snapshot ${planned.configValues.get(key)}`;
        }),
      };
      throw new InputError(
        `${target.specFile}: target: cluster ${clusterId} already holds ${describeObjects(listed)} of the snapshot that no earlier run of drill "${target.drillName}" recorded: refusing to write; restore into an empty cluster`,
      );
    }
    const owned = {} as DrillObjects;
    for (const kind of KINDS) owned[kind] = [...new Set([...recorded[kind], ...planned.objects[kind]])].filter((key) => kind !== 'configs' || !alreadySet.includes(key));
    return { connection, owned, recordExists: existing.objects.topics.includes(topic) };
  } finally {
    await admin.close().catch(() => {});
  }
}

export async function startExternalEnvironment(request: EnvironmentRequest, target: ExternalTarget): Promise<StartedEnvironment> {
  const started = performance.now();
  const guarded = await guardExternalTarget(target);
  const { connection, owned } = guarded;
  const topic = markerTopic(target.drillName);
  const admin = createAdmin(connection, { timeoutMs: 15_000, retries: 2 });
  const workDir = await mkdtemp(join(tmpdir(), 'kafka-drill-env-'));
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      try {
        if (target.cleanup === 'delete-restored') await deleteRecorded(connection, owned, topic);
      } finally {
        await admin.close().catch(() => {});
        if (!request.keepDirs) await rm(workDir, { recursive: true, force: true });
        untrack();
      }
    })();
    return stopped;
  };
  const untrack = trackEnvironment({ stop });
  try {
    const cluster = await describeCluster(admin);
    // The record goes in before the first restore write, so the objects of a run killed midway are recognised.
    await writeRecord(
      admin,
      connection,
      topic,
      { format: 'kafka-drill/restore-record', drill: target.drillName, clusterId: cluster.clusterId, writtenAt: new Date().toISOString(), objects: owned },
      guarded.recordExists,
    );
    const kafkaVersion = kafkaVersionFromApiVersions(await describeApiVersions(admin, cluster.brokerIds[0]!));
    return {
      provider: 'external',
      kafkaVersion,
      clusterId: cluster.clusterId,
      security: connection.sasl ? (connection.tls ? 'sasl_ssl' : 'scram') : connection.tls ? (connection.tls.cert ? 'mtls' : 'ssl') : 'plaintext',
      brokers: cluster.brokerIds.map((nodeId) => ({ nodeId, pid: -1, address: target.bootstrap.join(','), logFile: '' })),
      admin: connection,
      workDir,
      startupMs: Math.round(performance.now() - started),
      // The cluster is the user's own: its processes are not the drill's to watch.
      exitedProcesses: async () => [],
      stop,
    };
  } catch (error) {
    await stop().catch(() => {});
    throw error;
  }
}

/** Deletes the recorded objects that exist now (ACLs, groups, topics, SCRAM users, quotas, dynamic configs), then the record itself. */
async function deleteRecorded(connection: KafkaConnection, owned: DrillObjects, topic: string): Promise<void> {
  const admin = createAdmin(connection, { timeoutMs: 30_000, retries: 2 });
  try {
    const inventoried = await inventory(admin);
    const now = inventoried.objects;
    const present = (kind: (typeof KINDS)[number]) => owned[kind].filter((key) => new Set(now[kind]).has(key));
    await deleteQuotas(admin, new Set(present('quotas')));
    await deleteConfigs(admin, present('configs'), inventoried.brokerIds);
    const acls = present('acls').map((key) => {
      const [resourceType, resourceName, patternType, principal, host, operation, permissionType] = JSON.parse(key) as string[];
      return aclToWire({
        resourceType: resourceType!,
        resourceName: resourceName!,
        patternType: patternType!,
        principal: principal!,
        host: host!,
        operation: operation!,
        permissionType: permissionType!,
      });
    });
    if (acls.length) await admin.deleteAcls({ filters: acls });
    const groups = present('groups');
    if (groups.length) await admin.deleteGroups({ groups });
    const topics = [...present('topics'), ...(now.topics.includes(topic) ? [topic] : [])];
    if (topics.length) await admin.deleteTopics({ topics });
    const users = present('users');
    if (users.length) {
      const errors = await deleteScramCredentials(admin, await describeScramCredentials(admin, users));
      if (errors.length) throw new InfrastructureError(`deleting the drill's SCRAM users failed: ${errors.map((e) => `${e.user} ${e.error}`).join(', ')}`);
    }
  } finally {
    await admin.close().catch(() => {});
  }
}

/** Removes every value of the drill's quota entities (an entity without values is gone). */
async function deleteQuotas(admin: Admin, labels: Set<string>): Promise<void> {
  if (labels.size === 0) return;
  const entries = (await describeAllQuotas(admin))
    .filter((quota) => labels.has(quotaEntityLabel(quota.entity as Quota['entity'])))
    .map((quota) => ({
      entities: quota.entity.map((part) => ({ entityType: part.type as never, entityName: part.name })),
      ops: Object.keys(quota.values).map((key) => ({ key: key as never, remove: true as const })),
    }));
  const results = await admin.alterClientQuotas({ entries });
  const failed = results.filter((result) => result.errorCode !== 0);
  if (failed.length)
    throw new InfrastructureError(
      `deleting the drill's client quotas failed: ${failed.map((result) => `${errorName(result.errorCode)} ${result.errorMessage ?? ''}`.trim()).join(', ')}`,
    );
}

/** Deletes the drill's dynamic broker configs, each resource on the broker it belongs to (the cluster-wide default on the first). */
async function deleteConfigs(admin: Admin, keys: string[], brokerIds: number[]): Promise<void> {
  if (keys.length === 0) return;
  const byResource = new Map<string, string[]>();
  for (const key of keys) {
    const [resource, name] = JSON.parse(key) as [string, string];
    byResource.set(resource, [...(byResource.get(resource) ?? []), name]);
  }
  const connections = await connectionsTo(admin, brokerIds);
  const failures: string[] = [];
  await Promise.all(
    [...byResource].map(async ([resource, names]) => {
      const connection = connections.get(resource === '' ? brokerIds[0]! : Number(resource))!;
      const configs = names.map((name) => ({ name, value: null, configOperation: IncrementalAlterConfigOperationTypes.DELETE }));
      const response = await incrementalAlterConfigsV1.api.async(connection, [{ resourceType: ConfigResourceTypes.BROKER, resourceName: resource, configs }], false);
      for (const result of response.responses) if (result.errorCode !== 0) failures.push(`${resource || 'cluster-wide'} ${names.join(', ')}: ${errorName(result.errorCode)}`);
    }),
  );
  if (failures.length) throw new InfrastructureError(`deleting the drill's dynamic broker configs failed: ${failures.join('; ')}`);
}
