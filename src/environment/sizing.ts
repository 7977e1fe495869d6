/**
 * Broker heap for a drill. A fixed 512 MiB ran out at ~15,000 partitions on one broker; below
 * a few thousand partitions 512 MiB is plenty. Heap grows with the partition replicas a broker
 * hosts and stops at a cap that keeps five brokers, the harness and the OS within 24 GiB.
 */

export const MIN_HEAP_MB = 512;
/** A broker's heap when the request names none. */
export const DEFAULT_HEAP_MB = MIN_HEAP_MB;
/** The most a heap sized from a snapshot gets: 5 brokers × 2 GiB leave half of 24 GiB free. */
export const MAX_DERIVED_HEAP_MB = 2048;
/** JVM, controller and broker state of an empty combined node. */
const BASE_HEAP_MB = 384;
/** Measured need is ~35 KiB per partition replica (512 MiB gone at ~15,000); twice that for headroom. */
const KIB_PER_PARTITION_REPLICA = 64;

export interface TopicShape {
  partitions: number;
  replicationFactor: number;
}

/** Partition replicas the busiest broker hosts, with replication capped at the broker count. */
export function partitionReplicasPerBroker(topics: readonly TopicShape[], brokerCount: number): number {
  const replicas = topics.reduce((sum, topic) => sum + topic.partitions * Math.min(topic.replicationFactor, brokerCount), 0);
  return Math.ceil(replicas / brokerCount);
}

/** Max heap per broker, in MiB, rounded up to 128 MiB, between MIN_HEAP_MB and MAX_DERIVED_HEAP_MB. */
export function heapForPartitions(replicasPerBroker: number): number {
  const needed = BASE_HEAP_MB + (replicasPerBroker * KIB_PER_PARTITION_REPLICA) / 1024;
  return Math.min(MAX_DERIVED_HEAP_MB, Math.max(MIN_HEAP_MB, Math.ceil(needed / 128) * 128));
}

/**
 * `log.cleaner.dedupe.buffer.size` for a broker with `heapMb` of heap: an eighth of it. Kafka's
 * 128 MiB default is preallocated on the heap, and a change of `log.cleaner.threads` (a dynamic
 * config snapshots carry) restarts the cleaner, which allocates new buffers before the old ones are
 * collected: five 384 MiB brokers died of OutOfMemoryError within three such changes. A drill's
 * logs are small; an eighth of the heap dedupes them as well.
 */
export function dedupeBufferBytes(heapMb: number): number {
  return Math.floor(heapMb / 8) * 1024 * 1024;
}
