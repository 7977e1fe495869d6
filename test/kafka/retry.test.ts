import { describe, expect, it } from 'vitest';
import { transientDeadlineMs } from '../../src/kafka/retry.js';

describe('transientDeadlineMs', () => {
  it('grows with the partitions the broker is working through, within bounds', () => {
    expect(transientDeadlineMs(0)).toBe(60_000);
    expect(transientDeadlineMs(3_000)).toBe(120_000);
    expect(transientDeadlineMs(15_000)).toBe(360_000);
    expect(transientDeadlineMs(1_000_000)).toBe(600_000);
    expect(transientDeadlineMs(-5)).toBe(60_000);
  });
});
