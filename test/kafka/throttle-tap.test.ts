import { logLevel, type LogEntry } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { throttleTap, type WireResponse } from '../../src/kafka/throttle-tap.js';

// Log entries as kafkajs 2.2 writes them: the RequestQueue's throttle line, then the Connection's request and response lines.
const broker = '127.0.0.1:19092';
const entry = (namespace: string, message: string, extra: Record<string, unknown> = {}): LogEntry => ({
  namespace,
  level: logLevel.DEBUG,
  label: 'DEBUG',
  log: { timestamp: new Date().toISOString(), message, broker, clientId: 'quota-probe', ...extra },
});
const request = (api: string, key: number, correlationId: number, size: number) =>
  entry('Connection', `Request ${api}(key: ${key}, version: 7)`, { correlationId, expectResponse: true, size });
// kafkajs logs a Fetch's data as '[filtered]', every other response's decoded data.
const response = (api: string, key: number, correlationId: number, size: number, data: unknown = '[filtered]') =>
  entry('Connection', `Response ${api}(key: ${key}, version: 7)`, { correlationId, size, data });
const throttle = (ms: number) => entry('RequestQueue', `Client side throttling in effect for ${ms}ms`);

function tap() {
  const seen: WireResponse[] = [];
  const log = throttleTap((wire) => seen.push(wire))(logLevel.DEBUG);
  return { seen, log };
}

describe('throttleTap', () => {
  it("charges each throttle to the Produce or Fetch response it came with, the produce request's size and the fetch response's", () => {
    const { seen, log } = tap();
    log(request('Produce', 0, 1, 1_048_600));
    log(throttle(420));
    log(response('Produce', 0, 1, 60, { topics: [], throttleTime: 420 }));
    log(response('Fetch', 1, 2, 524_300));
    expect(seen.map(({ api, bytes, throttleMs }) => [api, bytes, throttleMs])).toEqual([
      ['Produce', 1_048_600, 420],
      ['Fetch', 524_300, 0],
    ]);
  });

  it('a throttle that came with another API (Metadata) is not charged to the next Produce', () => {
    const { seen, log } = tap();
    log(throttle(900));
    log(response('Metadata', 3, 7, 310, { throttleTime: 900 }));
    log(request('Produce', 0, 8, 2_048));
    log(response('Produce', 0, 8, 60, { throttleTime: 0 }));
    expect(seen.map(({ api, throttleMs }) => [api, throttleMs])).toEqual([['Produce', 0]]);
  });

  it("a Metadata response logged between a Fetch's throttle and the Fetch's response does not take it", () => {
    const { seen, log } = tap();
    log(throttle(640));
    log(response('Metadata', 3, 9, 310, { throttleTime: 0 }));
    log(response('Fetch', 1, 10, 524_300));
    expect(seen.map(({ api, throttleMs }) => [api, throttleMs])).toEqual([['Fetch', 640]]);
  });
});
