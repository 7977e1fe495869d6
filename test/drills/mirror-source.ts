/**
 * The live source of the mirror drills: a real Kafka seeded with keyed records under lz4, zstd and
 * snappy, headers, a compacted topic, a transactional topic with an aborted transaction, and
 * groups at several positions, while a producer keeps writing during the drills. Also what every
 * exact-translation drill against it must show, whatever the provider.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { withAdmin } from '../../src/kafka/admin.js';
import type { KafkaConnection } from '../../src/kafka/connection.js';
import { commitOffsetsUntilSettled } from '../../src/kafka/offset-commit.js';
import { createProbeClient } from '../../src/kafka/probe-client.js';
import { listAllGroups } from '../../src/kafka/groups.js';
import { partitionKey } from '../../src/kafka/log-offsets.js';
import { fetchRecordsAt } from '../../src/kafka/records.js';
import type { Admin } from '@platformatic/kafka';
import type { Run } from '../../src/model/result.js';
import { readEvidence, startRun } from './cli.js';

export const MIRRORED_TOPICS = ['audit.log', 'pay.accounts', 'pay.events', 'pay.ledger', 'pay.orders'];

/** Committed offsets, per group: positions in the middle, at the log end, past an aborted transaction, on a compacted topic. */
export const GROUPS = {
  billing: [
    { topic: 'pay.orders', partition: 0, offset: 250 },
    { topic: 'pay.orders', partition: 1, offset: 100 },
    { topic: 'pay.orders', partition: 2, offset: 0 },
  ],
  'events-reader': [{ topic: 'pay.events', partition: 0, offset: 299 }],
  // Dormant: committed before the log start (records 0..49 deleted), so a consumer resets to 50.
  'events-dormant': [{ topic: 'pay.events', partition: 0, offset: 10 }],
  // 100 committed records, their marker (100), 20 aborted (101..120), a marker (121), 100 committed (122..221).
  'ledger-reader': [{ topic: 'pay.ledger', partition: 0, offset: 160 }],
  // Inside the aborted transaction: a read_committed consumer resumes at 122, the next committed record.
  'ledger-late': [{ topic: 'pay.ledger', partition: 0, offset: 110 }],
  'accounts-reader': [{ topic: 'pay.accounts', partition: 0, offset: 120 }],
  'audit-reader': [{ topic: 'audit.log', partition: 0, offset: 10 }],
};

/** Where the compacted accounts log starts after cleaning: offsets 0..149 are gaps. accounts-reader committed inside them. */
export const COMPACTED_FIRST_OFFSET = 150n;

/** Waits (the cleaner looks every 15 s) until the first record of the log is at `first`. */
async function waitUntilCompacted(admin: Admin, topic: string, first: bigint): Promise<void> {
  const partition = (await admin.metadata({ topics: [topic], forceUpdate: true })).topics.get(topic)!;
  const position = { topic, topicId: partition.id, partition: 0, leader: partition.partitions[0]!.leader, leaderEpoch: partition.partitions[0]!.leaderEpoch };
  for (let attempt = 0; attempt < 120; attempt++) {
    const record = (await fetchRecordsAt(admin, [{ ...position, offset: 0n }])).get(partitionKey(topic, 0));
    if (record?.offset === first) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`${topic} was not compacted within 60 s`);
}

