import { describe, expect, it } from 'vitest';
import { CONTEXT, planOffsetMap, planPartition, sourceOffsetAt, targetRecords, translateIn } from '../../src/restore/offset-map.js';
import type { SnapshotContent } from '../../src/snapshot/schema.js';

const plan = (logStart: number, logEnd: number, positions: number[], options: { compacted?: boolean; max?: number } = {}) =>
  planPartition({ topic: 't', partition: 0, logStart, logEnd, compacted: options.compacted ?? false, positions }, options.max);

/** What a consumer committed at `offset` reads first in the target, as the source offset it stands for. */
const resumesAt = (map: ReturnType<typeof plan>, offset: number) => sourceOffsetAt(map, translateIn(map, offset).offset);

describe('offset map', () => {
  it('a log whose end fits the budget keeps its offsets; below the log start they are deleted', () => {
    const map = plan(2, 20, [15, 1]);
    expect(map.segments).toEqual([{ source: 0, target: 0, length: 20 }]);
    expect(map.target).toEqual({ logStart: 2, logEnd: 20 });
    expect(map.omitted).toBe(0);
    expect(translateIn(map, 15)).toEqual({ offset: 15, kind: 'in-log', exact: true });
    expect(translateIn(map, 1)).toEqual({ offset: 1, kind: 'before-log-start', exact: true });
  });

  it('a log past the budget is rebased to start at the window before the lowest commit', () => {
    const map = plan(0, 1_020, [1_015, 1_007]);
    expect(map.segments).toEqual([{ source: 1_007 - CONTEXT, target: 0, length: 1_020 - 1_007 + CONTEXT }]);
    expect(translateIn(map, 1_007)).toEqual({ offset: CONTEXT, kind: 'in-log', exact: true });
  });

  it('committed below the log start stays before the target log start: one filler record is deleted', () => {
    const map = plan(1_000, 1_020, [400, 1_010]);
    expect(map.filler).toBe(1);
    expect(map.target.logStart).toBe(1);
    expect(translateIn(map, 400)).toEqual({ offset: 0, kind: 'before-log-start', exact: true });
    expect(translateIn(map, 400).offset).toBeLessThan(map.target.logStart);
    // The window before the lowest in-log commit starts at the log start here.
    expect(map.segments[0]).toEqual({ source: 1_000, target: 1, length: 20 });
    expect(resumesAt(map, 1_010)).toBe(1_010);
    expect([...targetRecords(map)].slice(0, 2)).toEqual([
      { target: 0, source: null },
      { target: 1, source: 1_000 },
    ]);
  });

  it('committed at the log end is caught up: it maps to the target log end', () => {
    const map = plan(0, 5_000, [5_000]);
    const position = translateIn(map, 5_000);
    expect(position).toEqual({ offset: map.target.logEnd, kind: 'log-end', exact: true });
    // Only the last CONTEXT records are reproduced: nothing to lag behind.
    expect(map.segments).toEqual([{ source: 5_000 - CONTEXT, target: 0, length: CONTEXT }]);
    expect(sourceOffsetAt(map, position.offset)).toBe(5_000);
  });

  it('committed beyond the log end stays beyond it, by the same distance', () => {
    const map = plan(0, 30, [45]);
    expect(translateIn(map, 45)).toEqual({ offset: map.target.logEnd + 15, kind: 'beyond-log-end', exact: true });
    expect(sourceOffsetAt(map, map.target.logEnd + 15)).toBe(45);
  });

  it('empty partitions: nothing to produce; positions keep their meaning', () => {
    const empty = plan(0, 0, []);
    expect(empty.segments).toEqual([]);
    expect(empty.target).toEqual({ logStart: 0, logEnd: 0 });
    expect([...targetRecords(empty)]).toEqual([]);
    // Emptied by retention at 7 million: caught up there, before the start at 6.5 million.
    const retained = plan(7_000_000, 7_000_000, [7_000_000, 6_500_000]);
    expect(translateIn(retained, 7_000_000)).toEqual({ offset: 1, kind: 'log-end', exact: true });
    expect(translateIn(retained, 6_500_000)).toEqual({ offset: 0, kind: 'before-log-start', exact: true });
    expect(retained.target).toEqual({ logStart: 1, logEnd: 1 });
  });

  it('compacted topics: no filler (DeleteRecords is refused), the map still holds in the log, and says where it cannot', () => {
    const map = plan(5_000, 6_000, [4_500, 5_500, 6_000], { compacted: true });
    expect(map.filler).toBe(0);
    expect(map.target.logStart).toBe(0);
    const before = translateIn(map, 4_500);
    expect(before).toMatchObject({ offset: 0, kind: 'before-log-start', exact: false });
    expect(before.reason).toContain('compacted');
    expect(resumesAt(map, 5_500)).toBe(5_500);
    expect(translateIn(map, 6_000)).toMatchObject({ kind: 'log-end', offset: map.target.logEnd });
    // Offsets kept (within the budget): the records below the log start cannot be deleted.
    const kept = plan(500, 600, [450, 550], { compacted: true });
    expect(kept.target).toEqual({ logStart: 0, logEnd: 600 });
    expect(translateIn(kept, 450)).toMatchObject({ offset: 450, kind: 'before-log-start', exact: false });
    expect(translateIn(kept, 550)).toEqual({ offset: 550, kind: 'in-log', exact: true });
  });

  it('offsets near 5 billion with the log start far above 0: rebased to start low, exact at the commit', () => {
    const start = 4_999_000_000;
    const end = 5_000_000_000;
    const map = plan(start, end, [4_999_999_500]);
    expect(map.segments[0]!.target).toBe(0);
    expect(map.target.logEnd).toBeLessThanOrEqual(1_000 + CONTEXT);
    const position = translateIn(map, 4_999_999_500);
    expect(position.exact).toBe(true);
    expect(position.offset).toBe(CONTEXT);
    expect(sourceOffsetAt(map, position.offset)).toBe(4_999_999_500);
    // Lag within the budget: the whole tail is reproduced, so the lag is the source's.
    expect(map.target.logEnd - position.offset).toBe(end - 4_999_999_500);
    expect(map.omitted).toBe(0);
  });

  it('a group 50 million records behind: exact resume point, lag truncated at the budget, log end still the log end', () => {
    const end = 50_000_100;
    const map = plan(0, end, [100, end], { max: 1_000 });
    expect(translateIn(map, 100)).toEqual({ offset: CONTEXT, kind: 'in-log', exact: true });
    expect(resumesAt(map, 100)).toBe(100);
    expect(translateIn(map, end)).toMatchObject({ kind: 'log-end', offset: map.target.logEnd });
    expect(map.target.logEnd).toBe(1_000);
    expect(map.omitted).toBe(end - 90 - 1_000);
    // Records past the budget are not reproduced: they translate to the next reproduced record, not exact.
    const skipped = translateIn(map, 25_000_000);
    expect(skipped).toMatchObject({ kind: 'in-log', exact: false, offset: map.segments[1]!.target });
    expect(sourceOffsetAt(map, skipped.offset)).toBe(end - CONTEXT);
  });

  it('several groups far apart on one partition each resume exactly; the plan grows with positions, not offsets', () => {
    const positions = [1_000, 2_000_000_000, 4_000_000_000, 9_007_199_254_740_000];
    const map = plan(0, Number.MAX_SAFE_INTEGER, positions, { max: 100 });
    for (const position of positions) expect(resumesAt(map, position)).toBe(position);
    expect(map.segments.length).toBeLessThanOrEqual(positions.length + 1);
    let records = 0;
    for (const record of targetRecords(map)) records += record.source === null ? 0 : 1;
    expect(records).toBe(map.target.logEnd);
    expect(records).toBeLessThanOrEqual(positions.length * (CONTEXT + 1) + CONTEXT + 100);
  });

  it('positions inside the window are translated one to one and back', () => {
    const map = plan(10, 200, [50, 120]);
    for (let offset = 40; offset <= 200; offset++) expect(sourceOffsetAt(map, translateIn(map, offset).offset)).toBe(offset);
  });

  it('streams target records from any target offset (a re-run produces only what is missing)', () => {
    const map = plan(0, 50_000_000, [10, 30_000_000], { max: 50 });
    const all = [...targetRecords(map)];
    expect(all.map((r) => r.target)).toEqual(all.map((_, i) => i));
    expect([...targetRecords(map, 40)]).toEqual(all.slice(40));
  });

  it('planOffsetMap: committed offsets of every group and sink connector offsets, compacted from cleanup.policy', () => {
    const snapshot = {
      topics: [
        {
          name: 'a',
          partitions: 1,
          replicationFactor: 1,
          configs: { 'cleanup.policy': { value: 'compact', source: 'DYNAMIC_TOPIC_CONFIG' } },
          partitionOffsets: [{ partition: 0, logStartOffset: 0, logEndOffset: 5_000 }],
        },
        {
          name: 'b',
          partitions: 1,
          replicationFactor: 1,
          configs: { 'cleanup.policy': { value: 'compact,delete', source: 'DYNAMIC_TOPIC_CONFIG' } },
          partitionOffsets: [{ partition: 0, logStartOffset: 0, logEndOffset: 5_000 }],
        },
      ],
      consumerGroups: [{ groupId: 'g', offsets: [{ topic: 'a', partition: 0, offset: 100, metadata: null }] }],
      connect: {
        connectors: [{ name: 'sink', config: {}, tasks: 1, state: 'RUNNING', offsets: [{ partition: { kafka_topic: 'b', kafka_partition: 0 }, offset: { kafka_offset: 4_000 } }] }],
      },
    } as unknown as SnapshotContent;
    const map = planOffsetMap(snapshot, { maxRecordsPerPartition: 20 });
    expect(map.get('a', 0)).toMatchObject({ compacted: true, positions: [100] });
    expect(map.get('b', 0)).toMatchObject({ compacted: false, positions: [4_000] });
    expect(map.translate('b', 0, 4_000)).toEqual({ offset: CONTEXT, kind: 'in-log', exact: true });
    expect(map.translate('c', 0, 1)).toBeUndefined();
  });
});
