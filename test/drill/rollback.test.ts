/** The rollback decision: each trigger kind judged on a run's typed fields, and how it meets the RTO and the verdict. */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { decideRollback, performRollback, rollbackMinutes, type DecisionInputs } from '../../src/drill/rollback.js';
import { SecretMask } from '../../src/drill/secrets.js';
import { parseSpecText } from '../../src/drill-spec/load.js';
import { rollbackSchema } from '../../src/drill-spec/schema.js';
import { InputError } from '../../src/errors.js';
import type { MirrorGroupPartition, ProbeEvidence, ProbeRecord, Run } from '../../src/model/result.js';
import { finish } from '../../src/model/verdict.js';
import { emptyRun } from '../support/run.js';

const policy = (input: z.input<typeof rollbackSchema>) => rollbackSchema.parse(input);

const authCheck = (outcome: ProbeEvidence['outcome'], principal: string, resource: string): ProbeEvidence => ({
  outcome,
  principal,
  operation: 'WRITE',
  resource,
  expected: 'allow',
  observed: outcome === 'failed' ? 'denied (TOPIC_AUTHORIZATION_FAILED)' : 'allowed',
});

const probe = (id: string, type: string, status: ProbeRecord['status'], evidence: ProbeEvidence[], extra: Partial<ProbeRecord> = {}): ProbeRecord => ({
  id,
  type,
  name: id,
  status,
  durationMs: 1,
  evidence,
  ...extra,
});

const replayCheck = (group: string, partition: number, records: number): ProbeEvidence => ({
  outcome: 'passed',
  resource: `group ${group} orders:${partition}`,
  expected: 'resume at 10 (replay ≤ 100)',
  observed: 'first record at 5',
  replay: { group, topic: 'orders', partition, records },
});

const run = (parts: Partial<DecisionInputs> = {}): DecisionInputs => ({ probes: [], assumptions: [], manualSteps: [], ...parts });

const writes = probe('writes', 'authorization', 'failed', [
  authCheck('passed', 'User:svc-billing', 'topic payments.in'),
  authCheck('failed', 'User:svc-billing', 'topic payments.out'),
  authCheck('failed', 'User:reporting', 'topic orders'),
  authCheck('failed', 'User:svc-billing', 'group billing'),
]);

describe('authorization-failed', () => {
  it('fires on each failed check of a principal matching a pattern, naming probe and check', () => {
    const decided = decideRollback(policy({ when: [{ type: 'authorization-failed', principals: ['User:svc-*'] }] }), run({ probes: [writes] }), {}, 1);
    expect(decided.decision).toBe('rollback');
    expect(decided.triggers).toEqual([
      {
        id: 'authorization-failed-1',
        type: 'authorization-failed',
        description: 'a failed authorization check of User:svc-*',
        fired: true,
        causes: [
          { kind: 'probe-check', probe: 'writes', check: 1, principal: 'User:svc-billing', operation: 'WRITE', resource: 'topic payments.out' },
          { kind: 'probe-check', probe: 'writes', check: 3, principal: 'User:svc-billing', operation: 'WRITE', resource: 'group billing' },
        ],
      },
    ]);
  });

  it('narrows to topics by pattern; a check on another resource kind does not match', () => {
    const decided = decideRollback(
      policy({ when: [{ type: 'authorization-failed', principals: ['User:svc-billing'], topics: ['payments.*'] }] }),
      run({ probes: [writes] }),
      {},
      1,
    );
    expect(decided.triggers[0]!.causes.map((cause) => cause.kind === 'probe-check' && cause.check)).toEqual([1]);
  });

  it('stays quiet when no matching principal failed, and without selectors matches every failed check', () => {
    expect(decideRollback(policy({ when: [{ type: 'authorization-failed', principals: ['User:svc-ledger'] }] }), run({ probes: [writes] }), {}, 1).decision).toBe('promote');
    expect(decideRollback(policy({ when: [{ type: 'authorization-failed' }] }), run({ probes: [writes] }), {}, 1).triggers[0]!.causes).toHaveLength(3);
  });

  it('ignores a cell declared as a known failure, and checks of other probe kinds', () => {
    const known = { ...writes, expectedFailure: { reason: 'kcat cannot' } };
    const custom = { ...writes, type: 'custom' };
    expect(decideRollback(policy({ when: [{ type: 'authorization-failed' }] }), run({ probes: [known, custom] }), {}, 1).decision).toBe('promote');
  });
});

