import type { Admin, Kafka } from 'kafkajs';
import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ConfigResourceTypes, ResourcePatternTypes } from '../kafka/probe-client.js';
import { FindCoordinatorKeyTypes, findCoordinatorV4 } from '@platformatic/kafka';
import { createAdmin } from '../kafka/admin.js';
import type { KafkaConnection } from '../kafka/connection.js';
import { kafkaErrorName } from '../kafka/errors.js';
import type { Acl } from '../snapshot/schema.js';
import type { ResourceKind } from './acl-model.js';
import { runConsumerSession } from './consumer-session.js';
import { errorMessage } from './probe.js';

/**
 * The concrete kafkajs call that exercises one ACL operation on one resource. Every action
 * is harmless on a restored cluster: it writes at most one small record, never commits an
 * offset, and whatever it creates, deletes or alters is validate-only or aims at nothing.
 *
 * | resource         | operation        | client action                                                          | refused with                          |
 * |------------------|------------------|------------------------------------------------------------------------|---------------------------------------|
 * | topic            | WRITE            | producer sends 1 record (acks=all) to partition 0                      | TOPIC_AUTHORIZATION_FAILED            |
 * | topic            | READ             | consumer (no commits) in a group the principal may READ, until a fetch | TOPIC_AUTHORIZATION_FAILED            |
 * | topic            | DESCRIBE         | admin.fetchTopicMetadata                                               | TOPIC_AUTHORIZATION_FAILED            |
 * | topic            | CREATE           | admin.createTopics validateOnly (exists → allowed)                     | TOPIC_AUTHORIZATION_FAILED            |
 * | topic            | DELETE           | admin.deleteTopics of a name that does not exist (→ UNKNOWN_TOPIC_…)   | TOPIC_AUTHORIZATION_FAILED            |
 * | topic            | ALTER            | admin.createPartitions to its current count (→ INVALID_PARTITIONS)     | TOPIC_AUTHORIZATION_FAILED            |
 * | topic            | DESCRIBE_CONFIGS | admin.describeConfigs                                                  | TOPIC_AUTHORIZATION_FAILED            |
 * | topic            | ALTER_CONFIGS    | admin.alterConfigs validateOnly, no entries                            | TOPIC_AUTHORIZATION_FAILED            |
 * | group            | READ             | consumer joins the group (no commits), until it has joined             | GROUP_AUTHORIZATION_FAILED            |
 * | group            | DESCRIBE         | admin.describeGroups                                                   | GROUP_AUTHORIZATION_FAILED            |
 * | group            | DELETE           | admin.deleteGroups of a group that does not exist (→ GROUP_ID_NOT_FOUND) | GROUP_AUTHORIZATION_FAILED          |
 * | cluster          | CREATE           | admin.createTopics validateOnly of a fresh name                        | TOPIC_AUTHORIZATION_FAILED (Kafka's answer) |
 * | cluster          | DESCRIBE         | admin.describeAcls                                                     | CLUSTER_AUTHORIZATION_FAILED          |
 * | cluster          | ALTER            | admin.deleteAcls with a filter that matches nothing                    | CLUSTER_AUTHORIZATION_FAILED          |
 * | cluster          | DESCRIBE_CONFIGS | admin.describeConfigs of a broker                                      | CLUSTER_AUTHORIZATION_FAILED          |
 * | cluster          | ALTER_CONFIGS    | admin.alterConfigs validateOnly of a broker, no entries                | CLUSTER_AUTHORIZATION_FAILED          |
 * | cluster          | IDEMPOTENT_WRITE | idempotent producer connects (InitProducerId), sends nothing           | CLUSTER_AUTHORIZATION_FAILED          |
 * | transactional-id | WRITE            | transactional producer begins and aborts an empty transaction          | TRANSACTIONAL_ID_AUTHORIZATION_FAILED |
 *
 * Not probed (reported as skipped): CLUSTER_ACTION (brokers only), DESCRIBE on a
 * transactional id (kafkajs has no call needing only that), DELETE of a topic or group that
 * exists (the only calls that need it would destroy restored state).
 */
export type ActionOperation = Exclude<Acl['operation'], 'ALL'>;

export interface ActionTarget {
  name: string;
  /** topic READ: the group to consume with; group READ: the topic to subscribe to; cluster CREATE: the fresh topic name. */
  companion?: string;
  /** True when `name` exists on the restored cluster (from the snapshot). */
  exists: boolean;
}

export interface ActionSession {
  kafka: Kafka;
  /** The principal's connection (for the admin library, where kafkajs hides Kafka's answer). */
  connection: KafkaConnection;
  admin: () => Promise<Admin>;
  signal: AbortSignal;
  timeoutMs: number;
  /** Value of the one record a WRITE check produces. */
  marker: string;
}

