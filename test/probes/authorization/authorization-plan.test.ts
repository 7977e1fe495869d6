import { describe, expect, it } from 'vitest';
import { AclIndex, describeAcl } from '../../../src/probes/authorization/acl-model.js';
import { firstWithPrefix, planChecks, type AuthorizationCheck, type PlanInput } from '../../../src/probes/authorization/authorization-plan.js';
import type { Acl } from '../../../src/snapshot/schema.js';
import { acl } from '../cluster.js';

const input = (acls: Acl[], overrides: Partial<PlanInput> = {}): PlanInput => ({
  acls,
  topics: ['orders.eu', 'orders.us', 'payments'],
  restoredGroups: ['billing'],
  usersWithCredentials: ['alice', 'bob'],
  marker: 'm1',
  ...overrides,
});

const key = (check: AuthorizationCheck) => `${check.principal} ${check.operation} ${check.kind} ${check.name} ${check.expected}${check.skipped ? ' skipped' : ''}`;

describe('AclIndex', () => {
  const index = new AclIndex([
    acl('User:alice', 'TOPIC', 'orders.', 'PREFIXED', 'WRITE'),
    acl('User:alice', 'TOPIC', 'orders.us', 'LITERAL', 'WRITE', 'DENY'),
    acl('User:*', 'GROUP', '*', 'LITERAL', 'DESCRIBE'),
    acl('User:bob', 'TOPIC', 'payments', 'LITERAL', 'READ'),
    acl('User:bob', 'TOPIC', 'secrets', 'LITERAL', 'READ', 'ALLOW', '10.0.0.5'),
  ]);

  it('decides as the StandardAuthorizer: prefix, DENY over ALLOW, implied DESCRIBE, User:* and wildcard', () => {
    expect(index.isAuthorized('User:alice', 'WRITE', 'topic', 'orders.eu')).toBe(true);
    expect(index.isAuthorized('User:alice', 'WRITE', 'topic', 'orders.us')).toBe(false);
    expect(index.isAuthorized('User:alice', 'DESCRIBE', 'topic', 'orders.eu')).toBe(true);
    expect(index.isAuthorized('User:alice', 'READ', 'topic', 'orders.eu')).toBe(false);
    expect(index.isAuthorized('User:carol', 'DESCRIBE', 'group', 'anything')).toBe(true);
    expect(index.isAuthorized('User:bob', 'DESCRIBE', 'topic', 'payments')).toBe(true);
    expect(index.isAuthorized('User:bob', 'WRITE', 'topic', 'payments')).toBe(false);
  });

  it('does not apply a binding for another host to the probes, and names it', () => {
    expect(index.isAuthorized('User:bob', 'READ', 'topic', 'secrets')).toBe(false);
    expect(index.hostRestricted('User:bob', 'topic', 'secrets')?.host).toBe('10.0.0.5');
    expect(index.hostRestricted('User:bob', 'topic', 'payments')).toBeUndefined();
  });

  it('lists the principals named in bindings, without User:*', () => {
    expect(index.principals().sort()).toEqual(['User:alice', 'User:bob']);
  });
});

describe('planning at 10,000-topic scale', () => {
  it('derives more checks than a function call can take as arguments (a 10,000-topic drill once overflowed the stack here)', () => {
    const topics = Array.from({ length: 160_000 }, (_, index) => `t${index}`);
    const acls = topics.map((topic) => acl('User:alice', 'TOPIC', topic, 'LITERAL', 'WRITE'));
    const checks = planChecks(input(acls, { topics }), { derive: true, expect: [] });
    expect(checks.filter((check) => check.principal === 'User:alice' && check.operation === 'WRITE' && check.expected === 'allow')).toHaveLength(160_000);
  });
});

describe('firstWithPrefix', () => {
  it('finds the first sorted name with the prefix, or nothing', () => {
    const sorted = ['a', 'orders.eu', 'orders.us', 'payments'];
    expect(firstWithPrefix(sorted, 'orders.')).toBe('orders.eu');
    expect(firstWithPrefix(sorted, 'pay')).toBe('payments');
    expect(firstWithPrefix(sorted, 'p')).toBe('payments');
    expect(firstWithPrefix(sorted, 'orders.x')).toBeUndefined();
    expect(firstWithPrefix(sorted, 'zzz')).toBeUndefined();
    expect(firstWithPrefix([], 'a')).toBeUndefined();
  });
});

