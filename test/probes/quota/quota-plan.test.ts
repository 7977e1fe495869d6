import { describe, expect, it } from 'vitest';
import { governingQuota, planQuotaChecks } from '../../../src/probes/quota/quota-plan.js';
import { quotaEntityLabel, type Quota } from '../../../src/snapshot/schema.js';

const q = (entity: Record<string, string | null>, values: Record<string, number>): Quota => ({
  entity: Object.entries(entity).map(([type, name]) => ({ type: type as 'user' | 'client-id' | 'ip', name })),
  values,
});
const label = (quota: Quota | undefined) => (quota ? quotaEntityLabel(quota.entity) : undefined);

describe("governingQuota: Kafka's default quota callback precedence, per key", () => {
  const all = [
    q({ user: 'alice', 'client-id': 'etl' }, { producer_byte_rate: 1 }),
    q({ user: 'alice', 'client-id': null }, { producer_byte_rate: 2 }),
    q({ user: 'alice' }, { producer_byte_rate: 3, consumer_byte_rate: 3 }),
    q({ user: null, 'client-id': 'etl' }, { producer_byte_rate: 4 }),
    q({ user: null, 'client-id': null }, { producer_byte_rate: 5 }),
    q({ user: null }, { producer_byte_rate: 6 }),
    q({ 'client-id': 'etl' }, { producer_byte_rate: 7 }),
    q({ 'client-id': null }, { producer_byte_rate: 8 }),
  ];

  it('takes the most specific entity first, and removing it reveals the next', () => {
    const order: string[] = [];
    let remaining = [...all];
    for (;;) {
      const governing = governingQuota(remaining, 'alice', 'etl', 'producer_byte_rate');
      if (!governing) break;
      order.push(label(governing)!);
      remaining = remaining.filter((quota) => quota !== governing);
    }
    expect(order).toEqual([
      'user=alice,client-id=etl',
      'user=alice,client-id=<default>',
      'user=alice',
      'user=<default>,client-id=etl',
      'user=<default>,client-id=<default>',
      'user=<default>',
      'client-id=etl',
      'client-id=<default>',
    ]);
  });

  it('each key is looked up on its own: a user quota without the key does not shadow the defaults', () => {
    expect(label(governingQuota(all, 'alice', 'other', 'consumer_byte_rate'))).toBe('user=alice');
    expect(label(governingQuota(all, 'bob', 'other', 'consumer_byte_rate'))).toBeUndefined();
    expect(label(governingQuota(all, 'bob', 'other', 'producer_byte_rate'))).toBe('user=<default>,client-id=<default>');
    expect(label(governingQuota([q({ ip: null }, { producer_byte_rate: 1 })], 'bob', 'x', 'producer_byte_rate'))).toBeUndefined();
  });
});

describe('planQuotaChecks', () => {
  const fresh = (n: number) => `fresh-${n}`;

  it('finds a principal each quota governs, a control per key, and skips what it cannot measure with the reason', () => {
    const quotas = [
      q({ user: 'alice' }, { producer_byte_rate: 65536 }),
      q({ user: 'bob', 'client-id': 'etl' }, { consumer_byte_rate: 131072 }),
      q({ user: null }, { consumer_byte_rate: 262144 }),
      q({ 'client-id': 'batch' }, { producer_byte_rate: 98304, request_percentage: 50 }),
      q({ user: 'ops' }, { producer_byte_rate: 100 * 1024 * 1024, consumer_byte_rate: 100 * 1024 * 1024 }),
      q({ user: 'ghost' }, { producer_byte_rate: 65536 }),
      q({ ip: '10.0.0.1' }, { connection_creation_rate: 10 }),
    ];
    const plan = planQuotaChecks({ quotas, users: ['alice', 'bob', 'ops', 'admin'], freshClientId: fresh, maxBytesPerSecond: 1024 * 1024 });
    expect(plan.checks.map((check) => [check.entity, check.key, check.user, check.clientId])).toEqual([
      ['user=alice', 'producer_byte_rate', 'alice', 'fresh-1'],
      ['user=bob,client-id=etl', 'consumer_byte_rate', 'bob', 'etl'],
      // alice's own quota is a producer quota: for fetches the <default> user governs her.
      ['user=<default>', 'consumer_byte_rate', 'alice', 'fresh-2'],
      // alice is governed by her user quota; bob has no producer quota, so the client-id quota governs him.
      ['client-id=batch', 'producer_byte_rate', 'bob', 'batch'],
    ]);
    expect(plan.skipped.map((skip) => [skip.entity, skip.key, skip.reason])).toEqual([
      ['client-id=batch', 'request_percentage', 'request_percentage (request handler time) is not measured by this probe'],
      ['user=ops', 'producer_byte_rate', "100.00 MiB/s is above the probe's limit of 1.00 MiB/s: exceeding it takes more than 12.00 MiB"],
      ['user=ops', 'consumer_byte_rate', "100.00 MiB/s is above the probe's limit of 1.00 MiB/s: exceeding it takes more than 12.00 MiB"],
      ['user=ghost', 'producer_byte_rate', 'the probe has no password for user ghost'],
      ['ip=10.0.0.1', 'connection_creation_rate', 'connection_creation_rate (new connections per second) is not measured by this probe'],
    ]);
    // Producer control: bob, whom no producer quota governs. Fetch control: ops, far above 4× the highest fetch quota.
    expect(plan.controls).toEqual([
      { key: 'producer_byte_rate', user: 'bob', clientId: 'fresh-4' },
      { key: 'consumer_byte_rate', user: 'ops', clientId: 'fresh-5', governedBy: { entity: 'user=ops', bytesPerSecond: 100 * 1024 * 1024 } },
    ]);
  });

  it('a quota no loggable principal reaches is skipped, naming the quota that takes precedence; no control when every user is governed', () => {
    const quotas = [q({ 'client-id': null }, { producer_byte_rate: 65536 }), q({ user: null }, { producer_byte_rate: 131072 })];
    const plan = planQuotaChecks({ quotas, users: ['alice'], freshClientId: fresh, maxBytesPerSecond: 1024 * 1024 });
    expect(plan.checks.map((check) => check.entity)).toEqual(['user=<default>']);
    expect(plan.skipped).toEqual([
      { entity: 'client-id=<default>', key: 'producer_byte_rate', value: 65536, reason: 'no user the probe can log in as falls under it: user=<default> takes precedence' },
    ]);
    expect(plan.controls).toEqual([]);
  });

  it('probes only the entities asked for', () => {
    const quotas = [q({ user: 'alice' }, { producer_byte_rate: 65536 }), q({ user: 'bob' }, { producer_byte_rate: 65536 })];
    const plan = planQuotaChecks({ quotas, users: ['alice', 'bob', 'admin'], entities: ['user=bob'], freshClientId: fresh, maxBytesPerSecond: 1024 * 1024 });
    expect(plan.checks.map((check) => check.user)).toEqual(['bob']);
    expect(plan.controls.map((control) => control.user)).toEqual(['admin']);
  });
});
