import { describe, expect, it } from 'vitest';
import { chunkByWeight, KRAFT_MAX_RECORDS_PER_OPERATION } from '../../src/kafka/request-limits.js';

describe('chunkByWeight', () => {
  it('fills each chunk up to the budget, in order, and no further', () => {
    const items = [3, 3, 3, 1, 5, 2];
    expect(chunkByWeight(items, (n) => n, 6)).toEqual([[3, 3], [3, 1], [5], [2]]);
  });

  it('keeps every item exactly once', () => {
    const items = Array.from({ length: 12_345 }, (_, i) => i);
    const chunks = chunkByWeight(items, () => 1, 5_000);
    expect(chunks.map((c) => c.length)).toEqual([5_000, 5_000, 2_345]);
    expect(chunks.flat()).toEqual(items);
  });

  it('puts an item heavier than the budget alone in its own chunk', () => {
    expect(chunkByWeight([2, 9, 2, 2], (n) => n, 4)).toEqual([[2], [9], [2, 2]]);
  });

  it('counts an item of weight 0 as 1, so a chunk never grows without bound', () => {
    expect(chunkByWeight([0, 0, 0], (n) => n, 2)).toEqual([[0, 0], [0]]);
  });

  it('returns no chunk for no item, and refuses a budget below 1', () => {
    expect(chunkByWeight([], () => 1, 10)).toEqual([]);
    expect(() => chunkByWeight([1], () => 1, 0)).toThrow(RangeError);
  });

  it("splits the issue-10 shape (5,000 topics x 3 partitions + 2 configs) under KRaft's limit", () => {
    const topics = Array.from({ length: 5_000 }, () => ({ partitions: 3, configs: 2 }));
    const chunks = chunkByWeight(topics, (t) => 1 + t.partitions + t.configs, 5_000);
    for (const chunk of chunks) expect(chunk.reduce((sum, t) => sum + 1 + t.partitions + t.configs, 0)).toBeLessThanOrEqual(KRAFT_MAX_RECORDS_PER_OPERATION / 2);
    expect(chunks.map((c) => c.length)).toEqual([833, 833, 833, 833, 833, 833, 2]);
  });
});
