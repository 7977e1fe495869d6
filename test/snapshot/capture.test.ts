import { AclOperations, AclPermissionTypes, ConfigResourceTypes, describeConfigsV4, ResourcePatternTypes, ResourceTypes } from '@platformatic/kafka';
import { execa } from 'execa';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { loadClusterDefinition, seedCluster } from '../../fixtures/seed.js';
import { runDiff } from '../../src/cli/diff.js';
import { runSnapshot } from '../../src/cli/snapshot.js';
import { clientProperties } from '../../src/environment/client-properties.js';
import { ADMIN_USER } from '../../src/model/enums.js';
import { createAdmin, withAdmin } from '../../src/kafka/admin.js';
import { describeTopicAndBrokerConfigs } from '../../src/kafka/configs.js';
import { asUser } from '../../src/kafka/connection.js';
import { kafkaErrorName } from '../../src/kafka/errors.js';
import { upsertScramCredentials } from '../../src/kafka/scram.js';
import { serializeSnapshot } from '../../src/snapshot/canonical.js';
import { capturedTopicConfig, captureSnapshot, captureWithStats } from '../../src/snapshot/capture.js';
import { loadSnapshot } from '../../src/snapshot/load.js';
import type { SnapshotContent } from '../../src/snapshot/schema.js';
import { integrationVersions, startForTest } from '../support/kafka.js';
import { tempDir } from '../support/temp.js';
import { CLI } from '../cli/run-cli.js';

const definitionFile = fileURLToPath(new URL('../../fixtures/example-cluster.yaml', import.meta.url));
const auditor = { mechanism: 'SCRAM-SHA-256' as const, username: 'auditor', password: 'auditor-secret-1' };

/** The serialized text without the two lines that change every capture. */
function withoutCaptureTime(snapshot: SnapshotContent): string {
  return serializeSnapshot(snapshot)
    .replace(/^\s*"capturedAt": .*$/m, '')
    .replace(/^\s*"digest": .*$/m, '');
}

function sink(): { stream: Writable; text: () => string } {
  let text = '';
  return {
    stream: new Writable({
      write(chunk, _encoding, done) {
        text += String(chunk);
        done();
      },
    }),
    text: () => text,
  };
}

