/**
 * restore.data: mirror against a live source: a real Kafka seeded with keyed records under lz4,
 * zstd and snappy, headers, a compacted topic, a transactional topic with an aborted transaction,
 * and groups at several positions, while a producer keeps writing during the drill. MirrorMaker 2
 * (Kafka's own connectors, in the drill's Connect worker) copies it; the drill cuts over, commits
 * the exact translation and proves every group resumes at the record it committed at. Must-fail
 * drills, each for one reason: MirrorMaker's checkpoints alone make a group re-read records; a
 * group consumes a topic the mirror leaves out; the mirror is held back past the RPO objective.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withAdmin } from '../../src/kafka/admin.js';
import { commitOffsetsUntilSettled } from '../../src/kafka/offset-commit.js';
import { createProbeClient } from '../../src/kafka/probe-client.js';
import { listAllGroups } from '../../src/kafka/groups.js';
import type { Run } from '../../src/model/result.js';
import { startForTest } from '../support/kafka.js';
import { readEvidence, runToEnd } from './cli.js';

const outRoot = mkdtempSync(path.join(tmpdir(), 'kafka-drill-mirror-'));
afterAll(() => rmSync(outRoot, { recursive: true, force: true }));

const source = await startForTest();
const bootstrap = source.admin.bootstrap.join(',');

/** Committed offsets, per group: positions in the middle, at the log end, past an aborted transaction, on a compacted topic. */
const GROUPS = {
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

let writing = true;
let writer: Promise<void> = Promise.resolve();

beforeAll(async () => {
  const client = createProbeClient(source.admin, { clientId: 'mirror-test-seed' });
  const admin = client.admin();
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: [
      { topic: 'pay.orders', numPartitions: 3, configEntries: [{ name: 'compression.type', value: 'lz4' }] },
      { topic: 'pay.events', numPartitions: 1, configEntries: [{ name: 'compression.type', value: 'zstd' }] },
      { topic: 'pay.ledger', numPartitions: 1, configEntries: [{ name: 'compression.type', value: 'snappy' }] },
      { topic: 'pay.accounts', numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
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

  await withAdmin(source.admin, async (kafka) => {
    const commits = new Map(Object.entries(GROUPS).map(([group, offsets]) => [group, offsets.map((o) => ({ ...o, metadata: null }))]));
    expect(await commitOffsetsUntilSettled(kafka, commits)).toEqual([]);
    // The capture must see every group: a KRaft broker answers from its metadata copy, which lags a write a little.
    for (let attempt = 0; attempt < 40 && (await listAllGroups(kafka)).length < Object.keys(GROUPS).length; attempt++) await new Promise((r) => setTimeout(r, 250));
  });

  // A producer that keeps writing to the source while the drills run, as production does.
  const live = client.producer();
  await live.connect();
  writer = (async () => {
    for (let i = 0; writing; i++) {
      await live.send({ topic: 'pay.orders', messages: [{ partition: i % 3, key: `live-${i}`, value: `live ${i}` }] }).catch(() => {});
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await live.disconnect();
  })();
}, 120_000);

afterAll(async () => {
  writing = false;
  await writer;
});

function spec(name: string, body: string): string {
  const file = path.join(outRoot, `${name}.yaml`);
  writeFileSync(file, `name: ${name}\nsource:\n  bootstrap: ${bootstrap}\ntarget:\n  provider: process\n${body}`);
  return file;
}

async function drill(name: string, body: string, exitCode: number): Promise<Run> {
  const out = path.join(outRoot, `${name}-out`);
  const { code, stdout, stderr } = await runToEnd(spec(name, body), out);
  const red = code === 1 && exitCode !== 1 ? readEvidence(out).runs[0]!.probes.flatMap((p) => p.evidence.filter((e) => e.outcome !== 'passed')) : [];
  expect(code, `${stdout}\n${stderr}\n${JSON.stringify(red, null, 1)}`).toBe(exitCode);
  return readEvidence(out).runs[0]!;
}

describe('restore.data: mirror from a live source', () => {
  it('copies every shape with MirrorMaker 2, cuts over, and every group resumes at the record it committed at (exact translation)', async () => {
    const run = await drill(
      'mirror-exact',
      `restore:
  data: mirror
  mirror:
    cutover: { catchUpTimeoutSeconds: 120 }
    offsets: exact
probes:
  - { type: offsets, groups: all, tolerance: exact, byContent: true }
objectives: { rpoSeconds: 30, maxReplayRecords: 0 }
`,
      0,
    );
    expect(run.verdict, run.reason).toBe('passed');
    const mirror = run.mirror!;
    expect(mirror.topics.sort()).toEqual(['audit.log', 'pay.accounts', 'pay.events', 'pay.ledger', 'pay.orders']);
    expect(mirror.caughtUp).toBe(true);
    // The live producer kept writing: at least the seeded records were copied, and the copy kept up.
    expect(mirror.records).toBeGreaterThanOrEqual(1800 + 250 + 200 + 50 + 200);
    expect(mirror.rpoSeconds).toBeLessThan(30);
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
    const ledger = mirror.groups.find((g) => g.group === 'ledger-reader')!;
    expect(ledger.exact).toBe(138);
    expect(mirror.groups.find((g) => g.group === 'ledger-late')!.exact).toBe(100);
    // The mirror copies from the source's log start: source 50 is target 0, and 299 is 249.
    const dormant = mirror.groups.find((g) => g.group === 'events-dormant')!;
    expect([dormant.exact, dormant.note]).toEqual([0, expect.stringMatching(/^committed 10 lies before the source log start 50/)]);
    expect(mirror.groups.find((g) => g.group === 'events-reader')!.exact).toBe(249);
    const probe = run.probes.find((p) => p.type === 'offsets')!;
    expect(probe.status).toBe('passed');
    expect(probe.evidence.map((e) => e.outcome)).toEqual(probe.evidence.map(() => 'passed'));
    expect(probe.evidence.length).toBe(Object.values(GROUPS).flat().length);
    expect(run.verify!.counts.drift).toBe(0);
    expect(run.objectives.map((o) => [o.name, o.met])).toEqual([
      ['RPO', true],
      ['replay after cut-over', true],
    ]);
    // Side by side: what MirrorMaker's own checkpoints would have given, where it emitted them.
    const withCheckpoint = mirror.groups.filter((g) => g.checkpoint !== null);
    for (const entry of withCheckpoint) expect(entry.checkpointReplay).toBeGreaterThanOrEqual(0);

    // The reports draw the data path from this result: steps, the lag line, a row per partition and per group position.
    const html = readFileSync(path.join(outRoot, 'mirror-exact-out', 'report.html'), 'utf8');
    expect(html).toContain('Data path (MirrorMaker 2)');
    expect(html.match(/<polyline [^>]*points="([^"]*)"/)?.[1]?.split(' ')).toHaveLength(mirror.lag.length);
    expect(html.match(/<td data-label="Partition"><span class="name">/g)).toHaveLength(mirror.partitions.length);
    expect(html).toContain(`RPO ${mirror.rpoSeconds.toFixed(1)} s`);
    const metrics = parsePrometheusTextFormat(readFileSync(path.join(outRoot, 'mirror-exact-out', 'metrics.prom'), 'utf8'));
    const metric = (name: string) => metrics.find((family) => family.name === name)!.metrics;
    expect(Number(metric('kafka_drill_mirror_rpo_seconds')[0]!.value)).toBeCloseTo(mirror.rpoSeconds, 3);
    expect(
      metric('kafka_drill_mirror_replay_records')
        .map((sample) => [sample.labels!.group, Number(sample.value)])
        .sort(),
    ).toEqual([...new Set(mirror.groups.map((g) => g.group))].sort().map((group) => [group, 0]));
    const summary = readFileSync(path.join(outRoot, 'mirror-exact-out', 'summary.md'), 'utf8');
    expect(summary).toContain(`| ${mirror.records} records, ${mirror.recordsPerSecond}/s | yes | ${mirror.rpoSeconds.toFixed(1)} s |`);
  }, 400_000);

  it("must fail: committing MirrorMaker's checkpoints makes a group re-read records, beyond a tolerance of 0", async () => {
    const run = await drill(
      'mirror-checkpoint',
      `restore:
  data: mirror
  mirror:
    offsets: checkpoint
probes:
  - { type: offsets, groups: all, tolerance: exact }
`,
      1,
    );
    expect(run.verdict).toBe('failed');
    const replays = run.mirror!.groups.filter((g) => (g.replay ?? 0) > 0);
    expect(replays.length, JSON.stringify(run.mirror!.groups, null, 1)).toBeGreaterThan(0);
    const probe = run.probes.find((p) => p.type === 'offsets')!;
    const failed = probe.evidence.filter((e) => e.outcome === 'failed');
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.every((e) => /^replays \d+ record/.test(e.observed))).toBe(true);
    expect(run.reason).toMatch(/^probe/);
  }, 400_000);

  it('must fail: a group commits on a topic the mirror leaves out', async () => {
    const run = await drill(
      'mirror-left-out',
      `restore:
  data: mirror
  mirror:
    topics: ['pay\\..*']
`,
      1,
    );
    expect(run.mirror!.left).toEqual(['audit.log']);
    const data = run.phases.find((p) => p.name === 'data')!;
    expect(data.status).toBe('failed');
    expect(data.findings.filter((f) => f.severity === 'error').map((f) => [f.code, f.object])).toEqual([['mirror-topic-left-out', 'group audit-reader']]);
    expect(run.reason).toMatch(/^restore phase data failed: .*audit\.log/);
  }, 400_000);

  it('must fail: the mirror is cut over before it copied anything, and the RPO objective is missed', async () => {
    const run = await drill(
      'mirror-rpo',
      `restore:
  data: mirror
  mirror:
    cutover: { catchUpTimeoutSeconds: 0 }
objectives: { rpoSeconds: 1 }
`,
      1,
    );
    expect(run.mirror!.caughtUp).toBe(false);
    expect(run.mirror!.rpoSeconds).toBeGreaterThan(1);
    expect(run.objectives).toEqual([expect.objectContaining({ name: 'RPO', met: false })]);
    expect(run.phases.filter((p) => p.status === 'failed').map((p) => p.name)).toEqual([]);
    expect(run.reason).toMatch(/RPO/);
  }, 400_000);
});

describe('the source after four mirror drills', () => {
  it('holds only what the test wrote: no MirrorMaker topic, no group of the drills', async () => {
    const { topics, groups } = await withAdmin(source.admin, async (kafka) => ({ topics: await kafka.listTopics(), groups: await listAllGroups(kafka) }));
    expect(topics.filter((topic) => !topic.startsWith('__')).sort()).toEqual(['audit.log', 'pay.accounts', 'pay.events', 'pay.ledger', 'pay.orders']);
    expect(groups.map((group) => group.groupId).sort()).toEqual(Object.keys(GROUPS).sort());
  });
});
