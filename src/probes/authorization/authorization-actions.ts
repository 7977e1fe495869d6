import {
  AclOperations,
  AclPermissionTypes,
  alterConfigsV2,
  ConfigResourceTypes,
  createPartitionsV3,
  deleteAclsV3,
  deleteGroupsV2,
  deleteTopicsV6,
  describeAclsV3,
  describeConfigsV4,
  fetchV12,
  FindCoordinatorKeyTypes,
  findCoordinatorV4,
  initProducerIdV5,
  joinGroupV9,
  metadataV12,
  produceV9,
  ResourcePatternTypes,
  ResourceTypes,
  type Connection,
} from '@platformatic/kafka';
import { ANY_ACL } from '../../kafka/acls.js';
import { createTopics } from '../../kafka/create-topics.js';
import { sendForResponse } from '../../kafka/raw.js';
import type { Acl } from '../../snapshot/schema.js';
import type { ResourceKind } from './acl-model.js';

/**
 * The Kafka request that exercises one ACL operation, sent as the principal with the admin
 * library's typed low-level calls: Kafka answers with a typed error code per resource, which
 * kafkajs would swallow or fold into one exception. Where Kafka answers per resource, one
 * request carries many resources. Every action is harmless on a restored cluster: nothing is
 * written, committed, created, deleted or altered (validate-only, or aimed at a partition or
 * name that does not exist).
 *
 * Kafka checks authorization first; the errors listed as "after authorization" prove the
 * request got past it.
 *
 * | resource         | operation        | request (per request: resources)                           | after authorization                 | refused with                          |
 * |------------------|------------------|------------------------------------------------------------|-------------------------------------|---------------------------------------|
 * | topic            | WRITE            | Produce 1 record to a partition that does not exist (many) | UNKNOWN_TOPIC_OR_PARTITION          | TOPIC_AUTHORIZATION_FAILED            |
 * | topic            | READ             | Fetch from a partition that does not exist (many)          | UNKNOWN_TOPIC_OR_PARTITION          | TOPIC_AUTHORIZATION_FAILED            |
 * | topic            | DESCRIBE         | Metadata (many)                                            | UNKNOWN_TOPIC_OR_PARTITION          | TOPIC_AUTHORIZATION_FAILED            |
 * | topic            | CREATE           | CreateTopics, validate only (many)                         | TOPIC_ALREADY_EXISTS, THROTTLING_…  | TOPIC_AUTHORIZATION_FAILED            |
 * | topic            | DELETE           | DeleteTopics of a topic that does not exist (many)         | UNKNOWN_TOPIC_OR_PARTITION          | TOPIC_AUTHORIZATION_FAILED            |
 * | topic            | ALTER            | CreatePartitions to the current count, validate only (many)| INVALID_PARTITIONS                  | TOPIC_AUTHORIZATION_FAILED            |
 * | topic            | DESCRIBE_CONFIGS | DescribeConfigs (many)                                     | UNKNOWN_TOPIC_OR_PARTITION          | TOPIC_AUTHORIZATION_FAILED            |
 * | topic            | ALTER_CONFIGS    | AlterConfigs, validate only, no entries (many)             | UNKNOWN_TOPIC_OR_PARTITION          | TOPIC_AUTHORIZATION_FAILED            |
 * | group            | READ             | JoinGroup without a member id (one)                        | MEMBER_ID_REQUIRED, NOT_COORDINATOR | GROUP_AUTHORIZATION_FAILED            |
 * | group            | DESCRIBE         | FindCoordinator (many)                                     | COORDINATOR_NOT_AVAILABLE           | GROUP_AUTHORIZATION_FAILED            |
 * | group            | DELETE           | DeleteGroups of a group that does not exist (many)         | GROUP_ID_NOT_FOUND, NOT_COORDINATOR | GROUP_AUTHORIZATION_FAILED            |
 * | cluster          | CREATE           | CreateTopics of a fresh name, validate only                |                                     | TOPIC_AUTHORIZATION_FAILED (Kafka's answer) |
 * | cluster          | DESCRIBE         | DescribeAcls                                               |                                     | CLUSTER_AUTHORIZATION_FAILED          |
 * | cluster          | ALTER            | DeleteAcls with a filter that matches nothing              |                                     | CLUSTER_AUTHORIZATION_FAILED          |
 * | cluster          | DESCRIBE_CONFIGS | DescribeConfigs of a broker                                |                                     | CLUSTER_AUTHORIZATION_FAILED          |
 * | cluster          | ALTER_CONFIGS    | AlterConfigs of a broker, validate only, no entries        |                                     | CLUSTER_AUTHORIZATION_FAILED          |
 * | cluster          | IDEMPOTENT_WRITE | InitProducerId without a transactional id                  |                                     | CLUSTER_AUTHORIZATION_FAILED          |
 * | transactional-id | WRITE            | InitProducerId with the transactional id (one)             | NOT_COORDINATOR                     | TRANSACTIONAL_ID_AUTHORIZATION_FAILED |
 * | transactional-id | DESCRIBE         | FindCoordinator of the transactional id (many)             | COORDINATOR_NOT_AVAILABLE           | TRANSACTIONAL_ID_AUTHORIZATION_FAILED |
 *
 * Not probed (reported as skipped): CLUSTER_ACTION (brokers only), DELETE of a topic or group
 * that exists (the only requests that need it would destroy restored state).
 */
