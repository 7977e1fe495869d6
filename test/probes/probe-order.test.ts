import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { OffsetsProbe } from '../../src/probes/offsets/offsets.js';
import { type ProbeRunner, type ProbeContext, type ProbeRunContext } from '../../src/probes/probe.js';
import type { ClientClass } from '../../src/model/enums.js';
import { plainEvidence } from '../../src/probes/probe.js';
import { StringPool } from '../../src/string-pool.js';
import { runProbes } from '../../src/probes/run-probes.js';
import { ProbeEvidence } from '../../src/model/result.js';

// Scheduling only: which probe may start while an offsets probe is still reading restored positions.
const events: string[] = [];
const probe = (id: string, traits: Partial<Pick<ProbeRunner, 'readsCommittedOffsets' | 'defersOwnWrites'>>, workMs: number): ProbeRunner => ({
  id,
  type: 'custom',
  name: id,
  ...traits,
  async check(_context: ProbeContext) {
    events.push(`${id} start`);
    await new Promise((resolve) => setTimeout(resolve, workMs));
    events.push(`${id} end`);
    return { status: 'passed', evidence: [] };
  },
});

const context = { signal: new AbortController().signal, timeoutMs: 5_000 } as unknown as ProbeRunContext;

describe('probe order', () => {
  it('a probe that may produce records starts only after the offsets probes; one that defers its own writes runs beside them', async () => {
    events.length = 0;
    const outcomes = await runProbes(
      [probe('produce-consume', {}, 5), probe('offsets', { readsCommittedOffsets: true }, 60), probe('authorization', { defersOwnWrites: true }, 5)],
      context,
    );
    expect(outcomes.map((outcome) => [outcome.id, outcome.status])).toEqual([
      ['produce-consume', 'passed'],
      ['offsets', 'passed'],
      ['authorization', 'passed'],
    ]);
    expect(events.indexOf('produce-consume start')).toBeGreaterThan(events.indexOf('offsets end'));
    expect(events.indexOf('authorization start')).toBeLessThan(events.indexOf('offsets end'));
  });
});

describe('probe budget', () => {
  it('a probe without its own budget gets the time its work needs when that exceeds the drill default', async () => {
    const context = { signal: new AbortController().signal, timeoutMs: 50 } as unknown as ProbeRunContext;
    const sized = { ...probe('sized', {}, 150), workTimeoutMs: () => 2_000 };
    const fixed = probe('fixed', {}, 150);
    const [sizedOutcome, fixedOutcome] = await runProbes([sized, fixed], context);
    expect(sizedOutcome!.status).toBe('passed');
    expect(fixedOutcome!.status).toBe('error');
  });

  it('the offsets probe budgets each group by the client class that consumes it: a kcat process or a Java consumer costs more than a kafkajs session', () => {
    const context = { snapshot: { consumerGroups: Array.from({ length: 1_000 }, (_, index) => ({ groupId: `g${index}`, offsets: [] })) } } as unknown as ProbeRunContext;
    const budget = (clientClass?: ClientClass) =>
      new OffsetsProbe('resume', 'resume', { groups: 'all', tolerance: 'exact', byContent: true }, clientClass ? { probe: 'resume', clientClass } : undefined).workTimeoutMs(
        context,
      );
    expect([budget(), budget('kafkajs'), budget('librdkafka'), budget('java')]).toEqual([230_000, 230_000, 2_030_000, 3_030_000]);
  });
});

describe('probe timeout', () => {
  it('a probe cut off by its timeout is an error, and its own cleanup gets to finish before the drill moves on', async () => {
    const steps: string[] = [];
    const slow: ProbeRunner = {
      id: 'scratch-user',
      type: 'custom',
      name: 'scratch-user',
      timeoutMs: 50,
      async check(context: ProbeContext) {
        try {
          await new Promise((_resolve, reject) => context.signal.addEventListener('abort', () => reject(context.signal.reason as Error), { once: true }));
          return { status: 'passed', evidence: [] };
        } finally {
          // e.g. deleting the scratch topic
          await new Promise((resolve) => setTimeout(resolve, 200));
          steps.push('cleaned up');
        }
      },
    };
    const [outcome] = await runProbes([slow], context);
    expect(outcome!.status).toBe('error');
    expect(outcome!.evidence.map((e) => e.observed)).toEqual(['error: the probe did not finish within 50ms']);
    expect(steps).toEqual(['cleaned up']);
  });

  it('leaves no listener on the drill signal once the probes end, passed, failed or timed out (it would keep the run state alive)', async () => {
    const drill = new AbortController();
    const broken: ProbeRunner = { ...probe('broken', {}, 0), check: () => Promise.reject(new Error('broke')) };
    const slow: ProbeRunner = { ...probe('slow', {}, 200), timeoutMs: 20 };
    const outcomes = await runProbes([probe('quick', {}, 1), broken, slow], { ...context, signal: drill.signal });
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['passed', 'error', 'error']);
    expect(getEventListeners(drill.signal, 'abort')).toHaveLength(0);
  });

  it('keeps every field of a check it makes plain, and adds none', () => {
    const full: ProbeEvidence = {
      outcome: 'failed',
      principal: 'User:shop',
      operation: 'READ',
      resource: 'topic shop.orders',
      expected: 'allow',
      observed: 'denied',
      kafkaError: 'TOPIC_AUTHORIZATION_FAILED',
      detail: 'because an ACL allows it',
      replay: { group: 'shop', topic: 'shop.orders', partition: 2, records: -3 },
      owner: 'shop-app',
      client: 'kafkajs 2.2.4',
    };
    // The example names every field the schema has: a field added there and not here fails this test.
    expect(Object.keys(full).sort()).toEqual(Object.keys(ProbeEvidence.shape).sort());
    const strings = new StringPool();
    expect(plainEvidence(full, strings)).toStrictEqual(full);
    // A second check with the same values, built as probes build them (joined parts), comes back equal.
    const topic = 'shop.orders';
    expect(plainEvidence({ ...full, resource: `topic ${topic}`, detail: `because ${'an ACL'} allows it` }, strings)).toStrictEqual(full);
    const { replay: _replay, kafkaError: _kafkaError, ...withoutTwo } = full;
    expect(plainEvidence({ ...full, replay: undefined, kafkaError: undefined }, strings)).toStrictEqual(withoutTwo);
    const bare = { outcome: 'passed' as const, expected: 'allow', observed: 'allowed' };
    expect(plainEvidence(bare, strings)).toStrictEqual(bare);
    expect(Object.keys(plainEvidence(bare, strings))).toEqual(['outcome', 'expected', 'observed']);
  });
});
