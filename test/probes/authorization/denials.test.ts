import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ProbeRecord } from '../../../src/model/result.js';
import { parseDeniedLine, readBrokerDenials, reconcileDenials } from '../../../src/probes/authorization/denials.js';

/** Lines captured from the broker logs of drill environments (SCRAM, StandardAuthorizer), 2026-12-06. */
const KAFKA_4_3_1 = [
  '4227 [data-plane-kafka-request-handler-4] INFO kafka.authorizer.logger - Principal = User:bob is Denied operation = DESCRIBE from host = 127.0.0.1 on resource = Topic:LITERAL:orders for request = Metadata with resourceRefCount = 1 based on rule DefaultDeny',
  '11948 [data-plane-kafka-request-handler-0] INFO kafka.authorizer.logger - Principal = User:bob is Denied operation = WRITE from host = 127.0.0.1 on resource = Topic:LITERAL:orders for request = Produce with resourceRefCount = 1 based on rule MatchingAcl(acl=StandardAcl[resourceType=TOPIC, resourceName=orders, patternType=LITERAL, principal=User:bob, host=*, operation=WRITE, permissionType=DENY])',
  '12144 [data-plane-kafka-request-handler-2] INFO kafka.authorizer.logger - Principal = User:bob is Denied operation = DESCRIBE from host = 127.0.0.1 on resource = Group:LITERAL:shop-fulfilment for request = FindCoordinator with resourceRefCount = 1 based on rule DefaultDeny',
  '15311 [data-plane-kafka-request-handler-5] INFO kafka.authorizer.logger - Principal = User:bob is Denied operation = CREATE from host = 127.0.0.1 on resource = Topic:LITERAL:shop-new for request = CreateTopics with resourceRefCount = 1 based on rule DefaultDeny',
];
const KAFKA_3_9_2 = [
  '15024 [data-plane-kafka-request-handler-0] INFO kafka.authorizer.logger - Principal = User:bob is Denied operation = WRITE from host = 127.0.0.1 on resource = Topic:LITERAL:orders for request = Produce with resourceRefCount = 1 based on rule MatchingAcl(acl=StandardAcl(resourceType=TOPIC, resourceName=orders, patternType=LITERAL, principal=User:bob, host=*, operation=WRITE, permissionType=DENY))',
  '15095 [data-plane-kafka-request-handler-1] INFO kafka.authorizer.logger - Principal = User:bob is Denied operation = DESCRIBE from host = 127.0.0.1 on resource = Group:LITERAL:shop-fulfilment for request = FindCoordinator with resourceRefCount = 1 based on rule DefaultDeny',
  '18477 [data-plane-kafka-request-handler-7] INFO kafka.authorizer.logger - Principal = User:bob is Denied operation = CREATE from host = 127.0.0.1 on resource = Topic:LITERAL:shop-new for request = CreateTopics with resourceRefCount = 1 based on rule DefaultDeny',
];
/** Other lines of the same logs, which are no denials. */
const NOT_DENIALS = [
  '1028 [main] INFO org.apache.kafka.metadata.authorizer.StandardAuthorizerData - [StandardAuthorizer 1] set super.users=User:ANONYMOUS,User:kafka-drill-admin, default result=DENIED',
  '\tauthorizer.class.name = org.apache.kafka.metadata.authorizer.StandardAuthorizer',
  '3321 [kafka-1-metadata-loader-event-handler] INFO org.apache.kafka.metadata.authorizer.StandardAuthorizerData - [StandardAuthorizer 1] Initialized with 0 acl(s).',
];

