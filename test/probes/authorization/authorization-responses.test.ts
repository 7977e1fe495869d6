import { alterClientQuotasV1, createTopicsV7, deleteTopicsV6, type Connection } from '@platformatic/kafka';
import { describe, expect, it } from 'vitest';
import { withAdmin } from '../../../src/kafka/admin.js';
import { asUser } from '../../../src/kafka/connection.js';
import { createTopics } from '../../../src/kafka/create-topics.js';
import { brokerConnection, errorName, sendForResponse, withPerObjectErrors } from '../../../src/kafka/raw.js';
import { upsertScramCredentials } from '../../../src/kafka/scram.js';
import { AclIndex } from '../../../src/probes/authorization/acl-model.js';
import { AuthorizationProbe } from '../../../src/probes/authorization/authorization.js';
import { requestAnswer } from '../../../src/probes/authorization/authorization-plan.js';
import { runProbes } from '../../../src/probes/run-probes.js';
import type { Acl } from '../../../src/snapshot/schema.js';
import { integrationVersions, startForTest } from '../../support/kafka.js';
import { acl, contextFor, platformaticAcl, snapshotOf } from '../cluster.js';

/**
 * The authorization probe's requests against a real broker, as principals whose ACLs change the
 * shape of Kafka's answers: CreateTopics of a principal that may CREATE but not DESCRIBE_CONFIGS
 * carries the tagged TopicConfigErrorCode (configs withheld), a DENY DESCRIBE hides a topic from
 * DeleteTopics although DELETE is granted, DELETE on the cluster (through ALL) sees every topic.
 * Every answer must decode, and the model must predict it; then the derived probe on these ACLs
 * must have no failed check.
 */
const USERS = ['dana', 'erin', 'fay', 'gus', 'hal', 'ivy', 'jo'];
const password = (user: string) => `${user}-secret-1`;

const ACLS: Acl[] = [
  // dana: CREATE only, so configs are withheld for every topic she may create.
  acl('User:dana', 'TOPIC', 'ct.', 'PREFIXED', 'CREATE'),
  // erin: CREATE and DESCRIBE_CONFIGS: configs returned.
  acl('User:erin', 'TOPIC', 'ct.', 'PREFIXED', 'CREATE'),
  acl('User:erin', 'TOPIC', 'ct.', 'PREFIXED', 'DESCRIBE_CONFIGS'),
  // fay: CREATE with DENY DESCRIBE, and configs for one topic only (ALTER_CONFIGS implies DESCRIBE_CONFIGS): a mixed batch.
  acl('User:fay', 'TOPIC', 'ct.', 'PREFIXED', 'CREATE'),
  acl('User:fay', 'TOPIC', 'ct.', 'PREFIXED', 'DESCRIBE', 'DENY'),
  acl('User:fay', 'TOPIC', 'ct.new-2', 'LITERAL', 'ALTER_CONFIGS'),
  // gus: CREATE on the cluster, DESCRIBE_CONFIGS everywhere but one topic.
  acl('User:gus', 'CLUSTER', 'kafka-cluster', 'LITERAL', 'CREATE'),
  acl('User:gus', 'TOPIC', '*', 'LITERAL', 'DESCRIBE_CONFIGS'),
  acl('User:gus', 'TOPIC', 'ct.new-1', 'LITERAL', 'DESCRIBE_CONFIGS', 'DENY'),
  // Everyone may DELETE under dom006.; hal may not DESCRIBE there; ivy neither, but has ALL on the cluster.
  acl('User:*', 'TOPIC', 'dom006.', 'PREFIXED', 'DELETE'),
  acl('User:hal', 'TOPIC', 'dom006.', 'PREFIXED', 'DESCRIBE', 'DENY'),
  acl('User:ivy', 'TOPIC', 'dom006.', 'PREFIXED', 'DESCRIBE', 'DENY'),
  acl('User:ivy', 'CLUSTER', 'kafka-cluster', 'LITERAL', 'ALL'),
  acl('User:ivy', 'TOPIC', 'ct.', 'PREFIXED', 'ALL', 'DENY'),
  // jo: CREATE (and ALTER: CreatePartitions) under a controller mutation quota of 1 partition a second.
  acl('User:jo', 'TOPIC', 'ct.', 'PREFIXED', 'CREATE'),
  acl('User:jo', 'TOPIC', 'ct.exists', 'LITERAL', 'ALTER'),
];
const TOPICS = ['ct.exists', 'dom006.kept'];
const CREATE_BATCH = ['ct.new-1', 'ct.new-2', 'ct.new-3', 'ct.exists', 'zz.other', 'ct.bad name'];
const DELETE_BATCH = ['dom006.absent-1', 'dom006.absent-2', 'ct.absent', 'zz.absent'];
const TOPIC_AUTHORIZATION_FAILED = 29;

