import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildKafkaImage } from '../../src/environment/docker/image.js';
import type { Result } from '../../src/model/result.js';
import { DEFAULT_KAFKA_VERSION } from '../../src/runtime/distribution.js';
import { dockerEngine } from '../support/docker.js';
import { itWith } from '../support/require.js';
import { readEvidence, startRun } from './cli.js';
import { comparable, runOnDocker } from './provider-equivalence.js';

const out = await mkdtemp(join(tmpdir(), 'kafka-drill-shipped-'));
afterAll(() => rm(out, { recursive: true, force: true }));

/** Each drill's process run, for its docker twin below. */
const processRuns = new Map<string, { code: number | null; result: Result }>();

async function runDrill(name: string, extraArgs: string[] = []): Promise<{ code: number | null; stdout: string; result: Result }> {
  const dir = join(out, name);
  const { code, stdout } = await startRun(`drills/${name}.yaml`, dir, process.env, extraArgs).exited;
  const result = readEvidence(dir);
  processRuns.set(name, { code, result });
  return { code, stdout, result };
}

const itDocker = itWith(dockerEngine());

/**
 * The same shipped drill with the docker provider gives what its process run above gave: the same
 * verdict, phases, counts, findings, probe checks and assumptions (provider-equivalence.ts).
 */
async function sameOnDocker(name: string): Promise<Result> {
  const processRun = processRuns.get(name);
  expect(processRun, `the process run of ${name} (the test above) finished`).toBeDefined();
  await buildKafkaImage(DEFAULT_KAFKA_VERSION);
  const docker = await runOnDocker(`drills/${name}.yaml`, join(out, `${name}-docker`));
  expect(comparable(docker.result)).toEqual(comparable(processRun!.result));
  expect(docker.code).toBe(processRun!.code);
  return docker.result;
}

const failedEvidence = (result: Result) =>
  result.runs.flatMap((run) => run.probes.flatMap((probe) => probe.evidence.filter((e) => e.outcome === 'failed').map((e) => ({ probe: probe.id, ...e }))));

