import { describe, expect, it } from 'vitest';
import { withAdmin } from '../../src/kafka/admin.js';
import { AuthorizationProbe } from '../../src/probes/authorization.js';
import { runProbes, type ProbeEvidence, type ProbeOutcome } from '../../src/probes/probe.js';
import { integrationVersions, startForTest } from '../support/kafka.js';
import { acl, acls, contextFor, platformaticAcl, seedCluster, snapshotOf } from './cluster.js';

const failures = (outcome: ProbeOutcome) => outcome.evidence.filter((item) => item.outcome === 'failed');
const find = (outcome: ProbeOutcome, match: Partial<ProbeEvidence>) =>
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
    expect(find(outcome!, { principal: 'User:alice', operation: 'WRITE', resource: 'topic orders.eu', observed: 'allowed' })).toHaveLength(1);
    expect(find(outcome!, { principal: 'User:alice', operation: 'WRITE', resource: 'topic orders.us', kafkaError: 'TOPIC_AUTHORIZATION_FAILED' })).toHaveLength(1);
    expect(find(outcome!, { principal: 'User:bob', operation: 'WRITE', resource: 'topic payments', kafkaError: 'TOPIC_AUTHORIZATION_FAILED' })).toHaveLength(1);
    expect(find(outcome!, { operation: 'AUTHENTICATE', kafkaError: 'SASL_AUTHENTICATION_FAILED' })).toHaveLength(2);
    expect(outcome!.evidence.some((item) => item.principal === 'User:carol' && item.outcome === 'skipped' && item.observed === 'not checked: no credential')).toBe(true);
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
    expect(find(outcome!, { principal: 'User:bob', kafkaError: 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED' })).toHaveLength(1);
    expect(find(outcome!, { principal: 'User:alice', resource: 'group billing', kafkaError: 'GROUP_AUTHORIZATION_FAILED' })).toHaveLength(1);
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
      expect(failures(outcome!)).toEqual(expect.arrayContaining([
        expect.objectContaining({ principal: 'User:alice', operation: 'WRITE', resource: 'topic orders.us', expected: 'deny', observed: 'allowed' }),
        expect.objectContaining({ principal: 'User:bob', operation: 'DESCRIBE', resource: 'topic orders.eu', expected: 'deny', observed: 'allowed' }),
      ]));
    } finally {
      await withAdmin(environment.admin, async (admin) => {
        await admin.createAcls({ creations: [deny] });
        await admin.deleteAcls({ filters: [extra] });
      });
    }
  });

  it('fails when a wrong password authenticates (the drill was given a stale credential that still works)', async () => {
    // The drill believes alice's password is something else; the real one still works on the cluster.
    const stale = new Map([['alice', 'not-the-password'], ['bob', 'bob-secret-1']]);
    const [outcome] = await runProbes([new AuthorizationProbe('authz', 'stale', { derive: false, expect: [
      { principal: 'User:alice', operation: 'WRITE', resource: { type: 'topic', name: 'orders.eu', patternType: 'literal' }, result: 'allow' },
    ] })], contextFor(environment, snapshotOf(), { credentials: stale }));
    expect(outcome!.status).toBe('failed');
    expect(failures(outcome!)[0]).toMatchObject({ principal: 'User:alice', kafkaError: 'SASL_AUTHENTICATION_FAILED' });
  });
});
