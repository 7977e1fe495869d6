import { describe, expect, it } from 'vitest';
import { withAdmin } from '../../../src/kafka/admin.js';
import { describeAllAcls } from '../../../src/kafka/acls.js';
import { describeAllQuotas } from '../../../src/kafka/quotas.js';
import { ADMIN_QUOTAS } from '../../../src/environment/admin-quota.js';
import { ADMIN_USER } from '../../../src/model/enums.js';
import { QuotaProbe } from '../../../src/probes/quota/quota.js';
import type { ProbeRecord } from '../../../src/model/result.js';
import { restoreSecurity } from '../../../src/restore/security.js';
import type { Quota, Snapshot } from '../../../src/snapshot/schema.js';
import { integrationVersions, startForTest } from '../../support/kafka.js';
import { contextFor, snapshotOf } from '../cluster.js';
import { runProbes } from '../../../src/probes/run-probes.js';

const KiB = 1024;

/**
 * Quotas of every entity kind the probe measures, restored by the security phase itself. The
 * `<default>` user quota is on consumer_byte_rate, so the client-id quota (producer) still
 * governs users without a producer quota of their own, as Kafka's precedence has it.
 */
const quotas: Quota[] = [
  { entity: [{ type: 'user', name: 'alice' }], values: { producer_byte_rate: 128 * KiB } },
  { entity: [{ type: 'user', name: 'bob' }], values: { consumer_byte_rate: 128 * KiB } },
  {
    entity: [
      { type: 'user', name: 'carol' },
      { type: 'client-id', name: 'etl' },
    ],
    values: { producer_byte_rate: 64 * KiB },
  },
  { entity: [{ type: 'client-id', name: 'reporting' }], values: { producer_byte_rate: 96 * KiB } },
  { entity: [{ type: 'user', name: null }], values: { consumer_byte_rate: 192 * KiB } },
  { entity: [{ type: 'user', name: 'ops' }], values: { producer_byte_rate: 50 * 1024 * KiB, consumer_byte_rate: 50 * 1024 * KiB } },
  { entity: [{ type: 'client-id', name: null }], values: { request_percentage: 200 } },
];

const users = ['alice', 'bob', 'carol', 'dave', 'ops'];
const snapshot: Snapshot = snapshotOf({
  acls: [],
  consumerGroups: [],
  scramUsers: users.map((name) => ({ name, credentials: [{ mechanism: 'SCRAM-SHA-512', iterations: 4096 }] })),
  quotas,
});

const checks = (outcome: ProbeRecord) => outcome.evidence.map((item) => [item.resource, item.principal, item.outcome]);
const rateOf = (observed: string) => /enforced ([\d.]+) KiB\/s/.exec(observed)?.[1];

