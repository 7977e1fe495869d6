/**
 * The record at (or first after) given offsets, read with Fetch — never with a consumer group,
 * so nothing is committed. One Fetch per partition leader for all positions; a partition whose
 * first batch did not fit the size limit is fetched again on its own.
 */
import { connectionTo } from './raw.js';
import { fetchV13, FetchIsolationLevels, IS_CONTROL, IS_TRANSACTIONAL, type Admin, type RecordsBatch } from '@platformatic/kafka';
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

/**
 * Positions split into rounds that name each partition at most once (a Fetch holds one offset a
 * partition), duplicates of a partition and offset dropped: several groups may sit at different
 * offsets of one partition.
 */
export function roundsByPartition<T extends { topic: string; partition: number; offset: number | bigint }>(positions: Iterable<T>): T[][] {
  const rounds: T[][] = [];
  const seen = new Set<string>();
  for (const position of positions) {
    const id = `${partitionKey(position.topic, position.partition)}\u0000${position.offset}`;
    if (seen.has(id)) continue;
    seen.add(id);
    const round = rounds.find((candidate) => !candidate.some((other) => other.topic === position.topic && other.partition === position.partition));
    if (round) round.push(position);
    else rounds.push([position]);
  }
  return rounds;
}

/**
 * uncommitted: every data record (what a read_uncommitted consumer gets). committed: what a
 * read_committed consumer gets — up to the last stable offset, records of aborted transactions left out.
 */
export type Isolation = 'committed' | 'uncommitted';

interface AbortedTransaction {
  producerId: bigint;
  firstOffset: bigint;
}
const PARTITION_MAX_BYTES = 1024 * 1024;

/**
 * `topic\0partition` → the first data record at or after the position's offset (what a consumer
 * resuming there reads first: compaction may have removed the record at the offset itself, and
 * transaction markers are skipped). Positions with no such record in the log are absent.
 */
export async function fetchRecordsAt(admin: Admin, positions: RecordPosition[], isolation: Isolation = 'uncommitted'): Promise<Map<string, FetchedRecord>> {
  const found = new Map<string, FetchedRecord>();
  const byLeader = new Map<number, RecordPosition[]>();
  for (const position of positions) byLeader.set(position.leader, [...(byLeader.get(position.leader) ?? []), position]);
  const oversized = (await Promise.all([...byLeader.values()].map((batch) => fetchBatch(admin, batch, found, isolation)))).flat();
  // Alone in a request, a partition's first batch is returned whatever its size.
  await Promise.all(oversized.map((position) => fetchBatch(admin, [position], found, isolation)));
  return found;
}

/** Fetches the positions (all on one leader) into `found`; returns those whose first batch was over the size limit. */
async function fetchBatch(admin: Admin, positions: RecordPosition[], found: Map<string, FetchedRecord>, isolation: Isolation): Promise<RecordPosition[]> {
  const leader = positions[0]!.leader;
  const connection = await connectionTo(admin, leader);
  const response = await fetchV13.api.async(connection, 0, 0, PARTITION_MAX_BYTES * positions.length, isolationLevel(isolation), 0, -1, groupByTopicId(positions), [], '');
  const byTopicPartition = new Map(positions.map((position) => [`${position.topicId}\u0000${position.partition}`, position]));
  const oversized: RecordPosition[] = [];
  for (const topic of response.responses) {
    for (const partition of topic.partitions) {
      const position = byTopicPartition.get(`${topic.topicId}\u0000${partition.partitionIndex}`);
      if (!position) continue;
      const batches = partition.records ?? [];
      const record = firstDataRecord(batches, position.offset, isolation === 'committed' ? partition.abortedTransactions : []);
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

function isolationLevel(isolation: Isolation): number {
  return isolation === 'committed' ? FetchIsolationLevels.READ_COMMITTED : FetchIsolationLevels.READ_UNCOMMITTED;
}

function firstDataRecord(batches: RecordsBatch[], from: bigint, aborted: AbortedTransaction[]): FetchedRecord | undefined {
  for (const record of dataRecords(batches, from, aborted)) return record;
  return undefined;
}

/**
 * The data records of fetched batches at or after `from`, in offset order: transaction markers
 * left out, and the records of `aborted` transactions (a read_committed Fetch names them: a
 * producer's transactional batches from its firstOffset up to its abort marker), as Kafka's consumer does.
 */
function* dataRecords(batches: RecordsBatch[], from: bigint, aborted: AbortedTransaction[] = []): Generator<FetchedRecord> {
  const pending = [...aborted].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0));
  const aborting = new Set<bigint>();
  for (const batch of batches) {
    while (pending.length > 0 && pending[0]!.firstOffset <= batch.firstOffset + BigInt(batch.lastOffsetDelta)) aborting.add(pending.shift()!.producerId);
    if (batch.attributes & IS_CONTROL) {
      // A marker ends its producer's transaction: key = version INT16, type INT16 (0 abort, 1 commit).
      if (aborting.has(batch.producerId) && batch.records[0]?.key?.readInt16BE(2) === 0) aborting.delete(batch.producerId);
      continue;
    }
    if (batch.attributes & IS_TRANSACTIONAL && aborting.has(batch.producerId)) continue;
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
  isolation: Isolation = 'uncommitted',
): Promise<FetchedRecord | undefined> {
  const connection = await connectionTo(admin, position.leader);
  let next = from;
  while (next < until) {
    const response = await fetchV13.api.async(connection, 0, 0, PARTITION_MAX_BYTES, isolationLevel(isolation), 0, -1, groupByTopicId([{ ...position, offset: next }]), [], '');
    const partition = response.responses[0]?.partitions[0];
    const batches = partition?.records ?? [];
    if (batches.length === 0) return undefined;
    for (const record of dataRecords(batches, next, isolation === 'committed' ? partition!.abortedTransactions : [])) {
      if (record.offset >= until) return undefined;
      if (visit(record)) return record;
    }
    const last = batches[batches.length - 1]!;
    next = last.firstOffset + BigInt(last.lastOffsetDelta) + 1n;
  }
  return undefined;
}