export type ActionOperation = Exclude<Acl['operation'], 'ALL'>;

/** What one principal's checks share: a broker connection authenticated as that principal. */
export interface ActionSession {
  connection: Connection;
  timeoutMs: number;
  /** Fresh names for cluster CREATE: unique to this run. */
  marker: string;
  /** Partition count of a topic as the snapshot has it, for ALTER. */
  partitionsOf(topic: string): number | undefined;
  /** A broker id, for broker config checks. */
  brokerId: number;
}

export interface ClientAction {
  kind: ResourceKind;
  operation: ActionOperation;
  /** What the request does, for evidence. */
  description: string;
  deniedError: string;
  /** Kafka errors that come after the authorization check passed. */
  allowedErrors: string[];
  /** The request cannot aim at an existing resource without harming it. */
  needsAbsent?: boolean;
  /** Most resources one request carries (1 where Kafka's request names a single resource). */
  batchSize: number;
  /** Kafka's error code for each resource (0: the request went through). */
  run(session: ActionSession, names: string[]): Promise<Map<string, number>>;
}

const TOPIC_DENIED = 'TOPIC_AUTHORIZATION_FAILED';
const GROUP_DENIED = 'GROUP_AUTHORIZATION_FAILED';
const CLUSTER_DENIED = 'CLUSTER_AUTHORIZATION_FAILED';
const TRANSACTIONAL_ID_DENIED = 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED';
const COORDINATOR_ERRORS = ['NOT_COORDINATOR', 'COORDINATOR_NOT_AVAILABLE', 'COORDINATOR_LOAD_IN_PROGRESS'];
/**
 * CreateTopics' answers for a topic that passed authorization (KRaft's controller drops refused
 * topics before it validates names or applies the controller mutation quota, which validate-only
 * requests are charged too).
 */
const CREATE_TOPICS_AFTER_AUTHORIZATION = [
  'TOPIC_ALREADY_EXISTS',
  'INVALID_REPLICATION_FACTOR',
  'INVALID_PARTITIONS',
  'POLICY_VIOLATION',
  'INVALID_TOPIC_EXCEPTION',
  'THROTTLING_QUOTA_EXCEEDED',
];
/** A partition no topic has: Kafka authorizes the topic, then answers UNKNOWN_TOPIC_OR_PARTITION, so nothing is written or read. */
const ABSENT_PARTITION = 2_147_483_646;
const MANY = 1_000;
/** JoinGroup's member session: short, so the pending member Kafka keeps after MEMBER_ID_REQUIRED expires quickly. */
const JOIN_SESSION_MS = 6_000;
/** ConsumerProtocol subscription v0 with no topics and no user data. */
const EMPTY_SUBSCRIPTION = Buffer.from([0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]);

function byName<T>(items: readonly T[], name: (item: T) => string | null | undefined, code: (item: T) => number): Map<string, number> {
  return new Map(items.map((item) => [name(item) ?? '', code(item)]));
}

/** One request for a single resource; its error code, or 0. */
async function single(call: Promise<{ errorCode: number }>): Promise<number> {
  return (await call).errorCode;
}

