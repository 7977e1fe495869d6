/**
 * The offset map: per partition, source offset → target offset.
 *
 * A restored cluster rarely has the source's absolute offsets: synthetic data is bounded, so it
 * is rebased to start low. What must survive is each consumer's position relative to the data —
 * the record it resumes at, its lag, whether it sits before the log start (a reset), at the log
 * end (caught up) or beyond it. The map is planned from the snapshot alone, before anything is
 * produced, and every phase after it (data, offsets, verify, the offsets probe, connector
 * offsets) reads the same plan.
 *
 * A partition whose log end fits the budget keeps its offsets (records 0..end, the records below
 * the log start deleted again). Any other is rebased; per partition the plan then reproduces, as
 * contiguous target offsets from 0:
 * - a window of CONTEXT records before each committed position and the record at it, so a
 *   consumer that resumes is told apart, by content, from one that reset to the log start;
 * - the last CONTEXT records before the log end, so "caught up" maps to the target log end;
 * - everything in between up to `maxRecordsPerPartition` records, filled forward from the
 *   lowest committed position: lag is exact up to the budget; past it the source records before
 *   the log end are omitted (`omitted`), an expected difference, never drift;
 * - on a partition with a position before the source log start, one filler record at target 0
 *   that the data phase deletes (DeleteRecords), so that position stays before the target log
 *   start. Kafka refuses DeleteRecords on compacted topics: there the position maps to the log
 *   start, and says it is not exact.
 *
 * Memory and time grow with the number of committed positions, never with the offsets'
 * magnitude. Offsets are plain numbers: the snapshot schema admits safe integers (≤ 2^53 − 1),
 * and every sum here stays within that range.
 */
import type { OffsetMapSummary } from '../model/result.js';
import type { SnapshotContent, Topic } from '../snapshot/schema.js';

/** Records reproduced before each committed position, and before the log end. */
export const CONTEXT = 10;
/** Default `restore.synthetic.maxRecordsPerPartition`. */
export const DEFAULT_MAX_RECORDS_PER_PARTITION = 1_000;
/** The header every synthetic record carries: the source offset it stands for (decimal text). */
export const SOURCE_OFFSET_HEADER = 'kafka-drill-source-offset';

/** Source offsets [source, source + length) are target offsets [target, target + length). */
export interface Segment {
  source: number;
  target: number;
  length: number;
}

export interface PartitionMap {
  topic: string;
  partition: number;
  source: { logStart: number; logEnd: number };
  target: { logStart: number; logEnd: number };
  /** Sorted, disjoint, contiguous in the target after the filler. */
  segments: Segment[];
  /** Filler records at target 0.. that the data phase deletes (0 or 1). */
  filler: number;
  /** Source records between the first reproduced one and the log end that are not reproduced. */
  omitted: number;
  /** cleanup.policy compact without delete: Kafka refuses DeleteRecords. */
  compacted: boolean;
  /** Source offsets the plan was made for (committed offsets, sink connector offsets), sorted. */
  positions: number[];
}

export type PositionKind = 'in-log' | 'log-end' | 'before-log-start' | 'beyond-log-end';

export interface TargetPosition {
  offset: number;
  /** Where the source offset lies in the source log; the target offset lies the same way in the target log. */
  kind: PositionKind;
  /** False when the target cannot hold this exact position; `reason` says what it holds instead. */
  exact: boolean;
  reason?: string;
}

export interface OffsetMapOptions {
  maxRecordsPerPartition?: number;
}

const key = (topic: string, partition: number) => `${topic}\u0000${partition}`;

export function isCompacted(topic: Pick<Topic, 'configs'>): boolean {
  const policy = (topic.configs['cleanup.policy']?.value ?? '').split(',').map((part) => part.trim());
  return policy.includes('compact') && !policy.includes('delete');
}