/** What happened: the call went through (or failed past the authorization check), or this error. */
export type ActionResult = { allowed: true; detail?: string } | { allowed: false; error: unknown } | { allowed: false; message: string; kafkaError?: string };

export interface ClientAction {
  kind: ResourceKind;
  operation: ActionOperation;
  /** What the client does, for evidence. */
  description: string;
  deniedError: string;
  /** The action needs `name` to exist (else it cannot say anything about the ACL). */
  needsExisting?: boolean;
  /** The action cannot aim at an existing resource without harming it. */
  needsAbsent?: boolean;
  /** Needs a companion: a group for topic READ, a topic for group READ. */
  needsCompanion?: 'group' | 'topic';
  /** Kafka errors that come after the authorization check passed. */
  allowedErrors?: string[];
  run(session: ActionSession, target: ActionTarget): Promise<ActionResult>;
}

const allowed = (detail?: string): ActionResult => (detail === undefined ? { allowed: true } : { allowed: true, detail });

async function produceOne(session: ActionSession, topic: string): Promise<ActionResult> {
  const producer = session.kafka.producer({ allowAutoTopicCreation: false, retry: { retries: 0 } });
  try {
    await producer.connect();
    const [metadata] = await producer.send({ topic, acks: -1, timeout: session.timeoutMs, messages: [{ partition: 0, value: session.marker }] });
    return allowed(`record at offset ${metadata?.baseOffset ?? '?'} of partition 0`);
  } finally {
    await producer.disconnect().catch(() => {});
  }
}

async function consumeSession(session: ActionSession, groupId: string, topic: string, until: 'joined' | 'fetched'): Promise<ActionResult> {
  const end = await runConsumerSession(session.kafka, { groupId, topics: [topic], fromBeginning: false, until, timeoutMs: session.timeoutMs, signal: session.signal });
  if (end.kind === 'joined' || end.kind === 'fetched' || end.kind === 'done') return allowed(end.kind === 'joined' ? `joined group ${groupId}` : `fetched from ${topic} in group ${groupId}`);
  if (end.kind === 'timeout') return { allowed: false, message: `no ${until === 'joined' ? 'group join' : 'fetch'} within ${session.timeoutMs}ms` };
  const result: ActionResult = end.kafkaError === undefined ? { allowed: false, message: end.message } : { allowed: false, message: end.message, kafkaError: end.kafkaError };
  return explainCoordinatorFailure(result, session.connection, 'GROUP', groupId);
}

/**
 * kafkajs swallows FindCoordinator's error (brokerPool.withBroker) and reports only "Failed to
 * find group coordinator"; ask a broker again with the admin library to get Kafka's answer.
 */
async function findCoordinatorError(connection: KafkaConnection, keyType: 'GROUP' | 'TRANSACTION', key: string): Promise<string | undefined> {
  const admin = createAdmin(connection);
  try {
    const metadata = await admin.metadata({ topics: [] });
    const nodeId = [...metadata.brokers.keys()][0]!;
    const broker = (await admin.connectToBrokers([nodeId])).get(nodeId)!;
    await findCoordinatorV4.api.async(broker, FindCoordinatorKeyTypes[keyType], [key]);
    return undefined;
  } catch (error) {
    return kafkaErrorName(error);
  } finally {
    await admin.close().catch(() => {});
  }
}

async function explainCoordinatorFailure(result: ActionResult, connection: KafkaConnection, keyType: 'GROUP' | 'TRANSACTION', key: string): Promise<ActionResult> {
  if (result.allowed) return result;
  const error = 'error' in result ? result.error : undefined;
  const message = 'error' in result ? errorMessage(result.error) : result.message;
  const known = 'error' in result ? kafkaErrorName(error) : result.kafkaError;
  if (known !== undefined || !/coordinator/i.test(message)) return result;
  const kafkaError = await findCoordinatorError(connection, keyType, key);
  return kafkaError ? { allowed: false, message: `${message}: FindCoordinator answered ${kafkaError}`, kafkaError } : result;
}

async function attempt(call: () => Promise<unknown>, detail?: string): Promise<ActionResult> {
  try {
    await call();
    return allowed(detail);
  } catch (error) {
    return { allowed: false, error };
  }
}

async function brokerId(admin: Admin): Promise<string> {
  const cluster = await admin.describeCluster();
  return String(cluster.brokers[0]?.nodeId ?? cluster.controller ?? 1);
}