// Every drill shipped in drills/ runs as shipped, through the CLI, and passes. Three-broker
// drills take a minute or two each on two cores, longer while other test files run.
describe('shipped drills', { timeout: 420_000 }, () => {
  it('quickstart: restores the example cluster, round-trips records, consumers resume exactly', async () => {
    const { code, stdout, result } = await runDrill('quickstart');
    expect(failedEvidence(result)).toEqual([]);
    expect([code, result.verdict, result.reason]).toEqual([0, 'passed', 'recovery proven on Kafka 4.3.1']);
    const [run] = result.runs;
    expect(run!.phases.map((p) => `${p.name}:${p.status}`)).toEqual([
      'environment:passed',
      'topics:passed',
      'cluster-configs:passed',
      'security:passed',
      'data:passed',
      'offsets:passed',
      'connectors:skipped',
      'verify:passed',
      'probes:passed',
      'teardown:passed',
    ]);
    expect(run!.phases.find((p) => p.name === 'topics')!.counts).toEqual({ created: 29, updated: 0, unchanged: 0, failed: 0 });
    expect(run!.verify!.counts.drift).toBe(0);
    expect(run!.probes.map((p) => [p.id, p.status])).toEqual([
      ['orders-round-trip', 'passed'],
      ['consumers-resume', 'passed'],
    ]);
    expect(run!.manualSteps.map((s) => [s.id, s.status])).toEqual([['flip-dns', 'pending']]);
    expect(run!.rto.projectedMinutes).toBeCloseTo(run!.rto.measuredMinutes + 5, 3);
    expect(stdout).toMatch(/\[4\.3\.1\] topics\s+passed/);
  });

  itDocker('quickstart with the docker provider: the same as with processes', async () => {
    await sameOnDocker('quickstart');
  });

  it('secured: every ALLOW binding is exercised by its principal, denials fail with the authorization error', async () => {
    const { code, result } = await runDrill('secured');
    expect(failedEvidence(result)).toEqual([]);
    expect([code, result.verdict]).toEqual([0, 'passed']);
    const matrix = result.runs[0]!.probes.find((p) => p.id === 'acl-matrix')!;
    const exercised = matrix.evidence.filter((e) => e.outcome !== 'skipped');
    expect(exercised.length).toBeGreaterThan(50);
    expect(exercised.filter((e) => e.expected === 'deny').every((e) => /_AUTHORIZATION_FAILED|SASL_AUTHENTICATION_FAILED/.test(e.kafkaError ?? ''))).toBe(true);
    expect(matrix.evidence).toContainEqual(
      expect.objectContaining({
        principal: 'User:svc-analytics',
        operation: 'WRITE',
        resource: 'topic payments.settlements',
        expected: 'deny',
        kafkaError: 'TOPIC_AUTHORIZATION_FAILED',
      }),
    );
    const offsets = result.runs[0]!.probes.find((p) => p.id === 'consumers-resume')!;
    expect(offsets.evidence.length).toBeGreaterThanOrEqual(8);
    // The three brokers' own authorizer logs: every denial the matrix expected is there, and each one logged was asked for.
    const log = result.runs[0]!.authorizerLog!;
    expect(log.files).toHaveLength(3);
    const expectedDenials = exercised.filter((e) => e.expected === 'deny' && e.kafkaError?.endsWith('_AUTHORIZATION_FAILED')).length;
    expect(log.expectedDenials).toEqual({ total: expectedDenials, logged: expectedDenials, notLogged: [] });
    expect(log.denials.length).toBeGreaterThanOrEqual(expectedDenials);
    expect(log.denials.filter((d) => d.accountedBy !== 'authorization-probe')).toEqual([]);
    expect(log.denials).toContainEqual(
      expect.objectContaining({ principal: 'User:svc-analytics', operation: 'WRITE', resourceType: 'Topic', resourceName: 'payments.settlements', request: 'Produce' }),
    );
  });

  itDocker('secured with the docker provider: the same as with processes', async () => {
    await sameOnDocker('secured');
  });

  it('connect: FileStream source and sink restored with their offsets (sink near 4.8 billion, rebased); nothing written twice', async () => {
    const { code, result } = await runDrill('connect');
    expect(failedEvidence(result)).toEqual([]);
    expect([code, result.verdict]).toEqual([0, 'passed']);
    const [run] = result.runs;
    expect(run!.phases.find((p) => p.name === 'connectors')).toMatchObject({ status: 'passed', counts: { created: 2, updated: 0, unchanged: 0, failed: 0 } });
    expect(run!.verify!.counts.drift).toBe(0);
    // The sink's offsets went through the offset map: the snapshot's 4800000500 is the target log end 10.
    expect(run!.offsetMap!.entries.find((e) => e.topic === 'orders' && e.partition === 0)!.committed).toEqual([{ source: 4_800_000_500, target: 10, exact: true }]);
    expect(run!.probes.map((p) => [p.id, p.status, p.evidence.map((e) => e.observed)])).toEqual([
      ['orders-sink-once', 'passed', ['0 records delivered again', '5 delivered once each']],
      ['lines-source-once', 'passed', ['0 records emitted again', '5 emitted once each']],
    ]);
    // Each run's files are its own: ${drill.workDir} was this run's environment directory.
    expect(run!.manualSteps.map((s) => [s.id, s.status])).toEqual([['seed-file-stores', 'automated']]);
    expect(run!.manualSteps[0]!.output).not.toContain('${drill.workDir}');
  });

  itDocker('connect with the docker provider: the same as with processes, a Connect worker in a container', async () => {
    const docker = await sameOnDocker('connect');
    expect(docker.runs[0]!.probes.map((probe) => [probe.id, probe.status])).toEqual([
      ['orders-sink-once', 'passed'],
      ['lines-source-once', 'passed'],
    ]);
  });

  it('upgrade-gate: the 3.9 snapshot restores on 3.9.2 and 4.3.1, side by side', async () => {
    const { code, result } = await runDrill('upgrade-gate');
    expect(failedEvidence(result)).toEqual([]);
    expect([code, result.verdict]).toEqual([0, 'passed']);
    expect(result.runs.map((run) => [run.kafkaVersion, run.verdict])).toEqual([
      ['3.9.2', 'passed'],
      ['4.3.1', 'passed'],
    ]);
    expect(result.snapshot.kafkaVersion).toBe('3.9');
  });

  // On 4.3.1 only, to keep this file short: test/cli/zookeeper-source.test.ts runs the same spec on
  // 3.9.2 and 4.3.1 from a fresh ZooKeeper-mode capture, with Kafka's own tools as the oracle.
  it('zk-to-kraft: the shipped ZooKeeper-mode 3.9 fixture restores into KRaft 4.3.1; the config 4.0 removed is an expected difference', async () => {
    const { code, result } = await runDrill('zk-to-kraft', ['--kafka-version', '4.3.1']);
    expect(failedEvidence(result)).toEqual([]);
    expect([code, result.verdict]).toEqual([0, 'passed']);
    const [run] = result.runs;
    expect(run!.kafkaVersion).toBe('4.3.1');
    expect(run!.verify!.counts.drift).toBe(0);
    expect(run!.probes.map((p) => [p.id, p.status])).toEqual([
      ['acls-from-zookeeper', 'passed'],
      ['consumers-resume', 'passed'],
    ]);
    expect(run!.verify!.differences).toContainEqual(
      expect.objectContaining({ object: 'topic legacy-events config message.format.version', classification: 'expected', reason: 'not applied: removed in Kafka 4.0' }),
    );
  });

  it('streams: the 3.9 word-count application (exactly_once_v2) resumes with its state on 3.9.2 and 4.3.1', async () => {
    const { code, result } = await runDrill('streams');
    expect(failedEvidence(result)).toEqual([]);
    expect([code, result.verdict]).toEqual([0, 'passed']);
    for (const [run, version] of result.runs.map((run, index) => [run, ['3.9.2', '4.3.1'][index]!] as const)) {
      expect(run.kafkaVersion).toBe(version);
      const probe = run.probes.find((p) => p.id === 'word-count')!;
      expect(probe).toMatchObject({ type: 'streams', status: 'passed' });
      const seen = probe.evidence.map((e) => [e.outcome, e.resource, e.observed]);
      // Started as User:word-count with its restored ACLs (internal topics' prefix, transactional ids) on that version's kafka-streams.
      expect(seen).toContainEqual(['passed', 'application word-count', `RUNNING (kafka-streams ${version})`]);
      // The group was 3 records behind at the capture: it resumes at its committed offset 7, neither skipping nor re-reading.
      expect(seen).toContainEqual(['passed', 'application word-count input partition 0', 'first offset processed 7']);
      expect(seen).toContainEqual(['passed', 'application word-count input partition 1', 'first offset processed 7']);
      // The store restored every record of the restored changelog (6 and 8 offsets on the source).
      expect(seen).toContainEqual(['passed', 'application word-count changelog partition 0', '6 restored']);
      expect(seen).toContainEqual(['passed', 'application word-count changelog partition 1', '8 restored']);
      expect(probe.evidence.every((e) => e.principal === 'User:word-count')).toBe(true);
    }
  });
});
