import { describe, expect, it } from 'vitest';
import { planOffsetMap } from '../../src/restore/offset-map.js';
import { translateOffsets } from '../../src/restore/connectors.js';
import type { SnapshotContent } from '../../src/snapshot/schema.js';

const BILLIONS = 4_800_000_000;

/** A sink 40 records behind a log end near 5 billion, its group connect-<name> at the same offsets, and a source connector. */
const snapshot = {
  topics: [
    {
      name: 'orders',
      partitions: 2,
      replicationFactor: 1,
      configs: {},
      partitionOffsets: [0, 1].map((partition) => ({ partition, logStartOffset: BILLIONS - 1_000_000, logEndOffset: BILLIONS + 40 + partition })),
    },
  ],
  consumerGroups: [{ groupId: 'connect-orders-sink', offsets: [0, 1].map((partition) => ({ topic: 'orders', partition, offset: BILLIONS + partition, metadata: null })) }],
  connect: {
    connectors: [
      {
        name: 'orders-sink',
        type: 'sink',
        config: {},
        tasks: 1,
        state: 'RUNNING',
        offsets: [0, 1].map((partition) => ({ partition: { kafka_topic: 'orders', kafka_partition: partition }, offset: { kafka_offset: BILLIONS + partition } })),
      },
      { name: 'file-source', type: 'source', config: {}, tasks: 1, state: 'RUNNING', offsets: [{ partition: { filename: '/data/in.txt' }, offset: { position: BILLIONS } }] },
    ],
  },
} as unknown as SnapshotContent;

describe('connectors phase: sink offsets through the offset map', () => {
  const map = planOffsetMap(snapshot, { maxRecordsPerPartition: 100 });
  const [sink, source] = snapshot.connect!.connectors;

  it('a sink whose offsets are in the billions restores to the rebased target offsets the offsets phase commits for its group', () => {
    const translated = translateOffsets(sink!, map);
    const groupTargets = snapshot.consumerGroups[0]!.offsets.map((o) => map.translate(o.topic, o.partition, o.offset)!.offset);
    expect(translated.map((entry) => entry.offset?.kafka_offset)).toEqual(groupTargets);
    // Rebased: the window of 10 records before the position, then up to the log end.
    expect(translated).toEqual([0, 1].map((partition) => ({ partition: { kafka_topic: 'orders', kafka_partition: partition }, offset: { kafka_offset: 10 } })));
    for (const partition of [0, 1]) expect(map.sourceOffset('orders', partition, 10)).toBe(BILLIONS + partition);
  });

  it("a source connector's offsets are its own; without a map (real data) sink offsets stay as captured", () => {
    expect(translateOffsets(source!, map)).toEqual(source!.offsets);
    expect(translateOffsets(sink!, undefined)).toEqual(sink!.offsets);
  });
});
