/**
 * The record at (or first after) given offsets, read with Fetch — never with a consumer group,
 * so nothing is committed. One Fetch per partition leader for all positions; a partition whose
 * first batch did not fit the size limit is fetched again on its own.
 */
import { connectionTo } from './raw.js';
import { fetchV13, FetchIsolationLevels, IS_CONTROL, type Admin, type RecordsBatch } from '@platformatic/kafka';
import { partitionKey } from './log-offsets.js';
import { registerCompressionCodecs } from './codecs.js';

registerCompressionCodecs();

export interface RecordPosition {
  topic: string;
  topicId: string;
  partition: number;
  leader: number;
  leaderEpoch: number;
  offset: bigint;
}

export interface FetchedRecord {
  offset: bigint;
  key: Buffer | null;
  value: Buffer | null;
  timestamp: bigint;
}

const LOG_APPEND_TIME = 1 << 3;
const PARTITION_MAX_BYTES = 1024 * 1024;

/**
 * `topic\0partition` → the first data record at or after the position's offset (what a consumer
 * resuming there reads first: compaction may have removed the record at the offset itself, and
 * transaction markers are skipped). Positions with no such record in the log are absent.
 */
export async function fetchRecordsAt(admin: Admin, positions: RecordPosition[]): Promise<Map<string, FetchedRecord>> {
  const found = new Map<string, FetchedRecord>();
  const byLeader = new Map<number, RecordPosition[]>();
  for (const position of positions) byLeader.set(position.leader, [...(byLeader.get(position.leader) ?? []), position]);
  const oversized = (await Promise.all([...byLeader.values()].map((batch) => fetchBatch(admin, batch, found)))).flat();
  // Alone in a request, a partition's first batch is returned whatever its size.
  await Promise.all(oversized.map((position) => fetchBatch(admin, [position], found)));
  return found;
}

/** Fetches the positions (all on one leader) into `found`; returns those whose first batch was over the size limit. */
async function fetchBatch(admin: Admin, positions: RecordPosition[], found: Map<string, FetchedRecord>): Promise<RecordPosition[]> {
  const leader = positions[0]!.leader;
  const connection = await connectionTo(admin, leader);
  const response = await fetchV13.api.async(
    connection,
    0,
    0,
    PARTITION_MAX_BYTES * positions.length,
    FetchIsolationLevels.READ_UNCOMMITTED,
    0,
    -1,
    groupByTopicId(positions),
    [],
    '',
  );
  const byTopicPartition = new Map(positions.map((position) => [`${position.topicId}\u0000${position.partition}`, position]));
  const oversized: RecordPosition[] = [];
  for (const topic of response.responses) {
    for (const partition of topic.partitions) {
      const position = byTopicPartition.get(`${topic.topicId}\u0000${partition.partitionIndex}`);
      if (!position) continue;
      const batches = partition.records ?? [];
      const record = firstDataRecord(batches, position.offset);
      if (record) found.set(partitionKey(position.topic, position.partition), record);
      else if (batches.length === 0 && partition.highWatermark > position.offset && positions.length > 1) oversized.push(position);
    }
  }
  return oversized;
}

function groupByTopicId(positions: RecordPosition[]) {
  const topics = new Map<
    string,
    { topicId: string; partitions: { partition: number; currentLeaderEpoch: number; fetchOffset: bigint; lastFetchedEpoch: number; partitionMaxBytes: number }[] }
  >();
  for (const position of positions) {
    const topic = topics.get(position.topicId) ?? { topicId: position.topicId, partitions: [] };
    topic.partitions.push({
      partition: position.partition,
      currentLeaderEpoch: position.leaderEpoch,
      fetchOffset: position.offset,
      lastFetchedEpoch: -1,
      partitionMaxBytes: PARTITION_MAX_BYTES,
    });
    topics.set(position.topicId, topic);
  }
  return [...topics.values()];
}

function firstDataRecord(batches: RecordsBatch[], from: bigint): FetchedRecord | undefined {
  for (const record of dataRecords(batches, from)) return record;
  return undefined;
}

/** The data records of fetched batches at or after `from`, in offset order (transaction markers left out). */
function* dataRecords(batches: RecordsBatch[], from: bigint): Generator<FetchedRecord> {
  for (const batch of batches) {
    if (batch.attributes & IS_CONTROL) continue;
    for (const record of batch.records) {
      const offset = batch.firstOffset + BigInt(record.offsetDelta);
      if (offset < from) continue;
      const timestamp = batch.attributes & LOG_APPEND_TIME ? batch.maxTimestamp : batch.firstTimestamp + record.timestampDelta;
      yield { offset, key: record.key, value: record.value, timestamp };
    }
  }
}

/**
 * Reads one partition's data records from `from` up to (not including) `until`, in order, with
 * Fetch (no group, nothing committed), handing each to `visit` until it returns true. Returns the
 * record `visit` stopped at, if any.
 */
export async function scanRecords(
  admin: Admin,
  position: Omit<RecordPosition, 'offset'>,
  from: bigint,
  until: bigint,
  visit: (record: FetchedRecord) => boolean,
): Promise<FetchedRecord | undefined> {
  const connection = await connectionTo(admin, position.leader);
  let next = from;
  while (next < until) {
    const response = await fetchV13.api.async(
      connection,
      0,
      0,
      PARTITION_MAX_BYTES,
      FetchIsolationLevels.READ_UNCOMMITTED,
      0,
      -1,
      groupByTopicId([{ ...position, offset: next }]),
      [],
      '',
    );
    const batches = response.responses[0]?.partitions[0]?.records ?? [];
    if (batches.length === 0) return undefined;
    for (const record of dataRecords(batches, next)) {
      if (record.offset >= until) return undefined;
      if (visit(record)) return record;
    }
    const last = batches[batches.length - 1]!;
    next = last.firstOffset + BigInt(last.lastOffsetDelta) + 1n;
  }
  return undefined;
}