describe('replay', () => {
  const offsets = probe('resume', 'offsets', 'passed', [replayCheck('billing', 0, 30), replayCheck('billing', 1, 25), replayCheck('audit', 0, 80), replayCheck('audit', 1, -5)]);

  it("sums a group's partitions (skips count as 0) and fires above the bound", () => {
    const decided = decideRollback(policy({ when: [{ type: 'replay', maxRecords: 50 }] }), run({ probes: [offsets] }), {}, 1);
    expect(decided.triggers[0]!.causes).toEqual([
      { kind: 'replay', source: 'offsets-probe', probe: 'resume', group: 'billing', records: 55, maxRecords: 50 },
      { kind: 'replay', source: 'offsets-probe', probe: 'resume', group: 'audit', records: 80, maxRecords: 50 },
    ]);
    expect(decideRollback(policy({ when: [{ type: 'replay', maxRecords: 80 }] }), run({ probes: [offsets] }), {}, 1).decision).toBe('promote');
  });

  it('selects groups by pattern, and reads the mirror cut-over too', () => {
    const position = (group: string, replay: number | null): MirrorGroupPartition => ({
      group,
      topic: 'orders',
      partition: 0,
      committed: 10,
      checkpoint: 8,
      exact: 10,
      sha256: null,
      resumeCopied: true,
      checkpointReplay: 2,
      target: 10 - (replay ?? 0),
      replay,
      note: '',
    });
    const mirror = { groups: [position('billing', 70), position('audit', 90), position('ledger', null)] } as unknown as NonNullable<Run['mirror']>;
    const decided = decideRollback(policy({ when: [{ type: 'replay', maxRecords: 50, groups: ['bill*'] }] }), run({ probes: [offsets], mirror }), {}, 1);
    expect(decided.triggers[0]!.causes).toEqual([
      { kind: 'replay', source: 'offsets-probe', probe: 'resume', group: 'billing', records: 55, maxRecords: 50 },
      { kind: 'replay', source: 'mirror', group: 'billing', records: 70, maxRecords: 50 },
    ]);
  });
});

describe('rto-missed, probe-failed, objective-missed', () => {
  it("judges the cutover's projected RTO against its own bound or the objective", () => {
    const own = policy({ when: [{ type: 'rto-missed', minutes: 20 }] });
    expect(decideRollback(own, run(), { rtoMinutes: 60 }, 25).triggers[0]!.causes).toEqual([{ kind: 'rto', projectedMinutes: 25, boundMinutes: 20 }]);
    expect(decideRollback(own, run(), {}, 20).decision).toBe('promote');
    expect(decideRollback(policy({ when: [{ type: 'rto-missed' }] }), run(), { rtoMinutes: 60 }, 61).decision).toBe('rollback');
  });

  it('names every red cell of a must-have probe; a skipped probe only when asked', () => {
    const cells = [
      probe('resume@kafkajs', 'offsets', 'failed', [], { client: { class: 'kafkajs', library: 'kafkajs', version: '2', probe: 'resume' } }),
      probe('resume@java', 'offsets', 'error', [], { client: { class: 'java', library: 'kafka-clients', version: '4', probe: 'resume' } }),
      probe('other', 'offsets', 'failed', []),
    ];
    expect(decideRollback(policy({ when: [{ type: 'probe-failed', probe: 'resume' }] }), run({ probes: cells }), {}, 1).triggers[0]!.causes).toEqual([
      { kind: 'probe', probe: 'resume@kafkajs', status: 'failed' },
      { kind: 'probe', probe: 'resume@java', status: 'error' },
    ]);
    const skipped = [probe('resume', 'offsets', 'skipped', [])];
    expect(decideRollback(policy({ when: [{ type: 'probe-failed', probe: 'resume' }] }), run({ probes: skipped }), {}, 1).decision).toBe('promote');
    expect(decideRollback(policy({ when: [{ type: 'probe-failed', probe: 'resume', skipped: true }] }), run({ probes: skipped }), {}, 1).decision).toBe('rollback');
  });

  it('names the missed objective by its key, judged on the cutover', () => {
    const open = {
      id: 'dns',
      title: 'flip DNS',
      owner: 'platform',
      phase: 'verify',
      estimateMinutes: 5,
      source: 'declared' as const,
      automated: false,
      status: 'pending' as const,
    };
    const inputs = run({ manualSteps: [open, { ...open, id: 'certs' }] });
    const any = decideRollback(policy({ when: [{ type: 'objective-missed' }] }), inputs, { maxManualSteps: 1, rtoMinutes: 60 }, 11);
    expect(any.triggers[0]!.causes).toEqual([{ kind: 'objective', objective: 'maxManualSteps', name: 'manual steps', target: '≤ 1', observed: '2' }]);
    expect(decideRollback(policy({ when: [{ type: 'objective-missed', objective: 'rtoMinutes' }] }), inputs, { maxManualSteps: 1, rtoMinutes: 60 }, 11).decision).toBe('promote');
  });
});