// One SCRAM cluster per version; quotas and users restored by the restore's own security phase.
describe.each(integrationVersions())('quota probe on a restored SCRAM cluster, Kafka %s', async (kafkaVersion) => {
  const environment = await startForTest({ security: 'scram', kafkaVersion });
  const credentials = new Map<string, string>();
  const restored = await withAdmin(environment.admin, (admin) =>
    restoreSecurity({
      admin,
      connection: environment.admin,
      snapshot,
      options: { credentials: { '*': { generate: true } } },
      brokerIds: [1],
      credentials,
      transientDeadlineMs: 30_000,
    }),
  );
  const context = contextFor(environment, snapshot, { credentials });

  it("the drill's own admin keeps quotas of its own that outrank the restored <default> user quota", async () => {
    const entries = await withAdmin(environment.admin, (admin) => describeAllQuotas(admin));
    const own = entries.find((entry) => entry.entity.length === 1 && entry.entity[0]!.type === 'user' && entry.entity[0]!.name === ADMIN_USER);
    expect(own?.values).toEqual(ADMIN_QUOTAS);
  });

  it('every restored byte-rate quota throttles its principal at the quota; controls are not throttled; the rest is skipped with its reason', async () => {
    expect(restored.status).toBe('passed');
    const probe = new QuotaProbe('quotas', 'quotas', { tolerance: 0.2, budgetMs: 120_000, maxBytesPerSecond: 1024 * KiB, entities: undefined });
    const [outcome] = await runProbes([probe], context);
    console.log(`quota probe: ${outcome!.durationMs} ms`);
    for (const item of outcome!.evidence) console.log(JSON.stringify(item));
    expect(checks(outcome!)).toEqual([
      ['quota user=ops producer_byte_rate', undefined, 'skipped'],
      ['quota user=ops consumer_byte_rate', undefined, 'skipped'],
      ['quota client-id=<default> request_percentage', undefined, 'skipped'],
      ['quota user=alice producer_byte_rate', 'User:alice', 'passed'],
      ['quota user=carol,client-id=etl producer_byte_rate', 'User:carol', 'passed'],
      // bob has no producer quota of his own (and <default> is a consumer quota): the client-id quota governs him.
      ['quota client-id=reporting producer_byte_rate', 'User:bob', 'passed'],
      ['control without producer_byte_rate', 'User:bob', 'passed'],
      ['quota user=bob consumer_byte_rate', 'User:bob', 'passed'],
      // alice falls under the <default> user quota for fetches (hers is a producer quota).
      ['quota user=<default> consumer_byte_rate', 'User:alice', 'passed'],
      // Everyone else falls under <default> or their own fetch quota; ops's 50 MiB/s is far above what the control fetches.
      ['control without consumer_byte_rate', 'User:ops', 'passed'],
    ]);
    expect(outcome!.status).toBe('passed');
    const evidence = (resource: string) => outcome!.evidence.find((item) => item.resource === resource)!;
    expect(evidence('quota user=ops producer_byte_rate').detail).toBe("50.00 MiB/s is above the probe's limit of 1.00 MiB/s: exceeding it takes more than 12.00 MiB");
    expect(evidence('quota client-id=<default> request_percentage').detail).toContain('request_percentage');
    // The enforced rate is the broker's, read back from its throttle times: near each quota.
    expect(Number(rateOf(evidence('quota user=alice producer_byte_rate').observed))).toBeGreaterThan(128 * 0.8);
    expect(Number(rateOf(evidence('quota user=carol,client-id=etl producer_byte_rate').observed))).toBeLessThan(64 * 1.2);
    expect(evidence('quota user=alice producer_byte_rate').observed).toMatch(/^throttled \d+× \(\d+–\d+ ms\); enforced/);
    expect(evidence('control without consumer_byte_rate').detail).toContain('governed by user=ops at 50.00 MiB/s');
    // The scratch topic and the ACLs that opened it to the probe's users are gone.
    const left = await withAdmin(environment.admin, async (admin) => ({
      topics: (await admin.listTopics()).filter((topic) => topic.startsWith('kafka-drill-quota-')),
      acls: (await describeAllAcls(admin)).filter((acl) => acl.resourceName.startsWith('kafka-drill-quota-')),
    }));
    expect(left).toEqual({ topics: [], acls: [] });
  });

  it('a quota that is not on the target fails: the principal is not throttled', async () => {
    await withAdmin(environment.admin, (admin) =>
      admin.alterClientQuotas({ entries: [{ entities: [{ entityType: 'user', entityName: 'alice' }], ops: [{ key: 'producer_byte_rate', remove: true }] }] }),
    );
    const probe = new QuotaProbe('quotas', 'quotas', { tolerance: 0.2, budgetMs: 60_000, maxBytesPerSecond: 1024 * KiB, entities: ['user=alice'] });
    const [outcome] = await runProbes([probe], context);
    for (const item of outcome!.evidence) console.log(JSON.stringify(item));
    expect(outcome!.status).toBe('failed');
    expect(outcome!.evidence.find((item) => item.resource === 'quota user=alice producer_byte_rate')).toMatchObject({
      outcome: 'failed',
      principal: 'User:alice',
      observed: 'not throttled',
    });
  });

  it('a quota restored at another value fails on the rate', async () => {
    await withAdmin(environment.admin, (admin) =>
      admin.alterClientQuotas({ entries: [{ entities: [{ entityType: 'user', entityName: 'bob' }], ops: [{ key: 'consumer_byte_rate', value: 64 * KiB, remove: false }] }] }),
    );
    const probe = new QuotaProbe('quotas', 'quotas', { tolerance: 0.2, budgetMs: 60_000, maxBytesPerSecond: 1024 * KiB, entities: ['user=bob'] });
    const [outcome] = await runProbes([probe], context);
    for (const item of outcome!.evidence) console.log(JSON.stringify(item));
    const bob = outcome!.evidence.find((item) => item.resource === 'quota user=bob consumer_byte_rate')!;
    expect(bob.outcome).toBe('failed');
    expect(Number(rateOf(bob.observed))).toBeLessThan(64 * 1.2);
  });
});