/** Plans one partition. Pure; exported for the unit tests and for callers with their own positions. */
export function planPartition(
  input: { topic: string; partition: number; logStart: number; logEnd: number; compacted: boolean; positions: readonly number[] },
  maxRecords = DEFAULT_MAX_RECORDS_PER_PARTITION,
): PartitionMap {
  const { logStart: start, logEnd: end } = input;
  const positions = [...new Set(input.positions)].sort((a, b) => a - b);
  // One literal, no spread: V8 (11.3) gives an object spread-built by optimized code a hidden class of its own, ~300 bytes for each of 15,000 partitions.
  const partitionMap = (target: PartitionMap['target'], segments: Segment[], filler: number, omitted: number): PartitionMap => ({
    topic: input.topic,
    partition: input.partition,
    source: { logStart: start, logEnd: end },
    compacted: input.compacted,
    positions,
    target,
    segments,
    filler,
    omitted,
  });
  // A log whose offsets already fit the budget keeps them: records 0..end, the log start moved by
  // DeleteRecords — except on a compacted topic, where Kafka refuses it and the log starts at 0.
  if (end <= maxRecords) {
    return partitionMap({ logStart: input.compacted ? 0 : start, logEnd: end }, end > 0 ? [{ source: 0, target: 0, length: end }] : [], 0, 0);
  }
  // Source ranges that must be reproduced: [from, to).
  const needed: [number, number][] = [];
  for (const position of positions) {
    if (position < start || position > end) continue;
    needed.push(position < end ? [Math.max(start, position - CONTEXT), position + 1] : [Math.max(start, end - CONTEXT), end]);
  }
  needed.push([Math.max(start, end - CONTEXT), end]);
  needed.sort((a, b) => a[0] - b[0]);
  const ranges: [number, number][] = [];
  for (const range of needed) {
    const last = ranges.at(-1);
    if (last && range[0] <= last[1] + CONTEXT) last[1] = Math.max(last[1], range[1]);
    else ranges.push([...range]);
  }
  // Fill forward from the lowest range with what the budget leaves: lag stays exact up to it.
  let spare = Math.max(0, maxRecords - ranges.reduce((sum, [from, to]) => sum + (to - from), 0));
  for (let i = 0; i + 1 < ranges.length && spare > 0;) {
    const gap = ranges[i + 1]![0] - ranges[i]![1];
    if (gap <= spare) {
      spare -= gap;
      ranges[i]![1] = ranges[i + 1]![1];
      ranges.splice(i + 1, 1);
    } else {
      ranges[i]![1] += spare;
      spare = 0;
    }
  }
  const filler = !input.compacted && positions.some((position) => position < start) ? 1 : 0;
  const segments: Segment[] = [];
  let target = filler;
  for (const [from, to] of ranges) {
    if (to > from) segments.push({ source: from, target, length: to - from });
    target += to - from;
  }
  const first = segments[0]?.source ?? end;
  const reproduced = target - filler;
  return partitionMap({ logStart: filler, logEnd: target }, segments, filler, end - first - reproduced);
}

const COMPACTED_LOG_START =
  'Kafka refuses DeleteRecords on a compacted topic, so the target log cannot start where the source log does: a consumer resumes at a record instead of resetting';

