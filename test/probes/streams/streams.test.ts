import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StartedEnvironment } from '../../../src/environment/types.js';
import { asUser, type KafkaConnection } from '../../../src/kafka/connection.js';
import { runStreamsApplication, type StreamsApplicationJob } from '../../../src/kafka/java-streams.js';
import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, createProbeClient, ResourcePatternTypes } from '../../../src/kafka/probe-client.js';
import { upsertScramCredentials } from '../../../src/kafka/scram.js';
import { withAdmin } from '../../../src/kafka/admin.js';
import { streamsEvidence } from '../../../src/probes/streams-evidence.js';
import { startEnvironment } from '../../../src/environment/start.js';

const APP = 'word-count';
const job: StreamsApplicationJob = { applicationId: APP, inputTopic: 'words', changelogTopic: `${APP}-counts-changelog`, exactlyOnce: false, runMs: 90_000 };
const options = { timeoutMs: 180_000, requestTimeoutMs: 30_000 };

function allow(principal: string, resourceType: number, resourceName: string, operation: number, patternType = ResourcePatternTypes.LITERAL) {
  return { resourceType, resourceName, resourcePatternType: patternType, principal, host: '*', operation, permissionType: AclPermissionTypes.ALLOW };
}

// One cluster (SCRAM, ACLs) and the real count-per-key topology of kafka-streams 4.3.1.
describe('a real Kafka Streams application through the streams runner', () => {
  let environment: StartedEnvironment;
  let app: { name: string; connection: KafkaConnection };
  let stranger: { name: string; connection: KafkaConnection };

  async function produce(records: { key: string; partition: number }[]) {
    const producer = createProbeClient(environment.admin).producer();
    await producer.connect();
    try {
      await producer.send({ topic: 'words', messages: records.map((record) => ({ ...record, value: 'x' })) });
    } finally {
      await producer.disconnect();
    }
  }

  beforeAll(async () => {
    environment = await startEnvironment('process', { kafkaVersion: '4.3.1', brokers: 1, security: 'scram', heapMb: 384 });
    const password = 'word-count-secret-1';
    app = { name: 'wc', connection: asUser(environment.admin, { mechanism: 'SCRAM-SHA-256', username: 'wc', password }) };
    stranger = { name: 'other', connection: asUser(environment.admin, { mechanism: 'SCRAM-SHA-256', username: 'other', password }) };
    await withAdmin(environment.admin, async (admin) => {
      await admin.createTopics({ topics: ['words'], partitions: 2, replicas: 1 });
      await upsertScramCredentials(admin, [
        { user: 'wc', mechanism: 'SCRAM-SHA-256', iterations: 4096, password },
        { user: 'other', mechanism: 'SCRAM-SHA-256', iterations: 4096, password },
      ]);
    });
    const admin = createProbeClient(environment.admin).admin();
    await admin.connect();
    try {
      await admin.createAcls({
        acl: [
          ...['User:wc', 'User:other'].flatMap((principal) => [
            allow(principal, AclResourceTypes.TOPIC, 'words', AclOperationTypes.READ),
            allow(principal, AclResourceTypes.TOPIC, 'words', AclOperationTypes.DESCRIBE),
            allow(principal, AclResourceTypes.GROUP, APP, AclOperationTypes.READ),
          ]),
          // Only wc holds the internal topics' prefix.
          allow('User:wc', AclResourceTypes.TOPIC, `${APP}-`, AclOperationTypes.ALL, ResourcePatternTypes.PREFIXED),
        ] as never,
      });
    } finally {
      await admin.disconnect();
    }
    await produce(['a', 'b', 'c', 'a', 'b', 'a'].map((key, index) => ({ key, partition: index % 2 })));
  }, 240_000);
  afterAll(() => environment?.stop());

  it('first run: starts at the log start, builds the changelog', async () => {
    const run = await runStreamsApplication('4.3.1', environment.admin, app, job, options);
    expect(run, JSON.stringify(run)).toMatchObject({ ok: true, running: true, changelogExisted: false, committed: {}, firstOffsets: { '0': 0, '1': 0 } });
    expect(run.clientVersion).toBe('4.3.1');
  }, 240_000);

  it('second run: resumes at the committed offsets, restores exactly the changelog, every key in the store', async () => {
    await produce([
      { key: 'a', partition: 0 },
      { key: 'c', partition: 1 },
    ]);
    const run = await runStreamsApplication('4.3.1', environment.admin, app, job, options);
    // After the first run: 3 words + 1 marker per partition committed (offset 4), then one new word each.
    expect(run, JSON.stringify(run)).toMatchObject({ ok: true, running: true, changelogExisted: true, committed: { '0': 4, '1': 4 }, firstOffsets: { '0': 4, '1': 4 } });
    const onLog = Object.values(run.changelogRecords!).reduce((a, b) => a + b, 0);
    expect(onLog).toBeGreaterThan(0);
    expect(run.restored).toEqual(run.changelogRecords);
    // Per partition: a, b, c and the marker on 0; a, b and the marker on 1 ...
    expect(run.changelogKeys).toBe(7);
    // ... and, once running, the new c on partition 1 if the store has counted it yet (the probe
    // reads the store as soon as every partition processed a record, racing the last count).
    expect(run.storeEntries).toBeGreaterThanOrEqual(7);
    expect(run.storeEntries).toBeLessThanOrEqual(8);
    const evidence = streamsEvidence(run, APP, { name: job.changelogTopic, records: { '0': onLog } });
    expect(evidence.map((item) => item.outcome)).not.toContain('failed');
    expect(evidence.length).toBeGreaterThanOrEqual(5);
  }, 240_000);

  it('a principal without the internal topics prefix cannot run the application, and the probe names the refusal', async () => {
    const run = await runStreamsApplication('4.3.1', environment.admin, stranger, job, options);
    expect(run.ok).toBe(false);
    expect(run.kafkaError).toBe('TOPIC_AUTHORIZATION_FAILED');
    expect(streamsEvidence(run, APP, { name: job.changelogTopic })[0]).toMatchObject({ outcome: 'failed', kafkaError: 'TOPIC_AUTHORIZATION_FAILED' });
  }, 240_000);

  it('must fail: with its changelog gone the application rebuilds empty state and the probe says so', async () => {
    await withAdmin(environment.admin, (admin) => admin.deleteTopics({ topics: [job.changelogTopic] }));
    const run = await runStreamsApplication('4.3.1', environment.admin, app, job, options);
    expect(run, JSON.stringify(run)).toMatchObject({ ok: true, changelogExisted: false });
    expect(Object.values(run.restored ?? {}).every((records) => records === 0)).toBe(true);
    const evidence = streamsEvidence(run, APP, { name: job.changelogTopic, records: { '0': 7 } });
    expect(evidence.find((item) => item.outcome === 'failed')).toMatchObject({
      expected: 'state rebuilt from word-count-counts-changelog (7 records in the snapshot)',
      observed: 'word-count-counts-changelog is not on the restored cluster: state rebuilt empty (0 records restored)',
    });
  }, 240_000);

  it('exactly_once_v2 needs the transactional ids: refused without their prefix, running with it', async () => {
    const eos = { ...job, exactlyOnce: true };
    const refused = await runStreamsApplication('4.3.1', environment.admin, app, eos, options);
    expect(refused, JSON.stringify(refused)).toMatchObject({ ok: false, kafkaError: 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED' });
    expect(streamsEvidence(refused, APP, { name: job.changelogTopic })[0]).toMatchObject({ outcome: 'failed', kafkaError: 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED' });
    const admin = createProbeClient(environment.admin).admin();
    await admin.connect();
    try {
      await admin.createAcls({
        acl: [AclOperationTypes.WRITE, AclOperationTypes.DESCRIBE].map((operation) =>
          allow('User:wc', AclResourceTypes.TRANSACTIONAL_ID, `${APP}-`, operation, ResourcePatternTypes.PREFIXED),
        ) as never,
      });
    } finally {
      await admin.disconnect();
    }
    const granted = await runStreamsApplication('4.3.1', environment.admin, app, eos, options);
    expect(granted, JSON.stringify(granted)).toMatchObject({ ok: true, running: true, processedAllPartitions: true, changelogExisted: true });
    expect(granted.restored).toEqual(granted.changelogRecords);
  }, 240_000);
});
