import { describe, expect, it } from 'vitest';
import type { StreamsRun } from '../../../src/kafka/java-streams.js';
import { probeSchema } from '../../../src/drill-spec/schema.js';
import { probesFromSpec } from '../../../src/probes/from-spec.js';
import { snapshotChangelogOf, streamsEvidence } from '../../../src/probes/streams-evidence.js';

const CHANGELOG = 'wc-counts-changelog';

const healthy: StreamsRun = {
  ok: true,
  clientVersion: '4.3.1',
  running: true,
  processedAllPartitions: true,
  committed: { '0': 10, '1': 4 },
  inputLogStart: { '0': 0, '1': 0 },
  firstOffsets: { '0': 10, '1': 4 },
  changelogExisted: true,
  changelogRecords: { '0': 3, '1': 2 },
  changelogKeys: 5,
  restored: { '0': 3, '1': 2 },
  storeEntries: 6,
  jvmMs: 1,
  compileMs: 0,
};

describe('streams probe checks', () => {
  it('pass when the application runs, resumes at the committed offsets and restores the whole changelog', () => {
    const evidence = streamsEvidence(healthy, 'wc', { name: CHANGELOG, records: { '0': 3, '1': 2 } });
    expect(evidence.map((item) => item.outcome)).toEqual(['passed', 'passed', 'passed', 'passed', 'passed', 'passed', 'passed']);
  });

  it('name a skip and a re-read against the committed offset', () => {
    const evidence = streamsEvidence({ ...healthy, firstOffsets: { '0': 12, '1': 1 } }, 'wc', { name: CHANGELOG });
    expect(evidence.filter((item) => item.outcome === 'failed').map((item) => item.observed)).toEqual([
      'first offset processed 12 (skips 2)',
      'first offset processed 1 (re-reads 3)',
    ]);
  });

  it('without a committed offset expect the log start (auto.offset.reset earliest)', () => {
    const evidence = streamsEvidence({ ...healthy, committed: { '0': 10 }, firstOffsets: { '0': 10, '1': 0 } }, 'wc', { name: CHANGELOG });
    expect(evidence[2]).toMatchObject({ outcome: 'passed', expected: 'no committed offset: starts at the log start 0' });
  });

  it('fail a store that restored less than the changelog holds, and a changelog emptied by the restore', () => {
    const partial = streamsEvidence({ ...healthy, restored: { '0': 3 } }, 'wc', { name: CHANGELOG, records: { '0': 3, '1': 2 } });
    expect(partial.find((item) => item.outcome === 'failed')).toMatchObject({ resource: 'application wc changelog partition 1', observed: '0 restored' });
    const emptied = streamsEvidence({ ...healthy, changelogRecords: { '0': 0, '1': 0 }, restored: {}, changelogKeys: 0, storeEntries: 1 }, 'wc', {
      name: CHANGELOG,
      records: { '0': 3 },
    });
    expect(emptied.find((item) => item.outcome === 'failed')).toMatchObject({ observed: 'wc-counts-changelog is empty on the restored cluster: state rebuilt empty' });
  });

  it('fail an application the broker refused, with the error name', () => {
    const refused = streamsEvidence(
      { ok: false, clientVersion: '4.3.1', running: true, kafkaError: 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED', message: 'x', jvmMs: 1, compileMs: 0 },
      'wc',
      { name: CHANGELOG },
    );
    expect(refused.map((item) => item.outcome)).toEqual(['failed', 'skipped']);
    expect(refused[0]).toMatchObject({ kafkaError: 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED' });
  });

  it('fail a changelog the snapshot left out, naming it and why, and one lost by the restore', () => {
    const rebuiltEmpty = { ...healthy, changelogExisted: false, changelogRecords: undefined, changelogKeys: undefined, restored: {}, storeEntries: 2 };
    const leftOut = streamsEvidence(rebuiltEmpty, 'wc', { name: CHANGELOG, leftOut: "the capture's --exclude -changelog$ left it out" });
    expect(leftOut.filter((item) => item.outcome === 'failed')).toEqual([
      {
        outcome: 'failed',
        resource: 'application wc',
        expected: 'state rebuilt from wc-counts-changelog',
        observed: "wc-counts-changelog is not in the snapshot (the capture's --exclude -changelog$ left it out): state rebuilt empty (0 records restored)",
      },
    ]);
    const lost = streamsEvidence(rebuiltEmpty, 'wc', { name: CHANGELOG, records: { '0': 4 } });
    expect(lost.find((item) => item.outcome === 'failed')).toMatchObject({
      expected: 'state rebuilt from wc-counts-changelog (4 records in the snapshot)',
      observed: 'wc-counts-changelog is not on the restored cluster: state rebuilt empty (0 records restored)',
    });
    // An application that never processed a record had no state to lose.
    expect(streamsEvidence(rebuiltEmpty, 'wc', { name: CHANGELOG }).map((item) => item.outcome)).not.toContain('failed');
  });
});

describe('the changelog as the snapshot has it', () => {
  const offsets = (partition: number, logStartOffset: number, logEndOffset: number) => ({ partition, logStartOffset, logEndOffset });
  const snapshot = {
    source: { clusterId: 'c', kafkaVersion: '3.9', capturedAt: '2026-12-06T00:00:00.000Z', toolVersion: '0.1.0', filters: { include: [] as string[], exclude: [] as string[] } },
    topics: [
      { name: 'words', partitions: 2, replicationFactor: 1, configs: {}, partitionOffsets: [offsets(0, 5, 10), offsets(1, 0, 10)] },
      { name: CHANGELOG, partitions: 2, replicationFactor: 1, configs: {}, partitionOffsets: [offsets(0, 2, 6), offsets(1, 0, 8)] },
    ],
    consumerGroups: [
      {
        groupId: 'wc',
        offsets: [
          { topic: 'words', partition: 0, offset: 7, metadata: '' },
          { topic: 'words', partition: 1, offset: 3, metadata: '' },
        ],
      },
    ],
  };

  it('counts its records per partition between log start and end', () => {
    expect(snapshotChangelogOf(snapshot, 'wc', CHANGELOG)).toEqual({ name: CHANGELOG, records: { '0': 4, '1': 8 } });
  });

  it('names the capture filter that left it out', () => {
    const without = { ...snapshot, topics: snapshot.topics.slice(0, 1) };
    const excluded = { ...without, source: { ...snapshot.source, filters: { include: [], exclude: ['-(changelog|repartition)$'] } } };
    expect(snapshotChangelogOf(excluded, 'wc', CHANGELOG).leftOut).toBe("the capture's --exclude -(changelog|repartition)$ left it out");
    const included = { ...without, source: { ...snapshot.source, filters: { include: ['^words$'], exclude: [] } } };
    expect(snapshotChangelogOf(included, 'wc', CHANGELOG).leftOut).toBe("the capture's --include ^words$ did not take it");
    // No filter: the group had processed 2 + 3 records past the log starts, so its store had state.
    expect(snapshotChangelogOf(without, 'wc', CHANGELOG).leftOut).toBe('not captured, though the group had committed 5 input records past the log start');
    const neverRan = { ...without, consumerGroups: [{ groupId: 'wc', offsets: [{ topic: 'words', partition: 0, offset: 5, metadata: '' }] }] };
    expect(snapshotChangelogOf(neverRan, 'wc', CHANGELOG)).toEqual({ name: CHANGELOG });
  });
});

describe('the streams probe in a spec', () => {
  it('defaults to at-least-once and 90 seconds, and is one probe with its own budget', () => {
    const spec = probeSchema.parse({ type: 'streams', application: 'wc', principal: 'User:wc' });
    expect(spec).toMatchObject({ processingGuarantee: 'at_least_once', runSeconds: 90 });
    const probes = probesFromSpec(spec, 0, ['kafkajs', 'java']);
    expect(probes.map((probe) => [probe.id, probe.type, probe.name, probe.timeoutMs])).toEqual([['streams-1', 'streams', 'Kafka Streams application wc', 150_000]]);
  });

  it('refuses a processing guarantee Streams 3.0+ no longer has', () => {
    expect(probeSchema.safeParse({ type: 'streams', application: 'wc', principal: 'User:wc', processingGuarantee: 'exactly_once' }).success).toBe(false);
  });
});