/** Where `sourceOffset` of the partition lies in the target. */
export function translateIn(map: PartitionMap, sourceOffset: number): TargetPosition {
  const { source, target } = map;
  if (sourceOffset > source.logEnd) return { offset: target.logEnd + (sourceOffset - source.logEnd), kind: 'beyond-log-end', exact: true };
  if (sourceOffset === source.logEnd) return { offset: target.logEnd, kind: 'log-end', exact: true };
  for (const segment of map.segments) {
    if (sourceOffset >= segment.source && sourceOffset < segment.source + segment.length) {
      const offset = segment.target + (sourceOffset - segment.source);
      if (sourceOffset >= source.logStart) return { offset, kind: 'in-log', exact: true };
      // Only a log that kept its offsets holds records below the source log start: deleted ones, unless compacted.
      if (offset < target.logStart) return { offset, kind: 'before-log-start', exact: true };
      return { offset, kind: 'before-log-start', exact: false, reason: COMPACTED_LOG_START };
    }
  }
  if (sourceOffset < source.logStart) {
    if (map.filler > 0) return { offset: map.filler - 1, kind: 'before-log-start', exact: true };
    return {
      offset: target.logStart,
      kind: 'before-log-start',
      exact: false,
      reason: map.compacted ? COMPACTED_LOG_START : 'the plan had no position before the log start on this partition: set at the log start',
    };
  }
  const next = map.segments.find((segment) => segment.source > sourceOffset);
  return {
    offset: next?.target ?? target.logEnd,
    kind: 'in-log',
    exact: false,
    reason: `source offset ${sourceOffset} is not reproduced (outside the synthetic window): set at the next reproduced record${next ? `, source offset ${next.source}` : ''}`,
  };
}

/** The source offset a target offset stands for: a record, the log end, or beyond it; undefined for a deleted filler. */
export function sourceOffsetAt(map: PartitionMap, targetOffset: number): number | undefined {
  if (targetOffset >= map.target.logEnd) return map.source.logEnd + (targetOffset - map.target.logEnd);
  for (const segment of map.segments) {
    if (targetOffset >= segment.target && targetOffset < segment.target + segment.length) return segment.source + (targetOffset - segment.target);
  }
  return undefined;
}

/** Source offset of every target record from `fromTarget` on (null: a filler); streamed, never materialised. */
export function* targetRecords(map: PartitionMap, fromTarget = 0): Generator<{ target: number; source: number | null }> {
  for (let target = fromTarget; target < map.filler; target++) yield { target, source: null };
  for (const segment of map.segments) {
    for (let i = Math.max(0, fromTarget - segment.target); i < segment.length; i++) yield { target: segment.target + i, source: segment.source + i };
  }
}

export class OffsetMap {
  private readonly byPartition = new Map<string, PartitionMap>();

  constructor(
    partitions: Iterable<PartitionMap>,
    readonly maxRecordsPerPartition: number,
  ) {
    for (const partition of partitions) this.byPartition.set(key(partition.topic, partition.partition), partition);
  }

  get(topic: string, partition: number): PartitionMap | undefined {
    return this.byPartition.get(key(topic, partition));
  }

  partitions(): IterableIterator<PartitionMap> {
    return this.byPartition.values();
  }

  /** Where a source offset lies in the target; undefined for a partition the snapshot does not have. */
  translate(topic: string, partition: number, sourceOffset: number): TargetPosition | undefined {
    const map = this.get(topic, partition);
    return map && translateIn(map, sourceOffset);
  }

  /** The source offset a target offset stands for; undefined for an unknown partition or a deleted filler. */
  sourceOffset(topic: string, partition: number, targetOffset: number): number | undefined {
    const map = this.get(topic, partition);
    return map && sourceOffsetAt(map, targetOffset);
  }
}

/** Source positions per partition: every group's committed offsets and every sink connector's (KIP-875 kafka_offset). */
function positionsOf(snapshot: SnapshotContent): Map<string, number[]> {
  const positions = new Map<string, number[]>();
  const add = (topic: string, partition: number, offset: number) => {
    const list = positions.get(key(topic, partition)) ?? [];
    list.push(offset);
    positions.set(key(topic, partition), list);
  };
  for (const group of snapshot.consumerGroups) for (const committed of group.offsets) add(committed.topic, committed.partition, committed.offset);
  for (const connector of snapshot.connect?.connectors ?? []) {
    for (const entry of connector.offsets) {
      const sink = sinkPosition(entry);
      if (sink) add(sink.topic, sink.partition, sink.offset);
    }
  }
  return positions;
}

