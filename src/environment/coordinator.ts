import type { Admin } from '@platformatic/kafka';
import { errorMessage } from '../errors.js';
import { kafkaErrorName } from '../kafka/errors.js';

/**
 * A drill environment is ready only once its group coordinator works: the first group request
 * of a restore would otherwise wait for `__consumer_offsets` to be created, led and loaded.
 */

/** Java's String.hashCode, which Kafka uses to place a group on a `__consumer_offsets` partition. */
export function javaStringHash(text: string): number {
  let hash = 0;
  for (let index = 0; index < text.length; index++) hash = (Math.imul(hash, 31) + text.charCodeAt(index)) | 0;
  return hash;
}

/** The `__consumer_offsets` partition of a group: `Utils.abs(groupId.hashCode()) % partitions`. */
export function offsetsPartitionFor(groupId: string, partitions: number): number {
  return (javaStringHash(groupId) & 0x7fffffff) % partitions;
}

/** One group id per `__consumer_offsets` partition, so that asking for all of them reaches every coordinator. */
export function groupIdsCoveringPartitions(partitions: number): string[] {
  const byPartition = new Map<number, string>();
  for (let candidate = 0; byPartition.size < partitions; candidate++) {
    const groupId = `kafka-drill-readiness-${candidate}`;
    const partition = offsetsPartitionFor(groupId, partitions);
    if (!byPartition.has(partition)) byPartition.set(partition, groupId);
  }
  return [...byPartition.keys()].sort((a, b) => a - b).map((partition) => byPartition.get(partition)!);
}

/**
 * Asks every coordinator for the committed offsets of a group on its partition (FindCoordinator,
 * then OffsetFetch). The first call makes Kafka create `__consumer_offsets`. Undefined once every
 * coordinator answers; else what is not ready yet.
 */
export async function groupCoordinatorProblem(admin: Admin, offsetsTopicPartitions: number): Promise<string | undefined> {
  try {
    await admin.listConsumerGroupOffsets({ groups: groupIdsCoveringPartitions(offsetsTopicPartitions) });
    return undefined;
  } catch (error) {
    return `group coordinator not ready: ${kafkaErrorName(error) ?? errorMessage(error)}`;
  }
}