describe('parseDeniedLine', () => {
  it('reads every field of a 4.3.1 denial, DefaultDeny and a matching DENY ACL', () => {
    expect(parseDeniedLine(KAFKA_4_3_1[0]!)).toEqual({
      principal: 'User:bob',
      operation: 'DESCRIBE',
      resourceType: 'Topic',
      patternType: 'LITERAL',
      resourceName: 'orders',
      host: '127.0.0.1',
      request: 'Metadata',
      rule: 'DefaultDeny',
    });
    expect(parseDeniedLine(KAFKA_4_3_1[1]!)).toMatchObject({
      operation: 'WRITE',
      request: 'Produce',
      rule: 'MatchingAcl(acl=StandardAcl[resourceType=TOPIC, resourceName=orders, patternType=LITERAL, principal=User:bob, host=*, operation=WRITE, permissionType=DENY])',
    });
    expect(parseDeniedLine(KAFKA_4_3_1[2]!)).toMatchObject({ resourceType: 'Group', resourceName: 'shop-fulfilment', request: 'FindCoordinator' });
  });

  it('reads 3.9.2 denials alike (its ACL printed with parentheses)', () => {
    expect(KAFKA_3_9_2.map(parseDeniedLine).map((d) => [d?.principal, d?.operation, d?.resourceType, d?.resourceName, d?.request])).toEqual([
      ['User:bob', 'WRITE', 'Topic', 'orders', 'Produce'],
      ['User:bob', 'DESCRIBE', 'Group', 'shop-fulfilment', 'FindCoordinator'],
      ['User:bob', 'CREATE', 'Topic', 'shop-new', 'CreateTopics'],
    ]);
    expect(parseDeniedLine(KAFKA_3_9_2[0]!)!.rule).toBe(
      'MatchingAcl(acl=StandardAcl(resourceType=TOPIC, resourceName=orders, patternType=LITERAL, principal=User:bob, host=*, operation=WRITE, permissionType=DENY))',
    );
  });

  it("reads the line in the log4j layout of Kafka's own distribution ([time] LEVEL message (logger))", () => {
    const message = KAFKA_4_3_1[2]!.slice(KAFKA_4_3_1[2]!.indexOf('Principal = '));
    expect(parseDeniedLine(`[2026-12-06 18:40:01,234] INFO ${message} (kafka.authorizer.logger)`)).toMatchObject({ resourceName: 'shop-fulfilment', rule: 'DefaultDeny' });
  });

  it('ignores every other line, an allowed decision included', () => {
    for (const line of NOT_DENIALS) expect(parseDeniedLine(line)).toBeUndefined();
    expect(parseDeniedLine(KAFKA_4_3_1[0]!.replace('is Denied', 'is Allowed'))).toBeUndefined();
  });

  it('keeps a group name with colons and spaces whole', () => {
    expect(parseDeniedLine(KAFKA_4_3_1[2]!.replace('Group:LITERAL:shop-fulfilment', 'Group:LITERAL:team a:orders'))!.resourceName).toBe('team a:orders');
  });
});

