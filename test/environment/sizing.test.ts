import { describe, expect, it } from 'vitest';
import { heapForPartitions, MAX_DERIVED_HEAP_MB, MIN_HEAP_MB, partitionReplicasPerBroker } from '../../src/environment/sizing.js';

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
