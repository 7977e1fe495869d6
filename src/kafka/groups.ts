/** Groups and their committed offsets: ListGroups once per broker, OffsetFetch once per coordinator for all groups. */
import type { Admin } from '@platformatic/kafka';

export interface ListedGroup {
  groupId: string;
  /** "consumer", "connect", "" (no protocol) … */
  protocolType: string;
  /** classic, consumer, share, streams (empty before Kafka 3.8's ListGroups v5). */
  groupType: string;
  /** Upper case: EMPTY, STABLE, … */
  state: string;
}

export interface GroupCommittedOffset {
  topic: string;
  partition: number;
  offset: bigint;
  leaderEpoch: number;
  metadata: string | null;
}

export async function listAllGroups(admin: Admin): Promise<ListedGroup[]> {
  const groups = await admin.listGroups();
  return [...groups.values()].map((group) => ({ groupId: group.id, protocolType: group.protocolType, groupType: group.groupType ?? '', state: group.state }));
}

/** Group id → its committed offsets (partitions without one, offset -1, are left out). */
export async function fetchCommittedOffsets(admin: Admin, groupIds: string[]): Promise<Map<string, GroupCommittedOffset[]>> {
  const committed = new Map<string, GroupCommittedOffset[]>();
  if (groupIds.length === 0) return committed;
  for (const group of await admin.listConsumerGroupOffsets({ groups: groupIds })) {
    committed.set(
      group.groupId,
      group.topics.flatMap((topic) =>
        topic.partitions
          .filter((partition) => partition.committedOffset >= 0n)
          .map((partition) => ({
            topic: topic.name,
            partition: partition.partitionIndex,
            offset: partition.committedOffset,
            leaderEpoch: partition.committedLeaderEpoch,
            metadata: partition.metadata ?? null,
          })),
      ),
    );
  }
  return committed;
}
