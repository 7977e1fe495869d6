import { describe, expect, it } from 'vitest';
import { AuthorizationProbe } from '../../../src/probes/authorization/authorization.js';
import { CustomProbe } from '../../../src/probes/custom.js';
import { OffsetsProbe } from '../../../src/probes/offsets/offsets.js';
import type { ProbeRecord } from '../../../src/model/result.js';
import { ProduceConsumeProbe } from '../../../src/probes/produce-consume.js';
import { withAdmin } from '../../../src/kafka/admin.js';
import { planOffsetMap, SOURCE_OFFSET_HEADER } from '../../../src/restore/offset-map.js';
import { integrationVersions, startForTest } from '../../support/kafka.js';
import { committed, contextFor, recordTimestampBase, seedCluster, setGroupOffsets, snapshotOf } from '../cluster.js';
import { runProbes } from '../../../src/probes/run-probes.js';

const failures = (outcome: ProbeRecord) => outcome.evidence.filter((item) => item.outcome === 'failed');
const offsetsProbe = (tolerance: 'exact' | { replay: number } | { skip: number }, groups: 'all' | string[] = 'all') =>
  new OffsetsProbe('offsets', 'offsets', { groups, tolerance, byContent: false });

// Offsets, produce-consume and custom probes share one SCRAM cluster; each test restores the group offsets it moves.
describe.each(integrationVersions())('offsets, produce-consume and custom probes on Kafka %s', async (kafkaVersion) => {
  const environment = await startForTest({ security: 'scram', kafkaVersion });
  await seedCluster(environment);

  it('offsets: exact match passes, including a partition that is caught up; committed offsets are not changed', async () => {
    const [outcome] = await runProbes([offsetsProbe('exact')], contextFor(environment, snapshotOf()));
    console.log(`offsets probe (2 groups, 3 partitions): ${outcome!.durationMs}ms`);
    for (const item of outcome!.evidence) console.log(JSON.stringify(item));
    expect(failures(outcome!)).toEqual([]);
    expect(outcome!.status).toBe('passed');
    expect(outcome!.evidence.find((item) => item.resource === 'group orders-app orders.eu:1')?.detail).toContain('caught up, nothing to fetch');
    const after = await withAdmin(environment.admin, (admin) => admin.listConsumerGroupOffsets({ groups: ['billing'] }));
    expect(JSON.stringify(after, (_, value) => (typeof value === 'bigint' ? Number(value) : value))).toContain('"committedOffset":3');
  });

  it('offsets: a group moved by +5 fails exact and passes { skip: 5 }, not { skip: 4 } or { replay: 5 }', async () => {
    await setGroupOffsets(environment, 'billing', [{ topic: 'payments', partition: 0, offset: 8 }]);
    try {
      const context = contextFor(environment, snapshotOf());
      const [exact, skip5, skip4, replay5] = await runProbes(
        [offsetsProbe('exact', ['billing']), offsetsProbe({ skip: 5 }, ['billing']), offsetsProbe({ skip: 4 }, ['billing']), offsetsProbe({ replay: 5 }, ['billing'])],
        context,
        1,
      );
      expect(exact!.status).toBe('failed');
      expect(failures(exact!)[0]?.detail).toContain('first fetched offset 8 vs committed 3');
      expect(skip5!.status).toBe('passed');
      expect(skip4!.status).toBe('failed');
      expect(replay5!.status).toBe('failed');
    } finally {
      await setGroupOffsets(environment, 'billing', committed.billing);
    }
  });

  it('offsets: a committed offset beyond the log end is reported as the reset it causes', async () => {
    await setGroupOffsets(environment, 'billing', [{ topic: 'payments', partition: 0, offset: 1200 }]);
    try {
      const [outcome] = await runProbes([offsetsProbe({ replay: 5000 }, ['billing'])], contextFor(environment, snapshotOf()));
      expect(outcome!.status).toBe('failed');
      expect(failures(outcome!)[0]?.detail).toBe('committed offset 1200 is beyond log end 10: the consumer reset to earliest (0)');
    } finally {
      await setGroupOffsets(environment, 'billing', committed.billing);
    }
  });

  it('offsets by content: the fingerprint of the record at the committed offset must match', async () => {
    const { recordFingerprint } = await import('../../../src/snapshot/fingerprint.js');
    const record = { key: Buffer.from('k3'), value: Buffer.from('payments record 3'), timestamp: BigInt(recordTimestampBase + 3) };
    const right = recordFingerprint(record);
    const wrong = recordFingerprint({ ...record, value: Buffer.from('something else') });
    const withFingerprint = (fingerprint: typeof right) =>
      snapshotOf({ consumerGroups: [{ groupId: 'billing', offsets: [{ topic: 'payments', partition: 0, offset: 3, metadata: null, fingerprint }] }] });
    const probe = new OffsetsProbe('content', 'content', { groups: ['billing'], tolerance: 'exact', byContent: true });
    const [good] = await runProbes([probe], contextFor(environment, withFingerprint(right)));
    const [bad] = await runProbes([probe], contextFor(environment, withFingerprint(wrong)));
    expect(good!.status).toBe('passed');
    expect(good!.evidence[0]?.detail).toContain('same content');
    expect(bad!.status).toBe('failed');
    expect(failures(bad!)[0]?.detail).toContain('differs from the snapshot');
  });

  it('offsets with data none: every check is skipped with its reason, none passes', async () => {
    const [outcome] = await runProbes([offsetsProbe('exact')], contextFor(environment, snapshotOf(), { restoredData: { mode: 'none' } }));
    expect(outcome!.evidence.length).toBeGreaterThan(0);
    expect(outcome!.evidence.map((item) => item.outcome)).toEqual(outcome!.evidence.map(() => 'skipped'));
    expect(outcome!.evidence[0]!.detail).toContain('data: none');
  });

  it('offsets through an offset map: records without the source-offset header prove nothing and fail', async () => {
    const snapshot = snapshotOf();
    const offsetMap = planOffsetMap(snapshot);
    const [outcome] = await runProbes([offsetsProbe('exact', ['billing'])], contextFor(environment, snapshot, { restoredData: { mode: 'synthetic', offsetMap } }));
    expect(outcome!.status).toBe('failed');
    expect(failures(outcome!)[0]?.detail).toContain(`has no ${SOURCE_OFFSET_HEADER} header`);
  });

  it('produce-consume passes on every topic', async () => {
    const [outcome] = await runProbes(
      [new ProduceConsumeProbe('pc', 'produce-consume', { topics: ['orders.eu', 'payments'], records: 100 })],
      contextFor(environment, snapshotOf()),
    );
    console.log(`produce-consume probe (2 topics × 100 records): ${outcome!.durationMs}ms`);
    for (const item of outcome!.evidence) console.log(JSON.stringify(item));
    expect(outcome!.status).toBe('passed');
    expect(outcome!.evidence).toHaveLength(2);
  });

  it('custom probes: failed stays failed, a throw is an error, a JavaScript module passes, a missing module is an error', async () => {
    const outcomes = await runProbes(
      [
        new CustomProbe('fails', 'fails', 'failing-probe.ts', 10_000),
        new CustomProbe('throws', 'throws', 'throwing-probe.ts', 10_000),
        new CustomProbe('passes', 'passes', 'passing-probe.mjs', 10_000),
        new CustomProbe('missing', 'missing', 'no-such-probe.ts', 10_000),
      ],
      contextFor(environment, snapshotOf()),
    );
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['failed', 'error', 'passed', 'error']);
    expect(outcomes[0]!.evidence[0]).toMatchObject({ observed: 'failed', detail: 'expected 99 topics, found 4' });
    expect(outcomes[1]!.evidence[0]?.observed).toBe('error: the custom probe crashed on purpose');
  });

  it('all probes concurrently: none disturbs another, and the restored group keeps its offsets', async () => {
    const probes = [
      new AuthorizationProbe('authz', 'authorization', { derive: true, expect: [] }),
      new ProduceConsumeProbe('pc', 'produce-consume', { topics: ['orders.eu', 'orders.us'], records: 50 }),
      offsetsProbe('exact'),
      new CustomProbe('passes', 'passes', 'passing-probe.mjs', 10_000),
    ];
    const started = performance.now();
    const outcomes = await runProbes(probes, contextFor(environment, snapshotOf()));
    console.log(`4 probes concurrently: ${Math.round(performance.now() - started)}ms; ${outcomes.map((outcome) => `${outcome.id} ${outcome.durationMs}ms`).join(', ')}`);
    for (const outcome of outcomes) expect({ id: outcome.id, failures: failures(outcome) }).toEqual({ id: outcome.id, failures: [] });
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['passed', 'passed', 'passed', 'passed']);
    const [again] = await runProbes([offsetsProbe('exact')], contextFor(environment, snapshotOf()));
    expect(failures(again!)).toEqual([]);
  });
});
