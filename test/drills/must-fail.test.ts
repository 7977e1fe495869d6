/**
 * A drill that cannot fail proves nothing: each drill in drills/must-fail/ breaks one recovery
 * assumption, and must fail for exactly that reason, with everything else passing. Run through
 * the real CLI, one after the other (each starts a one-broker Kafka).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Run } from '../../src/model/result.js';
import { DEFAULT_KAFKA_VERSION } from '../../src/runtime/distribution.js';
import { readEvidence, runToEnd } from './cli.js';

const outRoot = mkdtempSync(path.join(tmpdir(), 'kafka-drill-must-fail-'));
afterAll(() => rmSync(outRoot, { recursive: true, force: true }));

interface MustFail {
  drill: string;
  /** The whole reason, after "<version>: ". */
  reason: string;
  failedPhases?: string[];
  failedProbes?: string[];
  failedAssumptions?: string[];
  missedObjectives?: string[];
  /** The snapshot has connectors: the connectors phase runs (and must pass) instead of being skipped. */
  connectors?: true;
  /** Differences of drift verify must find (the verify phase then fails too). */
  drift?: number;
  /** The specific evidence of the cause; `out` is the drill's evidence directory. */
  check: (run: Run, out: string) => void;
}

const failingEvidence = (run: Run, probeId: string) => run.probes.find((p) => p.id === probeId)!.evidence.filter((e) => e.outcome === 'failed');
/** The probe's one failing piece of evidence has these fields (among others). */
const expectOnlyFailing = (run: Run, probeId: string, fields: object) => expect(failingEvidence(run, probeId)).toEqual([expect.objectContaining(fields)]);

/** The drill's one failure is this probe, or this declared assumption: the run's reason names just that. */
const onlyProbeFails = (probe: string) => ({ reason: `probe ${probe} failed`, failedProbes: [probe] });
const onlyAssumptionFails = (assumption: string) => ({ reason: `assumption failed: ${assumption}`, failedAssumptions: [assumption] });

