/** The consumer-lag criterion's judgement on the lag values it saw. */
import { describe, expect, it } from 'vitest';
import { judgeConsumerLag } from '../../src/probes/success-criteria.js';

describe('judgeConsumerLag', () => {
  it('passes on the first sample within the window at or under the bound', () => {
    const evidence = judgeConsumerLag('app', 2, 30, [
      { elapsedMs: 0, total: 10 },
      { elapsedMs: 2_000, total: 2 },
      { elapsedMs: 4_000, total: 0 },
    ]);
    expect(evidence).toEqual({
      outcome: 'passed',
      resource: 'group app',
      operation: 'consumer lag',
      expected: 'lag of group app at most 2 within 30s',
      observed: 'lag 2 after 2.0s',
      detail: "judged on 2 sample(s) of the drill's time series",
    });
  });

  it('fails when the bound is met only after the window, naming the last and lowest lag seen in it', () => {
    const evidence = judgeConsumerLag('app', 0, 5, [
      { elapsedMs: 0, total: 10 },
      { elapsedMs: 3_000, total: 4 },
      { elapsedMs: 4_900, total: 6 },
      { elapsedMs: 6_000, total: 0 },
    ]);
    expect(evidence).toMatchObject({ outcome: 'failed', observed: 'lag 6 after 4.9s', detail: '3 sample(s) in 5s; lowest lag 4, first 10' });
  });

  it('fails, never passes, when no sample knew a committed offset or none was taken', () => {
    expect(judgeConsumerLag('app', 100, 5, [{ elapsedMs: 0, total: null }])).toMatchObject({ outcome: 'failed', observed: 'no committed offset in any sample' });
    expect(judgeConsumerLag('app', 100, 5, [])).toMatchObject({ outcome: 'failed', observed: 'no sample taken' });
  });
});
