import { describe, expect, it } from 'vitest';
import { withAdmin } from '../../src/kafka/admin.js';
import { AuthorizationProbe } from '../../src/probes/authorization/authorization.js';
import { OffsetsProbe } from '../../src/probes/offsets/offsets.js';
import type { ProbeRecord } from '../../src/model/result.js';
import { ProduceConsumeProbe } from '../../src/probes/produce-consume.js';
import type { ClientClass } from '../../src/model/enums.js';
import { integrationVersions, startForTest } from '../support/kafka.js';
import { contextFor, passwords, seedCluster, snapshotOf } from './cluster.js';
import { createProbeClient } from '../../src/kafka/probe-client.js';
import { asUser } from '../../src/kafka/connection.js';
import { checkTransactions } from '../../src/probes/transactions.js';
import { runProbes } from '../../src/probes/run-probes.js';

/**
 * The client matrix against real brokers: the produce-consume, authorization and offsets probes
 * through kafkajs, librdkafka (Debian's kcat) and Kafka's Java client. Its one known red cell:
 * librdkafka before 2.6.1 (bookworm's 2.0.2) repeats the client nonce in SCRAM's
 * client-final-message; Kafka 4.x compares the nonce with equals() (3.9 with endsWith()), so
 * every SCRAM login of it fails on 4.x with SASL_AUTHENTICATION_FAILED, and succeeds on 3.9.
 */
const librdkafkaLogsIn = (kafkaVersion: string) => kafkaVersion.startsWith('3.');
const classes: ClientClass[] = ['kafkajs', 'librdkafka', 'java'];
const matrix = (clientClass: ClientClass) => ({ probe: 'cell', clientClass });
const failures = (outcome: ProbeRecord) => outcome.evidence.filter((item) => item.outcome === 'failed');