describe('the decision', () => {
  it('is rollback when any trigger fires, with ids from the spec or the position, and every trigger listed', () => {
    const decided = decideRollback(
      policy({
        expect: 'rollback',
        when: [
          { type: 'rto-missed', minutes: 100 },
          { type: 'rto-missed', id: 'slow', minutes: 5 },
        ],
      }),
      run(),
      {},
      10,
    );
    expect(decided).toMatchObject({ decision: 'rollback', expected: 'rollback' });
    expect(decided.triggers.map((trigger) => [trigger.id, trigger.fired])).toEqual([
      ['rto-missed-1', false],
      ['slow', true],
    ]);
  });
});

describe('rollback steps', () => {
  const automation = { cwd: process.cwd(), env: {}, secrets: new SecretMask() };

  it('runs automated steps in order and leaves the others to a person; the time counts measured or estimated', async () => {
    const { steps } = policy({
      when: [{ type: 'rto-missed', minutes: 1 }],
      steps: [
        { id: 'repoint', title: 'Point clients back', owner: 'platform', estimateMinutes: 10, automate: { command: ['node', '-e', 'console.log("back")'] } },
        { id: 'tell', title: 'Tell the teams', owner: 'app', estimateMinutes: 15 },
        { id: 'broken', title: 'Broken automation', owner: 'platform', estimateMinutes: 7, automate: { command: ['node', '-e', 'process.exit(3)'] } },
      ],
    });
    const done = await performRollback(steps, automation);
    expect(done.steps.map((step) => [step.id, step.automated, step.status])).toEqual([
      ['repoint', true, 'automated'],
      ['tell', false, 'pending'],
      ['broken', true, 'failed'],
    ]);
    expect(done.steps[0]!.output).toBe('back');
    expect(done.steps[2]!.output).toContain('exited with 3');
    // 15 + 7 by estimate, plus the automation's real time (well under a minute).
    expect(done.minutes).toBeGreaterThan(22);
    expect(done.minutes).toBeLessThan(23);
    expect(done.minutes).toBe(rollbackMinutes(done.steps));
  });
});

