/**
 * Snapshots from clusters that are not vanilla Apache Kafka 4.x, drilled on 4.3.1 through the
 * real CLI: Confluent Server's vendor topic and broker configs, and a 3.9 cluster's configs Kafka
 * 4.0 removed. Every topic is created, each config not applied is an expected difference with its
 * reason, nothing of it is drift, data and the offsets probe pass; a drill that declares
 * topic-configs-accepted fails on that assumption alone.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Run } from '../../src/model/result.js';
import { readEvidence, runToEnd } from './cli.js';

const outRoot = mkdtempSync(path.join(tmpdir(), 'kafka-drill-foreign-configs-'));
afterAll(() => rmSync(outRoot, { recursive: true, force: true }));

async function drill(name: string, exitCode: number): Promise<Run> {
  const out = path.join(outRoot, name);
  const { code, stdout, stderr } = await runToEnd(`test/drills/fixtures/${name}.yaml`, out);
  expect(code, `${stdout}\n${stderr}`).toBe(exitCode);
  const result = readEvidence(out);
  expect(result.runs).toHaveLength(1);
  return result.runs[0]!;
}

const notApplied = (run: Run) =>
  run.phases.flatMap((phase) => phase.findings.filter((f) => f.code === 'config-not-applied').map((f) => [phase.name, f.object, f.message, f.severity]));
const expectedDifferences = (run: Run) =>
  run.verify!.differences.filter((d) => d.classification === 'expected' && (d.reason ?? '').startsWith('not applied: ')).map((d) => [d.kind, d.object, d.reason]);
/** Every phase but connectors (no Connect in these snapshots) passed. */
const phases = (run: Run) => run.phases.filter((p) => p.name !== 'connectors').map((p) => [p.name, p.status]);
const allPassed = (run: Run) => run.phases.filter((p) => p.name !== 'connectors').map((p) => [p.name, 'passed']);

const UNKNOWN = 'not applied: unknown to Apache Kafka 4.3.1';
const REMOVED = 'not applied: removed in Kafka 4.0';