/** Seeds the source and starts the live producer; the returned function stops it. */
export async function seedMirrorSource(source: KafkaConnection): Promise<() => Promise<void>> {
  const client = createProbeClient(source, { clientId: 'mirror-test-seed' });
  const admin = client.admin();
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: [
      { topic: 'pay.orders', numPartitions: 3, configEntries: [{ name: 'compression.type', value: 'lz4' }] },
      { topic: 'pay.events', numPartitions: 1, configEntries: [{ name: 'compression.type', value: 'zstd' }] },
      { topic: 'pay.ledger', numPartitions: 1, configEntries: [{ name: 'compression.type', value: 'snappy' }] },
      // Rolled every 100 ms and cleaned at any dirt, so the cleaner really leaves offset gaps.
      {
        topic: 'pay.accounts',
        numPartitions: 1,
        configEntries: [
          { name: 'cleanup.policy', value: 'compact' },
          { name: 'segment.ms', value: '100' },
          { name: 'min.cleanable.dirty.ratio', value: '0.01' },
        ],
      },
      { topic: 'audit.log', numPartitions: 1 },
    ],
  });
  await admin.disconnect();
  const producer = client.producer();
  await producer.connect();
  for (let partition = 0; partition < 3; partition++) {
    await producer.send({
      topic: 'pay.orders',
      messages: Array.from({ length: 600 }, (_, i) => ({
        partition,
        key: `order-${partition}-${i}`,
        value: `{"order":${i},"amount":${i * 7}}`,
        headers: { source: 'shop', seq: String(i) },
      })),
    });
  }
  await producer.send({ topic: 'pay.events', messages: Array.from({ length: 300 }, (_, i) => ({ key: `event-${i % 40}`, value: `event ${i}` })) });
  await producer.send({ topic: 'pay.accounts', messages: Array.from({ length: 200 }, (_, i) => ({ key: `account-${i % 50}`, value: `balance ${i}` })) });
  await producer.send({ topic: 'audit.log', messages: Array.from({ length: 50 }, (_, i) => ({ value: `audit ${i}` })) });
  // A later append rolls the accounts segment; the cleaner then keeps only each key's last record (150..199).
  await new Promise((resolve) => setTimeout(resolve, 200));
  await producer.send({ topic: 'pay.accounts', messages: [{ key: 'account-new', value: 'opened' }] });
  const trim = client.admin();
  await trim.connect();
  await trim.fetchTopicMetadata({ topics: ['pay.events'] });
  await trim.deleteTopicRecords({ topic: 'pay.events', partitions: [{ partition: 0, offset: '50' }] });
  await trim.disconnect();
  await producer.disconnect();

  const transactional = client.producer({ transactionalId: 'mirror-test-ledger', idempotent: true, maxInFlightRequests: 1 });
  await transactional.connect();
  for (const [count, commit] of [
    [100, true],
    [20, false],
    [100, true],
  ] as const) {
    const transaction = await transactional.transaction();
    await transaction.send({ topic: 'pay.ledger', messages: Array.from({ length: count }, (_, i) => ({ key: `entry-${i}`, value: `${commit ? 'posted' : 'aborted'} ${i}` })) });
    await (commit ? transaction.commit() : transaction.abort());
  }
  await transactional.disconnect();

  await withAdmin(source, async (kafka) => {
    await waitUntilCompacted(kafka, 'pay.accounts', COMPACTED_FIRST_OFFSET);
    const commits = new Map(Object.entries(GROUPS).map(([group, offsets]) => [group, offsets.map((o) => ({ ...o, metadata: null }))]));
    expect(await commitOffsetsUntilSettled(kafka, commits)).toEqual([]);
    // The capture must see every group: a KRaft broker answers from its metadata copy, which lags a write a little.
    for (let attempt = 0; attempt < 40 && (await listAllGroups(kafka)).length < Object.keys(GROUPS).length; attempt++) await new Promise((r) => setTimeout(r, 250));
  });

  // A producer that keeps writing to the source while the drills run, as production does.
  const live = client.producer();
  await live.connect();
  let writing = true;
  const writer = (async () => {
    for (let i = 0; writing; i++) {
      await live.send({ topic: 'pay.orders', messages: [{ partition: i % 3, key: `live-${i}`, value: `live ${i}` }] }).catch(() => {});
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await live.disconnect();
  })();
  return async () => {
    writing = false;
    await writer;
  };
}