const cases: MustFail[] = [
  {
    drill: 'missing-acl',
    ...onlyProbeFails('reader-writes-orders'),
    check: (run) => {
      expectOnlyFailing(run, 'reader-writes-orders', {
        principal: 'User:shop-reader',
        operation: 'WRITE',
        resource: 'topic shop.orders',
        expected: 'allow',
        observed: 'denied (TOPIC_AUTHORIZATION_FAILED)',
        kafkaError: 'TOPIC_AUTHORIZATION_FAILED',
      });
    },
  },
  {
    drill: 'offset-beyond-data',
    // The restore's view: the offsets it set lie beyond the empty log.
    ...onlyAssumptionFails('offsets-within-log'),
    check: (run) => {
      // data: none: no consumer can show where it resumes, so every check is skipped with that reason, none passed.
      const probe = run.probes.find((p) => p.id === 'fulfilment-resumes')!;
      expect(probe.evidence).toEqual([
        expect.objectContaining({ resource: 'group shop-fulfilment shop.orders:0', expected: 'resume at 15 (exact)', outcome: 'skipped', observed: 'not checked' }),
        expect.objectContaining({ resource: 'group shop-fulfilment shop.orders:1', expected: 'resume at 7 (exact)', outcome: 'skipped', observed: 'not checked' }),
      ]);
      expect(probe.evidence[0]!.detail).toContain('data: none');
      // A probe that proved nothing is skipped, never passed.
      expect(probe.status).toBe('skipped');
      const offsets = run.phases.find((p) => p.name === 'offsets')!;
      expect(offsets.findings.map((f) => [f.code, f.severity, f.object])).toEqual([
        ['offset-beyond-log-end', 'warning', 'group shop-fulfilment shop.orders-0'],
        ['offset-beyond-log-end', 'warning', 'group shop-fulfilment shop.orders-1'],
      ]);
    },
  },
  {
    drill: 'offset-off-by-one',
    reason: '1 difference(s) of drift after restore; probe clicks-resume failed',
    drift: 1,
    failedProbes: ['clicks-resume'],
    check: (run) => {
      // Offsets near 5 billion, restored through the offset map, then moved one record by the automated step:
      // the consumer's first record names the source offset one past the committed one.
      expect(run.manualSteps).toEqual([expect.objectContaining({ id: 'shift-clicks-offset', status: 'automated', output: expect.stringContaining('events.clicks-0: 10 → 11') })]);
      expectOnlyFailing(run, 'clicks-resume', {
        resource: 'group clicks-aggregator events.clicks:0',
        expected: 'resume at 5000001000 (exact)',
        observed: 'first record stands for 5000001001',
        detail: 'the first record (target offset 11) stands for source offset 5000001001, committed 5000001000: outside tolerance exact',
      });
      // The group's other partitions still resume exactly: caught up, and reset before the log start as on the source.
      expect(run.probes[0]!.evidence.filter((e) => e.outcome === 'passed').map((e) => e.resource)).toEqual([
        'group clicks-aggregator events.clicks:1',
        'group clicks-aggregator events.clicks:2',
      ]);
      expect(run.verify!.differences.filter((d) => d.classification === 'drift')).toEqual([
        expect.objectContaining({
          kind: 'consumer-group-offset',
          object: 'group clicks-aggregator offset events.clicks-0',
          expected: '{"offset":10,"metadata":"clicks-aggregator@prod"}',
        }),
      ]);
    },
  },
  {
    drill: 'rejected-config',
    // Only the declared belief fails: the topics were all created, and the configs Kafka 4.0 removed are expected differences.
    ...onlyAssumptionFails('topic-configs-accepted'),
    check: (run) => {
      const topics = run.phases.find((p) => p.name === 'topics')!;
      expect(topics.findings).toEqual([
        {
          code: 'config-not-applied',
          severity: 'warning',
          object: 'topic shop.legacy config message.downconversion.enable',
          message: 'not applied: removed in Kafka 4.0',
          owner: 'platform',
        },
        {
          code: 'config-not-applied',
          severity: 'warning',
          object: 'topic shop.legacy config message.format.version',
          message: 'not applied: removed in Kafka 4.0',
          owner: 'platform',
        },
      ]);
      expect(topics.counts).toEqual({ created: 4, updated: 0, unchanged: 0, failed: 0 });
      expect(run.assumptions.find((a) => a.id === 'topic-configs-accepted')).toEqual({
        id: 'topic-configs-accepted',
        description: 'every topic and topic config was accepted by the target Kafka version',
        source: 'declared',
        status: 'failed',
        owner: 'platform',
        expected: 'every config applied',
        observed:
          'topic shop.legacy config message.downconversion.enable: not applied: removed in Kafka 4.0; topic shop.legacy config message.format.version: not applied: removed in Kafka 4.0',
      });
      // Not declared, the broker side holds: its removed configs are listed, not refused.
      expect(run.assumptions.find((a) => a.id === 'broker-configs-accepted')).toMatchObject({ source: 'implicit', status: 'held' });
      expect(run.verify!.differences.filter((d) => d.classification === 'expected' && d.reason === 'not applied: removed in Kafka 4.0').map((d) => d.object)).toEqual([
        'topic shop.legacy config message.downconversion.enable',
        'topic shop.legacy config message.format.version',
        'cluster config log.message.downconversion.enable',
        'broker 1 config log.message.timestamp.difference.max.ms',
      ]);
      // The consumer group resumes where it was: the data phase and the offsets probe ran and passed.
      expect(run.probes.find((p) => p.id === 'fulfilment-resumes')!.status).toBe('passed');
    },
  },
  {
    drill: 'objective-missed',
    reason: 'objective missed: RTO (projected) {projected} min (target ≤ 60 min)',
    missedObjectives: ['RTO (projected)'],
    check: (run) => {
      expect(run.manualSteps).toEqual([expect.objectContaining({ id: 'rebuild-truststores', status: 'pending', estimateMinutes: 90 })]);
      expect(run.rto.projectedMinutes).toBeGreaterThan(90);
      expect(run.rto.projectedMinutes).toBeLessThan(95);
      expect(run.rto.objectiveMinutes).toBe(60);
    },
  },
  {
    drill: 'transaction-timeout',
    ...onlyProbeFails('payments-transactions'),
    check: (run) => {
      const evidence = run.probes.find((p) => p.id === 'payments-transactions')!.evidence;
      // The plain check passes; the transactional one is refused by the restored brokers' default transaction.max.timeout.ms.
      expect(evidence.map((e) => [e.operation, e.outcome])).toEqual([
        ['WRITE, READ', 'passed'],
        ['WRITE (transactional), READ (read_committed)', 'failed'],
      ]);
      expect(evidence[1]).toMatchObject({ kafkaError: 'INVALID_TRANSACTION_TIMEOUT', detail: expect.stringContaining('timeout') });
    },
  },
  {
    drill: 'sink-replay',
    // The sink replays back to its restored offsets: verify sees nothing, only the sink's store holds the replay.
    ...onlyProbeFails('orders-sink-once'),
    connectors: true,
    check: (run) => {
      // Restored at the rebased log end (source offsets near 4.8 billion → target 10), then the automated step deleted the offsets.
      expect(run.manualSteps.map((s) => [s.id, s.status, s.output])).toEqual([
        ['seed-file-stores', 'automated', expect.stringContaining('orders-sink: ') as string],
        ['recreate-orders-sink', 'automated', 'orders-sink: offsets deleted, resumed, replayed back to its restored offsets'],
      ]);
      expect(run.phases.find((p) => p.name === 'connectors')).toMatchObject({ status: 'passed', counts: { created: 2, updated: 0, unchanged: 0, failed: 0 } });
      // The sink starts again at the target log start: the 10 records per partition it had delivered before the snapshot come twice.
      expectOnlyFailing(run, 'orders-sink-once', {
        expected: '≤ 0 records delivered again',
        observed: '20 records delivered again',
        detail: expect.stringMatching(/^20 replayed \(20 distinct\); first: \{"synthetic":true,"topic":"orders","partition":0,"sourceOffset":4800000490\}/) as string,
      });
      // New input after the restore still arrives exactly once: the failure is the replay alone.
      expect(run.probes[0]!.evidence.filter((e) => e.outcome === 'passed').map((e) => e.observed)).toEqual(['5 delivered once each']);
    },
  },
  {
    drill: 'dropped-acl',
    reason: "probe fulfilment-service failed; 1 denial(s) nobody expected in the brokers' authorizer log: User:shop-reader DESCRIBE Group shop-fulfilment",
    failedProbes: ['fulfilment-service'],
    check: (run, out) => {
      // The service sees no authorization error at all (kafkajs reports a coordinator it cannot find); the broker says who was refused what.
      expectOnlyFailing(run, 'fulfilment-service', { principal: 'User:shop-reader', observed: 'the consumer crashed: Failed to find group coordinator' });
      expect(failingEvidence(run, 'fulfilment-service')[0]!.kafkaError).toBeUndefined();
      const probesPhase = run.phases.find((p) => p.name === 'probes')!;
      expect(probesPhase.findings).toEqual([
        expect.objectContaining({
          code: 'unexpected-denial',
          severity: 'error',
          object: 'User:shop-reader DESCRIBE group shop-fulfilment',
          denial: expect.objectContaining({
            principal: 'User:shop-reader',
            operation: 'DESCRIBE',
            resourceType: 'Group',
            patternType: 'LITERAL',
            resourceName: 'shop-fulfilment',
            host: '127.0.0.1',
            request: 'FindCoordinator',
            rule: 'DefaultDeny',
            accountedBy: 'unexpected',
          }),
        }),
      ]);
      // A principal refused is the security team's by default (no owners: section names it).
      expect(probesPhase.findings[0]!.owner).toBe('security');
      // The denial the authorization probe asked for is in the broker's log, matched by its DENY binding, and accounted for.
      const log = run.authorizerLog!;
      expect(log.expectedDenials).toEqual({ total: 1, logged: 1, notLogged: [] });
      expect(log.denials.filter((d) => d.accountedBy === 'authorization-probe')).toEqual([
        expect.objectContaining({
          principal: 'User:shop-reader',
          operation: 'READ',
          resourceType: 'Topic',
          resourceName: 'shop.payments',
          request: 'Fetch',
          rule: expect.stringContaining('permissionType=DENY'),
        }),
      ]);
      // Kafka's own counters, scraped from the JMX exporter before teardown, under the dashboards' names.
      const broker = run.brokerMetrics!.targets.find((target) => target.process === 'broker 1')!;
      const errors = (request: string, error: string) =>
        broker.samples.find((s) => s.name === 'kafka_network_requestmetrics_errors_total' && s.labels.request === request && s.labels.error === error)?.value ?? 0;
      expect(errors('FindCoordinator', 'GROUP_AUTHORIZATION_FAILED')).toBeGreaterThanOrEqual(1);
      expect(errors('Fetch', 'TOPIC_AUTHORIZATION_FAILED')).toBeGreaterThanOrEqual(1);
      // The probe's allowed check of the same reader on shop.orders passed: only the group binding is gone.
      expect(run.probes.find((p) => p.id === 'reader-topics')!.status).toBe('passed');
      // report.html shows what the brokers recorded: the unexpected denial's row and the scraped broker's values.
      const html = readFileSync(path.join(out, 'report.html'), 'utf8');
      const rows = [...html.matchAll(/<table class="stack unexpected-denials">[\s\S]*?<\/table>/g)].map((m) => m[0]);
      expect(rows).toHaveLength(1);
      expect(rows[0]!.match(/<tr class="bad">/g)).toHaveLength(1);
      expect(rows[0]).toMatch(
        /<td data-label="Principal">User:shop-reader<\/td><td data-label="Operation">DESCRIBE<\/td><td data-label="Resource">Group shop-fulfilment<\/td><td data-label="Request">FindCoordinator<\/td>/,
      );
      expect(html).toContain('1 of 1 denial(s) the authorization probe expected are in the brokers&#x27; logs');
      expect(html).toMatch(/<summary>broker 1: \d+ value\(s\)<\/summary>/);
      expect(html).toContain('<code>kafka_network_requestmetrics_errors_total</code>');
    },
  },
  {
    drill: 'dropped-transactional-acl',
    // The one binding an automated step dropped after the restore: verify sees it as drift, the probe as refusals.
    reason: '1 difference(s) of drift after restore; probe service-acls failed',
    drift: 1,
    failedProbes: ['service-acls'],
    check: (run) => {
      expect(run.verify!.differences.filter((d) => d.classification === 'drift').map((d) => d.object)).toEqual([
        'acl ALLOW User:svc-payments-api WRITE on TRANSACTIONAL_ID payments-api- (PREFIXED) from *',
      ]);
      // Exactly svc-payments-api's transactional checks on its own ids fail: the raw InitProducerId and the real transactional producer.
      const fresh = (resource: string | undefined) => resource?.replace(/kafka-drill-probe-[0-9a-f]+$/, '<fresh>');
      expect(failingEvidence(run, 'service-acls').map((e) => [e.principal, e.operation, fresh(e.resource), e.expected, e.observed, e.kafkaError, e.client])).toEqual([
        [
          'User:svc-payments-api',
          'WRITE',
          'transactional-id payments-api-<fresh>',
          'allow',
          'denied (TRANSACTIONAL_ID_AUTHORIZATION_FAILED)',
          'TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
          undefined,
        ],
        [
          'User:svc-payments-api',
          'WRITE (transactional producer)',
          'transactional-id payments-api-<fresh>',
          'allow',
          'denied (TRANSACTIONAL_ID_AUTHORIZATION_FAILED) at init',
          'TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
          expect.stringMatching(/^kafkajs /),
        ],
      ]);
      // Its DESCRIBE on the ids still holds, and svc-ledger's transactional producer still commits and aborts.
      const evidence = run.probes.find((p) => p.id === 'service-acls')!.evidence;
      expect(evidence.find((e) => e.principal === 'User:svc-payments-api' && e.operation === 'DESCRIBE' && e.resource?.startsWith('transactional-id '))?.outcome).toBe('passed');
      expect(evidence.filter((e) => e.operation === 'WRITE (transactional producer)').map((e) => [e.principal, fresh(e.resource), e.outcome, e.observed])).toEqual([
        ['User:svc-ledger', 'transactional-id ledger-tx', 'passed', 'allowed (init, send, commit, send, abort)'],
        ['User:svc-payments-api', 'transactional-id payments-api-<fresh>', 'failed', 'denied (TRANSACTIONAL_ID_AUTHORIZATION_FAILED) at init'],
        ['User:svc-payments-api', 'transactional-id <fresh>', 'passed', 'denied (TRANSACTIONAL_ID_AUTHORIZATION_FAILED) at init'],
        ['User:svc-ledger', 'transactional-id <fresh>', 'passed', 'denied (TRANSACTIONAL_ID_AUTHORIZATION_FAILED) at init'],
      ]);
      // The brokers' refusals are the probe's own: none unexpected.
      expect(run.phases.find((p) => p.name === 'probes')!.findings).toEqual([]);
      expect(run.manualSteps).toEqual([expect.objectContaining({ id: 'reapply-payments-api-acls', status: 'automated', output: expect.stringContaining('dropped ALLOW WRITE') })]);
    },
  },
  {
    drill: 'widened-acl',
    ...onlyProbeFails('reader-cannot-write'),
    check: (run) => {
      expectOnlyFailing(run, 'reader-cannot-write', {
        principal: 'User:shop-reader',
        operation: 'WRITE',
        resource: 'topic shop.orders',
        expected: 'deny',
        observed: 'allowed (UNKNOWN_TOPIC_OR_PARTITION after the authorization check)',
      });
      // The rest of the reader's restrictions still hold: it is exactly the widened binding.
      const payments = run.probes.find((p) => p.id === 'reader-cannot-write')!.evidence.find((e) => e.resource === 'topic shop.payments')!;
      expect(payments).toMatchObject({ expected: 'deny', observed: 'denied (TOPIC_AUTHORIZATION_FAILED)' });
    },
  },
  {
    drill: 'streams-changelog-missing',
    ...onlyProbeFails('word-count-state'),
    check: (run) => {
      // A real 3.9 capture made with --exclude '-(changelog|repartition)$': the application restarts with nothing to restore.
      expectOnlyFailing(run, 'word-count-state', {
        principal: 'User:word-count',
        resource: 'application word-count',
        expected: 'state rebuilt from word-count-counts-changelog',
        observed: "word-count-counts-changelog is not in the snapshot (the capture's --exclude -(changelog|repartition)$ left it out): state rebuilt empty (0 records restored)",
      });
      // Everything else of the application was restored: it runs with its ACLs and resumes where its group was.
      expect(run.probes[0]!.evidence.filter((e) => e.outcome === 'passed').map((e) => e.observed)).toEqual([
        'RUNNING (kafka-streams 4.3.1)',
        'first offset processed 7',
        'first offset processed 7',
      ]);
    },
  },
];