describe('readBrokerDenials and reconcileDenials', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'denials-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const probe = (evidence: ProbeRecord['evidence']): ProbeRecord => ({ id: 'acls', type: 'authorization', name: 'acls', status: 'passed', durationMs: 1, evidence });

  it('counts identical decisions once per broker set, accounts for the probe-asked ones, and makes the rest findings', async () => {
    const one = path.join(dir, 'broker-1.log');
    const two = path.join(dir, 'broker-2.log');
    writeFileSync(one, [...NOT_DENIALS, KAFKA_4_3_1[1], KAFKA_4_3_1[1], KAFKA_4_3_1[2]].join('\n') + '\n');
    writeFileSync(two, [KAFKA_4_3_1[1], KAFKA_4_3_1[3]].join('\n') + '\n');
    const denials = await readBrokerDenials([
      { nodeId: 1, logFile: one },
      { nodeId: 2, logFile: two },
    ]);
    expect(denials.map((d) => [d.operation, d.resourceName, d.count, d.brokers])).toEqual([
      ['WRITE', 'orders', 3, [1, 2]],
      ['DESCRIBE', 'shop-fulfilment', 1, [1]],
      ['CREATE', 'shop-new', 1, [2]],
    ]);
    const { log, findings, refusalsNotLogged } = reconcileDenials(
      denials,
      [
        probe([
          {
            outcome: 'passed',
            principal: 'User:bob',
            operation: 'WRITE',
            resource: 'topic orders',
            expected: 'deny',
            observed: 'denied (TOPIC_AUTHORIZATION_FAILED)',
            kafkaError: 'TOPIC_AUTHORIZATION_FAILED',
          },
          {
            outcome: 'passed',
            principal: 'User:bob',
            operation: 'CREATE',
            resource: 'cluster',
            expected: 'deny',
            observed: 'denied (TOPIC_AUTHORIZATION_FAILED)',
            kafkaError: 'TOPIC_AUTHORIZATION_FAILED',
          },
          {
            outcome: 'passed',
            principal: 'User:carol',
            operation: 'READ',
            resource: 'topic orders',
            expected: 'deny',
            observed: 'denied (TOPIC_AUTHORIZATION_FAILED)',
            kafkaError: 'TOPIC_AUTHORIZATION_FAILED',
          },
          {
            // A missing ACL: an expected allow the broker refused, not in these logs either.
            outcome: 'failed',
            principal: 'User:dave',
            operation: 'WRITE',
            resource: 'topic payments',
            expected: 'allow',
            observed: 'denied (TOPIC_AUTHORIZATION_FAILED)',
            kafkaError: 'TOPIC_AUTHORIZATION_FAILED',
          },
          {
            outcome: 'passed',
            principal: 'User:nobody',
            operation: 'AUTHENTICATE',
            resource: 'SASL',
            expected: 'deny',
            observed: 'denied',
            kafkaError: 'SASL_AUTHENTICATION_FAILED',
          },
        ]),
      ],
      [one, two],
    );
    expect(log.denials.map((d) => [d.resourceName, d.accountedBy])).toEqual([
      ['orders', 'authorization-probe'],
      ['shop-fulfilment', 'unexpected'],
      ['shop-new', 'authorization-probe'],
    ]);
    // carol's refusal never reached these logs: counted as not logged, not hidden.
    expect(log.expectedDenials).toEqual({ total: 3, logged: 2, notLogged: ['User:carol READ topic orders'] });
    // The drill reads the logs again while any refusal the probe met is missing, dave's included.
    expect(refusalsNotLogged).toBe(2);
    expect(findings).toEqual([
      expect.objectContaining({
        code: 'unexpected-denial',
        severity: 'error',
        object: 'User:bob DESCRIBE group shop-fulfilment',
        denial: expect.objectContaining({ principal: 'User:bob', operation: 'DESCRIBE', resourceType: 'Group', resourceName: 'shop-fulfilment', request: 'FindCoordinator' }),
      }),
    ]);
  });

  it('matches the pair-by-pair reading of every denial against every refusal, on seeded mixes', () => {
    // The reference: each denial against each refused check, as written before the index (quadratic).
    const reference = (denials: Parameters<typeof reconcileDenials>[0], evidence: ProbeRecord['evidence']) => {
      const refused = evidence.filter((check) => check.kafkaError?.endsWith('_AUTHORIZATION_FAILED'));
      const name = (d: (typeof denials)[number]) => `${d.resourceType === 'Topic' ? 'topic' : 'group'} ${d.resourceName}`;
      const accounted = denials.map((d) =>
        refused.some(
          (c) =>
            c.principal === d.principal &&
            (c.resource === name(d) || (c.resource === 'cluster' && c.operation === 'CREATE' && d.resourceType === 'Topic' && d.operation === 'CREATE')),
        ),
      );
      const logged = (c: (typeof refused)[number]) => denials.some((d) => d.principal === c.principal && (name(d) === c.resource || c.resource === 'cluster'));
      return { accounted, notLogged: refused.filter((c) => !logged(c)).length };
    };
    let seed = 7;
    // A 31-bit linear congruential generator in integer arithmetic, its high bits picked (the low ones cycle).
    const pick = <T>(list: readonly T[]): T => list[((seed = (Math.imul(seed, 1_103_515_245) + 12_345) & 0x7fffffff) >>> 16) % list.length]!;
    const principals = ['User:a', 'User:b', 'User:c'];
    const operations = ['READ', 'WRITE', 'CREATE', 'DESCRIBE'];
    for (let round = 0; round < 200; round++) {
      const denials = Array.from({ length: 1 + (round % 7) }, () => {
        const group = pick([true, false]);
        return {
          principal: pick(principals),
          operation: pick(operations),
          resourceType: group ? 'Group' : 'Topic',
          patternType: 'LITERAL',
          resourceName: pick(['x', 'y', 'z']),
          host: '127.0.0.1',
          request: 'Metadata',
          rule: 'DefaultDeny',
          count: 1,
          brokers: [1],
        };
      });
      const evidence: ProbeRecord['evidence'] = Array.from({ length: 1 + (round % 5) }, () => ({
        outcome: 'passed' as const,
        principal: pick(principals),
        operation: pick(operations),
        resource: pick(['topic x', 'topic y', 'group x', 'group z', 'cluster']),
        expected: pick(['deny', 'allow']),
        observed: 'denied',
        kafkaError: pick(['TOPIC_AUTHORIZATION_FAILED', 'GROUP_AUTHORIZATION_FAILED', 'UNKNOWN_TOPIC_OR_PARTITION']),
      }));
      const { log, refusalsNotLogged } = reconcileDenials(denials, [probe(evidence)], []);
      const expected = reference(denials, evidence);
      expect(log.denials.map((d) => d.accountedBy === 'authorization-probe')).toEqual(expected.accounted);
      expect(refusalsNotLogged).toBe(expected.notLogged);
    }
  });

  it('reads a missing log as no denials', async () => {
    expect(await readBrokerDenials([{ nodeId: 1, logFile: path.join(dir, 'absent.log') }])).toEqual([]);
  });
});