export const clientActions: ClientAction[] = [
  {
    kind: 'topic',
    operation: 'WRITE',
    description: 'Produce one record to a partition that does not exist',
    deniedError: TOPIC_DENIED,
    allowedErrors: ['UNKNOWN_TOPIC_OR_PARTITION', 'NOT_LEADER_OR_FOLLOWER'],
    batchSize: MANY,
    run: async (session, names) => {
      const messages = names.map((topic) => ({ topic, partition: ABSENT_PARTITION, value: Buffer.from('kafka-drill authorization probe') }));
      const response = (await sendForResponse(session.connection, produceV9, 1, session.timeoutMs, messages)) as {
        responses: { name: string; partitionResponses: { errorCode: number }[] }[];
      };
      return byName(
        response.responses,
        (topic) => topic.name,
        (topic) => topic.partitionResponses[0]?.errorCode ?? 0,
      );
    },
  },
  {
    kind: 'topic',
    operation: 'READ',
    description: 'Fetch from a partition that does not exist',
    deniedError: TOPIC_DENIED,
    allowedErrors: ['UNKNOWN_TOPIC_OR_PARTITION', 'NOT_LEADER_OR_FOLLOWER', 'OFFSET_OUT_OF_RANGE'],
    batchSize: MANY,
    run: async (session, names) => {
      const topics = names.map((topic) => ({
        topicId: topic,
        partitions: [{ partition: ABSENT_PARTITION, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, partitionMaxBytes: 1 }],
      }));
      const response = await sendForResponse(session.connection, fetchV12, 0, 0, 1, 0, 0, -1, topics, [], '');
      return byName(
        response.responses,
        (topic) => topic.topicId,
        (topic) => topic.partitions[0]?.errorCode ?? 0,
      );
    },
  },
  {
    kind: 'topic',
    operation: 'DESCRIBE',
    description: 'Metadata',
    deniedError: TOPIC_DENIED,
    allowedErrors: ['UNKNOWN_TOPIC_OR_PARTITION'],
    batchSize: MANY,
    run: async (session, names) => {
      const response = await sendForResponse(session.connection, metadataV12, names, false, false);
      return byName(
        response.topics,
        (topic) => topic.name,
        (topic) => topic.errorCode,
      );
    },
  },
  {
    kind: 'topic',
    operation: 'CREATE',
    description: 'CreateTopics, validate only',
    deniedError: TOPIC_DENIED,
    allowedErrors: CREATE_TOPICS_AFTER_AUTHORIZATION,
    batchSize: MANY,
    run: async (session, names) => {
      const topics = names.map((name) => ({ name, numPartitions: -1, replicationFactor: -1, assignments: [], configs: [] }));
      const response = await createTopics(session.connection, topics, session.timeoutMs, true);
      return byName(
        response.topics,
        (topic) => topic.name,
        (topic) => topic.errorCode,
      );
    },
  },
  {
    kind: 'topic',
    operation: 'DELETE',
    description: 'DeleteTopics of a topic that does not exist',
    deniedError: TOPIC_DENIED,
    needsAbsent: true,
    allowedErrors: ['UNKNOWN_TOPIC_OR_PARTITION'],
    batchSize: MANY,
    run: async (session, names) => {
      const response = await sendForResponse(
        session.connection,
        deleteTopicsV6,
        names.map((name) => ({ name })),
        session.timeoutMs,
      );
      return byName(
        response.responses,
        (topic) => topic.name,
        (topic) => topic.errorCode,
      );
    },
  },
  {
    kind: 'topic',
    operation: 'ALTER',
    description: 'CreatePartitions to the current count, validate only',
    deniedError: TOPIC_DENIED,
    allowedErrors: ['INVALID_PARTITIONS', 'UNKNOWN_TOPIC_OR_PARTITION'],
    batchSize: MANY,
    run: async (session, names) => {
      const topics = names.map((name) => ({ name, count: session.partitionsOf(name) ?? 1, assignments: null }));
      const response = await sendForResponse(session.connection, createPartitionsV3, topics, session.timeoutMs, true);
      return byName(
        response.results,
        (topic) => topic.name,
        (topic) => topic.errorCode,
      );
    },
  },
  {
    kind: 'topic',
    operation: 'DESCRIBE_CONFIGS',
    description: 'DescribeConfigs',
    deniedError: TOPIC_DENIED,
    allowedErrors: ['UNKNOWN_TOPIC_OR_PARTITION'],
    batchSize: MANY,
    run: async (session, names) => {
      const resources = names.map((name) => ({ resourceType: ConfigResourceTypes.TOPIC, resourceName: name, configurationKeys: ['cleanup.policy'] }));
      const response = await sendForResponse(session.connection, describeConfigsV4, resources, false, false);
      return byName(
        response.results,
        (result) => result.resourceName,
        (result) => result.errorCode,
      );
    },
  },
  {
    kind: 'topic',
    operation: 'ALTER_CONFIGS',
    description: 'AlterConfigs, validate only, no entries',
    deniedError: TOPIC_DENIED,
    allowedErrors: ['UNKNOWN_TOPIC_OR_PARTITION', 'INVALID_REQUEST', 'INVALID_CONFIG'],
    batchSize: MANY,
    run: async (session, names) => {
      const resources = names.map((name) => ({ resourceType: ConfigResourceTypes.TOPIC, resourceName: name, configs: [] }));
      const response = await sendForResponse(session.connection, alterConfigsV2, resources, true);
      return byName(
        response.responses,
        (result) => result.resourceName,
        (result) => result.errorCode,
      );
    },
  },
  {
    kind: 'group',
    operation: 'READ',
    description: 'JoinGroup without a member id (answered before any member joins)',
    deniedError: GROUP_DENIED,
    allowedErrors: ['MEMBER_ID_REQUIRED', 'UNKNOWN_MEMBER_ID', 'INCONSISTENT_GROUP_PROTOCOL', 'GROUP_MAX_SIZE_REACHED', ...COORDINATOR_ERRORS],
    batchSize: 1,
    run: async (session, [group]) =>
      new Map([
        [
          group!,
          await single(
            sendForResponse(
              session.connection,
              joinGroupV9,
              group!,
              JOIN_SESSION_MS,
              JOIN_SESSION_MS,
              '',
              null,
              'consumer',
              [{ name: 'range', metadata: EMPTY_SUBSCRIPTION }],
              'kafka-drill authorization probe',
            ),
          ),
        ],
      ]),
  },
  {
    kind: 'group',
    operation: 'DESCRIBE',
    description: 'FindCoordinator of the group',
    deniedError: GROUP_DENIED,
    allowedErrors: COORDINATOR_ERRORS,
    batchSize: MANY,
    run: async (session, names) => {
      const response = await sendForResponse(session.connection, findCoordinatorV4, FindCoordinatorKeyTypes.GROUP, names);
      return byName(
        response.coordinators,
        (coordinator) => coordinator.key,
        (coordinator) => coordinator.errorCode,
      );
    },
  },
  {
    kind: 'group',
    operation: 'DELETE',
    description: 'DeleteGroups of a group that does not exist',
    deniedError: GROUP_DENIED,
    needsAbsent: true,
    allowedErrors: ['GROUP_ID_NOT_FOUND', ...COORDINATOR_ERRORS],
    batchSize: MANY,
    run: async (session, names) => {
      const response = await sendForResponse(session.connection, deleteGroupsV2, names);
      return byName(
        response.results,
        (result) => result.groupId,
        (result) => result.errorCode,
      );
    },
  },
  {
    kind: 'cluster',
    operation: 'CREATE',
    description: 'CreateTopics of a fresh name, validate only',
    deniedError: TOPIC_DENIED,
    allowedErrors: CREATE_TOPICS_AFTER_AUTHORIZATION,
    batchSize: 1,
    run: async (session, [cluster]) => {
      const topic = { name: `kafka-drill-probe-${session.marker}`, numPartitions: -1, replicationFactor: -1, assignments: [], configs: [] };
      const response = await createTopics(session.connection, [topic], session.timeoutMs, true);
      return new Map([[cluster!, response.topics[0]?.errorCode ?? 0]]);
    },
  },
  {
    kind: 'cluster',
    operation: 'DESCRIBE',
    description: 'DescribeAcls',
    deniedError: CLUSTER_DENIED,
    allowedErrors: [],
    batchSize: 1,
    run: async (session, [cluster]) => {
      return new Map([[cluster!, await single(sendForResponse(session.connection, describeAclsV3, ANY_ACL))]]);
    },
  },
  {
    kind: 'cluster',
    operation: 'ALTER',
    description: 'DeleteAcls with a filter that matches nothing',
    deniedError: CLUSTER_DENIED,
    allowedErrors: [],
    batchSize: 1,
    run: async (session, [cluster]) => {
      const filter = {
        resourceType: ResourceTypes.TOPIC,
        resourceName: `kafka-drill-probe-no-such-topic-${session.marker}`,
        resourcePatternType: ResourcePatternTypes.LITERAL,
        principal: 'User:kafka-drill-probe-nobody',
        host: '*',
        operation: AclOperations.ANY,
        permissionType: AclPermissionTypes.ANY,
      };
      const response = await sendForResponse(session.connection, deleteAclsV3, [filter]);
      return new Map([[cluster!, response.filterResults[0]?.errorCode ?? 0]]);
    },
  },
  {
    kind: 'cluster',
    operation: 'DESCRIBE_CONFIGS',
    description: 'DescribeConfigs of a broker',
    deniedError: CLUSTER_DENIED,
    allowedErrors: [],
    batchSize: 1,
    run: async (session, [cluster]) => {
      const resources = [{ resourceType: ConfigResourceTypes.BROKER, resourceName: String(session.brokerId), configurationKeys: ['log.retention.ms'] }];
      const response = await sendForResponse(session.connection, describeConfigsV4, resources, false, false);
      return new Map([[cluster!, response.results[0]?.errorCode ?? 0]]);
    },
  },
  {
    kind: 'cluster',
    operation: 'ALTER_CONFIGS',
    description: 'AlterConfigs of a broker, validate only, no entries',
    deniedError: CLUSTER_DENIED,
    allowedErrors: ['INVALID_REQUEST'],
    batchSize: 1,
    run: async (session, [cluster]) => {
      const resources = [{ resourceType: ConfigResourceTypes.BROKER, resourceName: String(session.brokerId), configs: [] }];
      const response = await sendForResponse(session.connection, alterConfigsV2, resources, true);
      return new Map([[cluster!, response.responses[0]?.errorCode ?? 0]]);
    },
  },
  {
    kind: 'cluster',
    operation: 'IDEMPOTENT_WRITE',
    description: 'InitProducerId without a transactional id',
    deniedError: CLUSTER_DENIED,
    allowedErrors: [],
    batchSize: 1,
    run: async (session, [cluster]) => new Map([[cluster!, await single(sendForResponse(session.connection, initProducerIdV5, null, 60_000, -1n, -1))]]),
  },
  {
    kind: 'transactional-id',
    operation: 'WRITE',
    description: 'InitProducerId with the transactional id',
    deniedError: TRANSACTIONAL_ID_DENIED,
    allowedErrors: ['CONCURRENT_TRANSACTIONS', ...COORDINATOR_ERRORS],
    batchSize: 1,
    run: async (session, [id]) => new Map([[id!, await single(sendForResponse(session.connection, initProducerIdV5, id!, 60_000, -1n, -1))]]),
  },
  {
    kind: 'transactional-id',
    operation: 'DESCRIBE',
    description: 'FindCoordinator of the transactional id',
    deniedError: TRANSACTIONAL_ID_DENIED,
    allowedErrors: COORDINATOR_ERRORS,
    batchSize: MANY,
    run: async (session, names) => {
      const response = await sendForResponse(session.connection, findCoordinatorV4, FindCoordinatorKeyTypes.TRANSACTION, names);
      return byName(
        response.coordinators,
        (coordinator) => coordinator.key,
        (coordinator) => coordinator.errorCode,
      );
    },
  },
];