describe('drills/must-fail: each fails for exactly its reason', () => {
  for (const mustFail of cases) {
    it(
      mustFail.drill,
      async () => {
        const out = path.join(outRoot, mustFail.drill);
        const { code, stdout, stderr } = await runToEnd(`drills/must-fail/${mustFail.drill}.yaml`, out);
        expect(code, `${stdout}\n${stderr}`).toBe(1);
        const result = readEvidence(out);
        expect(result.verdict).toBe('failed');
        expect(result.runs).toHaveLength(1);
        const run = result.runs[0]!;
        expect(run.kafkaVersion).toBe(DEFAULT_KAFKA_VERSION);
        expect(run.verdict).toBe('failed');
        const reason = mustFail.reason.replace('{projected}', String(run.rto.projectedMinutes));
        expect(run.reason).toBe(reason);
        expect(result.reason).toBe(`${DEFAULT_KAFKA_VERSION}: ${reason}`);

        // Nothing else failed.
        const notPassed = run.phases.filter((p) => p.status !== 'passed').map((p) => `${p.name} ${p.status}`);
        const failedProbes = mustFail.failedProbes ?? [];
        expect(notPassed).toEqual([
          ...(mustFail.failedPhases ?? []).map((name) => `${name} failed`),
          ...(mustFail.connectors ? [] : ['connectors skipped']),
          ...(mustFail.drift ? ['verify failed'] : []),
          ...(failedProbes.length ? ['probes failed'] : []),
        ]);
        expect(run.verify!.counts.drift).toBe(mustFail.drift ?? 0);
        expect(run.probes.filter((p) => p.status === 'failed' || p.status === 'error').map((p) => p.id)).toEqual(failedProbes);
        expect(run.assumptions.filter((a) => a.status !== 'held').map((a) => a.id)).toEqual(mustFail.failedAssumptions ?? []);
        expect(run.objectives.filter((o) => !o.met).map((o) => o.name)).toEqual(mustFail.missedObjectives ?? []);
        expect(run.manualSteps.filter((s) => s.status === 'failed')).toEqual([]);
        mustFail.check(run, out);
      },
      180_000,
    );
  }
});