const TOPIC_DENIED = 'TOPIC_AUTHORIZATION_FAILED';
const GROUP_DENIED = 'GROUP_AUTHORIZATION_FAILED';
const CLUSTER_DENIED = 'CLUSTER_AUTHORIZATION_FAILED';

export const clientActions: ClientAction[] = [
  {
    kind: 'topic', operation: 'WRITE', description: 'produce 1 record to partition 0', deniedError: TOPIC_DENIED, needsExisting: true,
    run: (session, target) => produceOne(session, target.name).catch((error: unknown) => ({ allowed: false as const, error })),
  },
  {
    kind: 'topic', operation: 'READ', description: 'consume (no commits) until a fetch answers', deniedError: TOPIC_DENIED, needsExisting: true, needsCompanion: 'group',
    run: (session, target) => consumeSession(session, target.companion!, target.name, 'fetched'),
  },
  {
    kind: 'topic', operation: 'DESCRIBE', description: 'fetch topic metadata', deniedError: TOPIC_DENIED, needsExisting: true,
    run: async (session, target) => attempt(async () => (await session.admin()).fetchTopicMetadata({ topics: [target.name] })),
  },
  {
    kind: 'topic', operation: 'CREATE', description: 'create topic, validate only', deniedError: TOPIC_DENIED, allowedErrors: ['TOPIC_ALREADY_EXISTS'],
    run: async (session, target) =>
      attempt(async () => (await session.admin()).createTopics({ validateOnly: true, waitForLeaders: false, topics: [{ topic: target.name, numPartitions: 1, replicationFactor: 1 }] })),
  },
  {
    kind: 'topic', operation: 'DELETE', description: 'delete a topic that does not exist', deniedError: TOPIC_DENIED, needsAbsent: true, allowedErrors: ['UNKNOWN_TOPIC_OR_PARTITION'],
    run: async (session, target) => attempt(async () => (await session.admin()).deleteTopics({ topics: [target.name], timeout: session.timeoutMs })),
  },
  {
    kind: 'topic', operation: 'ALTER', description: 'create partitions up to the current count (refused as invalid if allowed)', deniedError: TOPIC_DENIED,
    needsExisting: true, allowedErrors: ['INVALID_PARTITIONS'],
    run: async (session, target) => {
      const admin = await session.admin();
      return attempt(async () => {
        // The super user's view is not available here; a principal allowed ALTER may DESCRIBE, one denied fails on either call.
        const metadata = await admin.fetchTopicMetadata({ topics: [target.name] });
        const count = metadata.topics[0]?.partitions.length ?? 1;
        await admin.createPartitions({ validateOnly: true, topicPartitions: [{ topic: target.name, count }] });
      });
    },
  },
  {
    kind: 'topic', operation: 'DESCRIBE_CONFIGS', description: 'describe topic configs', deniedError: TOPIC_DENIED, needsExisting: true,
    run: async (session, target) =>
      attempt(async () => (await session.admin()).describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: target.name }] })),
  },
  {
    kind: 'topic', operation: 'ALTER_CONFIGS', description: 'alter topic configs, validate only, no entries', deniedError: TOPIC_DENIED, needsExisting: true,
    run: async (session, target) =>
      attempt(async () => (await session.admin()).alterConfigs({ validateOnly: true, resources: [{ type: ConfigResourceTypes.TOPIC, name: target.name, configEntries: [] }] })),
  },
  {
    kind: 'group', operation: 'READ', description: 'join the group as a consumer (no commits)', deniedError: GROUP_DENIED, needsCompanion: 'topic',
    run: (session, target) => consumeSession(session, target.name, target.companion!, 'joined'),
  },
  {
    kind: 'group', operation: 'DESCRIBE', description: 'describe the group', deniedError: GROUP_DENIED,
    run: async (session, target) =>
      attempt(async () => {
        const { groups } = await (await session.admin()).describeGroups([target.name]);
        const errorCode = (groups[0] as { errorCode?: number } | undefined)?.errorCode ?? 0;
        if (errorCode === 30) throw Object.assign(new Error('group authorization failed'), { type: GROUP_DENIED });
      }),
  },
  {
    kind: 'group', operation: 'DELETE', description: 'delete a group that does not exist', deniedError: GROUP_DENIED, needsAbsent: true, allowedErrors: ['GROUP_ID_NOT_FOUND'],
    run: async (session, target) => attempt(async () => (await session.admin()).deleteGroups([target.name])),
  },
  {
    kind: 'cluster', operation: 'CREATE', description: 'create a fresh topic, validate only', deniedError: TOPIC_DENIED,
    run: async (session, target) =>
      attempt(async () => (await session.admin()).createTopics({ validateOnly: true, waitForLeaders: false, topics: [{ topic: target.companion!, numPartitions: 1, replicationFactor: 1 }] })),
  },
  {
    kind: 'cluster', operation: 'DESCRIBE', description: 'describe ACLs', deniedError: CLUSTER_DENIED,
    run: async (session) =>
      attempt(async () =>
        (await session.admin()).describeAcls({
          resourceType: AclResourceTypes.ANY, resourcePatternType: ResourcePatternTypes.ANY,
          operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY,
        }),
      ),
  },
  {
    kind: 'cluster', operation: 'ALTER', description: 'delete ACLs with a filter that matches nothing', deniedError: CLUSTER_DENIED,
    run: async (session) =>
      attempt(async () =>
        (await session.admin()).deleteAcls({
          filters: [{
            resourceType: AclResourceTypes.TOPIC, resourceName: `kafka-drill-probe-no-such-topic-${session.marker}`, resourcePatternType: ResourcePatternTypes.LITERAL,
            principal: 'User:kafka-drill-probe-nobody', host: '*', operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY,
          }],
        }),
      ),
  },
  {
    kind: 'cluster', operation: 'DESCRIBE_CONFIGS', description: 'describe broker configs', deniedError: CLUSTER_DENIED,
    run: async (session) => {
      const admin = await session.admin();
      return attempt(async () => admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.BROKER, name: await brokerId(admin) }] }));
    },
  },
  {
    kind: 'cluster', operation: 'ALTER_CONFIGS', description: 'alter broker configs, validate only, no entries', deniedError: CLUSTER_DENIED,
    run: async (session) => {
      const admin = await session.admin();
      return attempt(async () => admin.alterConfigs({ validateOnly: true, resources: [{ type: ConfigResourceTypes.BROKER, name: await brokerId(admin), configEntries: [] }] }));
    },
  },
  {
    kind: 'cluster', operation: 'IDEMPOTENT_WRITE', description: 'idempotent producer connects (InitProducerId), sends nothing', deniedError: CLUSTER_DENIED,
    run: async (session) => {
      // kafkajs refuses an idempotent producer without retries; authorization errors are not retried anyway.
      const producer = session.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, retry: { retries: 2 } });
      try {
        return await attempt(() => producer.connect());
      } finally {
        await producer.disconnect().catch(() => {});
      }
    },
  },
  {
    kind: 'transactional-id', operation: 'WRITE', description: 'begin and abort an empty transaction', deniedError: 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
    run: async (session, target) => {
      // Not `idempotent: true`: kafkajs would then run a second, non-transactional InitProducerId at
      // connect, which needs IDEMPOTENT_WRITE and fails with CLUSTER_AUTHORIZATION_FAILED first.
      // transaction() itself runs InitProducerId with the transactional id.
      const producer = session.kafka.producer({ transactionalId: target.name, maxInFlightRequests: 1, allowAutoTopicCreation: false, retry: { retries: 2 } });
      try {
        await producer.connect();
        const result = await attempt(async () => (await producer.transaction()).abort());
        return await explainCoordinatorFailure(result, session.connection, 'TRANSACTION', target.name);
      } finally {
        await producer.disconnect().catch(() => {});
      }
    },
  },
];