describe('planChecks', () => {
  it('exercises every operation an ALL binding covers, each on a concrete name', () => {
    const checks = planChecks(input([acl('User:alice', 'GROUP', 'alice-', 'PREFIXED', 'ALL')]), { derive: true, expect: [] });
    const mine = checks.filter((check) => check.because.startsWith('ALLOW ALL'));
    expect(mine.map((check) => `${check.operation} ${check.name} ${check.expected}`)).toEqual([
      'READ alice-kafka-drill-probe-m1 allow',
      'DESCRIBE alice-kafka-drill-probe-m1 allow',
      'DELETE alice-kafka-drill-probe-m1 allow',
    ]);
  });

  it('expands an explicit ALL into every operation; one no client can send is counted as skipped, not failed', () => {
    const checks = planChecks(input([]), {
      derive: false,
      expect: [{ principal: 'User:alice', operation: 'ALL', resource: { type: 'cluster', name: 'kafka-cluster', patternType: 'literal' }, result: 'deny' }],
    });
    expect(checks.map((check) => check.operation)).toEqual(['CREATE', 'DESCRIBE', 'ALTER', 'DESCRIBE_CONFIGS', 'ALTER_CONFIGS', 'IDEMPOTENT_WRITE', 'CLUSTER_ACTION']);
    expect(checks.filter((check) => check.explicit).length).toBe(6);
    expect(checks.at(-1)).toMatchObject({ operation: 'CLUSTER_ACTION', explicit: false, skipped: 'CLUSTER_ACTION is used only between brokers' });
  });

  it('keeps an explicit expectation that cannot be exercised, marked explicit with the reason', () => {
    const [check] = planChecks(input([]), {
      derive: false,
      expect: [{ principal: 'User:alice', operation: 'DELETE', resource: { type: 'group', name: 'billing', patternType: 'literal' }, result: 'allow' }],
    });
    expect(check).toMatchObject({ explicit: true, skipped: 'DELETE on an existing group would destroy restored state' });
  });

  it('reports a host-restricted binding as not exercised, never as a modelled denial', () => {
    const checks = planChecks(input([acl('User:bob', 'TOPIC', 'payments', 'LITERAL', 'READ', 'ALLOW', '10.0.0.5'), acl('User:bob', 'TOPIC', 'orders.', 'PREFIXED', 'READ')]), {
      derive: true,
      expect: [],
    });
    expect(checks.find((check) => check.because.includes('from 10.0.0.5') && check.operation === 'READ' && check.name === 'payments')).toMatchObject({
      expected: 'allow',
      skipped: expect.stringMatching(/^host-restricted: the binding applies only to connections from 10\.0\.0\.5; probes connect from 127\.0\.0\.1/),
    });
    // No denial control claims bob may not READ payments: it would be decided by the host-restricted binding.
    expect(checks.filter((check) => check.name === 'payments' && check.operation === 'READ' && !check.skipped)).toEqual([]);
    // A binding for the probes' own address is exercised.
    const local = planChecks(input([acl('User:bob', 'TOPIC', 'payments', 'LITERAL', 'READ', 'ALLOW', '127.0.0.1')]), { derive: true, expect: [] });
    const exercised = local.find((check) => check.operation === 'READ' && check.name === 'payments');
    expect(exercised?.expected).toBe('allow');
    expect(exercised?.skipped).toBeUndefined();
  });

  it('gives every principal its denial controls: the basic operations it lacks, and a topic it has nothing on', () => {
    const checks = planChecks(input([acl('User:alice', 'TOPIC', 'orders.eu', 'LITERAL', 'WRITE')]), { derive: true, expect: [] });
    expect(checks.map(key)).toEqual([
      'User:alice WRITE topic orders.eu allow',
      'User:alice READ topic orders.eu deny',
      'User:alice DESCRIBE topic orders.eu allow',
      'User:alice DESCRIBE topic orders.us deny',
      // bob has a password and no binding: he gets the untouched-topic control too.
      'User:bob DESCRIBE topic orders.eu deny',
    ]);
  });

  it('runs a User:* binding as every principal with a password, and a READ of a restored group after the offsets probes', () => {
    const checks = planChecks(input([acl('User:*', 'GROUP', 'billing', 'LITERAL', 'READ'), acl('User:carol', 'TOPIC', 'payments', 'LITERAL', 'READ')]), {
      derive: true,
      expect: [],
    });
    const reads = checks.filter((check) => check.kind === 'group' && check.operation === 'READ');
    expect(reads.map((check) => check.principal).sort()).toEqual(['User:alice', 'User:bob']);
    expect(reads.every((check) => check.joinsRestoredGroup === true && check.expected === 'allow')).toBe(true);
  });

  it('exercises every ALLOW binding of a large matrix (1,000 topics, 5,000 ACLs, 100 users) and gives every principal controls', () => {
    const topics = Array.from({ length: 1_000 }, (_, index) => `team-${index % 50}.topic-${index}`);
    const users = Array.from({ length: 100 }, (_, index) => `user-${index}`);
    const acls: Acl[] = [];
    for (let user = 0; user < 100; user++) {
      for (let index = 0; index < 50; index++) {
        const principal = `User:user-${user}`;
        const shape = index % 5;
        if (shape === 0) acls.push(acl(principal, 'TOPIC', topics[(user * 10 + index) % 1_000]!, 'LITERAL', 'READ'));
        if (shape === 1) acls.push(acl(principal, 'TOPIC', `team-${(user + index) % 50}.`, 'PREFIXED', 'WRITE'));
        if (shape === 2) acls.push(acl(principal, 'GROUP', `group-${(user * 3 + index) % 300}`, 'LITERAL', 'READ'));
        if (shape === 3) acls.push(acl(principal, 'TOPIC', topics[(user * 7 + index) % 1_000]!, 'LITERAL', 'WRITE', 'DENY'));
        if (shape === 4) acls.push(acl(principal, 'GROUP', `app-${(user + index) % 10}-`, 'PREFIXED', 'ALL'));
      }
    }
    const checks = planChecks(input(acls, { topics, usersWithCredentials: users, restoredGroups: [] }), { derive: true, expect: [] });
    const exercised = new Set(checks.filter((check) => !check.skipped).map((check) => check.because.split(';')[0]));
    const allows = acls.filter((binding) => binding.permissionType === 'ALLOW');
    expect(allows.filter((binding) => !exercised.has(describeAcl(binding)))).toEqual([]);
    const controls = checks.filter((check) => check.because.startsWith('no ACL grants it') || check.because === 'granted by the ACLs');
    expect(new Set(controls.map((check) => check.principal)).size).toBe(100);
  });

  it('expects DeleteTopics of an absent topic to answer DESCRIBE: refused under a DENY DESCRIBE, seen past it with ALL on the cluster', () => {
    const checks = planChecks(
      input([
        acl('User:*', 'TOPIC', 'dom006.', 'PREFIXED', 'DELETE'),
        acl('User:alice', 'TOPIC', 'dom006.', 'PREFIXED', 'DESCRIBE', 'DENY'),
        acl('User:bob', 'TOPIC', 'dom006.', 'PREFIXED', 'DESCRIBE', 'DENY'),
        acl('User:bob', 'CLUSTER', 'kafka-cluster', 'LITERAL', 'ALL'),
      ]),
      { derive: true, expect: [] },
    );
    const deletes = checks.filter((check) => check.operation === 'DELETE' && check.kind === 'topic');
    expect(deletes.map(key).sort()).toEqual(['User:alice DELETE topic dom006.kafka-drill-probe-m1 deny', 'User:bob DELETE topic dom006.kafka-drill-probe-m1 allow']);
    expect(deletes.find((check) => check.principal === 'User:alice')!.because).toMatch(
      /^ALLOW DELETE on PREFIXED topic dom006\. for User:\*; but DESCRIBE of dom006\.kafka-drill-probe-m1 is denied .*before it checks DELETE$/,
    );
    // An explicit ALLOW DELETE under a DENY DESCRIBE cannot be shown: skipped (the probe then fails), never a false red.
    const [explicit] = planChecks(input([acl('User:alice', 'TOPIC', 'dom006.', 'PREFIXED', 'DESCRIBE', 'DENY')]), {
      derive: false,
      expect: [{ principal: 'User:alice', operation: 'DELETE', resource: { type: 'topic', name: 'dom006.gone', patternType: 'literal' }, result: 'allow' }],
    });
    expect(explicit).toMatchObject({ explicit: true, skipped: expect.stringMatching(/a granted DELETE is not observable on this topic$/) });
  });
});
