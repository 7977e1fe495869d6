import { FindCoordinatorKeyTypes, offsetCommitV8, type Admin } from '@platformatic/kafka';
import { withAdmin } from './admin.js';
import type { KafkaConnection } from './connection.js';
import { connectionsTo, errorName, sendForResponse } from './raw.js';
import { retryTransient, TRANSIENT_ERRORS } from './retry.js';

export interface OffsetToCommit {
  topic: string;
  partition: number;
  offset: number;
  metadata: string | null;
}

export interface CommitError {
  groupId: string;
  topic: string;
  partition: number;
  error: string;
}

/**
 * Commits offsets with their metadata as an admin, outside any group generation (the Admin
 * class's alterConsumerGroupOffsets drops metadata). One FindCoordinator for every group,
 * then one OffsetCommit per group, sent to its coordinator; groups are committed side by side.
 */
export async function commitOffsets(admin: Admin, commits: Map<string, OffsetToCommit[]>): Promise<CommitError[]> {
  if (commits.size === 0) return [];
  const coordinators = await admin.findCoordinator({ keyType: FindCoordinatorKeyTypes.GROUP, keys: [...commits.keys()] });
  const nodeOf = new Map(coordinators.map((c) => [c.key, c.nodeId]));
  const connections = await connectionsTo(admin, [...new Set(nodeOf.values())]);
  const errors: CommitError[] = [];
  await Promise.all(
    [...commits].map(async ([groupId, offsets]) => {
      const byTopic = new Map<string, OffsetToCommit[]>();
      for (const o of offsets) byTopic.set(o.topic, [...(byTopic.get(o.topic) ?? []), o]);
      const topics = [...byTopic].map(([name, list]) => ({
        name,
        partitions: list.map((o) => ({ partitionIndex: o.partition, committedOffset: BigInt(o.offset), committedLeaderEpoch: -1, committedMetadata: o.metadata })),
      }));
      const response = await sendForResponse(connections.get(nodeOf.get(groupId)!)!, offsetCommitV8, groupId, -1, '', null, topics);
      for (const topic of response.topics) {
        for (const partition of topic.partitions) {
          if (partition.errorCode !== 0) errors.push({ groupId, topic: topic.name, partition: partition.partitionIndex, error: errorName(partition.errorCode) });
        }
      }
    }),
  );
  return errors;
}

/**
 * commitOffsets until no partition is refused with a transient error (a coordinator that has not
 * yet seen a new topic answers UNKNOWN_TOPIC_OR_PARTITION for it), up to `timeoutMs`.
 */
export async function commitOffsetsUntilSettled(admin: Admin, commits: Map<string, OffsetToCommit[]>, timeoutMs = 30_000): Promise<CommitError[]> {
  const deadline = Date.now() + timeoutMs;
  let pending = commits;
  for (;;) {
    const errors = await retryTransient(() => commitOffsets(admin, pending), timeoutMs);
    const transient = errors.filter((e) => TRANSIENT_ERRORS.has(e.error));
    if (transient.length === 0 || Date.now() > deadline) return errors;
    pending = new Map();
    for (const e of transient) {
      const offset = commits.get(e.groupId)!.find((o) => o.topic === e.topic && o.partition === e.partition)!;
      pending.set(e.groupId, [...(pending.get(e.groupId) ?? []), offset]);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/**
 * Where a fresh group starts on `topic`: its offsets committed by the admin, outside any
 * generation, before a consumer joins. Not kafkajs's admin.setOffsets: that joins the group with
 * every partition paused, and a kafkajs consumer with nothing to fetch sleeps its maxWaitTime
 * (5 s) before the fetch that ends setOffsets, so every call took over 5 seconds. A refusal
 * throws with Kafka's error name in `type`, where kafkaErrorName finds it.
 */
export async function setGroupStart(connection: KafkaConnection, groupId: string, topic: string, starts: ReadonlyMap<number, number>, timeoutMs = 30_000): Promise<void> {
  if (starts.size === 0) return;
  const offsets = [...starts].map(([partition, offset]) => ({ topic, partition, offset, metadata: null }));
  const errors = await withAdmin(connection, (admin) => commitOffsetsUntilSettled(admin, new Map([[groupId, offsets]]), timeoutMs));
  if (errors.length > 0)
    throw Object.assign(new Error(`committing where group ${groupId} starts: ${errors.map((e) => `${e.topic}:${e.partition} ${e.error}`).join(', ')}`), {
      type: errors[0]!.error,
    });
}
