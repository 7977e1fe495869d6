import { describe, expect, it } from 'vitest';
import type { ProbeRecord, ProbeEvidence, Run } from '../../src/model/result.js';
import { evaluateObjectives, finish, skippedChecks } from '../../src/model/verdict.js';
import { parseDeniedLine } from '../../src/probes/authorization/denials.js';
import { emptyRun } from '../support/run.js';

const check = (outcome: ProbeEvidence['outcome']): ProbeEvidence => ({ outcome, expected: 'allow', observed: outcome === 'skipped' ? 'not exercised' : 'allow' });
const probe = (id: string, ...outcomes: ProbeEvidence['outcome'][]): ProbeRecord => ({
  id,
  type: 'authorization',
  name: id,
  status: 'passed',
  durationMs: 1,
  evidence: outcomes.map(check),
});

describe('skipped checks', () => {
  const run = { probes: [probe('a', 'passed', 'skipped', 'skipped'), probe('b', 'failed', 'skipped'), probe('c')], assumptions: [], manualSteps: [] };

  it('counts every skipped probe check, never as a pass', () => {
    expect(skippedChecks(run)).toBe(3);
  });

  it('meet objectives.maxSkippedChecks only up to the limit', () => {
    expect(evaluateObjectives(run, { maxSkippedChecks: 3 }, 1)).toEqual([{ name: 'skipped checks', target: '≤ 3', observed: '3', met: true }]);
    expect(evaluateObjectives(run, { maxSkippedChecks: 2 }, 1)).toEqual([{ name: 'skipped checks', target: '≤ 2', observed: '3', met: false }]);
    expect(evaluateObjectives({ ...run, probes: [] }, { maxSkippedChecks: 0 }, 1)[0]!.met).toBe(true);
  });

  it('set no objective the spec does not set', () => {
    expect(evaluateObjectives(run, {}, 1)).toEqual([]);
  });
});

describe("the run's reason", () => {
  it('names the first five denials nobody expected and counts the rest, on one line', () => {
    // Denials as the brokers log them (StandardAuthorizer's line), parsed as the drill parses them.
    const denials = Array.from({ length: 8 }, (_, index) => ({
      ...parseDeniedLine(
        `Principal = User:svc-${index} is Denied operation = READ from host = 127.0.0.1 on resource = Topic:LITERAL:orders-${index} for request = Fetch with resourceRefCount = 1 based on rule DefaultDeny`,
      )!,
      count: 1,
      brokers: [1],
      accountedBy: 'unexpected' as const,
    }));
    const run: Run = {
      ...emptyRun(),
      environment: { provider: 'process', brokers: 1, security: 'SASL_PLAINTEXT' },
      authorizerLog: { files: ['server.log'], denials, expectedDenials: { total: 0, logged: 0, notLogged: [] } },
    };
    finish(run, {}, undefined, 0);
    expect(run.verdict).toBe('failed');
    expect(run.reason).toBe(
      "8 denial(s) nobody expected in the brokers' authorizer log: User:svc-0 READ Topic orders-0, User:svc-1 READ Topic orders-1, User:svc-2 READ Topic orders-2, " +
        'User:svc-3 READ Topic orders-3, User:svc-4 READ Topic orders-4, … and 3 more (result.json lists them all)',
    );
  });
});
