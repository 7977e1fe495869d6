import { describe, expect, it } from 'vitest';
import { planChecks } from '../../../src/probes/authorization/authorization-plan.js';
import { askOnlyFor, planTransactionalChecks, withTransactionalIds } from '../../../src/probes/authorization/transactional-producer.js';
import { transactionsThroughClient } from '../../../src/probes/authorization/authorization.js';
import { driverFor } from '../../../src/probes/clients.js';
import type { ProbeContext } from '../../../src/probes/probe.js';
import type { Acl } from '../../../src/snapshot/schema.js';
import { acl } from '../cluster.js';
import kafkajs from 'kafkajs';

function plan(acls: Acl[], topics: string[], expect: Parameters<typeof planChecks>[1]['expect'] = []) {
  const checks = planChecks({ acls, topics, restoredGroups: [], usersWithCredentials: ['ledger', 'reports'], marker: 'm' }, { derive: expect.length === 0, expect });
  return planTransactionalChecks(checks, acls, topics);
}

describe('transactional producer checks, planned from the TRANSACTIONAL_ID WRITE checks', () => {
  it('a grant and the denial control per principal, sending to the first restored topic it may write', () => {
    const acls = [
      acl('User:ledger', 'TRANSACTIONAL_ID', 'ledger-tx', 'LITERAL', 'WRITE'),
      acl('User:ledger', 'TOPIC', 'ledger.', 'PREFIXED', 'WRITE'),
      acl('User:ledger', 'TOPIC', 'ledger.audit', 'LITERAL', 'DESCRIBE', 'DENY'),
    ];
    expect(plan(acls, ['ledger.entries', 'ledger.audit', 'other'])).toEqual([
      {
        principal: 'User:ledger',
        transactionalId: 'ledger-tx',
        topic: 'ledger.entries',
        expected: 'allow',
        because: 'ALLOW WRITE on LITERAL transactional-id ledger-tx for User:ledger',
        explicit: false,
      },
      { principal: 'User:ledger', transactionalId: 'kafka-drill-probe-m', topic: 'ledger.entries', expected: 'deny', because: 'no ACL grants it', explicit: false },
    ]);
  });

  it("Kafka's rules: a DENY DESCRIBE on the id refuses FindCoordinator though WRITE is granted, no IDEMPOTENT_WRITE is needed, no writable topic means init only", () => {
    const acls = [
      acl('User:reports', 'TRANSACTIONAL_ID', 'reports-', 'PREFIXED', 'WRITE'),
      acl('User:reports', 'TRANSACTIONAL_ID', 'reports-k', 'PREFIXED', 'DESCRIBE', 'DENY'),
      acl('User:reports', 'TOPIC', 'reports.daily', 'LITERAL', 'READ'),
    ];
    const checks = planChecks({ acls, topics: ['reports.daily'], restoredGroups: [], usersWithCredentials: ['reports'], marker: 'm' }, { derive: true, expect: [] });
    // The raw InitProducerId asks for WRITE alone and is allowed; the real producer's FindCoordinator is refused first.
    expect(checks.find((check) => check.kind === 'transactional-id' && check.operation === 'WRITE' && check.name === 'reports-kafka-drill-probe-m')?.expected).toBe('allow');
    expect(planTransactionalChecks(checks, acls, ['reports.daily']).map((check) => [check.transactionalId, check.expected, check.topic])).toEqual([
      ['reports-kafka-drill-probe-m', 'deny', undefined],
      ['kafka-drill-probe-m', 'deny', undefined],
    ]);
  });

  it('an explicit expectation stands as the spec gives it', () => {
    const acls = [acl('User:reports', 'TOPIC', 'reports.daily', 'LITERAL', 'WRITE')];
    expect(
      plan(
        acls,
        ['reports.daily'],
        [{ principal: 'User:reports', operation: 'WRITE', resource: { type: 'transactional-id', name: 'reports-daily', patternType: 'literal' }, result: 'allow' }],
      ),
    ).toEqual([{ principal: 'User:reports', transactionalId: 'reports-daily', topic: 'reports.daily', expected: 'allow', because: 'expect[0]', explicit: true }]);
  });

  it('librdkafka (kcat) runs no transactional producer: each check is counted as skipped with the reason, an explicit one too (the kafkajs cell judges it)', async () => {
    const acls = [acl('User:ledger', 'TRANSACTIONAL_ID', 'ledger-tx', 'LITERAL', 'WRITE')];
    const planned = plan(
      acls,
      [],
      [{ principal: 'User:ledger', operation: 'WRITE', resource: { type: 'transactional-id', name: 'ledger-tx', patternType: 'literal' }, result: 'allow' }],
    );
    const driver = driverFor('librdkafka', {} as ProbeContext);
    const { evidence, exercised } = await transactionsThroughClient(driver, planned, () => true, {} as ProbeContext, 'm');
    expect(exercised).toBe(0);
    expect(driver.processes()).toBe(0);
    expect(evidence).toEqual([
      {
        principal: 'User:ledger',
        operation: 'WRITE (transactional producer)',
        resource: 'transactional-id ledger-tx',
        expected: 'allow',
        client: 'librdkafka (kcat)',
        outcome: 'skipped',
        observed: 'not exercised',
        detail: expect.stringMatching(/^kcat has no transaction commands: .*, not Kafka error codes; the kafkajs cell judges it; because expect\[0\]$/),
      },
    ]);
  });
});