/** The plan for every partition of the snapshot's topics. */
export function planOffsetMap(snapshot: SnapshotContent, options: OffsetMapOptions = {}): OffsetMap {
  const maxRecords = options.maxRecordsPerPartition ?? DEFAULT_MAX_RECORDS_PER_PARTITION;
  const positions = positionsOf(snapshot);
  const partitions: PartitionMap[] = [];
  for (const topic of snapshot.topics) {
    const compacted = isCompacted(topic);
    for (const p of topic.partitionOffsets) {
      partitions.push(
        planPartition(
          {
            topic: topic.name,
            partition: p.partition,
            logStart: p.logStartOffset,
            logEnd: p.logEndOffset,
            compacted,
            positions: positions.get(key(topic.name, p.partition)) ?? [],
          },
          maxRecords,
        ),
      );
    }
  }
  return new OffsetMap(partitions, maxRecords);
}

/** The map's shape for result.json: counts, and an entry per partition with committed offsets. */
export function summarizeOffsetMap(map: OffsetMap): OffsetMapSummary {
  const summary: OffsetMapSummary = { maxRecordsPerPartition: map.maxRecordsPerPartition, partitions: 0, rebased: 0, truncated: 0, records: 0, entries: [] };
  for (const partition of map.partitions()) {
    summary.partitions++;
    summary.records += partition.target.logEnd;
    if (partition.source.logStart !== partition.target.logStart || partition.source.logEnd !== partition.target.logEnd) summary.rebased++;
    if (partition.omitted > 0) summary.truncated++;
    if (partition.positions.length === 0) continue;
    summary.entries.push({
      topic: partition.topic,
      partition: partition.partition,
      source: partition.source,
      target: partition.target,
      committed: partition.positions.map((source) => {
        const position = translateIn(partition, source);
        return { source, target: position.offset, exact: position.exact };
      }),
      omitted: partition.omitted,
    });
  }
  return summary;
}

/**
 * The snapshot as the restored cluster should look through the map: each partition's log
 * start and end and each committed offset in target offsets. Record fingerprints are dropped:
 * synthetic records are not the source's.
 */
export function translateSnapshot<T extends SnapshotContent>(snapshot: T, map: OffsetMap): T {
  return {
    ...snapshot,
    topics: snapshot.topics.map((topic) => ({
      ...topic,
      partitionOffsets: topic.partitionOffsets.map((p) => {
        const target = map.get(topic.name, p.partition)?.target;
        return target ? { partition: p.partition, logStartOffset: target.logStart, logEndOffset: target.logEnd } : p;
      }),
    })),
    consumerGroups: snapshot.consumerGroups.map((group) => ({
      ...group,
      offsets: group.offsets.map(({ fingerprint: _fingerprint, ...committed }) => ({
        ...committed,
        offset: map.translate(committed.topic, committed.partition, committed.offset)?.offset ?? committed.offset,
      })),
    })),
    ...(snapshot.connect
      ? {
          connect: {
            connectors: snapshot.connect.connectors.map((connector) => ({
              ...connector,
              offsets: connector.offsets.map((entry) => {
                const sink = sinkPosition(entry);
                const target = sink && map.translate(sink.topic, sink.partition, sink.offset);
                return target ? { ...entry, offset: { ...entry.offset, kafka_offset: target.offset } } : entry;
              }),
            })),
          },
        }
      : {}),
  };
}

/** A sink connector's KIP-875 offset entry as a topic partition position; undefined for a source connector's. */
export function sinkPosition(entry: {
  partition: Record<string, unknown>;
  offset: Record<string, unknown> | null;
}): { topic: string; partition: number; offset: number } | undefined {
  const { kafka_topic: topic, kafka_partition: partition } = entry.partition;
  const offset = entry.offset?.kafka_offset;
  if (typeof topic !== 'string' || !Number.isSafeInteger(partition) || !Number.isSafeInteger(offset)) return undefined;
  return { topic, partition: partition as number, offset: offset as number };
}