describe('snapshots with configs Kafka 4.3.1 does not know', () => {
  it('Confluent Server: vendor topic and broker configs are left out with their reason; the rest restores, verifies and probes green', async () => {
    const run = await drill('confluent', 0);
    expect(run.verdict, run.reason).toBe('passed');
    expect(phases(run)).toEqual(allPassed(run));
    expect(run.phases.find((p) => p.name === 'topics')!.counts).toEqual({ created: 4, updated: 0, unchanged: 0, failed: 0 });
    expect(notApplied(run)).toEqual([
      ['topics', 'topic shop.inventory config confluent.placement.constraints', UNKNOWN, 'warning'],
      ['topics', 'topic shop.orders config confluent.key.schema.validation', UNKNOWN, 'warning'],
      ['topics', 'topic shop.orders config confluent.placement.constraints', UNKNOWN, 'warning'],
      ['topics', 'topic shop.orders config confluent.tier.enable', UNKNOWN, 'warning'],
      ['topics', 'topic shop.orders config confluent.value.schema.validation', UNKNOWN, 'warning'],
      ['topics', 'topic shop.payments config confluent.tier.local.hotset.ms', UNKNOWN, 'warning'],
      ['topics', 'topic shop.payments config confluent.value.schema.validation', UNKNOWN, 'warning'],
      ['cluster-configs', 'cluster config confluent.balancer.enable', UNKNOWN, 'warning'],
      ['cluster-configs', 'cluster config confluent.tier.feature', UNKNOWN, 'warning'],
      ['cluster-configs', 'broker 1 config confluent.balancer.throttle.bytes.per.second', UNKNOWN, 'warning'],
    ]);
    // Each is an expected difference with its reason; the configs the target knows were applied: no drift at all.
    expect(expectedDifferences(run)).toHaveLength(10);
    expect(run.verify!.counts.drift).toBe(0);
    // The configs the target knows were applied as they are: no difference names them.
    const knownOnes = [
      'topic shop.orders config retention.ms',
      'topic shop.inventory config cleanup.policy',
      'cluster config message.max.bytes',
      'broker 1 config log.cleaner.threads',
    ];
    expect(run.verify!.differences.filter((d) => knownOnes.includes(d.object))).toEqual([]);
    // Data and the offsets probe on the topics that carried vendor configs.
    expect(run.phases.find((p) => p.name === 'data')).toMatchObject({ status: 'passed', counts: { failed: 0 } });
    expect(run.probes.map((p) => [p.id, p.status])).toEqual([
      ['fulfilment-resumes', 'passed'],
      ['shop-access', 'passed'],
    ]);
    // Not declared, the configs-accepted beliefs hold: nothing the target knows was refused.
    expect(run.assumptions.map((a) => [a.id, a.source, a.status])).toEqual(
      expect.arrayContaining([
        ['topic-configs-accepted', 'implicit', 'held'],
        ['broker-configs-accepted', 'implicit', 'held'],
      ]),
    );
  }, 240_000);

  it('Confluent Server, declaring topic-configs-accepted: fails on that assumption alone', async () => {
    const run = await drill('confluent-strict', 1);
    expect(run.reason).toBe('assumption failed: topic-configs-accepted');
    expect(phases(run)).toEqual(allPassed(run));
    expect(run.verify!.counts.drift).toBe(0);
    expect(run.probes.every((p) => p.status === 'passed')).toBe(true);
    const declared = run.assumptions.find((a) => a.id === 'topic-configs-accepted')!;
    expect(declared).toMatchObject({ source: 'declared', status: 'failed', expected: 'every config applied' });
    expect(declared.observed).toMatch(
      /^topic shop\.inventory config confluent\.placement\.constraints: not applied: unknown to Apache Kafka 4\.3\.1; topic shop\.orders config confluent\.key\.schema\.validation: not applied: unknown to Apache Kafka 4\.3\.1; .*; … 2 more$/,
    );
    expect(run.assumptions.filter((a) => a.status !== 'held').map((a) => a.id)).toEqual(['topic-configs-accepted']);
  }, 240_000);

  it('Kafka 3.9 with configs 4.0 removed, drilled on 4.3.1: listed with "removed in Kafka 4.0", the drill passes', async () => {
    const run = await drill('legacy-upgrade', 0);
    expect(run.verdict, run.reason).toBe('passed');
    expect(phases(run)).toEqual(allPassed(run));
    expect(notApplied(run)).toEqual([
      ['topics', 'topic shop.legacy config message.downconversion.enable', REMOVED, 'warning'],
      ['topics', 'topic shop.legacy config message.format.version', REMOVED, 'warning'],
      ['cluster-configs', 'cluster config log.message.downconversion.enable', REMOVED, 'warning'],
      ['cluster-configs', 'broker 1 config log.message.timestamp.difference.max.ms', REMOVED, 'warning'],
    ]);
    expect(expectedDifferences(run)).toEqual([
      ['topic-config', 'topic shop.legacy config message.downconversion.enable', REMOVED],
      ['topic-config', 'topic shop.legacy config message.format.version', REMOVED],
      ['cluster-config', 'cluster config log.message.downconversion.enable', REMOVED],
      ['cluster-config', 'broker 1 config log.message.timestamp.difference.max.ms', REMOVED],
    ]);
    expect(run.verify!.counts.drift).toBe(0);
    expect(run.verify!.differences.filter((d) => d.object === 'topic shop.legacy config retention.ms' || d.object === 'cluster config message.max.bytes')).toEqual([]);
    expect(run.probes.map((p) => [p.id, p.status])).toEqual([
      ['fulfilment-resumes', 'passed'],
      ['shop-access', 'passed'],
    ]);
  }, 240_000);
});