describe.each(integrationVersions())('capture on Kafka %s', async (kafkaVersion) => {
  const environment = await startForTest({ kafkaVersion, security: 'scram', heapMb: 512 });
  await seedCluster(environment.admin, await loadClusterDefinition(definitionFile), { clampReplication: true });
  const workDir = tempDir('capture');
  const commandConfig = join(workDir, 'admin.properties');
  await writeFile(commandConfig, clientProperties(environment.admin));
  // As `kafka-drill snapshot` captures: the environment's own admin is named, and left out.
  const { snapshot, requests } = await captureWithStats(environment.admin, { toolVersion: 'test', fingerprints: true, leaveOutDrillAdmin: true });

  it('names the Kafka release line and the cluster', () => {
    expect(snapshot.source).toMatchObject({ clusterId: environment.clusterId, kafkaVersion: kafkaVersion.split('.').slice(0, 2).join('.'), toolVersion: 'test' });
    expect(snapshot.source.bootstrap).toBeUndefined();
    expect(snapshot.source.brokerIds).toEqual(environment.brokers.map((broker) => broker.nodeId));
  });

  it('captures topic overrides with their source, partitions and log offsets', () => {
    const topic = snapshot.topics.find((candidate) => candidate.name === 'payments.authorizations')!;
    expect(topic).toMatchObject({ partitions: 6, replicationFactor: 1 });
    expect(topic.configs).toEqual({
      'min.insync.replicas': { value: '1', source: 'DYNAMIC_TOPIC_CONFIG' },
      'retention.ms': { value: '604800000', source: 'DYNAMIC_TOPIC_CONFIG' },
      'unclean.leader.election.enable': { value: 'false', source: 'DYNAMIC_TOPIC_CONFIG' },
    });
    expect(topic.partitionOffsets).toEqual([0, 1, 2, 3, 4, 5].map((partition) => ({ partition, logStartOffset: 0, logEndOffset: 20 })));
    expect(snapshot.topics.find((candidate) => candidate.name === 'orders.state')!.configs['cleanup.policy']).toEqual({ value: 'compact,delete', source: 'DYNAMIC_TOPIC_CONFIG' });
    expect(snapshot.topics).toHaveLength(29);
  });

  it('leaves internal and storage topics out, saying why', () => {
    expect(snapshot.skippedTopics).toEqual(
      expect.arrayContaining([
        { name: '__consumer_offsets', reason: 'internal to Kafka' },
        { name: '_schemas', reason: 'Schema Registry storage' },
        { name: 'connect-retail-offsets', reason: 'Kafka Connect storage (compacted, worker naming)' },
      ]),
    );
    expect(snapshot.topics.map((topic) => topic.name)).not.toContain('connect-retail-status');
  });

  it('captures dynamic broker configs, cluster-wide and per broker', () => {
    expect(snapshot.clusterConfigs.clusterDefault['log.retention.ms']).toEqual({ value: '604800000', source: 'DYNAMIC_DEFAULT_BROKER_CONFIG' });
    expect(snapshot.clusterConfigs.perBroker['1']).toEqual({ 'log.cleaner.threads': { value: '2', source: 'DYNAMIC_BROKER_CONFIG' } });
  });

  it('captures every ACL binding, including PREFIXED DENY, wildcards and non-topic resources', () => {
    expect(snapshot.acls).toHaveLength(37);
    expect(snapshot.acls).toContainEqual({
      resourceType: 'TOPIC',
      resourceName: 'audit.',
      patternType: 'PREFIXED',
      principal: 'User:svc-analytics',
      host: '*',
      operation: 'READ',
      permissionType: 'DENY',
    });
    expect(snapshot.acls).toContainEqual({
      resourceType: 'TOPIC',
      resourceName: '*',
      patternType: 'LITERAL',
      principal: 'User:*',
      host: '*',
      operation: 'DELETE',
      permissionType: 'DENY',
    });
    expect(snapshot.acls).toContainEqual({
      resourceType: 'TRANSACTIONAL_ID',
      resourceName: 'ledger-tx',
      patternType: 'LITERAL',
      principal: 'User:svc-ledger',
      host: '*',
      operation: 'WRITE',
      permissionType: 'ALLOW',
    });
    expect(snapshot.acls).toContainEqual({
      resourceType: 'TOPIC',
      resourceName: 'pos.',
      patternType: 'PREFIXED',
      principal: 'User:svc-pos-gateway',
      host: '10.20.0.15',
      operation: 'WRITE',
      permissionType: 'ALLOW',
    });
  });

  it('captures SCRAM users by mechanism and iterations only', () => {
    const ledger = snapshot.scramUsers.find((user) => user.name === 'svc-ledger');
    expect(ledger).toEqual({
      name: 'svc-ledger',
      credentials: [
        { mechanism: 'SCRAM-SHA-256', iterations: 4096 },
        { mechanism: 'SCRAM-SHA-512', iterations: 8192 },
      ],
    });
    for (const credential of snapshot.scramUsers.flatMap((user) => user.credentials)) expect(Object.keys(credential).sort()).toEqual(['iterations', 'mechanism']);
    expect(serializeSnapshot(snapshot)).not.toContain(environment.admin.sasl!.password);
  });

  it('captures default, user and user+client-id quotas', () => {
    // The six set here: the drill environment's own admin quota (environment/admin-quota.ts) is left out, below.
    expect(snapshot.quotas).toHaveLength(6);
    expect(snapshot.quotas).toContainEqual({
      entity: [
        { type: 'user', name: 'svc-analytics' },
        { type: 'client-id', name: 'analytics-backfill' },
      ],
      values: { consumer_byte_rate: 1048576, request_percentage: 50 },
    });
    expect(snapshot.quotas).toContainEqual({ entity: [{ type: 'user', name: null }], values: { producer_byte_rate: 10485760, consumer_byte_rate: 20971520 } });
  });

  it("leaves the environment's own admin out (its SCRAM user and its quota), with a note for each", async () => {
    expect(environment.admin.sasl!.username).toBe(ADMIN_USER);
    expect(snapshot.scramUsers.map((user) => user.name)).not.toContain(ADMIN_USER);
    expect(snapshot.quotas.filter((quota) => quota.entity.some((part) => part.name === ADMIN_USER))).toEqual([]);
    const why = "the admin of the kafka-drill environment the snapshot was taken from, not the cluster's (a drill has its own)";
    expect(snapshot.source.notes).toEqual([`SCRAM user ${ADMIN_USER} left out: ${why}`, `quota user=${ADMIN_USER} left out: ${why}`]);
    // They are there: a capture not told whose admin it is keeps them, like every other user and quota.
    const unnamed = await captureSnapshot(environment.admin, { toolVersion: 'test' });
    expect(unnamed.scramUsers.map((user) => user.name)).toContain(ADMIN_USER);
    expect(unnamed.quotas.filter((quota) => quota.entity.some((part) => part.name === ADMIN_USER))).toHaveLength(1);
    expect(unnamed.source.notes).toBeUndefined();
  });

  it('captures committed offsets below the log end, with fingerprints of the records there', () => {
    const group = snapshot.consumerGroups.find((candidate) => candidate.groupId === 'fraud-scoring')!;
    expect(group.state).toBe('EMPTY');
    expect(group.offsets.map((entry) => [entry.topic, entry.partition, entry.offset, entry.metadata])).toEqual(
      [0, 1, 2, 3, 4, 5].map((partition) => ['payments.authorizations', partition, 15, '']),
    );
    // Every committed offset below the log end has the record there fingerprinted; the seed writes record n at seed time + n seconds.
    const fingerprints = group.offsets.map((entry) => entry.fingerprint!);
    expect(fingerprints.every((fingerprint) => /^[0-9a-f]{64}$/.test(fingerprint.sha256) && fingerprint.timestamp % 1000 === 0)).toBe(true);
    expect(new Set(fingerprints.map((fingerprint) => fingerprint.sha256)).size).toBe(6);
    const logEnd = (topic: string, partition: number) => snapshot.topics.find((candidate) => candidate.name === topic)!.partitionOffsets[partition]!.logEndOffset;
    const everyBelowEnd = snapshot.consumerGroups.flatMap((candidate) => candidate.offsets).filter((entry) => entry.offset < logEnd(entry.topic, entry.partition));
    expect(everyBelowEnd).toHaveLength(69);
    expect(everyBelowEnd.filter((entry) => !entry.fingerprint)).toEqual([]);
    // lag 0: the committed offset is the log end, where there is no record to fingerprint.
    expect(snapshot.consumerGroups.find((candidate) => candidate.groupId === 'inventory-sync')!.offsets.every((entry) => entry.offset === 20 && !entry.fingerprint)).toBe(true);
    expect(snapshot.consumerGroups).toHaveLength(8);
  });

  it('costs a fixed number of requests, whatever the number of groups (and of topics up to 500)', () => {
    const { SaslHandshake: _handshake, SaslAuthenticate: _authenticate, ...kafkaRequests } = requests;
    expect(kafkaRequests).toEqual({
      ApiVersions: 2,
      Metadata: 2,
      DescribeConfigs: 1,
      DescribeAcls: 1,
      DescribeUserScramCredentials: 1,
      DescribeClientQuotas: 1,
      ListGroups: 1,
      FindCoordinator: 1,
      OffsetFetch: 1,
      ListOffsets: 2,
      Fetch: 1,
    });
  });

  it('describes topic configs in requests of a bounded number of topics, each topic once, with the same answer as one request', async () => {
    const topics = snapshot.topics.map((topic) => topic.name);
    const brokerIds = environment.brokers.map((broker) => broker.nodeId);
    const options = { keepTopicConfig: capturedTopicConfig };
    const inOne = await withAdmin(environment.admin, (admin) => describeTopicAndBrokerConfigs(admin, topics, brokerIds, { ...options, topicsPerRequest: Infinity }));
    const sent = vi.spyOn(describeConfigsV4.api, 'async');
    const inFours = await withAdmin(environment.admin, (admin) => describeTopicAndBrokerConfigs(admin, topics, brokerIds, { ...options, topicsPerRequest: 4 }));
    const requests = sent.mock.calls.map(([, resources]) =>
      resources.filter((resource) => resource.resourceType === ConfigResourceTypes.TOPIC).map((resource) => resource.resourceName),
    );
    sent.mockRestore();
    expect(requests.filter((names) => names.length > 0)).toEqual(Array.from({ length: Math.ceil(topics.length / 4) }, (_, index) => topics.slice(index * 4, index * 4 + 4)));
    expect(requests).toHaveLength(Math.ceil(topics.length / 4) + brokerIds.length - 1);
    expect(inFours).toEqual(inOne);
    expect([...inFours.topics.keys()]).toEqual(topics);
    // Kept: the topic's own overrides and cleanup.policy whatever its source; nothing else of a topic's ~40.
    expect(
      inOne.topics
        .get('payments.authorizations')!
        .map((config) => `${config.name} ${config.source}`)
        .sort(),
    ).toEqual([
      'cleanup.policy DEFAULT_CONFIG',
      'min.insync.replicas DYNAMIC_TOPIC_CONFIG',
      'retention.ms DYNAMIC_TOPIC_CONFIG',
      'unclean.leader.election.enable DYNAMIC_TOPIC_CONFIG',
    ]);
    expect(inOne.brokers.get(brokerIds[0]!)!.length).toBeGreaterThan(0);
    await expect(withAdmin(environment.admin, (admin) => describeTopicAndBrokerConfigs(admin, topics, brokerIds, { topicsPerRequest: 0 }))).rejects.toThrow(/at least 1, got 0/);
  });

  it('applies include and exclude to topics and group ids', async () => {
    const filtered = await captureSnapshot(environment.admin, { toolVersion: 'test', include: /^payments\./, exclude: /chargebacks|dlq/ });
    expect(filtered.topics.map((topic) => topic.name)).toEqual(['payments.authorizations', 'payments.captures', 'payments.refunds', 'payments.settlements']);
    expect(filtered.consumerGroups).toEqual([]);
    expect(filtered.source.filters).toEqual({ include: ['^payments\\.'], exclude: ['chargebacks|dlq'] });
  });

  it('is byte-identical across two captures of an unchanged cluster, apart from the capture time', async () => {
    const again = await captureSnapshot(environment.admin, { toolVersion: 'test', fingerprints: true, leaveOutDrillAdmin: true });
    const timeless = (content: SnapshotContent) => ({ ...content, source: { ...content.source, capturedAt: '' } });
    expect(timeless(again)).toEqual(timeless(snapshot));
    expect(withoutCaptureTime(again)).toBe(withoutCaptureTime(snapshot));
  });

  it('works as a Describe-only principal and writes nothing', async () => {
    await withAdmin(environment.admin, async (admin) => {
      expect(await upsertScramCredentials(admin, [{ user: auditor.username, mechanism: auditor.mechanism, iterations: 4096, password: auditor.password }])).toEqual([]);
      const allow = (resourceType: number, resourceName: string, operation: number) => ({
        resourceType: resourceType as never,
        resourceName,
        resourcePatternType: ResourcePatternTypes.LITERAL,
        principal: 'User:auditor',
        host: '*',
        operation: operation as never,
        permissionType: AclPermissionTypes.ALLOW,
      });
      await admin.createAcls({
        creations: [
          allow(ResourceTypes.TOPIC, '*', AclOperations.DESCRIBE),
          allow(ResourceTypes.TOPIC, '*', AclOperations.DESCRIBE_CONFIGS),
          allow(ResourceTypes.GROUP, '*', AclOperations.DESCRIBE),
          allow(ResourceTypes.CLUSTER, 'kafka-cluster', AclOperations.DESCRIBE),
          allow(ResourceTypes.CLUSTER, 'kafka-cluster', AclOperations.DESCRIBE_CONFIGS),
        ],
      });
    });
    const asAuditor = asUser(environment.admin, auditor);
    const before = await captureSnapshot(environment.admin, { toolVersion: 'test' });
    const byAuditor = await captureSnapshot(asAuditor, { toolVersion: 'test' });
    const after = await captureSnapshot(environment.admin, { toolVersion: 'test' });
    expect(withoutCaptureTime(byAuditor)).toBe(withoutCaptureTime(before));
    expect(withoutCaptureTime(after)).toBe(withoutCaptureTime(before));

    // The same principal is refused a write: the capture worked with read rights alone.
    const admin = createAdmin(asAuditor);
    try {
      const refusal = await admin.createTopics({ topics: ['auditor-made'], partitions: 1, replicas: 1 }).then(
        () => 'created',
        (error: unknown) => kafkaErrorName(error),
      );
      expect(refusal).toBe('TOPIC_AUTHORIZATION_FAILED');
    } finally {
      await admin.close();
    }
  });

  it('kafka-drill snapshot --command-config writes a snapshot whose digest verifies, creating its folder', async () => {
    const out = join(workDir, 'not', 'there', 'yet', 'cli.json');
    const stderr = sink();
    const exitCode = await runSnapshot(
      ['--bootstrap-server', environment.admin.bootstrap.join(','), '--command-config', commandConfig, '--out', out],
      sink().stream,
      stderr.stream,
    );
    expect(exitCode).toBe(0);
    const written = await loadSnapshot(out);
    expect(written.topics.length).toBeGreaterThan(20);
    expect(stderr.text()).toMatch(
      new RegExp(
        `^snapshot of ${environment.clusterId} \\(Kafka [\\d.]+\\): \\d+ topics, .*skipped __consumer_offsets, .* in [\\d.]+s, \\d+ requests\\n  note: SCRAM user ${ADMIN_USER} left out: .*\\n  note: quota user=${ADMIN_USER} left out: .*\\n$`,
      ),
    );
    expect(await readFile(out, 'utf8')).not.toContain(environment.admin.sasl!.password);
  });

  it('kafka-drill diff --bootstrap-server finds no drift against a snapshot of the same cluster', async () => {
    const out = join(workDir, 'for-diff.json');
    expect(await runSnapshot(['--command-config', commandConfig, '--bootstrap-server', environment.admin.bootstrap.join(','), '--out', out], sink().stream, sink().stream)).toBe(0);
    const stdout = sink();
    expect(await runDiff(['--bootstrap-server', environment.admin.bootstrap.join(','), '--command-config', commandConfig, out], stdout.stream)).toBe(0);
    expect(stdout.text()).toBe('no differences\n');
  });

  it('a command-config it cannot honour exits 2 with the file, the key and no password', async () => {
    const bad = join(workDir, 'client.properties');
    await writeFile(bad, `security.protocol=SASL_PLAINTEXT\nsasl.mechanism=GSSAPI\nsasl.jaas.config=x required username="admin" password="hunter2-secret";\n`);
    // Run from the file's directory so the message names it as the user typed it.
    const inWorkDir = await execa(CLI[0], [CLI[1], 'snapshot', '--bootstrap-server', environment.admin.bootstrap[0]!, '--command-config', 'client.properties'], {
      cwd: workDir,
      reject: false,
    });
    expect(inWorkDir.exitCode).toBe(2);
    expect(inWorkDir.stderr.trim()).toBe('kafka-drill snapshot: client.properties: sasl.mechanism: GSSAPI is not supported (use PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512)');
    expect(inWorkDir.stdout).toBe('');
  });
});
