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

/**
 * Up to this many partition replicas per broker, brokers run with C1 only (-XX:TieredStopAtLevel=1):
 * a drill broker lives minutes, and on two cores C2's compiler threads compete with the start-up
 * itself (3 secured brokers up in 7.8 s instead of 13.1 s). Above it the brokers' own work
 * dominates and C2 pays back (1,000 topics: topics created in 22.9 s with C1 only, 11.2 s with C2).
 */
export const QUICK_JIT_MAX_REPLICAS = 1_000;

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

/**
 * Open files and memory maps of a broker. Measured on Kafka 4.3 (1 broker, 3,000 partitions): each
 * partition replica keeps its segment's .log open (one descriptor) and maps its .index and
 * .timeindex (two maps, their descriptors closed); an empty broker holds ~150 descriptors (95 of
 * them Kafka's jars) and ~440 maps. 30,000 replicas on a broker whose processes may open 20,000
 * files end with "all log dirs have failed" minutes into a drill.
 */
const DESCRIPTORS_PER_SEGMENT = 1;
const MAPS_PER_SEGMENT = 2;
/** A drill writes a few records per partition: one segment each, none rolled. */
const SEGMENTS_PER_PARTITION = 1;
/** The empty broker's descriptors and maps, the drill's client connections (sockets) and __consumer_offsets. */
const BASE_DESCRIPTORS = 2048;
const BASE_MAPS = 2048;
/** A tenth more for what the measurement did not show: a rolled segment, a transaction index, a burst of connections. */
const HEADROOM = 1.1;

/** The open-file limit (RLIMIT_NOFILE) a broker hosting `replicasPerBroker` partition replicas needs. */
export function openFilesForPartitions(replicasPerBroker: number): number {
  return Math.ceil((BASE_DESCRIPTORS + replicasPerBroker * SEGMENTS_PER_PARTITION * DESCRIPTORS_PER_SEGMENT) * HEADROOM);
}

/** The memory maps (vm.max_map_count, one host-wide setting) a broker hosting `replicasPerBroker` partition replicas needs. */
export function memoryMapsForPartitions(replicasPerBroker: number): number {
  return Math.ceil((BASE_MAPS + replicasPerBroker * SEGMENTS_PER_PARTITION * MAPS_PER_SEGMENT) * HEADROOM);
}

/** Bytes a synthetic record takes in a broker's log, batch and index overhead included (generous: ~100 are measured). */
const SYNTHETIC_RECORD_BYTES = 256;
/** Records a partition gets beyond its budget: the windows around committed positions and the log end (offset-map.ts). */
const SYNTHETIC_WINDOW_RECORDS = 50;

/**
 * An upper bound on the bytes the drill's brokers hold after a synthetic data restore, every
 * replica counted: at most the source's span of records per partition, and at most the budget
 * plus its windows. Memory storage needs this much free beside its margin.
 */
export function syntheticDataBytes(
  topics: readonly (TopicShape & { partitionOffsets: readonly { logStartOffset: number; logEndOffset: number }[] })[],
  maxRecordsPerPartition: number,
  brokerCount: number,
): number {
  let bytes = 0;
  for (const topic of topics) {
    const replicas = Math.min(topic.replicationFactor, brokerCount);
    for (const offsets of topic.partitionOffsets) {
      const records = Math.min(offsets.logEndOffset - offsets.logStartOffset + 1, maxRecordsPerPartition + SYNTHETIC_WINDOW_RECORDS);
      bytes += records * SYNTHETIC_RECORD_BYTES * replicas;
    }
  }
  return bytes;
}
