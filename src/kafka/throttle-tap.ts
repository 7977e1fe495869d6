import type { logCreator } from 'kafkajs';

/**
 * The broker's throttle_time_ms as kafkajs sees it. kafkajs decodes it from every Produce and
 * Fetch response and applies it as client-side throttling (KIP-219), but exposes it only in
 * its debug log; this log creator turns those entries (kafkajs 2.2: "Client side throttling in
 * effect for Nms" from the RequestQueue, then the Connection's "Response Produce(...)") into
 * one record per Produce/Fetch response, with the request's size (produce, what a produce
 * quota counts) or the response's size (fetch, what a fetch quota counts).
 */
export interface WireResponse {
  api: 'Produce' | 'Fetch';
  /** Produce: the request's size; Fetch: the response's size. */
  bytes: number;
  throttleMs: number;
  /** performance.now() when kafkajs logged the request (produce) or the response (fetch). */
  at: number;
}

const THROTTLE = /^Client side throttling in effect for (\d+)ms$/;
const REQUEST = /^Request (Produce|Fetch)\(/;
const RESPONSE = /^Response (\w+)\(/;

export function throttleTap(onResponse: (response: WireResponse) => void): logCreator {
  let pendingThrottleMs = 0;
  const produceRequests = new Map<string, { bytes: number; at: number }>();
  return () =>
    ({ namespace, log }) => {
      const { message, size, broker, correlationId } = log as { message: string; size?: number; broker?: string; correlationId?: number };
      const requestKey = `${broker}#${correlationId}`;
      if (namespace === 'RequestQueue') {
        const throttle = THROTTLE.exec(message);
        if (throttle) pendingThrottleMs = Number(throttle[1]);
        return;
      }
      if (namespace !== 'Connection') return;
      if (REQUEST.exec(message)?.[1] === 'Produce') {
        produceRequests.set(requestKey, { bytes: size ?? 0, at: performance.now() });
        return;
      }
      const api = RESPONSE.exec(message)?.[1];
      if (!api) return;
      if (api !== 'Produce' && api !== 'Fetch') {
        // Another API's response (Metadata, logged with its decoded data) takes along the throttle
        // logged for it, and only that one: a response of another connection may be logged between
        // a Produce's throttle and the Produce's response. (A Produce's own logged data did not carry
        // the throttle the broker applied: producer checks saw none. Produce and Fetch keep the throttle line's.)
        const own = (log as { data?: { throttleTime?: unknown } }).data?.throttleTime;
        if (typeof own === 'number' && own === pendingThrottleMs) pendingThrottleMs = 0;
        return;
      }
      const throttleMs = pendingThrottleMs;
      pendingThrottleMs = 0;
      // A response that failed to decode is logged at error level with its error: it carries no throttle we could read.
      const request = produceRequests.get(requestKey);
      produceRequests.delete(requestKey);
      if ('error' in log) return;
      onResponse({ api, bytes: request?.bytes ?? size ?? 0, throttleMs, at: request?.at ?? performance.now() });
    };
}
