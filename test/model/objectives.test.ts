import { describe, expect, it } from 'vitest';
import type { ProbeRecord, ProbeEvidence } from '../../src/model/result.js';
import { evaluateObjectives, skippedChecks } from '../../src/model/verdict.js';

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
