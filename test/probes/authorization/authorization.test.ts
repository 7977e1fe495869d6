import { describe, expect, it } from 'vitest';
import { withAdmin } from '../../../src/kafka/admin.js';
import { AuthorizationProbe } from '../../../src/probes/authorization/authorization.js';
import type { ProbeEvidence, ProbeRecord } from '../../../src/model/result.js';
import { integrationVersions, startForTest } from '../../support/kafka.js';
import { acl, acls, contextFor, platformaticAcl, seedCluster, snapshotOf } from '../cluster.js';
import { runProbes } from '../../../src/probes/run-probes.js';
import { TRANSACTIONAL_OPERATION } from '../../../src/probes/authorization/transactional-producer.js';
import { KAFKAJS_VERSION } from '../../../src/probes/clients.js';

const failures = (outcome: ProbeRecord) => outcome.evidence.filter((item) => item.outcome === 'failed');
const find = (outcome: ProbeRecord, match: Partial<ProbeEvidence>) =>
  outcome.evidence.filter((item) => Object.entries(match).every(([key, value]) => item[key as keyof ProbeEvidence] === value));

describe.each(integrationVersions())('authorization probe on Kafka %s', async (kafkaVersion) => {
  const environment = await startForTest({ security: 'scram', kafkaVersion });
  await seedCluster(environment);

  it('passes on a cluster whose ACLs match the snapshot, with controls, skips and specific errors', async () => {
    const [outcome] = await runProbes([new AuthorizationProbe('authz', 'derived', { derive: true, expect: [] })], contextFor(environment, snapshotOf()));
    console.log(`derived authorization probe: ${outcome!.durationMs}ms, ${outcome!.evidence.length} checks`);
    for (const item of outcome!.evidence) console.log(JSON.stringify(item));
    expect(failures(outcome!)).toEqual([]);
    expect(outcome!.status).toBe('passed');
    // Allowed: Kafka got past authorization and answered for the partition that does not exist (nothing written).
    expect(find(outcome!, { principal: 'User:alice', operation: 'WRITE', resource: 'topic orders.eu', outcome: 'passed', kafkaError: 'UNKNOWN_TOPIC_OR_PARTITION' })).toHaveLength(
      1,
    );
    expect(find(outcome!, { principal: 'User:alice', operation: 'WRITE', resource: 'topic orders.us', kafkaError: 'TOPIC_AUTHORIZATION_FAILED' })).toHaveLength(1);
    expect(find(outcome!, { principal: 'User:bob', operation: 'WRITE', resource: 'topic payments', kafkaError: 'TOPIC_AUTHORIZATION_FAILED' })).toHaveLength(1);
    expect(find(outcome!, { operation: 'AUTHENTICATE', kafkaError: 'SASL_AUTHENTICATION_FAILED' })).toHaveLength(2);
    const carol = outcome!.evidence.filter((item) => item.principal === 'User:carol');
    expect(carol.length).toBeGreaterThan(0);
    expect(carol.every((item) => item.outcome === 'skipped' && item.observed === 'not exercised' && item.detail?.startsWith('the drill has no password for carol'))).toBe(true);
    // Judged on Kafka's typed codes: group DESCRIBE and DELETE answer per group, READ of a restored group after the offsets probes.
    expect(
      find(outcome!, { principal: 'User:bob', operation: 'DESCRIBE', outcome: 'passed', observed: 'allowed' }).filter((item) => item.resource?.startsWith('group ')),
    ).toHaveLength(1);
    expect(find(outcome!, { principal: 'User:bob', operation: 'READ', outcome: 'passed', kafkaError: 'GROUP_AUTHORIZATION_FAILED' })).toHaveLength(1);
    expect(find(outcome!, { principal: 'User:bob', operation: 'READ', resource: 'group billing', outcome: 'passed' })[0]?.observed).toMatch(
      /^allowed \((MEMBER_ID_REQUIRED|NOT_COORDINATOR)/,
    );
    // alice's transactional ids, with a real kafkajs transactional producer: her grant commits and aborts on orders.eu (the
    // first topic she may write), a fresh id outside it is refused at init.
    const transactional = find(outcome!, { principal: 'User:alice', operation: TRANSACTIONAL_OPERATION });
    expect(transactional.map((item) => [item.resource?.replace(/kafka-drill-probe-[0-9a-f]+$/, '<fresh>'), item.outcome, item.observed, item.kafkaError, item.client])).toEqual([
      ['transactional-id alice-tx-<fresh>', 'passed', 'allowed (init, send, commit, send, abort)', undefined, `kafkajs ${KAFKAJS_VERSION}`],
      ['transactional-id <fresh>', 'passed', 'denied (TRANSACTIONAL_ID_AUTHORIZATION_FAILED) at init', 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED', `kafkajs ${KAFKAJS_VERSION}`],
    ]);
    expect(transactional[0]!.detail).toMatch(
      /^a kafkajs \S+ transactional producer \(init, then one record to orders\.eu committed and one aborted\); \d+ms; because ALLOW WRITE on PREFIXED/,
    );
  });

  it('fails for an explicit expectation that cannot be exercised, and checks every operation of ALL', async () => {
    const probe = new AuthorizationProbe('unexercisable', 'unexercisable', {
      derive: false,
      expect: [
        // No password for carol: nothing can be sent as her.
        { principal: 'User:carol', operation: 'READ', resource: { type: 'topic', name: 'orders.eu', patternType: 'literal' }, result: 'allow' },
        // Only a DeleteTopics of the restored topic itself would show it.
        { principal: 'User:alice', operation: 'DELETE', resource: { type: 'topic', name: 'orders.eu', patternType: 'literal' }, result: 'deny' },
        { principal: 'User:alice', operation: 'ALL', resource: { type: 'transactional-id', name: 'alice-tx-', patternType: 'prefixed' }, result: 'allow' },
      ],
    });
    const [outcome] = await runProbes([probe], contextFor(environment, snapshotOf()));
    expect(outcome!.status).toBe('failed');
    expect(failures(outcome!)).toEqual([
      expect.objectContaining({
        principal: 'User:carol',
        operation: 'READ',
        observed: 'not exercised',
        detail: expect.stringMatching(/^explicit expectation could not be exercised: the drill has no password for carol/),
      }),
      expect.objectContaining({
        principal: 'User:alice',
        operation: 'DELETE',
        observed: 'not exercised',
        detail: expect.stringMatching(/^explicit expectation could not be exercised: DELETE on an existing topic would destroy restored state/),
      }),
    ]);
    expect(find(outcome!, { principal: 'User:alice', operation: 'WRITE', outcome: 'passed' }).map((item) => item.resource)).toEqual([
      expect.stringMatching(/^transactional-id alice-tx-kafka-drill-probe-/),
    ]);
    expect(find(outcome!, { principal: 'User:alice', operation: 'DESCRIBE', outcome: 'passed' })).toHaveLength(1);
  });

  it('runs out of budget without passing: the checks it did not reach are skipped with reason budget', async () => {
    const [outcome] = await runProbes([new AuthorizationProbe('authz', 'tiny budget', { derive: true, expect: [], budgetMs: 1 })], contextFor(environment, snapshotOf()));
    const skipped = outcome!.evidence.filter((item) => item.outcome === 'skipped' && item.detail?.startsWith('budget: '));
    expect(skipped.length).toBeGreaterThan(0);
    expect(skipped[0]!.detail).toMatch(/^budget: the probe's budget of 1 ms ran out; \d+ of \d+ checks were reached, \d+ were not; because /);
    // Only the three controls passed; nothing of the matrix was claimed.
    expect(outcome!.evidence.filter((item) => item.outcome === 'passed')).toHaveLength(3);
  });

  it('explicit expectations: a prefixed transactional id is allowed, a group outside the prefix is denied', async () => {
    const probe = new AuthorizationProbe('explicit', 'explicit', {
      derive: false,
      expect: [
        { principal: 'User:alice', operation: 'WRITE', resource: { type: 'transactional-id', name: 'alice-tx-', patternType: 'prefixed' }, result: 'allow' },
        { principal: 'User:bob', operation: 'WRITE', resource: { type: 'transactional-id', name: 'bob-tx', patternType: 'literal' }, result: 'deny' },
        { principal: 'User:alice', operation: 'READ', resource: { type: 'group', name: 'billing', patternType: 'literal' }, result: 'deny' },
        { principal: 'User:bob', operation: 'DESCRIBE', resource: { type: 'group', name: 'anything', patternType: 'literal' }, result: 'allow' },
      ],
    });
    const [outcome] = await runProbes([probe], contextFor(environment, snapshotOf()));
    for (const item of outcome!.evidence) console.log(JSON.stringify(item));
    expect(failures(outcome!)).toEqual([]);
    // The raw InitProducerId and the real transactional producer are both refused.
    expect(find(outcome!, { principal: 'User:bob', kafkaError: 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED' }).map((item) => item.operation)).toEqual([
      'WRITE',
      TRANSACTIONAL_OPERATION,
    ]);
    expect(find(outcome!, { principal: 'User:alice', resource: 'group billing', kafkaError: 'GROUP_AUTHORIZATION_FAILED' })).toHaveLength(1);
  });

  it("through Kafka's Java client: every transactional producer of the probe in one JVM, allowed commits and aborts, denied is refused at init", async () => {
    const probe = new AuthorizationProbe(
      'java-tx',
      'java transactions',
      {
        derive: false,
        expect: [
          { principal: 'User:alice', operation: 'WRITE', resource: { type: 'transactional-id', name: 'alice-tx-', patternType: 'prefixed' }, result: 'allow' },
          { principal: 'User:alice', operation: 'WRITE', resource: { type: 'transactional-id', name: 'billing-tx', patternType: 'literal' }, result: 'deny' },
          { principal: 'User:bob', operation: 'WRITE', resource: { type: 'transactional-id', name: 'bob-tx', patternType: 'literal' }, result: 'deny' },
        ],
      },
      { probe: 'java-tx', clientClass: 'java' },
    );
    const [outcome] = await runProbes([probe], contextFor(environment, snapshotOf()));
    const transactional = outcome!.evidence.filter((item) => item.operation === TRANSACTIONAL_OPERATION);
    expect(transactional.map((item) => [item.principal, item.resource?.replace(/kafka-drill-probe-[0-9a-f]+$/, '<fresh>'), item.outcome, item.observed, item.kafkaError])).toEqual([
      ['User:alice', 'transactional-id alice-tx-<fresh>', 'passed', 'allowed (init, send, commit, send, abort)', undefined],
      ['User:alice', 'transactional-id billing-tx', 'passed', 'denied (TRANSACTIONAL_ID_AUTHORIZATION_FAILED) at init', 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED'],
      // bob may write no restored topic: init alone is exercised.
      ['User:bob', 'transactional-id bob-tx', 'passed', 'denied (TRANSACTIONAL_ID_AUTHORIZATION_FAILED) at init', 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED'],
    ]);
    expect(transactional.every((item) => item.client === `kafka-clients ${kafkaVersion}`)).toBe(true);
    // The raw requests of the explicit expectations are the kafkajs cell's; the three producers ran in one JVM beside the access JVM.
    expect(outcome!.client?.processes).toBe(2);
    expect(outcome!.status).toBe('passed');
  });

  it('two principals allowed one transactional id (a User:* binding, say): both producers commit and abort, one after the other', async () => {
    // bob may also write payments for the test: both producers commit and abort.
    const shared = [acl('User:bob', 'TRANSACTIONAL_ID', 'alice-tx-shared', 'LITERAL', 'WRITE'), acl('User:bob', 'TOPIC', 'payments', 'LITERAL', 'WRITE')];
    await withAdmin(environment.admin, (admin) => admin.createAcls({ creations: shared.map(platformaticAcl) }));
    try {
      const expect_ = (principal: string) => ({
        principal,
        operation: 'WRITE' as const,
        resource: { type: 'transactional-id' as const, name: 'alice-tx-shared', patternType: 'literal' as const },
        result: 'allow' as const,
      });
      const probe = new AuthorizationProbe('shared', 'shared', { derive: false, expect: [expect_('User:alice'), expect_('User:bob')] });
      const [outcome] = await runProbes([probe], contextFor(environment, snapshotOf({ acls: [...acls, ...shared] })));
      expect(find(outcome!, { operation: TRANSACTIONAL_OPERATION }).map((item) => [item.principal, item.outcome, item.observed])).toEqual([
        ['User:alice', 'passed', 'allowed (init, send, commit, send, abort)'],
        ['User:bob', 'passed', 'allowed (init, send, commit, send, abort)'],
      ]);
    } finally {
      await withAdmin(environment.admin, (admin) => admin.deleteAcls({ filters: shared.map(platformaticAcl) }));
    }
  });

  it("a topic the snapshot lets alice write that the cluster refuses her: her producers are judged on their ids as before, the grant's refused at the send, the fresh id's at init", async () => {
    // 'audit' sorts before orders.eu, so it is the topic her producers send to; the cluster has neither the topic nor the ACL.
    const audit = { name: 'audit', partitions: 1, replicationFactor: 1, configs: {}, partitionOffsets: [{ partition: 0, logStartOffset: 0, logEndOffset: 0 }] };
    const base = snapshotOf();
    const snapshot = snapshotOf({ topics: [audit, ...base.topics], acls: [...acls, acl('User:alice', 'TOPIC', 'audit', 'LITERAL', 'WRITE')] });
    const [outcome] = await runProbes([new AuthorizationProbe('authz', 'audit', { derive: true, expect: [] })], contextFor(environment, snapshot));
    const transactional = find(outcome!, { principal: 'User:alice', operation: TRANSACTIONAL_OPERATION });
    expect(transactional.map((item) => [item.resource?.replace(/kafka-drill-probe-[0-9a-f]+$/, '<fresh>'), item.outcome, item.observed, item.kafkaError])).toEqual([
      ['transactional-id alice-tx-<fresh>', 'failed', 'error (TOPIC_AUTHORIZATION_FAILED) at send after init', 'TOPIC_AUTHORIZATION_FAILED'],
      ['transactional-id <fresh>', 'passed', 'denied (TRANSACTIONAL_ID_AUTHORIZATION_FAILED) at init', 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED'],
    ]);
  });

  it('fails naming principal, operation and resource when an ACL of the snapshot is missing on the cluster', async () => {
    // The snapshot says bob may also WRITE payments; the cluster never got that ACL.
    const snapshot = snapshotOf({ acls: [...acls, acl('User:bob', 'TOPIC', 'payments', 'LITERAL', 'WRITE')] });
    const [outcome] = await runProbes([new AuthorizationProbe('authz', 'missing', { derive: true, expect: [] })], contextFor(environment, snapshot));
    expect(outcome!.status).toBe('failed');
    expect(failures(outcome!)).toEqual([
      expect.objectContaining({ principal: 'User:bob', operation: 'WRITE', resource: 'topic payments', expected: 'allow', kafkaError: 'TOPIC_AUTHORIZATION_FAILED' }),
    ]);
  });

  it('fails when the cluster is wider than the snapshot: a DENY is missing, a grant too many', async () => {
    const deny = platformaticAcl(acl('User:alice', 'TOPIC', 'orders.us', 'LITERAL', 'WRITE', 'DENY'));
    const extra = platformaticAcl(acl('User:bob', 'TOPIC', 'orders.eu', 'LITERAL', 'DESCRIBE'));
    await withAdmin(environment.admin, async (admin) => {
      await admin.deleteAcls({ filters: [deny] });
      await admin.createAcls({ creations: [extra] });
    });
    try {
      const [outcome] = await runProbes([new AuthorizationProbe('authz', 'widened', { derive: true, expect: [] })], contextFor(environment, snapshotOf()));
      expect(outcome!.status).toBe('failed');
      expect(failures(outcome!)).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            principal: 'User:alice',
            operation: 'WRITE',
            resource: 'topic orders.us',
            expected: 'deny',
            observed: 'allowed (UNKNOWN_TOPIC_OR_PARTITION after the authorization check)',
          }),
          expect.objectContaining({ principal: 'User:bob', operation: 'DESCRIBE', resource: 'topic orders.eu', expected: 'deny', observed: 'allowed' }),
        ]),
      );
    } finally {
      await withAdmin(environment.admin, async (admin) => {
        await admin.createAcls({ creations: [deny] });
        await admin.deleteAcls({ filters: [extra] });
      });
    }
  });

  it('fails when a wrong password authenticates (the drill was given a stale credential that still works)', async () => {
    // The drill believes alice's password is something else; the real one still works on the cluster.
    const stale = new Map([
      ['alice', 'not-the-password'],
      ['bob', 'bob-secret-1'],
    ]);
    const [outcome] = await runProbes(
      [
        new AuthorizationProbe('authz', 'stale', {
          derive: false,
          expect: [{ principal: 'User:alice', operation: 'WRITE', resource: { type: 'topic', name: 'orders.eu', patternType: 'literal' }, result: 'allow' }],
        }),
      ],
      contextFor(environment, snapshotOf(), { credentials: stale }),
    );
    expect(outcome!.status).toBe('failed');
    expect(failures(outcome!)[0]).toMatchObject({ principal: 'User:alice', kafkaError: 'SASL_AUTHENTICATION_FAILED' });
  });
});
