import { describe, expect, it } from 'vitest';
import { evaluateDeclared, evaluateImplicit, type RestoredState } from '../../src/drill/assumptions.js';
import type { PhaseResult } from '../../src/restore/phase.js';
import type { AssumptionSpec } from '../../src/drill-spec/schema.js';

const phase = (name: PhaseResult['phase'], findings: PhaseResult['findings'], status: PhaseResult['status'] = 'passed'): PhaseResult => ({
  phase: name,
  status,
  startedAt: '2026-12-06T00:00:00.000Z',
  durationMs: 1,
  counts: { created: 0, updated: 0, unchanged: 0, failed: 0 },
  findings,
  manualSteps: [],
  requests: 1,
});

const notApplied = {
  code: 'config-not-applied',
  severity: 'warning',
  object: 'topic orders config confluent.tier.enable',
  message: 'not applied: unknown to Apache Kafka 4.3.1',
} as const;
const phases = [
  phase('topics', [notApplied]),
  phase('cluster-configs', [
    { code: 'config-not-applied', severity: 'warning', object: 'cluster config log.message.format.version', message: 'not applied: removed in Kafka 4.0' },
    { code: 'broker-config-refused', severity: 'error', object: 'broker 1 configs', message: 'the target refused num.io.threads', kafkaError: 'INVALID_REQUEST' },
  ]),
];
const state = (p: PhaseResult[]): RestoredState => ({ capture: {} as RestoredState['capture'], configs: { clusterDefault: [], brokers: new Map(), topics: new Map() }, phases: p });
const byId = (assumptions: ReturnType<typeof evaluateImplicit>) => Object.fromEntries(assumptions.map((a) => [a.id, [a.source, a.status, a.observed]]));

describe('configs-accepted assumptions', () => {
  it('implicit: a config the target does not know is not a refusal; one it refuses is', () => {
    expect(byId(evaluateImplicit(phases))).toMatchObject({
      'topic-configs-accepted': ['implicit', 'held', 'none refused'],
      'broker-configs-accepted': ['implicit', 'failed', 'broker 1 configs: INVALID_REQUEST'],
    });
  });

  it('declared: strict, it stands in for the implicit one and counts configs not applied, with their reason', () => {
    const specs: AssumptionSpec[] = [{ type: 'topic-configs-accepted' }, { type: 'broker-configs-accepted', id: 'brokers-carry-over' }];
    const implicit = evaluateImplicit(phases, specs);
    expect(implicit.map((a) => a.id)).not.toContain('topic-configs-accepted');
    expect(implicit.map((a) => a.id)).not.toContain('broker-configs-accepted');
    expect(byId(evaluateDeclared(specs, state(phases)))).toEqual({
      'topic-configs-accepted': ['declared', 'failed', 'topic orders config confluent.tier.enable: not applied: unknown to Apache Kafka 4.3.1'],
      'brokers-carry-over': ['declared', 'failed', 'cluster config log.message.format.version: not applied: removed in Kafka 4.0; broker 1 configs: INVALID_REQUEST'],
    });
    expect(byId(evaluateDeclared(specs.slice(0, 1), state([phase('topics', [])])))).toEqual({ 'topic-configs-accepted': ['declared', 'held', 'every config applied'] });
  });

  it('declared, with its phase not run: skipped, never held', () => {
    const [assumption] = evaluateDeclared([{ type: 'topic-configs-accepted' }], state([phase('topics', [], 'skipped')]));
    expect(assumption).toMatchObject({ status: 'skipped', observed: 'the topics phase did not run' });
  });

  it('declared config assumptions are skipped, with why, when the target configs could not be read; the others are checked', () => {
    const specs: AssumptionSpec[] = [
      { type: 'topic-config', topic: 'orders', config: 'min.insync.replicas', equals: '2' },
      { type: 'broker-config', config: 'auto.create.topics.enable', equals: 'false' },
      { type: 'user-exists', user: 'svc-orders' },
    ];
    const capture = { scramUsers: [{ name: 'svc-orders', credentials: [{ mechanism: 'SCRAM-SHA-512', iterations: 4096 }] }] } as unknown as RestoredState['capture'];
    const assumptions = evaluateDeclared(specs, { capture, configsUnread: 'the request timed out', phases });
    expect(assumptions.map((a) => [a.id, a.status, a.expected, a.observed])).toEqual([
      ['topic-config-1', 'skipped', '= 2', "not checked: the target's configs could not be read (the request timed out)"],
      ['broker-config-2', 'skipped', 'false', "not checked: the target's configs could not be read (the request timed out)"],
      ['user-exists-3', 'held', 'any mechanism', 'SCRAM-SHA-512'],
    ]);
  });
});