/** Runs a mirror drill from `bootstrap` through the CLI, expects its exit code, and returns its run and the CLI's pid. */
export async function mirrorDrill(
  outRoot: string,
  bootstrap: string,
  target: { provider: 'process' | 'docker'; security?: string },
  name: string,
  body: string,
  exitCode: number,
): Promise<{ run: Run; pid: number }> {
  const file = path.join(outRoot, `${name}.yaml`);
  const security = target.security ? `  security: ${target.security}\n` : '';
  writeFileSync(file, `name: ${name}\nsource:\n  bootstrap: ${bootstrap}\ntarget:\n  provider: ${target.provider}\n${security}${body}`);
  const out = path.join(outRoot, `${name}-out`);
  const cli = startRun(file, out);
  const { code, stdout, stderr } = await cli.exited;
  const red = code === 1 && exitCode !== 1 ? readEvidence(out).runs[0]!.probes.flatMap((p) => p.evidence.filter((e) => e.outcome !== 'passed')) : [];
  expect(code, `${stdout}\n${stderr}\n${JSON.stringify(red, null, 1)}`).toBe(exitCode);
  return { run: readEvidence(out).runs[0]!, pid: cli.child.pid! };
}

export const EXACT_DRILL = `restore:
  data: mirror
  mirror:
    cutover: { catchUpTimeoutSeconds: 120 }
    offsets: exact
probes:
  - { type: offsets, groups: all, tolerance: exact, byContent: true }
objectives: { rpoSeconds: 30, maxReplayRecords: 0 }
`;

/** What the exact-translation drill must show: caught up, every group's record found with no replay, probed, no drift. */
export function expectExactTranslation(run: Run): void {
  expect(run.verdict, run.reason).toBe('passed');
  const mirror = run.mirror!;
  expect(mirror.topics.sort()).toEqual(MIRRORED_TOPICS);
  expect(mirror.caughtUp).toBe(true);
  // The live producer kept writing: at least the seeded records were copied, and the copy kept up.
  expect(mirror.records).toBeGreaterThanOrEqual(1800 + 250 + 200 + 50 + 200);
  expect(mirror.rpoSeconds).toBeLessThan(30);
  // Every copied record takes room on the target: more than its value alone.
  expect(mirror.bytes).toBeGreaterThan(mirror.records * 8);
  expect(mirror.lag.length).toBeGreaterThan(0);
  // Captured at drill start: older than the copy took, younger than the whole drill.
  expect(mirror.snapshotAgeSeconds).toBeGreaterThanOrEqual(mirror.copyMs / 1000);
  expect(mirror.snapshotAgeSeconds).toBeLessThan(300);
  // Every committed offset found its record on the target; exact means no replay, no skip.
  for (const entry of mirror.groups) {
    expect(entry.exact, `${entry.group} ${entry.topic}-${entry.partition}: ${entry.note}`).not.toBeNull();
    expect(entry.replay).toBe(0);
  }
  // Transactions: the aborted records and both markers are not on the target, so source 160 is target 138.
  expect(mirror.groups.find((g) => g.group === 'ledger-reader')!.exact).toBe(138);
  expect(mirror.groups.find((g) => g.group === 'ledger-late')!.exact).toBe(100);
  // The mirror copies from the source's log start: source 50 is target 0, and 299 is 249.
  const dormant = mirror.groups.find((g) => g.group === 'events-dormant')!;
  expect([dormant.exact, dormant.note]).toEqual([0, expect.stringMatching(/^committed 10 lies before the source log start 50/)]);
  expect(mirror.groups.find((g) => g.group === 'events-reader')!.exact).toBe(249);
  // Compaction: committed 120 lies in a gap; the consumer's next record is source 150, the first copied (target 0).
  expect(mirror.groups.find((g) => g.group === 'accounts-reader')!.exact).toBe(0);
  const probe = run.probes.find((p) => p.type === 'offsets')!;
  expect(probe.status).toBe('passed');
  expect(probe.evidence.map((e) => e.outcome)).toEqual(probe.evidence.map(() => 'passed'));
  expect(probe.evidence.length).toBe(Object.values(GROUPS).flat().length);
  expect(run.verify!.counts.drift).toBe(0);
  expect(run.objectives.map((o) => [o.name, o.met])).toEqual([
    ['RPO', true],
    ['replay after cut-over', true],
  ]);
}