describe('withTransactionalIds', () => {
  it('runs producers of one id one after the other across callers, others at once, and several ids without a deadlock', async () => {
    const log: string[] = [];
    const hold = (name: string, ms: number) => async () => {
      log.push(`${name} start`);
      await new Promise((resolve) => setTimeout(resolve, ms));
      log.push(`${name} end`);
      return name;
    };
    const results = await Promise.all([
      withTransactionalIds('c', ['ledger-tx'], hold('kafkajs', 30)),
      withTransactionalIds('c', ['other-tx', 'ledger-tx'], hold('java', 10)),
      withTransactionalIds('c', ['free-tx'], hold('free', 5)),
      withTransactionalIds('other-cluster', ['ledger-tx'], hold('elsewhere', 5)),
    ]);
    expect(results).toEqual(['kafkajs', 'java', 'free', 'elsewhere']);
    // java waits for kafkajs's ledger-tx; the other id and the other cluster do not wait.
    expect(log.indexOf('java start')).toBeGreaterThan(log.indexOf('kafkajs end'));
    expect(log.indexOf('free end')).toBeLessThan(log.indexOf('kafkajs end'));
    expect(log.indexOf('elsewhere end')).toBeLessThan(log.indexOf('kafkajs end'));
  });

  it('producers expected to be refused share an id with each other, never with one that holds it alone', async () => {
    const log: string[] = [];
    const hold = (name: string, ms: number) => async () => {
      log.push(`${name} start`);
      await new Promise((resolve) => setTimeout(resolve, ms));
      log.push(`${name} end`);
    };
    await Promise.all([
      withTransactionalIds('c', ['probe-tx'], hold('allowed', 20)),
      withTransactionalIds('c', ['probe-tx'], hold('refused-1', 20), 'shared'),
      withTransactionalIds('c', ['probe-tx'], hold('refused-2', 20), 'shared'),
      withTransactionalIds('c', ['probe-tx'], hold('allowed-again', 5)),
    ]);
    expect(log).toEqual([
      'allowed start',
      'allowed end',
      // The two refused ones overlap.
      'refused-1 start',
      'refused-2 start',
      'refused-1 end',
      'refused-2 end',
      'allowed-again start',
      'allowed-again end',
    ]);
  });
});

describe('askOnlyFor', () => {
  type Cluster = { targetTopics: Set<string>; brokerPool: { refreshMetadataIfNecessary: (topics: string[]) => Promise<void> }; refreshMetadataIfNecessary: () => Promise<void> };
  /** The cluster kafkajs creates for a client's producers, through the hook askOnlyFor finds by name; its metadata requests recorded, not sent. */
  function clusterOf(kafka: object, refuse: (topics: string[]) => boolean): { cluster: Cluster; asked: string[][] } {
    const symbol = Object.getOwnPropertySymbols(kafka).find((key) => key.description === 'private:Kafka:createCluster');
    expect(symbol, 'kafkajs no longer has the hook: its transactional producers ask for every topic again').toBeDefined();
    const cluster = (kafka as Record<symbol, (options: object) => Cluster>)[symbol!]!({});
    const asked: string[][] = [];
    cluster.brokerPool.refreshMetadataIfNecessary = async (topics) => {
      asked.push(topics);
      if (refuse(topics)) throw new Error('TOPIC_AUTHORIZATION_FAILED');
    };
    return { cluster, asked };
  }
  const client = () => new kafkajs.Kafka({ brokers: ['127.0.0.1:9'], logLevel: kafkajs.logLevel.NOTHING });

  it("makes a producer's first metadata request name its topic instead of every topic, once", async () => {
    const kafka = client();
    askOnlyFor(kafka, 'orders.eu');
    const { cluster, asked } = clusterOf(kafka, () => false);
    await cluster.refreshMetadataIfNecessary();
    await cluster.refreshMetadataIfNecessary();
    // kafkajs's own call asks for its target topics: none (every topic) — after the first, as kafkajs would.
    expect(asked).toEqual([['orders.eu'], []]);
    // Not a target: what the producer asks at its send is kafkajs's own.
    expect([...cluster.targetTopics]).toEqual([]);
  });

  it('asks for every topic, as kafkajs does, when Kafka refuses the topic, so the refusal comes at the send', async () => {
    const kafka = client();
    askOnlyFor(kafka, 'orders.eu');
    const { cluster, asked } = clusterOf(kafka, (topics) => topics.length > 0);
    await cluster.refreshMetadataIfNecessary();
    expect(asked).toEqual([['orders.eu'], []]);
  });

  it('leaves a client it was not applied to as kafkajs made it', async () => {
    const { cluster, asked } = clusterOf(client(), () => false);
    await cluster.refreshMetadataIfNecessary();
    expect(asked).toEqual([[]]);
  });
});
