/** The sampler's pure parts: health from a Metadata answer, the quorum's follower lag, group lag, probe errors. */
import { describe, expect, it } from 'vitest';
import { groupLagOf, healthOf, intervalSampleDue, probeErrorCounts, quorumOf } from '../../src/drill/sampler.js';
import { partitionKey } from '../../src/kafka/log-offsets.js';
import type { ProbeRecord } from '../../src/model/result.js';

const partition = (leaderId: number, replicaNodes: number[], isrNodes: number[]) => ({
  errorCode: 0,
  partitionIndex: 0,
  leaderId,
  leaderEpoch: 1,
  replicaNodes,
  isrNodes,
  offlineReplicas: [],
});
const topic = (name: string, partitions: ReturnType<typeof partition>[]) => ({ errorCode: 0, name, topicId: 'x', isInternal: false, partitions, topicAuthorizedOperations: 0 });
const broker = (nodeId: number) => ({ nodeId, host: 'h', port: 1, rack: null });

describe('healthOf', () => {
  it('counts under-replicated, offline and under-min-ISR partitions against each topic’s min.insync.replicas', () => {
    const health = healthOf(
      {
        brokers: [broker(1), broker(2)],
        controllerId: 2,
        topics: [topic('orders', [partition(1, [1, 2, 3], [1, 2, 3]), partition(2, [1, 2, 3], [2]), partition(-1, [3], [])]), topic('audit', [partition(1, [1, 2], [1])])],
      },
      new Map([
        ['orders', 2],
        ['audit', 1],
      ]),
    );
    expect(health).toEqual({ liveBrokers: 2, partitions: 4, underReplicated: 3, offline: 1, underMinIsr: 2, controllerId: 2 });
  });

  it('takes min.insync.replicas 1 for a topic whose configs are not known yet', () => {
    expect(healthOf({ brokers: [broker(1)], controllerId: 1, topics: [topic('new', [partition(1, [1], [1])])] }, new Map()).underMinIsr).toBe(0);
  });
});

describe('quorumOf', () => {
  const voter = (replicaId: number, logEndOffset: bigint) => ({ replicaId, replicaDirectoryId: 'd', logEndOffset, lastFetchTimestamp: 0n, lastCaughtUpTimestamp: 0n });
  it("measures each follower and observer against the leader's log end, never below 0", () => {
    const quorum = quorumOf({
      partitionIndex: 0,
      errorCode: 0,
      errorMessage: null,
      leaderId: 3000,
      leaderEpoch: 7,
      highWatermark: 120n,
      currentVoters: [voter(3000, 125n), voter(3001, 120n), voter(3002, 130n)],
      observers: [voter(1, 100n)],
    });
    expect(quorum).toEqual({
      leaderId: 3000,
      leaderEpoch: 7,
      highWatermark: 120,
      followers: [
        { nodeId: 3001, kind: 'voter', lagOffsets: 5 },
        { nodeId: 3002, kind: 'voter', lagOffsets: 0 },
        { nodeId: 1, kind: 'observer', lagOffsets: 25 },
      ],
    });
  });
});

describe('groupLagOf', () => {
  const logEnds = new Map([
    [partitionKey('orders', 0), 20n],
    [partitionKey('orders', 1), 12n],
    [partitionKey('extra', 0), 5n],
  ]);
  const committed = (topic: string, p: number, offset: bigint) => ({ topic, partition: p, offset, leaderEpoch: -1, metadata: null });

  it('is log end minus committed per partition, summed; a partition without a commit is shown and not counted', () => {
    const lag = groupLagOf(
      'g',
      [
        { topic: 'orders', partition: 0 },
        { topic: 'orders', partition: 1 },
      ],
      [committed('orders', 0, 15n), committed('extra', 0, 5n)],
      logEnds,
    );
    expect(lag).toEqual({
      group: 'g',
      total: 5,
      partitions: [
        { topic: 'extra', partition: 0, logEnd: 5, committed: 5, lag: 0 },
        { topic: 'orders', partition: 0, logEnd: 20, committed: 15, lag: 5 },
        { topic: 'orders', partition: 1, logEnd: 12, committed: null, lag: null },
      ],
    });
  });

  it('has no total before any commit (not a lag of 0), and a commit beyond the log end lags by 0', () => {
    expect(groupLagOf('g', [{ topic: 'orders', partition: 0 }], [], logEnds).total).toBeNull();
    expect(groupLagOf('g', [{ topic: 'orders', partition: 0 }], [committed('orders', 0, 25n)], logEnds).total).toBe(0);
  });

  it('without per-partition detail, the same total', () => {
    const expected = [
      { topic: 'orders', partition: 0 },
      { topic: 'orders', partition: 1 },
    ];
    expect(groupLagOf('g', expected, [committed('orders', 0, 15n)], logEnds, false)).toEqual({ group: 'g', total: 5 });
  });

  it('spaces interval samples out so that sampling takes at most a tenth of the run', () => {
    expect(intervalSampleDue(1_000, undefined)).toBe(true);
    expect(intervalSampleDue(10_000, { endedAt: 9_900, tookMs: 50 })).toBe(false);
    expect(intervalSampleDue(10_350, { endedAt: 9_900, tookMs: 50 })).toBe(true);
    expect([44_999, 45_000].map((now) => intervalSampleDue(now, { endedAt: 0, tookMs: 5_000 }))).toEqual([false, true]);
  });

  it('leaves out partitions whose log end is unknown (the topic does not exist yet)', () => {
    expect(groupLagOf('g', [{ topic: 'later', partition: 0 }], [], logEnds)).toEqual({ group: 'g', total: null, partitions: [] });
  });
});

describe('probeErrorCounts', () => {
  it('counts Kafka errors in probe evidence per probe and error name', () => {
    const probe = (id: string, errors: (string | undefined)[]): ProbeRecord => ({
      id,
      type: 'authorization',
      name: id,
      status: 'failed',
      durationMs: 1,
      evidence: errors.map((kafkaError) => ({ outcome: 'failed', expected: 'allow', observed: 'denied', ...(kafkaError ? { kafkaError } : {}) })),
    });
    expect(probeErrorCounts([probe('a', ['TOPIC_AUTHORIZATION_FAILED', undefined, 'TOPIC_AUTHORIZATION_FAILED', 'GROUP_AUTHORIZATION_FAILED']), probe('b', [])])).toEqual([
      { probe: 'a', kafkaError: 'TOPIC_AUTHORIZATION_FAILED', count: 2 },
      { probe: 'a', kafkaError: 'GROUP_AUTHORIZATION_FAILED', count: 1 },
    ]);
  });
});
