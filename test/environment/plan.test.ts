import { describe, expect, it } from 'vitest';
import { planEnvironment, sourceBrokerIds } from '../../src/environment/plan.js';
import { loadSnapshot } from '../../src/snapshot/load.js';
import { targetSchema } from '../../src/drill-spec/schema.js';
import { memoryStorageRoot } from '../../src/environment/broker-storage.js';
import { syntheticDataBytes } from '../../src/environment/sizing.js';

const fiveBrokers = await loadSnapshot('fixtures/production/five-broker-snapshot.json');
const example = await loadSnapshot('fixtures/example-snapshot.json');
const synthetic = { data: 'synthetic' as const, synthetic: { maxRecordsPerPartition: 1_000 } };

describe('planEnvironment', () => {
  it('knows the source brokers from the capture and from per-broker configs', () => {
    expect(sourceBrokerIds(fiveBrokers)).toEqual([1, 2, 3, 4, 5]);
    // Captured before broker ids were recorded: only brokers 1 and 2 have configs of their own.
    expect(example.source.brokerIds).toBeUndefined();
    expect(sourceBrokerIds(example)).toEqual([1, 2]);
  });

  it("asks for the snapshot's broker ids, a heap sized from its partitions, and says why", () => {
    const plan = planEnvironment(targetSchema.parse({ brokers: 5, security: 'scram' }), fiveBrokers, '4.3.1', synthetic);
    expect(plan.request).toEqual({
      kafkaVersion: '4.3.1',
      brokers: 5,
      nodeIds: [1, 2, 3, 4, 5],
      security: 'scram',
      heapMb: 512,
      openFiles: 2263,
      brokerStorage: 'memory',
      brokerDataBytes: 109_056,
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
    const plan = planEnvironment(targetSchema.parse({ brokers: 5, security: 'scram' }), big, '4.3.1', synthetic);
    expect(plan.request.quickJit).toBeUndefined();
    expect(plan.notes.at(-1)).toBe('broker JIT: C1 and C2 (1200 partition replica(s) per broker, over 1000)');
  });

  it("takes the spec's broker ids and heap", () => {
    const plan = planEnvironment(targetSchema.parse({ brokers: 3, brokerIds: [0, 1, 2], heapMb: 768 }), fiveBrokers, '3.9.2', synthetic);
    expect(plan.request).toMatchObject({ nodeIds: [0, 1, 2], heapMb: 768 });
    expect(plan.brokerIds.mapping.map((entry) => entry.target)).toEqual([1, 2, 0, null, null]);
    expect(plan.notes[1]).toBe("broker heap: 768 MiB each (the spec's target.heapMb)");
  });

  it("keeps brokers' data in memory unless the drill mirrors a source's records or the spec says disk", () => {
    const storageOf = (target: object, data: 'none' | 'synthetic' | 'mirror') =>
      planEnvironment(targetSchema.parse(target), fiveBrokers, '4.3.1', { ...synthetic, data }).request.brokerStorage;
    expect([storageOf({}, 'none'), storageOf({}, 'synthetic'), storageOf({}, 'mirror')]).toEqual(['memory', 'memory', 'disk']);
    expect([storageOf({ brokerStorage: 'disk' }, 'synthetic'), storageOf({ brokerStorage: 'memory' }, 'mirror')]).toEqual(['disk', 'memory']);
    expect(planEnvironment(targetSchema.parse({}), fiveBrokers, '4.3.1', { ...synthetic, data: 'mirror' }).notes[2]).toBe(
      "broker storage: disk (restore.data: mirror copies the source's records, as many as there are)",
    );
  });

  it('bounds the data a synthetic restore leaves in the brokers, and keeps memory storage to a tmpfs with that much free', () => {
    const topic = (partitions: { logStartOffset: number; logEndOffset: number }[], replicationFactor: number) => ({
      partitions: partitions.length,
      replicationFactor,
      partitionOffsets: partitions,
    });
    // 0..9 (10 records + 1), and 0..5,000 capped at the budget plus its windows; replicated twice on 2 brokers.
    const topics = [topic([{ logStartOffset: 0, logEndOffset: 10 }], 1), topic([{ logStartOffset: 0, logEndOffset: 5_000 }], 3)];
    expect(syntheticDataBytes(topics, 1_000, 2)).toBe((11 + 1_050 * 2) * 256);
    expect(memoryStorageRoot(0, '/proc')).toEqual({ unavailable: '/proc is not a tmpfs' });
    const tooMuch = memoryStorageRoot(2 ** 50);
    if ('root' in tooMuch) throw new Error('a petabyte fits in /dev/shm?');
    expect(tooMuch.unavailable).toMatch(
      /^\/dev\/shm (has \d+ MiB free, under the \d+ MiB for the drill's data \(up to 1073741824 MiB\) and a 1024 MiB margin|: ENOENT|is not a tmpfs)$/,
    );
  });
});