describe.each(integrationVersions())("the authorization probe's requests on Kafka %s", async (kafkaVersion) => {
  const environment = await startForTest({ security: 'scram', kafkaVersion });
  await withAdmin(environment.admin, async (admin) => {
    await admin.createTopics({ topics: TOPICS, partitions: 1, replicas: 1 });
    const errors = await upsertScramCredentials(
      admin,
      USERS.map((user) => ({ user, mechanism: 'SCRAM-SHA-256' as const, iterations: 4096, password: password(user) })),
    );
    if (errors.length > 0) throw new Error(JSON.stringify(errors));
    await admin.createAcls({ creations: ACLS.map(platformaticAcl) });
    const quota = await sendForResponse(
      await brokerConnection(admin),
      alterClientQuotasV1,
      [{ entities: [{ entityType: 'user' as never, entityName: 'jo' }], ops: [{ key: 'controller_mutation_rate' as never, value: 1, remove: false }] }],
      false,
    );
    if (quota.entries.some((entry) => entry.errorCode !== 0)) throw new Error(JSON.stringify(quota.entries));
  });
  const index = new AclIndex(ACLS);

  async function as<T>(user: string, use: (connection: Connection) => Promise<T>): Promise<T> {
    return withAdmin(asUser(environment.admin, { mechanism: 'SCRAM-SHA-256', username: user, password: password(user) }), async (admin) => use(await brokerConnection(admin)));
  }

  it('decodes validate-only CreateTopics answers with configs withheld, per-topic errors and DENY DESCRIBE, as the model predicts', async () => {
    for (const user of ['dana', 'erin', 'fay', 'gus', 'ivy']) {
      const principal = `User:${user}`;
      const topics = CREATE_BATCH.map((name) => ({ name, numPartitions: -1, replicationFactor: -1, assignments: [], configs: [] }));
      const response = await as(user, (connection) => createTopics(connection, topics, 10_000, true));
      expect(response.topics.map((topic) => topic.name).sort()).toEqual([...CREATE_BATCH].sort());
      for (const topic of response.topics) {
        const error = topic.errorCode === 0 ? 'NONE' : errorName(topic.errorCode);
        const what = `${principal} CreateTopics ${topic.name}: ${error}`;
        const answered = ['NONE', 'TOPIC_ALREADY_EXISTS', 'INVALID_TOPIC_EXCEPTION'].includes(error) ? 'allow' : 'deny';
        expect(answered, what).toBe(requestAnswer(index, principal, 'CREATE', 'topic', topic.name, 'x'));
        if (answered === 'deny') expect(error, what).toBe('TOPIC_AUTHORIZATION_FAILED');
        if (topic.name === 'ct.exists' && answered === 'allow') expect(error, what).toBe('TOPIC_ALREADY_EXISTS');
        if (error !== 'NONE') continue;
        // Created (validate only): configs come back only with DESCRIBE_CONFIGS, else the tagged config error says why.
        if (index.isAuthorized(principal, 'DESCRIBE_CONFIGS', 'topic', topic.name)) {
          expect(topic.topicConfigErrorCode, what).toBe(0);
          expect(topic.numPartitions, what).toBeGreaterThan(0);
          expect(
            topic.configs?.some((config) => config.name === 'cleanup.policy'),
            what,
          ).toBe(true);
        } else {
          expect(topic.topicConfigErrorCode, what).toBe(TOPIC_AUTHORIZATION_FAILED);
          expect(topic.numPartitions, what).toBe(-1);
          expect(topic.replicationFactor, what).toBe(-1);
          expect(topic.configs ?? [], what).toEqual([]);
        }
      }
    }
    // Why the probe reads this answer itself: @platformatic/kafka 1.35 misreads the tagged field.
    // When this starts to pass, the library reads tagged fields right and create-topics.ts can go.
    const libraryReads = await as('dana', (connection) =>
      withPerObjectErrors(
        createTopicsV7.api.async(
          connection,
          CREATE_BATCH.map((name) => ({ name, numPartitions: -1, replicationFactor: -1, assignments: [], configs: [] })),
          10_000,
          true,
        ),
      ).then(
        (response) => response.topics.map((topic) => topic.name).sort(),
        (error: Error) => error.message,
      ),
    );
    expect(libraryReads).not.toEqual([...CREATE_BATCH].sort());
  });

  it('decodes a throttled validate-only CreateTopics: THROTTLING_QUOTA_EXCEEDED per topic, after authorization', async () => {
    const topics = CREATE_BATCH.map((name) => ({ name, numPartitions: 4, replicationFactor: -1, assignments: [], configs: [] }));
    const seen: string[] = [];
    let throttleTimeMs = 0;
    for (let attempt = 0; attempt < 20 && throttleTimeMs === 0; attempt++) {
      const response = await as('jo', (connection) => createTopics(connection, topics, 10_000, true));
      throttleTimeMs = response.throttleTimeMs;
      seen.push(
        response.topics
          .map((topic) => `${topic.name} ${topic.errorCode === 0 ? 'NONE' : errorName(topic.errorCode)}`)
          .sort()
          .join(', '),
      );
      if (throttleTimeMs === 0) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    console.log(`Kafka ${kafkaVersion}: jo's CreateTopics answers: ${seen.join(' | ')}; throttle ${throttleTimeMs} ms`);
    expect(throttleTimeMs).toBeGreaterThan(0);
    expect(seen.at(-1)).toMatch(/ct\.new-1 THROTTLING_QUOTA_EXCEEDED/);
    // Refused topics are refused before the quota: the quota error means authorization passed.
    expect(seen.at(-1)).toMatch(/zz\.other TOPIC_AUTHORIZATION_FAILED/);
  });

  it('answers DeleteTopics of absent topics by DESCRIBE (or DELETE on the cluster), as the model predicts', async () => {
    const observed: string[] = [];
    const predicted: string[] = [];
    for (const user of USERS) {
      const principal = `User:${user}`;
      const response = await as(user, (connection) =>
        withPerObjectErrors(
          deleteTopicsV6.api.async(
            connection,
            DELETE_BATCH.map((name) => ({ name })),
            10_000,
          ),
        ),
      );
      for (const topic of response.responses) {
        observed.push(`${principal} ${topic.name} ${errorName(topic.errorCode)}`);
        const answer = requestAnswer(index, principal, 'DELETE', 'topic', topic.name!, 'x');
        predicted.push(`${principal} ${topic.name} ${answer === 'allow' ? 'UNKNOWN_TOPIC_OR_PARTITION' : 'TOPIC_AUTHORIZATION_FAILED'}`);
      }
    }
    expect(observed.sort()).toEqual(predicted.sort());
    // The shapes this is about: DELETE granted but DESCRIBE denied; the cluster's ALL sees past DENY DESCRIBE.
    expect(observed).toContain('User:hal dom006.absent-1 TOPIC_AUTHORIZATION_FAILED');
    expect(observed).toContain('User:dana dom006.absent-1 UNKNOWN_TOPIC_OR_PARTITION');
    expect(observed).toContain('User:ivy dom006.absent-1 UNKNOWN_TOPIC_OR_PARTITION');
    expect(observed).toContain('User:ivy ct.absent UNKNOWN_TOPIC_OR_PARTITION');
  });

  it('derives a matrix on these ACLs with no failed check', async () => {
    const snapshot = snapshotOf({
      topics: TOPICS.map((name) => ({ name, partitions: 1, replicationFactor: 1, configs: {}, partitionOffsets: [{ partition: 0, logStartOffset: 0, logEndOffset: 0 }] })),
      acls: ACLS,
      scramUsers: USERS.map((name) => ({ name, credentials: [{ mechanism: 'SCRAM-SHA-256' as const, iterations: 4096 }] })),
      consumerGroups: [],
    });
    const credentials = new Map(USERS.map((user) => [user, password(user)]));
    const [outcome] = await runProbes([new AuthorizationProbe('authz', 'derived', { derive: true, expect: [] })], contextFor(environment, snapshot, { credentials }));
    const failed = outcome!.evidence.filter((item) => item.outcome === 'failed');
    const counts = { passed: 0, failed: 0, skipped: 0 };
    for (const item of outcome!.evidence) counts[item.outcome as keyof typeof counts]++;
    console.log(`Kafka ${kafkaVersion}: derived authorization matrix ${JSON.stringify(counts)} in ${outcome!.durationMs} ms`);
    expect(failed).toEqual([]);
    // The hidden-topic DeleteTopics is a judged check, expected refused for the DENY DESCRIBE.
    expect(outcome!.evidence.find((item) => item.principal === 'User:hal' && item.operation === 'DELETE' && item.resource?.startsWith('topic dom006.'))).toMatchObject({
      outcome: 'passed',
      expected: 'deny',
      kafkaError: 'TOPIC_AUTHORIZATION_FAILED',
    });
    expect(outcome!.evidence.filter((item) => item.operation === 'CREATE' && item.outcome === 'passed').length).toBeGreaterThan(3);
  });
});