export function clientActionFor(kind: ResourceKind, operation: ActionOperation): ClientAction | undefined {
  return clientActions.find((action) => action.kind === kind && action.operation === operation);
}

/** Why an operation has no client action, for "skipped" evidence. */
export function unprobedReason(kind: ResourceKind, operation: ActionOperation): string {
  if (operation === 'CLUSTER_ACTION') return 'CLUSTER_ACTION is used only between brokers';
  return `no client request exercises ${operation} on a ${kind}`;
}

/**
 * The operations ALL stands for on each resource kind (Kafka's AclEntry.supportedOperations),
 * client-exercisable ones first. CLUSTER_ACTION has no client request and is reported as not exercised.
 */
export const OPERATIONS_OF_ALL: Record<ResourceKind, ActionOperation[]> = {
  topic: ['READ', 'WRITE', 'DESCRIBE', 'CREATE', 'DELETE', 'ALTER', 'DESCRIBE_CONFIGS', 'ALTER_CONFIGS'],
  group: ['READ', 'DESCRIBE', 'DELETE'],
  cluster: ['CREATE', 'DESCRIBE', 'ALTER', 'DESCRIBE_CONFIGS', 'ALTER_CONFIGS', 'IDEMPOTENT_WRITE', 'CLUSTER_ACTION'],
  'transactional-id': ['WRITE', 'DESCRIBE'],
};
