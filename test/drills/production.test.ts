import { describe, expect, it } from 'vitest';
import type { Result } from '../../src/model/result.js';
import { tempDir } from '../support/temp.js';
import { readEvidence, runToEnd } from './cli.js';

const out = tempDir('production-drills');

async function runDrill(name: string): Promise<{ code: number | null; stdout: string; result: Result }> {
  const dir = `${out}/${name}`;
  const { code, stdout } = await runToEnd(`drills/production/${name}.yaml`, dir);
  return { code, stdout, result: readEvidence(dir) };
}

/** Every failed check, assumption, phase and drift, so a failure names itself in the test output. */
function problems(result: Result) {
  return result.runs.flatMap((run) => [
    ...run.phases.filter((phase) => phase.status === 'failed').map((phase) => `phase ${phase.name}: ${phase.findings.map((f) => f.message).join('; ')}`),
    ...run.probes.flatMap((probe) => probe.evidence.filter((e) => e.outcome !== 'passed').map((e) => `probe ${probe.id} ${e.outcome}: ${e.detail ?? ''}`)),
    ...run.assumptions.filter((a) => a.status !== 'held').map((a) => `assumption ${a.id} ${a.status}: ${a.observed}`),
    ...(run.verify?.differences.filter((d) => d.classification !== 'expected').map((d) => `${d.classification} ${d.object}`) ?? []),
  ]);
}

const phaseStatuses = (result: Result) => result.runs[0]!.phases.map((phase) => `${phase.name}:${phase.status}`);

