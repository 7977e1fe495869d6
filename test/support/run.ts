import type { Run } from '../../src/model/result.js';

/** A run that has done nothing yet, as the runner starts one: for tests of what finish() makes of a field. */
export function emptyRun(): Run {
  return {
    kafkaVersion: '4.3.1',
    environment: { provider: 'process', brokers: 1, security: 'PLAINTEXT' },
    verdict: 'passed',
    reason: '',
    phases: [],
    probes: [],
    assumptions: [],
    manualSteps: [],
    rto: { measuredMinutes: 0, projectedMinutes: 0 },
    objectives: [],
  };
}
