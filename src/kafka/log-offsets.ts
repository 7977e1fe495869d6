/** Log start and end offsets of many partitions: one ListOffsets per partition leader and kind. */
import { ListOffsetTimestamps, type Admin } from '@platformatic/kafka';

export interface TopicPartition {
  topic: string;
  partition: number;
}

/** `topic\0partition` → offset. */
export type OffsetsByPartition = Map<string, bigint>;

export function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

export async function listLogOffsets(admin: Admin, partitions: TopicPartition[], which: 'earliest' | 'latest'): Promise<OffsetsByPartition> {
  const offsets: OffsetsByPartition = new Map();
  if (partitions.length === 0) return offsets;
  const timestamp = which === 'earliest' ? ListOffsetTimestamps.EARLIEST : ListOffsetTimestamps.LATEST;
  const byTopic = new Map<string, number[]>();
  for (const { topic, partition } of partitions) byTopic.set(topic, [...(byTopic.get(topic) ?? []), partition]);
  const listed = await admin.listOffsets({
    topics: [...byTopic].map(([name, indexes]) => ({ name, partitions: indexes.map((partitionIndex) => ({ partitionIndex, timestamp })) })),
  });
  for (const topic of listed) for (const partition of topic.partitions) offsets.set(partitionKey(topic.name, partition.partitionIndex), partition.offset);
  return offsets;
}
