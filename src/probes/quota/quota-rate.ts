import type { WireResponse } from '../../kafka/throttle-tap.js';
import type { ProbeEvidence } from '../../model/result.js';
import { formatBytes, formatRate } from './quota-plan.js';

/**
 * Judging a quota from what the broker answered (pure).
 *
 * Kafka measures a client's byte rate over its quota window (`quota.window.num` samples of
 * `quota.window.size.seconds`, 11 × 1 s by default), and while fewer samples have passed it
 * divides by the whole window less one sample: a fresh client gets about ten seconds' worth of
 * its quota through before the first throttle. So a short run cannot show a client-side
 * average near the quota; what it can show is the rate the broker enforces. On every throttled
 * response Kafka asks the client to wait `throttle = (bytes / W − quota) / quota × W`, so
 * `bytes / (W + throttle)` is the rate the client achieves when it honours the throttle —
 * within the window's phase (W is known to half a sample, ±5% by default).
 */
export interface QuotaWindow {
  samples: number;
  sampleMs: number;
}

export const DEFAULT_QUOTA_WINDOW: QuotaWindow = { samples: 11, sampleMs: 1_000 };

/** One produce or fetch response as the client saw it. */
export interface QuotaResponse {
  /** Since the run's first request. */
  atMs: number;
  /** Bytes the broker had recorded against the quota when it answered (this request's included). */
  recordedBytes: number;
  /** throttle_time_ms of the response. */
  throttleMs: number;
}

/** Bytes a client sends (or fetches) to be sure a quota of 1 byte/s would throttle it: more than a full window's worth. */
export const EXCEED_FACTOR = 12;

export type RateJudgement = Pick<ProbeEvidence, 'outcome' | 'observed' | 'detail'> & { enforcedBytesPerSecond?: number };

export function judgeThrottled(quota: number, responses: readonly QuotaResponse[], window: QuotaWindow, tolerance: number): RateJudgement {
  const last = responses.at(-1);
  const total = last?.recordedBytes ?? 0;
  const elapsedMs = last?.atMs ?? 0;
  const throttled = responses.filter((response) => response.throttleMs > 0);
  const sent = `${formatBytes(total)} in ${elapsedMs} ms`;
  if (throttled.length === 0) {
    // Over a fresh window the broker allows at most quota × (samples × sample) before throttling.
    const allowance = (quota * Math.max(window.samples * window.sampleMs, elapsedMs + window.sampleMs)) / 1000;
    if (total > allowance * (1 + tolerance)) {
      return {
        outcome: 'failed',
        observed: 'not throttled',
        detail: `${sent} without a throttle; a quota of ${formatRate(quota)} throttles after at most ${formatBytes(allowance)}`,
      };
    }
    return {
      outcome: 'skipped',
      observed: 'not checked',
      detail: `only ${sent}: exceeding ${formatRate(quota)} over Kafka's quota window takes more than ${formatBytes(allowance)}`,
    };
  }
  // Until the window's first sample expires every recorded byte is still in it.
  const fullMs = window.samples * window.sampleMs;
  const estimates = throttled
    .filter((response) => response.atMs < fullMs - window.sampleMs / 5)
    .map((response) => {
      const windowMs = response.atMs < fullMs - window.sampleMs ? fullMs - window.sampleMs / 2 : response.atMs;
      return (response.recordedBytes * 1000) / (windowMs + response.throttleMs);
    })
    .sort((a, b) => a - b);
  const throttles = throttled.map((response) => response.throttleMs);
  const first = throttled[0]!;
  const summary = `throttled ${throttled.length}× (${Math.min(...throttles)}–${Math.max(...throttles)} ms)`;
  if (estimates.length === 0) {
    return { outcome: 'skipped', observed: summary, detail: `every throttle came after ${fullMs} ms, when part of the traffic has left Kafka's quota window: no rate to judge` };
  }
  const enforced = estimates[Math.floor(estimates.length / 2)]!;
  const deviation = (enforced - quota) / quota;
  const within = Math.abs(deviation) <= tolerance;
  return {
    outcome: within ? 'passed' : 'failed',
    observed: `${summary}; enforced ${formatRate(enforced)}`,
    detail:
      `quota ${formatRate(quota)}, enforced ${formatRate(enforced)} (${formatPercent(deviation)}, tolerance ±${formatPercent(tolerance, false)}): ` +
      `bytes in the quota window ÷ (window + throttle), median of ${estimates.length} throttled responses; ` +
      `first throttle after ${formatBytes(first.recordedBytes)} at ${first.atMs} ms; ${sent} in all`,
    enforcedBytesPerSecond: Math.round(enforced),
  };
}

/** A control: traffic that would exceed the quotas under test, from a principal none of them governs. */
export function judgeUnthrottled(responses: readonly QuotaResponse[], neededBytes: number): RateJudgement {
  const last = responses.at(-1);
  const total = last?.recordedBytes ?? 0;
  const elapsedMs = last?.atMs ?? 0;
  const throttled = responses.filter((response) => response.throttleMs > 0);
  const sent = `${formatBytes(total)} in ${elapsedMs} ms (${responses.length} responses)`;
  if (throttled.length > 0) {
    return {
      outcome: 'failed',
      observed: `throttled ${throttled.length}× (max ${Math.max(...throttled.map((response) => response.throttleMs))} ms)`,
      detail: `first throttle after ${formatBytes(throttled[0]!.recordedBytes)} at ${throttled[0]!.atMs} ms; ${sent}`,
    };
  }
  if (total < neededBytes) return { outcome: 'skipped', observed: 'not checked', detail: `only ${sent}; a meaningful control moves ${formatBytes(neededBytes)}` };
  return { outcome: 'passed', observed: 'not throttled', detail: `${sent} without a throttle` };
}

function formatPercent(fraction: number, signed = true): string {
  const text = `${(Math.abs(fraction) * 100).toFixed(1)}%`;
  return signed ? `${fraction < 0 ? '−' : '+'}${text}` : text;
}

/**
 * The broker's view of the run: produce bytes count when the request arrives. A throttled
 * fetch is answered empty and its bytes taken back after the throttle was computed on them:
 * counted as one full fetch, since the topic holds more than a check reads.
 */
export function toResponses(wire: readonly WireResponse[], api: WireResponse['api'], fetchBytes: number): QuotaResponse[] {
  const own = wire.filter((response) => response.api === api);
  const start = own[0]?.at ?? 0;
  let recorded = 0;
  return own.map((response) => {
    if (api === 'Fetch' && response.throttleMs > 0) return { atMs: Math.round(response.at - start), recordedBytes: recorded + fetchBytes, throttleMs: response.throttleMs };
    recorded += response.bytes;
    return { atMs: Math.round(response.at - start), recordedBytes: recorded, throttleMs: response.throttleMs };
  });
}
