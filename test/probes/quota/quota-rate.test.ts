import { describe, expect, it } from 'vitest';
import { DEFAULT_QUOTA_WINDOW, judgeThrottled, judgeUnthrottled, toResponses, type QuotaResponse } from '../../../src/probes/quota/quota-rate.js';

const KiB = 1024;
const window = DEFAULT_QUOTA_WINDOW;

/**
 * What a broker enforcing `quota` answers a client sending `batch` bytes per request, one
 * request every `stepMs` unless throttled (Kafka's formula, window 11 × 1 s, before the first
 * sample expires): throttle = bytes / quota − W, with W = 10 s + the current sample's fraction.
 */
function brokerResponses(quota: number, batch: number, stepMs: number, count: number): QuotaResponse[] {
  const responses: QuotaResponse[] = [];
  let at = 0;
  let recorded = 0;
  for (let i = 0; i < count; i++) {
    recorded += batch;
    const windowMs = 10_000 + (at % 1000);
    const throttleMs = Math.max(0, Math.round((recorded / quota) * 1000 - windowMs));
    responses.push({ atMs: at, recordedBytes: recorded, throttleMs });
    at += stepMs + throttleMs;
  }
  return responses;
}

describe('judgeThrottled', () => {
  it("reads the broker's quota back from its throttle times, within the window's phase", () => {
    for (const quota of [64 * KiB, 128 * KiB, 256 * KiB]) {
      const judgement = judgeThrottled(quota, brokerResponses(quota, quota / 4, 20, 50), window, 0.2);
      expect(judgement.outcome).toBe('passed');
      expect(Math.abs(judgement.enforcedBytesPerSecond! - quota) / quota).toBeLessThan(0.06);
    }
  });

  it('a quota enforced at half or twice the expected rate fails on the rate', () => {
    const half = judgeThrottled(128 * KiB, brokerResponses(64 * KiB, 16 * KiB, 20, 60), window, 0.2);
    expect(half.outcome).toBe('failed');
    expect(half.detail).toMatch(/^quota 128\.0 KiB\/s, enforced 64\.0 KiB\/s \(−50\.0%, tolerance ±20\.0%\)/);
    const twice = judgeThrottled(64 * KiB, brokerResponses(128 * KiB, 32 * KiB, 20, 60), window, 0.2);
    expect(twice.outcome).toBe('failed');
  });

  it('no throttle after more than a window of the quota fails; too little traffic to tell is skipped, never passed', () => {
    const unthrottled = Array.from({ length: 100 }, (_, i) => ({ atMs: i * 10, recordedBytes: (i + 1) * 32 * KiB, throttleMs: 0 }));
    expect(judgeThrottled(128 * KiB, unthrottled, window, 0.2)).toMatchObject({
      outcome: 'failed',
      observed: 'not throttled',
      detail: '3.13 MiB in 990 ms without a throttle; a quota of 128.0 KiB/s throttles after at most 1.38 MiB',
    });
    expect(judgeThrottled(128 * KiB, unthrottled.slice(0, 20), window, 0.2).outcome).toBe('skipped');
    expect(judgeThrottled(128 * KiB, [], window, 0.2).outcome).toBe('skipped');
  });

  it('throttles that come only after the first sample left the window are not judged', () => {
    const late = [{ atMs: 11_500, recordedBytes: 2 * 1024 * KiB, throttleMs: 300 }];
    expect(judgeThrottled(128 * KiB, late, window, 0.2).outcome).toBe('skipped');
  });
});

describe('judgeUnthrottled (controls)', () => {
  const responses = (throttles: number[]) => throttles.map((throttleMs, i) => ({ atMs: i * 10, recordedBytes: (i + 1) * 64 * KiB, throttleMs }));
  it('passes without a throttle once enough bytes moved, fails on any throttle, skips when too little moved', () => {
    expect(judgeUnthrottled(responses(Array(20).fill(0)), 1024 * KiB).outcome).toBe('passed');
    expect(judgeUnthrottled(responses([0, 0, 0, 150, 0]), 256 * KiB)).toMatchObject({ outcome: 'failed', observed: 'throttled 1× (max 150 ms)' });
    expect(judgeUnthrottled(responses([0, 0]), 1024 * KiB).outcome).toBe('skipped');
  });
});

describe('toResponses', () => {
  it('produce: request bytes accumulate; fetch: a throttled (empty) fetch is counted as a full fetch on top of what was recorded', () => {
    const wire = [
      { api: 'Fetch' as const, bytes: 1000, throttleMs: 0, at: 100 },
      { api: 'Produce' as const, bytes: 7, throttleMs: 0, at: 120 },
      { api: 'Fetch' as const, bytes: 1000, throttleMs: 0, at: 150 },
      { api: 'Fetch' as const, bytes: 60, throttleMs: 400, at: 200 },
      { api: 'Fetch' as const, bytes: 1000, throttleMs: 0, at: 700 },
    ];
    expect(toResponses(wire, 'Fetch', 1000)).toEqual([
      { atMs: 0, recordedBytes: 1000, throttleMs: 0 },
      { atMs: 50, recordedBytes: 2000, throttleMs: 0 },
      { atMs: 100, recordedBytes: 3000, throttleMs: 400 },
      { atMs: 600, recordedBytes: 3000, throttleMs: 0 },
    ]);
    expect(toResponses(wire, 'Produce', 0)).toEqual([{ atMs: 0, recordedBytes: 7, throttleMs: 0 }]);
  });
});
