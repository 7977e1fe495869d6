/**
 * The shipped drills of the TLS modes, through the CLI, against real brokers: mtls with
 * certificate principals under the source's mapping rules, sasl_ssl with SCRAM over TLS, and ssl.
 * Each must pass with its checks exercised by real clients, and write no key anywhere.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Result } from '../../src/model/result.js';
import { BILLING, EXPIRED_BROKER_SUBJECT, HAND_TYPED, LEDGER, PARTNER } from '../../fixtures/make-tls-snapshots.js';
import { readEvidence, runToEnd } from './cli.js';

const out = await mkdtemp(join(tmpdir(), 'kafka-drill-tls-drills-'));
afterAll(() => rm(out, { recursive: true, force: true }));

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = join(dir, name);
    return statSync(file).isDirectory() ? filesUnder(file) : [file];
  });
}

async function runDrill(name: string): Promise<{ code: number | null; result: Result; written: string }> {
  const dir = join(out, name.replace('/', '-'));
  const { code, stdout, stderr } = await runToEnd(`drills/${name}.yaml`, dir);
  const written = [stdout, stderr, ...filesUnder(dir).map((file) => readFileSync(file, 'utf8'))].join('\n');
  return { code, result: readEvidence(dir), written };
}

const failedEvidence = (result: Result) =>
  result.runs.flatMap((run) => run.probes.flatMap((probe) => probe.evidence.filter((e) => e.outcome === 'failed').map((e) => ({ probe: probe.id, ...e }))));

describe('TLS drills', { timeout: 420_000 }, () => {
  it('mtls: every certificate principal the mapping rules can reach is exercised, allow and deny; the one they cannot is skipped', async () => {
    const { code, result, written } = await runDrill('mtls');
    expect(failedEvidence(result)).toEqual([]);
    expect([code, result.verdict]).toEqual([0, 'passed']);
    const [run] = result.runs;
    expect(run!.environment.security).toMatch(/^SSL \(client certificates, mapping rules RULE:/);
    expect(run!.phases.find((p) => p.name === 'cluster-configs')!.findings.map((f) => [f.code, f.object])).toEqual([
      ['config-set-at-start-up', 'cluster config ssl.principal.mapping.rules'],
    ]);
    expect(run!.verify!.counts.drift).toBe(0);

    const matrix = run!.probes.find((p) => p.id === 'certificate-acl-matrix')!;
    for (const principal of [LEDGER, BILLING, PARTNER]) {
      const mine = matrix.evidence.filter((e) => e.principal === principal && e.outcome === 'passed' && e.operation !== 'AUTHENTICATE');
      expect(
        mine.some((e) => e.expected === 'allow' && e.observed.startsWith('allowed')),
        `${principal} allowed`,
      ).toBe(true);
      expect(
        mine.some((e) => e.expected === 'deny' && e.kafkaError === 'TOPIC_AUTHORIZATION_FAILED'),
        `${principal} denied`,
      ).toBe(true);
      expect(mine.every((e) => e.detail?.includes('as client certificate CN='))).toBe(true);
    }
    expect(matrix.evidence).toContainEqual(
      expect.objectContaining({
        principal: LEDGER,
        operation: 'WRITE',
        resource: 'topic payments.transactions',
        expected: 'deny',
        outcome: 'passed',
        kafkaError: 'TOPIC_AUTHORIZATION_FAILED',
      }),
    );
    const handTyped = matrix.evidence.filter((e) => e.principal === HAND_TYPED);
    expect(handTyped.length).toBeGreaterThan(0);
    expect(handTyped.every((e) => e.outcome === 'skipped' && e.detail!.startsWith('no certificate subject maps to'))).toBe(true);
    expect(matrix.evidence.filter((e) => e.operation === 'AUTHENTICATE').map((e) => [e.principal, e.outcome])).toEqual([
      ['no client certificate', 'passed'],
      ['User:CN=kafka-drill-admin,OU=kafka-drill', 'passed'],
    ]);
    expect(run!.probes.map((p) => [p.id, p.status])).toEqual([
      ['certificate-acl-matrix', 'passed'],
      ['consumers-resume', 'passed'],
      ['invoices-round-trip', 'passed'],
    ]);
    expect(written).not.toContain('PRIVATE KEY');
  });

  it('sasl_ssl: the secured matrix over TLS, SCRAM controls included', async () => {
    const { code, result, written } = await runDrill('sasl-ssl');
    expect(failedEvidence(result)).toEqual([]);
    expect([code, result.verdict]).toEqual([0, 'passed']);
    const [run] = result.runs;
    expect(run!.environment.security).toBe('SASL_SSL (SCRAM-SHA-512)');
    const matrix = run!.probes.find((p) => p.id === 'acl-matrix')!;
    expect(matrix.evidence.filter((e) => e.outcome === 'passed' && e.expected === 'deny' && e.kafkaError === 'TOPIC_AUTHORIZATION_FAILED').length).toBeGreaterThan(10);
    expect(matrix.evidence.filter((e) => e.operation === 'AUTHENTICATE').every((e) => e.outcome === 'passed' && e.kafkaError === 'SASL_AUTHENTICATION_FAILED')).toBe(true);
    expect(written).not.toContain('PRIVATE KEY');
  });

  it('must-fail/expired-certificate: fails on the expiry assumption alone, naming the certificate', async () => {
    const { code, result } = await runDrill('must-fail/expired-certificate');
    expect(failedEvidence(result)).toEqual([]);
    expect([code, result.verdict, result.reason]).toEqual([1, 'failed', '4.3.1: objective missed: failed assumptions 1 (target ≤ 0)']);
    const [run] = result.runs;
    expect(run!.phases.filter((p) => p.status === 'failed')).toEqual([]);
    expect(run!.assumptions.filter((a) => a.status !== 'held').map((a) => [a.id, a.status])).toEqual([['certificates-valid-30-days', 'failed']]);
    const expiry = run!.assumptions.find((a) => a.id === 'certificates-valid-30-days')!;
    expect(expiry.observed).toMatch(new RegExp(`^${EXPIRED_BROKER_SUBJECT} \\(expired 2026-10-01T00:00:00\\.000Z, sha256 [0-9A-F:]+…\\)$`));
    expect(run!.assumptions.find((a) => a.id === 'chain-trusted')).toMatchObject({ status: 'held', observed: 'trusted through CN=Example Corp Kafka CA,O=Example Corp' });
  });

  it('ssl: restores and round-trips records behind a TLS listener', async () => {
    const { code, result } = await runDrill('ssl');
    expect(failedEvidence(result)).toEqual([]);
    expect([code, result.verdict]).toEqual([0, 'passed']);
    expect(result.runs[0]!.environment.security).toBe('SSL');
    expect(result.runs[0]!.probes.map((p) => [p.id, p.status])).toEqual([
      ['round-trip', 'passed'],
      ['consumers-resume', 'passed'],
    ]);
  });
});
