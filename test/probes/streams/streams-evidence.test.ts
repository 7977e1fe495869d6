import { describe, expect, it } from 'vitest';
import type { StreamsRun } from '../../../src/kafka/java-streams.js';
import { probeSchema } from '../../../src/drill-spec/schema.js';
import { probesFromSpec } from '../../../src/probes/from-spec.js';
import { streamsEvidence } from '../../../src/probes/streams-evidence.js';

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
    const evidence = streamsEvidence(healthy, 'wc', { '0': 3, '1': 2 });
    expect(evidence.map((item) => item.outcome)).toEqual(['passed', 'passed', 'passed', 'passed', 'passed', 'passed', 'passed']);
  });

  it('name a skip and a re-read against the committed offset', () => {
    const evidence = streamsEvidence({ ...healthy, firstOffsets: { '0': 12, '1': 1 } }, 'wc', undefined);
    expect(evidence.filter((item) => item.outcome === 'failed').map((item) => item.observed)).toEqual([
      'first offset processed 12 (skips 2)',
      'first offset processed 1 (re-reads 3)',
    ]);
  });

  it('without a committed offset expect the log start (auto.offset.reset earliest)', () => {
    const evidence = streamsEvidence({ ...healthy, committed: { '0': 10 }, firstOffsets: { '0': 10, '1': 0 } }, 'wc', undefined);
    expect(evidence[2]).toMatchObject({ outcome: 'passed', expected: 'no committed offset: starts at the log start 0' });
  });

  it('fail a store that restored less than the changelog holds, and a changelog emptied by the restore', () => {
    const partial = streamsEvidence({ ...healthy, restored: { '0': 3 } }, 'wc', { '0': 3, '1': 2 });
    expect(partial.find((item) => item.outcome === 'failed')).toMatchObject({ resource: 'application wc changelog partition 1', observed: '0 restored' });
    const emptied = streamsEvidence({ ...healthy, changelogRecords: { '0': 0, '1': 0 }, restored: {}, changelogKeys: 0, storeEntries: 1 }, 'wc', { '0': 3 });
    expect(emptied.find((item) => item.outcome === 'failed')).toMatchObject({ observed: 'the restored changelog is empty: state rebuilt empty' });
  });

  it('fail an application the broker refused, with the error name', () => {
    const refused = streamsEvidence(
      { ok: false, clientVersion: '4.3.1', running: true, kafkaError: 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED', message: 'x', jvmMs: 1, compileMs: 0 },
      'wc',
      undefined,
    );
    expect(refused.map((item) => item.outcome)).toEqual(['failed', 'skipped']);
    expect(refused[0]).toMatchObject({ kafkaError: 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED' });
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