// Production-shaped snapshots (fixtures/make-production-snapshots.ts), each drill through the
// real CLI. Three- and five-broker drills take a few minutes each on two busy cores.
describe('production-shaped drills', { timeout: 600_000 }, () => {
  it('brokers numbered from 0: the drill uses ids 0-2 and each per-broker config lands on its broker', async () => {
    const { code, stdout, result } = await runDrill('ids-from-0');
    expect(problems(result)).toEqual([]);
    expect([code, result.verdict]).toEqual([0, 'passed']);
    const run = result.runs[0]!;
    expect(run.environment.brokerIds).toEqual([0, 1, 2]);
    expect(run.environment.brokerIdMap!.mapping).toEqual([
      { source: 0, target: 0 },
      { source: 1, target: 1 },
      { source: 2, target: 2 },
    ]);
    expect(run.phases.find((phase) => phase.name === 'cluster-configs')).toMatchObject({ status: 'passed', counts: { updated: 4, failed: 0 } });
    expect(run.assumptions.filter((a) => a.source === 'declared').map((a) => [a.id, a.status, a.observed])).toEqual([
      ['broker-0-cleaner-threads', 'held', '2'],
      ['broker-2-replica-fetchers', 'held', '2'],
      ['orders-min-isr', 'held', '2'],
    ]);
    expect(run.probes.find((probe) => probe.id === 'consumers-resume')!.evidence.filter((e) => e.outcome === 'passed')).toHaveLength(5);
    expect(stdout).toMatch(/broker ids: brokers 0, 1, 2 \(the snapshot's broker ids\)/);
  });

  it('brokers numbered from 1001: the drill uses ids 1001-1003', async () => {
    const { code, result } = await runDrill('ids-from-1001');
    expect(problems(result)).toEqual([]);
    expect([code, result.verdict]).toEqual([0, 'passed']);
    const run = result.runs[0]!;
    expect(run.environment.brokerIds).toEqual([1001, 1002, 1003]);
    expect(run.assumptions.filter((a) => a.source === 'declared').map((a) => [a.id, a.status])).toEqual([
      ['broker-1001-cleaner-threads', 'held'],
      ['broker-1003-network-threads', 'held'],
    ]);
    expect(run.probes[0]!.evidence.filter((e) => e.outcome === 'passed')).toHaveLength(5);
  });

  it('a 3.9 snapshot without kafkaVersion runs on 3.9.2 and says why', async () => {
    const { code, stdout, result } = await runDrill('snapshot-version');
    expect(problems(result)).toEqual([]);
    expect([code, result.verdict]).toEqual([0, 'passed']);
    expect(result.snapshot.kafkaVersion).toBe('3.9');
    expect(result.runs.map((run) => run.kafkaVersion)).toEqual(['3.9.2']);
    expect(stdout).toContain("on Kafka 3.9.2 (the spec names no target.kafkaVersion: the newest supported release of the snapshot's Kafka 3.9 line)");
    const run = result.runs[0]!;
    const transactions = run.probes.find((probe) => probe.id === 'transactions')!.evidence.filter((e) => e.operation === 'WRITE (transactional), READ (read_committed)');
    expect(transactions.map((e) => [e.outcome, e.observed])).toEqual([['passed', expect.stringMatching(/^40 committed records back, 0 aborted; [1-9]\d* of [1-9]\d* partition/)]]);
    expect(run.assumptions.filter((a) => a.id.startsWith('transaction')).map((a) => [a.id, a.status, a.observed])).toEqual([
      ['transaction-timeout', 'held', '900000'],
      ['transactional-id-expiry', 'held', '604800000'],
    ]);
  });

  it('five brokers: all five registered, per-broker configs on brokers 3 and 5', async () => {
    const { code, result } = await runDrill('five-brokers');
    expect(problems(result)).toEqual([]);
    expect([code, result.verdict]).toEqual([0, 'passed']);
    const run = result.runs[0]!;
    expect([run.environment.brokers, run.environment.brokerIds, run.environment.heapMb]).toEqual([5, [1, 2, 3, 4, 5], 384]);
    expect(run.assumptions.filter((a) => a.source === 'declared').every((a) => a.status === 'held')).toBe(true);
    expect(phaseStatuses(result)).toContain('cluster-configs:passed');
    // Broker 3's 512 MiB dedupe buffer, applied, would be allocated on a 384 MiB heap: kept at 48 MiB, an expected difference.
    const clusterConfigs = run.phases.find((phase) => phase.name === 'cluster-configs')!;
    expect(clusterConfigs.findings.map((f) => [f.code, f.object])).toEqual([['config-exceeds-drill-heap', 'broker 3 config log.cleaner.dedupe.buffer.size']]);
    expect(clusterConfigs.findings[0]!.message).toMatch(/^512 MiB is sized for the source's brokers; the drill's have 384 MiB of heap each and keep 48 MiB/);
    expect(run.verify!.differences.filter((d) => d.object.includes('dedupe')).map((d) => [d.classification, d.object])).toEqual([
      ['expected', 'broker 3 config log.cleaner.dedupe.buffer.size'],
    ]);
  });

  it('fewer brokers than the source, numbered by the spec: mapped configs land, the rest are expected differences with their reason', async () => {
    const { code, stdout, result } = await runDrill('fewer-brokers');
    expect(problems(result)).toEqual([]);
    expect([code, result.verdict]).toEqual([0, 'passed']);
    const run = result.runs[0]!;
    expect(run.environment.brokerIdMap!.mapping).toEqual([
      { source: 1, target: 1 },
      { source: 2, target: 2 },
      { source: 3, target: 0 },
      { source: 4, target: null },
      { source: 5, target: null },
    ]);
    const clusterConfigs = run.phases.find((phase) => phase.name === 'cluster-configs')!;
    expect(clusterConfigs.status).toBe('passed');
    // Broker 3's dedupe buffer lands on broker 0 as far as the drill's heap allows (512 MiB: it keeps 64 MiB).
    expect(clusterConfigs.findings.map((f) => [f.code, f.object])).toEqual([
      ['broker-absent', 'broker 5'],
      ['config-exceeds-drill-heap', 'broker 0 config log.cleaner.dedupe.buffer.size'],
    ]);
    expect(run.verify!.differences.find((d) => d.object === 'broker 5 config num.io.threads')).toMatchObject({ classification: 'expected', expected: '12', actual: null });
    expect(run.assumptions.find((a) => a.id === 'source-broker-3-on-0')).toMatchObject({ status: 'held', observed: '2' });
    expect(stdout).toContain("broker ids: brokers 0, 1, 2 (the spec's target.brokerIds); source broker 3 → 0, 4 → none, 5 → none");
  });

  it('offsets near 5 billion behind retention, lz4/zstd/snappy and compacted topics: every consumer resumes at its source position, proven by content', async () => {
    const { code, result } = await runDrill('big-offsets');
    expect(problems(result)).toEqual([]);
    expect([code, result.verdict]).toEqual([0, 'passed']);
    const run = result.runs[0]!;
    const checks = run.probes.find((probe) => probe.id === 'consumers-resume')!.evidence;
    expect(checks.length).toBeGreaterThan(4);
    expect(checks.every((check) => check.outcome === 'passed')).toBe(true);
    // Resumption is proven by the record's source-offset header, not by the target's small offsets.
    expect(checks.filter((check) => /^first record stands for \d{10}$/.test(check.observed)).length).toBeGreaterThan(0);
    expect(run.offsetMap!.rebased).toBeGreaterThan(0);
  });

  it('a group 50 million records behind: resumes exactly; the lag past the budget is an expected difference, never drift', async () => {
    const { code, result } = await runDrill('big-lag');
    expect(problems(result)).toEqual([]);
    expect([code, result.verdict]).toEqual([0, 'passed']);
    const run = result.runs[0]!;
    const checks = run.probes.find((probe) => probe.id === 'consumers-resume')!.evidence;
    expect(checks.find((check) => check.resource === 'group orders-reporting orders.events:0')).toMatchObject({
      outcome: 'passed',
      observed: 'first record stands for 4750000000',
    });
    expect(checks.every((check) => check.outcome === 'passed')).toBe(true);
    expect(run.offsetMap!.truncated).toBeGreaterThan(0);
    expect(run.offsetMap!.records).toBeLessThan(10_000);
    expect(run.verify!.counts.drift).toBe(0);
  });
});