describe.each(integrationVersions())('client matrix on Kafka %s', async (kafkaVersion) => {
  const environment = await startForTest({ security: 'scram', kafkaVersion });
  await seedCluster(environment);
  const context = () => contextFor(environment, snapshotOf(), { workDir: environment.workDir });
  const red = (clientClass: ClientClass) => clientClass === 'librdkafka' && !librdkafkaLogsIn(kafkaVersion);

  it('produce-consume: each client class produces and reads back its records, or fails with Kafka’s login error', async () => {
    const outcomes = await runProbes(
      classes.map((clientClass) => new ProduceConsumeProbe(`pc@${clientClass}`, 'produce-consume', { topics: ['orders.eu', 'payments'], records: 20 }, matrix(clientClass))),
      context(),
      1,
    );
    for (const [index, clientClass] of classes.entries()) {
      const outcome = outcomes[index]!;
      console.log(
        `produce-consume × ${clientClass} × ${kafkaVersion}: ${outcome.status} in ${outcome.durationMs}ms, ${outcome.client?.processes ?? '-'} process(es); ${outcome.evidence[0]?.detail}`,
      );
      expect(outcome.client).toMatchObject({ class: clientClass, probe: 'cell' });
      if (red(clientClass)) {
        expect(outcome.status).toBe('failed');
        expect(outcome.evidence.map((item) => item.kafkaError)).toEqual(['SASL_AUTHENTICATION_FAILED', 'SASL_AUTHENTICATION_FAILED']);
        expect(outcome.evidence[0]!.observed).toContain('Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512');
      } else {
        expect(failures(outcome)).toEqual([]);
        expect(outcome.evidence.map((item) => item.observed)).toEqual(['20 records back', '20 records back']);
      }
    }
    expect(outcomes[1]!.client!.library).toMatch(/^kcat 1\.7\.1 \/ librdkafka 2\.0\.2$/);
    // kcat: one produce and one consume run per topic (no consume after a failed produce).
    expect(outcomes[1]!.client!.processes).toBe(red('librdkafka') ? 2 : 4);
    expect(outcomes[2]!.client).toMatchObject({ library: `kafka-clients ${kafkaVersion}`, processes: 1 }); // one JVM for both topics
  });

  it('produce-consume transactions: committed records back, aborted never, a group at a commit marker resumes at the next committed record; other classes count it skipped', async () => {
    const [kafkajs, java] = await runProbes(
      [
        new ProduceConsumeProbe('tx@kafkajs', 'produce-consume', { topics: ['orders.eu', 'payments'], records: 12, transactions: true }, matrix('kafkajs')),
        new ProduceConsumeProbe('tx@java', 'produce-consume', { topics: ['payments'], records: 5, transactions: true }, matrix('java')),
      ],
      context(),
      1,
    );
    console.log(`produce-consume transactions × ${kafkaVersion}: ${kafkajs!.status} in ${kafkajs!.durationMs}ms; ${kafkajs!.evidence[2]?.observed}`);
    expect(failures(kafkajs!)).toEqual([]);
    const transactional = kafkajs!.evidence.filter((item) => item.operation === 'WRITE (transactional), READ (read_committed)');
    expect(transactional.map((item) => [item.resource, item.outcome, item.observed])).toEqual(
      ['topic orders.eu', 'topic payments'].map((resource) => [
        resource,
        'passed',
        expect.stringMatching(/^24 committed records back, 0 aborted; (\d+) of \1 partition\(s\) resumed at the next committed record$/),
      ]),
    );
    expect(Number(/; (\d+) of/.exec(transactional[0]!.observed)![1])).toBeGreaterThan(0);
    expect(java!.evidence.map((item) => item.outcome)).toEqual(['passed', 'skipped']);
  });

  it('produce-consume transactions fail for a principal without rights on the transactional id', async () => {
    const alice = asUser(environment.admin, { mechanism: 'SCRAM-SHA-256', username: 'alice', password: passwords.get('alice')! });
    const kafka = createProbeClient(alice);
    const admin = createProbeClient(environment.admin).admin();
    await admin.connect();
    try {
      const evidence = await checkTransactions(kafka, admin, context(), { id: 'tx-denied', topic: 'orders.eu', records: 3, principal: 'User:alice', timeoutMs: 30_000 });
      // Kafka refuses FindCoordinator of the transactional id (TRANSACTIONAL_ID_AUTHORIZATION_FAILED); kafkajs reports that without the code.
      expect(evidence, JSON.stringify(evidence)).toMatchObject({ outcome: 'failed', observed: 'error: Failed to find group coordinator' });
    } finally {
      await admin.disconnect();
    }
  });

  it('authorization: explicit expectations and a derived sample hold through each client class; librdkafka on 4.x fails its login control', async () => {
    const spec = {
      derive: true,
      expect: [
        { principal: 'User:alice', operation: 'WRITE' as const, resource: { type: 'topic' as const, name: 'orders.us', patternType: 'literal' as const }, result: 'deny' as const },
        { principal: 'User:bob', operation: 'READ' as const, resource: { type: 'topic' as const, name: 'payments', patternType: 'literal' as const }, result: 'allow' as const },
        { principal: 'User:bob', operation: 'DESCRIBE' as const, resource: { type: 'topic' as const, name: 'secrets', patternType: 'literal' as const }, result: 'deny' as const },
      ],
    };
    const outcomes = await runProbes(
      classes.filter((clientClass) => clientClass !== 'kafkajs').map((clientClass) => new AuthorizationProbe(`authz@${clientClass}`, 'authorization', spec, matrix(clientClass))),
      context(),
      1,
    );
    for (const outcome of outcomes) {
      const clientClass = outcome.client!.class;
      const checks = outcome.evidence.filter((item) => item.operation !== 'AUTHENTICATE' && !item.detail?.startsWith('positive control'));
      console.log(
        `authorization × ${clientClass} × ${kafkaVersion}: ${outcome.status} in ${outcome.durationMs}ms, ${checks.length} checks, ${outcome.client?.processes} process(es)`,
      );
      for (const item of outcome.evidence) console.log(`  ${item.outcome} ${item.principal} ${item.operation} ${item.resource}: ${item.observed}`);
      const control = outcome.evidence[0]!;
      // The unknown-user control holds for every client class: a wrong login is denied by SCRAM.
      expect(outcome.evidence[1]).toMatchObject({ operation: 'AUTHENTICATE', outcome: 'passed', kafkaError: 'SASL_AUTHENTICATION_FAILED' });
      const explicit = (principal: string, operation: string, resource: string) =>
        outcome.evidence.find((item) => item.principal === principal && item.operation === operation && item.resource === resource);
      if (red(clientClass)) {
        expect(outcome.status).toBe('failed');
        expect(control).toMatchObject({ outcome: 'failed', kafkaError: 'SASL_AUTHENTICATION_FAILED' });
        expect(explicit('User:bob', 'READ', 'topic payments')).toMatchObject({ outcome: 'failed', kafkaError: 'SASL_AUTHENTICATION_FAILED' });
      } else {
        expect(failures(outcome)).toEqual([]);
        expect(control.outcome).toBe('passed');
        expect(explicit('User:alice', 'WRITE', 'topic orders.us')).toMatchObject({ outcome: 'passed', observed: 'denied (TOPIC_AUTHORIZATION_FAILED)' });
        expect(explicit('User:bob', 'READ', 'topic payments')).toMatchObject({ outcome: 'passed', observed: 'allowed' });
        expect(explicit('User:bob', 'DESCRIBE', 'topic secrets')).toMatchObject({ outcome: 'passed', observed: 'denied (TOPIC_AUTHORIZATION_FAILED)' });
        expect(checks.filter((item) => item.outcome === 'passed').length).toBeGreaterThanOrEqual(6);
      }
    }
    // The Java client: one JVM for every access check, one for every transactional producer.
    expect(outcomes[1]!.client!.processes).toBe(2);
  });

  it('offsets: each client class resumes the restored groups where they committed, taking turns in each group, and commits nothing', async () => {
    const before = await committedOffsets(environment);
    const outcomes = await runProbes(
      classes.map((clientClass) => new OffsetsProbe(`offsets@${clientClass}`, 'offsets', { groups: 'all', tolerance: 'exact', byContent: false }, matrix(clientClass))),
      context(),
      3, // at once, as in a drill: their consumers must take turns in each restored group, never split its partitions
    );
    for (const [index, clientClass] of classes.entries()) {
      const outcome = outcomes[index]!;
      console.log(`offsets × ${clientClass} × ${kafkaVersion}: ${outcome.status} in ${outcome.durationMs}ms, ${outcome.client?.processes ?? '-'} process(es)`);
      if (red(clientClass)) {
        expect(outcome.status).toBe('failed');
        // Caught-up partitions are judged from the admin's reads; every partition a consumer had to fetch fails with the login error.
        expect(failures(outcome).length).toBeGreaterThan(0);
        expect(new Set(failures(outcome).map((item) => item.kafkaError))).toEqual(new Set(['SASL_AUTHENTICATION_FAILED']));
      } else {
        expect(failures(outcome)).toEqual([]);
        expect(outcome.status).toBe('passed');
      }
    }
    expect(await committedOffsets(environment)).toEqual(before);
  });
});

async function committedOffsets(environment: Awaited<ReturnType<typeof startForTest>>): Promise<string> {
  const offsets = await withAdmin(environment.admin, (admin) => admin.listConsumerGroupOffsets({ groups: ['billing', 'orders-app'] }));
  return JSON.stringify(offsets, (_, value) => (typeof value === 'bigint' ? Number(value) : value));
}