describe('with the verdict and the RTO', () => {
  const baseRun = emptyRun;
  const rollback = (decision: 'promote' | 'rollback', expected: 'promote' | 'rollback'): NonNullable<Run['rollback']> => ({
    decision,
    expected,
    triggers: [{ id: 'slow', type: 'rto-missed', description: 'slow', fired: decision === 'rollback', causes: [] }],
    steps: decision === 'rollback' ? [{ id: 'back', title: 'back', owner: 'platform', estimateMinutes: 30, automated: false, status: 'pending' }] : [],
    minutes: decision === 'rollback' ? 30 : 0,
  });

  it('adds a rollback to the projected RTO, and judges the RTO objective on the total', () => {
    const rolled = { ...baseRun(), rollback: rollback('rollback', 'rollback') };
    finish(rolled, { rtoMinutes: 40 }, undefined, 12 * 60_000);
    expect(rolled.rto).toEqual({ measuredMinutes: 12, projectedMinutes: 42, objectiveMinutes: 40 });
    expect(rolled.reason).toBe('objective missed: RTO (projected) 42 min (target ≤ 40 min)');
    const promoted = { ...baseRun(), rollback: rollback('promote', 'promote') };
    finish(promoted, { rtoMinutes: 40 }, undefined, 12 * 60_000);
    expect(promoted.rto.projectedMinutes).toBe(12);
    expect(promoted.verdict).toBe('passed');
  });

  it('fails the run when the decision is not the expected one; an expected rollback is not itself a failure', () => {
    const unexpected = { ...baseRun(), rollback: rollback('rollback', 'promote') };
    finish(unexpected, {}, undefined, 0);
    expect([unexpected.verdict, unexpected.reason]).toEqual(['failed', 'rollback decided (trigger slow)']);
    const rehearsed = { ...baseRun(), rollback: rollback('rollback', 'rollback') };
    finish(rehearsed, {}, undefined, 0);
    expect(rehearsed.verdict).toBe('passed');
    const missing = { ...baseRun(), rollback: rollback('promote', 'rollback') };
    finish(missing, {}, undefined, 0);
    expect([missing.verdict, missing.reason]).toEqual(['failed', 'rollback expected, but no trigger fired: promote decided']);
    const broken = {
      ...baseRun(),
      rollback: { ...rollback('rollback', 'rollback'), steps: [{ ...rollback('rollback', 'rollback').steps[0]!, automated: true, status: 'failed' as const }] },
    };
    finish(broken, {}, undefined, 0);
    expect([broken.verdict, broken.reason]).toEqual(['failed', 'rollback step failed: back']);
  });
});

describe('the spec section', () => {
  it('rejects an unknown trigger type and a duplicate step id, naming the path', () => {
    expect(rollbackSchema.safeParse({ when: [{ type: 'broker-down' }] }).error?.issues[0]?.path).toEqual(['when', 0, 'type']);
    const duplicate = rollbackSchema.safeParse({ when: [{ type: 'objective-missed' }], steps: [1, 2].map(() => ({ id: 'a', title: 't', owner: 'o', estimateMinutes: 1 })) });
    expect(duplicate.error?.issues[0]).toMatchObject({ path: ['steps', 1, 'id'], message: 'duplicate id "a" (also rollback.steps[0].id)' });
  });
});

describe('a spec with a rollback section', () => {
  const spec = (when: string) => `snapshot: s.json\nprobes:\n  - { type: offsets, id: resume }\n  - { type: produce-consume, topics: [orders] }\nrollback:\n  when:\n${when}`;

  it('names a probe of the spec by id or default id; another name is refused with line and path', () => {
    expect(parseSpecText(spec('    - { type: probe-failed, probe: produce-consume-2 }\n'), 'x.yaml').spec.rollback!.when).toHaveLength(1);
    expect(() => parseSpecText(spec('    - { type: probe-failed, probe: resume }\n    - { type: probe-failed, probe: nope }\n'), 'x.yaml')).toThrow(
      new InputError('x.yaml:8: rollback.when[1].probe: no probe "nope" in this spec (probes: resume, produce-consume-2)'),
    );
  });

  it('needs a bound for rto-missed: its own minutes or objectives.rtoMinutes', () => {
    expect(() => parseSpecText(spec('    - { type: rto-missed }\n'), 'x.yaml')).toThrow(
      new InputError('x.yaml:7: rollback.when[0].minutes: give minutes, or set objectives.rtoMinutes'),
    );
    expect(parseSpecText(`${spec('    - { type: rto-missed }\n')}objectives: { rtoMinutes: 30 }\n`, 'x.yaml').spec.rollback!.expect).toBe('promote');
  });
});
