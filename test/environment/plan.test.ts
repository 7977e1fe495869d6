import { describe, expect, it } from 'vitest';
import { planEnvironment, sourceBrokerIds } from '../../src/environment/plan.js';
import { loadSnapshot } from '../../src/snapshot/load.js';
import { targetSchema } from '../../src/drill-spec/schema.js';

const fiveBrokers = await loadSnapshot('fixtures/production/five-broker-snapshot.json');
const example = await loadSnapshot('fixtures/example-snapshot.json');

describe('planEnvironment', () => {
  it('knows the source brokers from the capture and from per-broker configs', () => {
    expect(sourceBrokerIds(fiveBrokers)).toEqual([1, 2, 3, 4, 5]);
    // Captured before broker ids were recorded: only brokers 1 and 2 have configs of their own.
    expect(example.source.brokerIds).toBeUndefined();
    expect(sourceBrokerIds(example)).toEqual([1, 2]);
  });

  it("asks for the snapshot's broker ids, a heap sized from its partitions, and says why", () => {
    const plan = planEnvironment(targetSchema.parse({ brokers: 5, security: 'scram' }), fiveBrokers, '4.3.1', 'synthetic');
    expect(plan.request).toEqual({
      kafkaVersion: '4.3.1',
      brokers: 5,
      nodeIds: [1, 2, 3, 4, 5],
      security: 'scram',
      heapMb: 512,
      openFiles: 2263,
      brokerStorage: 'memory',
      quickJit: true,
    });
    expect(plan.limits).toEqual({ replicasPerBroker: 9, openFiles: 2263, memoryMaps: 2273 });
    expect(plan.notes).toEqual([
      "broker ids: brokers 1, 2, 3, 4, 5 (the snapshot's broker ids)",
      'broker heap: 512 MiB each (sized for 9 partition replica(s) per broker)',
      'broker storage: memory (Kafka syncs files for every partition it creates; in memory that costs nothing)',
      'broker open-file limit: at least 2263 each, 2273 memory maps (sized for 9 partition replica(s) per broker)',
      'broker JIT: C1 only, for a quick start (9 partition replica(s) per broker, at most 1000)',
    ]);
  });

  it('compiles with C1 only up to 1,000 partition replicas per broker, with C2 too above', () => {
    const big = { ...fiveBrokers, topics: [{ ...fiveBrokers.topics[0]!, partitions: 2_000, replicationFactor: 3 }] };
    const plan = planEnvironment(targetSchema.parse({ brokers: 5, security: 'scram' }), big, '4.3.1', 'synthetic');
    expect(plan.request.quickJit).toBeUndefined();
    expect(plan.notes.at(-1)).toBe('broker JIT: C1 and C2 (1200 partition replica(s) per broker, over 1000)');
  });

  it("takes the spec's broker ids and heap", () => {
    const plan = planEnvironment(targetSchema.parse({ brokers: 3, brokerIds: [0, 1, 2], heapMb: 768 }), fiveBrokers, '3.9.2', 'synthetic');
    expect(plan.request).toMatchObject({ nodeIds: [0, 1, 2], heapMb: 768 });
    expect(plan.brokerIds.mapping.map((entry) => entry.target)).toEqual([1, 2, 0, null, null]);
    expect(plan.notes[1]).toBe("broker heap: 768 MiB each (the spec's target.heapMb)");
  });

  it("keeps brokers' data in memory unless the drill mirrors a source's records or the spec says disk", () => {
    const storageOf = (target: object, data: 'none' | 'synthetic' | 'mirror') => planEnvironment(targetSchema.parse(target), fiveBrokers, '4.3.1', data).request.brokerStorage;
    expect([storageOf({}, 'none'), storageOf({}, 'synthetic'), storageOf({}, 'mirror')]).toEqual(['memory', 'memory', 'disk']);
    expect([storageOf({ brokerStorage: 'disk' }, 'synthetic'), storageOf({ brokerStorage: 'memory' }, 'mirror')]).toEqual(['disk', 'memory']);
    expect(planEnvironment(targetSchema.parse({}), fiveBrokers, '4.3.1', 'mirror').notes[2]).toBe(
      "broker storage: disk (restore.data: mirror copies the source's records, as many as there are)",
    );
  });
});
