/**
 * The quota probe in whole drills, through the real CLI: the production-shaped quotas
 * (fixtures/quotas-snapshot.json) restored and enforced; and the same restore with two quotas
 * lifted afterwards by a runbook step (drills/must-fail/quota-lifted.yaml), which must fail for
 * exactly that reason.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Result, Run } from '../../src/model/result.js';
import { DEFAULT_KAFKA_VERSION } from '../../src/runtime/distribution.js';
import { tempDir } from '../support/temp.js';
import { readEvidence, runToEnd } from './cli.js';

const out = tempDir('quota-drills');

async function runDrill(spec: string, name: string): Promise<{ code: number | null; stdout: string; stderr: string; result: Result }> {
  const dir = `${out}/${name}`;
  const { code, stdout, stderr } = await runToEnd(spec, dir);
  return { code, stdout, stderr, result: readEvidence(dir) };
}

const quotaChecks = (run: Run) => run.probes.find((probe) => probe.id === 'quotas-enforced')!.evidence.map((e) => [e.resource, e.principal ?? null, e.outcome] as const);

const enforced = (observed: string) => Number(/enforced ([\d.]+) KiB\/s$/.exec(observed)?.[1]);

describe('quota drills', { timeout: 300_000 }, () => {
  it('production quotas: every byte-rate quota throttles its principal at its rate; controls pass; what cannot be measured is skipped and counted', async () => {
    const { code, stdout, stderr, result } = await runDrill('drills/production/quotas.yaml', 'quotas');
    expect([code, result.verdict], `${stdout}\n${stderr}`).toEqual([0, 'passed']);
    const run = result.runs[0]!;
    expect(quotaChecks(run)).toEqual([
      ['quota client-id=<default> request_percentage', null, 'skipped'],
      ['quota user=kafka-ops consumer_byte_rate', null, 'skipped'],
      ['quota user=kafka-ops producer_byte_rate', null, 'skipped'],
      // shop-reader has no producer quota of its own, and <default> is a consumer quota: the client-id quota governs it.
      ['quota client-id=legacy-etl producer_byte_rate', 'User:shop-reader', 'passed'],
      ['quota user=shop-writer producer_byte_rate', 'User:shop-writer', 'passed'],
      ['quota user=svc-billing,client-id=billing-batch producer_byte_rate', 'User:svc-billing', 'passed'],
      ['control without producer_byte_rate', 'User:kafka-ops', 'passed'],
      ['quota user=<default> consumer_byte_rate', 'User:shop-reader', 'passed'],
      ['quota user=svc-analytics consumer_byte_rate', 'User:svc-analytics', 'passed'],
      ['control without consumer_byte_rate', 'User:kafka-ops', 'passed'],
    ]);
    const evidence = run.probes.find((probe) => probe.id === 'quotas-enforced')!.evidence;
    const rates = Object.fromEntries(evidence.filter((e) => e.resource?.startsWith('quota') && e.outcome === 'passed').map((e) => [e.resource, enforced(e.observed)]));
    console.log('enforced KiB/s:', JSON.stringify(rates), 'probe ms:', run.probes.find((probe) => probe.id === 'quotas-enforced')!.durationMs);
    expect(rates['quota user=svc-billing,client-id=billing-batch producer_byte_rate']).toBeGreaterThan(64 * 0.8);
    expect(rates['quota user=svc-billing,client-id=billing-batch producer_byte_rate']).toBeLessThan(64 * 1.2);
    expect(stdout).toContain('(3 check(s) skipped, not proven)');
    expect(run.verify!.counts.drift).toBe(0);
  });

  it('must fail: quotas lifted after the restore — the unthrottled producer and the consumer now under <default> fail the probe, verify sees the same two quotas', async () => {
    const { code, stdout, stderr, result } = await runDrill('drills/must-fail/quota-lifted.yaml', 'quota-lifted');
    expect(code, `${stdout}\n${stderr}`).toBe(1);
    const run = result.runs[0]!;
    expect(run.kafkaVersion).toBe(DEFAULT_KAFKA_VERSION);
    expect(run.reason).toBe('2 difference(s) of drift after restore; probe quotas-enforced failed');
    expect(run.phases.filter((p) => p.status !== 'passed').map((p) => `${p.name} ${p.status}`)).toEqual(['connectors skipped', 'verify failed', 'probes failed']);
    expect(run.probes.map((p) => [p.id, p.status])).toEqual([
      ['quotas-enforced', 'failed'],
      ['fulfilment-resumes', 'passed'],
    ]);
    expect(run.manualSteps.map((s) => [s.id, s.status, s.output])).toEqual([
      ['lift-catch-up-quotas', 'automated', 'lifted user=shop-writer:producer_byte_rate, user=svc-analytics:consumer_byte_rate'],
    ]);
    const failed = run.probes[0]!.evidence.filter((e) => e.outcome === 'failed');
    expect(failed.map((e) => [e.resource, e.principal])).toEqual([
      ['quota user=shop-writer producer_byte_rate', 'User:shop-writer'],
      ['quota user=svc-analytics consumer_byte_rate', 'User:svc-analytics'],
    ]);
    // shop-writer: nothing governs its produce any more. svc-analytics: the <default> user quota (128 KiB/s) does, not its own 192 KiB/s.
    expect(failed[0]!.observed).toBe('not throttled');
    expect(enforced(failed[1]!.observed)).toBeLessThan(128 * 1.2);
    // The other quotas still hold: the failure is the two lifted ones.
    expect(run.probes[0]!.evidence.filter((e) => e.outcome === 'passed')).toHaveLength(5);
    expect(run.verify!.differences.filter((d) => d.classification === 'drift').map((d) => [d.object, d.expected, d.actual])).toEqual([
      ['quota user=shop-writer producer_byte_rate', '262144', null],
      ['quota user=svc-analytics consumer_byte_rate', '196608', null],
    ]);

    // Every report renders the probe's typed outcomes: the HTML row counts its skipped checks, JUnit and the summary name the failure.
    const html = readFileSync(`${out}/quota-lifted/report.html`, 'utf8');
    expect(html).toContain('data-status="failed" data-skipped-checks="3"');
    // Listed twice: first in the lead (by team, probe and principal), then in the probe's row.
    const lead = html.slice(html.indexOf('class="panel attention"'), html.indexOf('class="panel run-details"'));
    const details = html.slice(html.indexOf('class="panel run-details"'));
    expect(lead.match(/data-outcome="(failed|skipped)"/g)).toHaveLength(5);
    expect(details.match(/data-outcome="(passed|failed|skipped)"/g)!.filter((m) => !m.includes('passed'))).toEqual([
      ...Array(3).fill('data-outcome="skipped"'),
      'data-outcome="failed"',
      'data-outcome="failed"',
    ]);
    expect(html).toContain('<span class="subject">User:shop-writer · produce · quota user&#x3D;shop-writer producer_byte_rate</span>');
    const junit = readFileSync(`${out}/quota-lifted/junit.xml`, 'utf8');
    expect(junit).toMatch(
      /<testcase classname="[^"]*\.probes\.quota" name="quota enforcement \(every restored quota\) \[quotas-enforced\]" time="[\d.]+">\s*<failure type="ProbeFailed" message="expected throttled to 256\.0 KiB\/s ±20%, observed not throttled"/,
    );
    expect(readFileSync(`${out}/quota-lifted/summary.md`, 'utf8')).toContain(
      '- probe failed: quota enforcement (every restored quota): expected throttled to 256.0 KiB/s ±20%, observed not throttled',
    );
  });
});
