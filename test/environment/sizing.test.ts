import { describe, expect, it } from 'vitest';
import { heapForPartitions, MAX_DERIVED_HEAP_MB, memoryMapsForPartitions, MIN_HEAP_MB, openFilesForPartitions, partitionReplicasPerBroker } from '../../src/environment/sizing.js';

describe('broker heap sizing', () => {
  it('counts the partition replicas each broker hosts, replication capped at the broker count', () => {
    expect(
      partitionReplicasPerBroker(
        [
          { partitions: 6, replicationFactor: 3 },
          { partitions: 1, replicationFactor: 1 },
        ],
        3,
      ),
    ).toBe(7);
    expect(partitionReplicasPerBroker([{ partitions: 6, replicationFactor: 3 }], 1)).toBe(6);
    expect(partitionReplicasPerBroker([], 5)).toBe(0);
  });

  it('gives small snapshots the minimum, grows with partitions and stops at the cap', () => {
    expect(heapForPartitions(0)).toBe(MIN_HEAP_MB);
    expect(heapForPartitions(2_000)).toBe(MIN_HEAP_MB);
    // 5,000 topics × 3 partitions on one broker: the size a fixed 512 MiB ran out at.
    expect(heapForPartitions(15_000)).toBe(1408);
    expect(heapForPartitions(1_000_000)).toBe(MAX_DERIVED_HEAP_MB);
    expect(5 * MAX_DERIVED_HEAP_MB).toBeLessThanOrEqual(12 * 1024);
  });
});

describe('broker open files and memory maps', () => {
  it('sizes one descriptor and two maps per partition replica, above an empty broker, with a tenth of headroom', () => {
    // An empty broker measured ~150 descriptors and ~440 maps; the base leaves room for client sockets.
    expect(openFilesForPartitions(0)).toBe(2253);
    expect(memoryMapsForPartitions(0)).toBe(2253);
    // README's 5,000-topic run (15,000 replicas on one broker) passed under a 20,000 open-file limit and 65,530 maps.
    expect(openFilesForPartitions(15_000)).toBe(18_753);
    expect(openFilesForPartitions(15_000)).toBeLessThanOrEqual(20_000);
    expect(memoryMapsForPartitions(15_000)).toBe(35_253);
    // 10,000 topics × 3 partitions on one broker failed under 20,000 ("all log dirs have failed"): both limits are short.
    expect(openFilesForPartitions(30_000)).toBe(35_253);
    expect(openFilesForPartitions(30_000)).toBeGreaterThan(20_000);
    expect(memoryMapsForPartitions(30_000)).toBe(68_253);
    expect(memoryMapsForPartitions(30_000)).toBeGreaterThan(65_530);
  });
});
