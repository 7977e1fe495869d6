/**
 * restore.data: mirror against a live source (mirror-source.ts: seeded with every record shape,
 * groups at several positions, a producer writing during the drill). MirrorMaker 2
 * (Kafka's own connectors, in the drill's Connect worker) copies it; the drill cuts over, commits
 * the exact translation and proves every group resumes at the record it committed at. Must-fail
 * drills, each for one reason: MirrorMaker's checkpoints alone make a group re-read records; a
 * group consumes a topic the mirror leaves out; the mirror is held back past the RPO objective.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withAdmin } from '../../src/kafka/admin.js';
import { listAllGroups } from '../../src/kafka/groups.js';
import type { Run } from '../../src/model/result.js';
import { startForTest } from '../support/kafka.js';
import { EXACT_DRILL, expectExactTranslation, GROUPS, MIRRORED_TOPICS, mirrorDrill, seedMirrorSource } from './mirror-source.js';

const outRoot = mkdtempSync(path.join(tmpdir(), 'kafka-drill-mirror-'));
afterAll(() => rmSync(outRoot, { recursive: true, force: true }));

const source = await startForTest();
const bootstrap = source.admin.bootstrap.join(',');

let stopWriting = async () => {};
beforeAll(async () => {
  stopWriting = await seedMirrorSource(source.admin);
}, 120_000);
afterAll(() => stopWriting());

async function drill(name: string, body: string, exitCode: number): Promise<Run> {
  return (await mirrorDrill(outRoot, bootstrap, { provider: 'process' }, name, body, exitCode)).run;
}

describe('restore.data: mirror from a live source', () => {
  it('copies every shape with MirrorMaker 2, cuts over, and every group resumes at the record it committed at (exact translation)', async () => {
    const run = await drill('mirror-exact', EXACT_DRILL, 0);
    expectExactTranslation(run);
    const mirror = run.mirror!;
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
    // The time series: after the offsets phase, each restored group's sampled committed offsets are the ones the offsets phase
    // committed (MirrorGroupPartition.target), and the mirror's own lag series is drawn beside the groups' lag.
    const afterOffsets = run.samples!.samples.find((sample) => sample.trigger === 'start verify')!;
    const translated = mirror.groups.filter((g) => g.target !== null);
    expect(translated.length).toBeGreaterThan(0);
    for (const entry of translated) {
      const sampled = afterOffsets.groups.find((g) => g.group === entry.group)!.partitions!.find((p) => p.topic === entry.topic && p.partition === entry.partition)!;
      expect([entry.group, entry.topic, entry.partition, sampled.committed]).toEqual([entry.group, entry.topic, entry.partition, entry.target]);
      expect(sampled.lag).toBe(Math.max(0, sampled.logEnd - entry.target!));
    }
    expect(run.samples!.samples.some((sample) => sample.phase === 'data')).toBe(true);
    expect(html.match(/data-series="mirror \(source offsets not copied\)" [^>]*points="([^"]*)"/)?.[1]?.split(' ')).toHaveLength(mirror.lag.length);
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
    expect(topics.filter((topic) => !topic.startsWith('__')).sort()).toEqual(MIRRORED_TOPICS);
    expect(groups.map((group) => group.groupId).sort()).toEqual(Object.keys(GROUPS).sort());
  });
});