export function clientActionFor(kind: ResourceKind, operation: ActionOperation): ClientAction | undefined {
  return clientActions.find((action) => action.kind === kind && action.operation === operation);
}

/** Why an operation has no client action, for "skipped" evidence. */
export function unprobedReason(kind: ResourceKind, operation: ActionOperation): string {
  if (operation === 'CLUSTER_ACTION') return 'CLUSTER_ACTION is used only between brokers';
  if (kind === 'transactional-id' && operation === 'DESCRIBE') return 'kafkajs has no call that needs only DESCRIBE on a transactional id';
  return `no client action exercises ${operation} on a ${kind}`;
}

/** The operations ALL stands for on each resource kind, as far as clients can exercise them. */
export const OPERATIONS_OF_ALL: Record<ResourceKind, ActionOperation[]> = {
  topic: ['READ', 'WRITE', 'DESCRIBE', 'CREATE', 'DELETE', 'ALTER', 'DESCRIBE_CONFIGS', 'ALTER_CONFIGS'],
  group: ['READ', 'DESCRIBE', 'DELETE'],
  cluster: ['CREATE', 'DESCRIBE', 'ALTER', 'DESCRIBE_CONFIGS', 'ALTER_CONFIGS', 'IDEMPOTENT_WRITE'],
  'transactional-id': ['WRITE'],
};
