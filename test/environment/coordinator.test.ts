import { describe, expect, it } from 'vitest';
import { groupIdsCoveringPartitions, javaStringHash, offsetsPartitionFor } from '../../src/environment/coordinator.js';

describe('group placement on __consumer_offsets', () => {
  it("hashes as Java's String.hashCode, overflow included", () => {
    expect(javaStringHash('')).toBe(0);
    expect(javaStringHash('hello')).toBe(99162322);
    expect(javaStringHash('polygenelubricants')).toBe(-2147483648);
    expect(javaStringHash('kafka-drill')).toBe(-1484149004);
  });

  it('places a group as Kafka does (Utils.abs(hashCode) % partitions), Integer.MIN_VALUE included', () => {
    expect(offsetsPartitionFor('polygenelubricants', 50)).toBe(0);
    expect(offsetsPartitionFor('hello', 50)).toBe(99162322 % 50);
  });

  it('finds one group id for each partition', () => {
    const groups = groupIdsCoveringPartitions(5);
    expect(groups).toHaveLength(5);
    expect(groups.map((group) => offsetsPartitionFor(group, 5))).toEqual([0, 1, 2, 3, 4]);
  });
});
