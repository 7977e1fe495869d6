import { describe, expect, it } from 'vitest';
import { generateSnapshot } from '../../bench/generate.js';
import { chunkByWeight, DEFAULT_RECORDS_PER_REQUEST } from '../../src/kafka/request-limits.js';
import { restoreSnapshot } from '../../src/restore/restore.js';
import { servedPollDelayMs } from '../../src/restore/topics.js';
import { serializeSnapshot } from '../../src/snapshot/canonical.js';
import { parseSnapshot } from '../../src/snapshot/load.js';
import { startForTest } from '../support/kafka.js';

describe("restoring the bench's 1,000 topics × 3 partitions", async () => {
  const environment = await startForTest({ heapMb: 512 });

  it('creates them in a handful of requests, each under KRaft limits, waiting for the broker to serve them', async () => {
    const snapshot = parseSnapshot(serializeSnapshot(generateSnapshot(1_000)), 'bench-1000.json');
    const started = performance.now();
    const restored = await restoreSnapshot(environment.admin, snapshot, { phases: ['topics'] });
    const topics = restored.phases.find((p) => p.phase === 'topics')!;
    console.log(`topics: ${topics.requests} requests, ${Math.round(performance.now() - started)} ms`);
    expect([topics.status, topics.counts]).toEqual(['passed', { created: 1_000, updated: 0, unchanged: 0, failed: 0 }]);
    // 5,334 metadata records (topic, 3 partitions, 1-2 configs each) in two CreateTopics of at most 5,000.
    const createRequests = chunkByWeight(snapshot.topics, (t) => 1 + t.partitions + Object.keys(t.configs).length, DEFAULT_RECORDS_PER_REQUEST);
    expect(createRequests.map((chunk) => chunk.length)).toEqual([937, 63]);
    // ListTopics, the validate-only CreateTopics (which configs the target knows), the two CreateTopics, then the
    // listings until the broker serves all 1,000: after 0, 0.25, 0.5 and 1 s, then every 2 s. Listing every 500 ms
    // sent 39 of them for a 20 s wait (43 requests in all).
    const listings = topics.requests - 2 - createRequests.length;
    expect(listings).toBeGreaterThanOrEqual(1);
    expect(listings).toBeLessThanOrEqual(4 + Math.ceil(topics.durationMs / 2_000));
  }, 300_000);
});

describe('waiting for the broker to serve created topics', () => {
  it('backs off from 250 ms to 2 s between listings', () => {
    expect([0, 1, 2, 3, 4, 10, 1_000].map(servedPollDelayMs)).toEqual([250, 500, 1_000, 2_000, 2_000, 2_000, 2_000]);
  });
});
