/**
 * Rollback decisions in whole drills, through the real CLI: a must-fail drill whose authorization
 * trigger fires (drills/must-fail/rollback-decided.yaml) and the same cutover with nothing to
 * trigger it (test/drills/fixtures/rollback-promote.yaml). The decision and its triggers must be
 * in result.json, report.html, summary.md, junit.xml (valid against the Ant JUnit schema) and
 * metrics.prom (read by a Prometheus text-format parser).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'junit2json';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { describe, expect, it } from 'vitest';
import type { Result } from '../../src/model/result.js';
import { DEFAULT_KAFKA_VERSION } from '../../src/runtime/distribution.js';
import { fileExists, itWith, onPath, sharedDir } from '../support/require.js';
import { tempDir } from '../support/temp.js';
import { readEvidence, runToEnd } from './cli.js';

const out = tempDir('rollback-drills');
const schema = path.join(sharedDir, 'schemas/JUnit.xsd');
const itWithSchema = itWith(onPath('xmllint'), fileExists(schema));

async function runDrill(spec: string, name: string) {
  const dir = path.join(out, name);
  const { code, stdout, stderr } = await runToEnd(spec, dir);
  const read = (file: string) => readFileSync(path.join(dir, file), 'utf8');
  return {
    code,
    log: `${stdout}\n${stderr}`,
    result: readEvidence(dir),
    dir,
    html: read('report.html'),
    summary: read('summary.md'),
    junit: read('junit.xml'),
    metrics: read('metrics.prom'),
  };
}

/** The rollback section of report.html, and each trigger's element in it. */
function htmlSection(html: string) {
  const section = /<section class="rollback[^"]*" data-decision="([a-z]+)" data-expected="([a-z]+)"[\s\S]*?<\/section>/.exec(html);
  expect(section, 'the rollback section of report.html').not.toBeNull();
  const triggers = [
    ...section![0].matchAll(/<li class="trigger-[a-z]+" data-trigger="([^"]+)" data-fired="(true|false)">([\s\S]*?)<\/li>\s*(?=<li class="trigger-|<\/ul>\s*(?:<div|<\/section))/g),
  ].map((match) => ({ id: match[1], fired: match[2] === 'true', text: match[3]! }));
  return { decision: section![1], expected: section![2], text: section![0], triggers };
}

async function junitSuite(xml: string, dir: string) {
  execFileSync('xmllint', ['--noout', '--schema', schema, path.join(dir, 'junit.xml')], { stdio: 'pipe' });
  const parsed = (await parse(xml)) as {
    testsuite: {
      properties: { name: string; value: string }[];
      testcase: { classname: string; name: string; failure?: { type: string; message: string; inner: string }[] }[];
      'system-out': string[];
    }[];
  };
  const suite = parsed.testsuite[0]!;
  const properties = Object.fromEntries(suite.properties.map((property) => [property.name, property.value]));
  const rollbackCase = suite.testcase.find((testCase) => testCase.classname.endsWith('.rollback'));
  return { properties, rollbackCase, systemOut: suite['system-out'].join('') };
}

function decisionGauge(text: string): Record<string, number> {
  const family = parsePrometheusTextFormat(text).find((entry) => entry.name === 'kafka_drill_rollback_decision')!;
  return Object.fromEntries(family.metrics.map((metric) => [(metric as { labels: Record<string, string> }).labels.decision!, Number((metric as { value: string }).value)]));
}

function triggersOf(result: Result) {
  return result.runs[0]!.rollback!.triggers.map((trigger) => [trigger.id, trigger.fired]);
}

describe('rollback decisions', { timeout: 300_000 }, () => {
  itWithSchema('must-fail/rollback-decided: the refused write rolls the cutover back; the rollback runs, counts in the RTO, and every report shows it', async () => {
    const { code, log, result, dir, html, summary, junit, metrics } = await runDrill('drills/must-fail/rollback-decided.yaml', 'decided');
    expect(code, log).toBe(1);
    const run = result.runs[0]!;
    expect(run.kafkaVersion).toBe(DEFAULT_KAFKA_VERSION);
    const reason = 'probe reader-writes-orders failed; rollback decided (trigger shop-writes-denied)';
    expect([result.verdict, run.verdict, run.reason]).toEqual(['failed', 'failed', reason]);
    // Nothing else failed: the restore, the offsets probe, the objectives.
    expect(run.phases.filter((p) => p.status !== 'passed').map((p) => `${p.name} ${p.status}`)).toEqual(['connectors skipped', 'probes failed']);
    expect(run.probes.map((p) => [p.id, p.status])).toEqual([
      ['reader-writes-orders', 'failed'],
      ['fulfilment-resumes', 'passed'],
    ]);
    expect(run.objectives.filter((o) => !o.met)).toEqual([]);

    const rollback = run.rollback!;
    expect([rollback.decision, rollback.expected]).toEqual(['rollback', 'promote']);
    expect(triggersOf(result)).toEqual([
      ['shop-writes-denied', true],
      ['fulfilment-replays', false],
      ['fulfilment-must-resume', false],
      ['too-slow', false],
    ]);
    // The cause is the refused check itself, by probe and position, as the probe recorded it.
    const probe = run.probes[0]!;
    const refused = probe.evidence.findIndex((e) => e.outcome === 'failed');
    expect(probe.evidence.filter((e) => e.outcome === 'failed')).toHaveLength(1);
    expect(probe.evidence[refused]).toMatchObject({ principal: 'User:shop-reader', operation: 'WRITE', resource: 'topic shop.orders', kafkaError: 'TOPIC_AUTHORIZATION_FAILED' });
    expect(rollback.triggers[0]!.causes).toEqual([
      { kind: 'probe-check', probe: 'reader-writes-orders', check: refused, principal: 'User:shop-reader', operation: 'WRITE', resource: 'topic shop.orders' },
    ]);
    // The offsets probe measured the group's replay, typed: exact resumption, so the replay trigger stayed quiet.
    expect(run.probes[1]!.evidence.map((e) => e.replay)).toEqual([
      { group: 'shop-fulfilment', topic: 'shop.orders', partition: 0, records: 0 },
      { group: 'shop-fulfilment', topic: 'shop.orders', partition: 1, records: 0 },
    ]);

    // The automated step ran against this drill's environment; the manual one waits for a person.
    expect(rollback.steps.map((s) => [s.id, s.owner, s.automated, s.status])).toEqual([
      ['repoint-clients', 'platform-team', true, 'automated'],
      ['tell-shop-team', 'shop-team', false, 'pending'],
    ]);
    expect(rollback.steps[0]!.output).toMatch(/^clients pointed away from 127\.0\.0\.1:\d+$/);
    expect(rollback.minutes).toBeGreaterThanOrEqual(20);
    expect(rollback.minutes).toBeLessThan(20.1);
    expect(run.rto.projectedMinutes).toBeCloseTo(run.rto.measuredMinutes + rollback.minutes, 2);

    const section = htmlSection(html);
    expect([section.decision, section.expected]).toEqual(['rollback', 'promote']);
    expect(section.triggers.map((t) => [t.id, t.fired])).toEqual(triggersOf(result));
    expect(section.triggers[0]!.text).toContain(`check ${refused + 1} of probe reader-writes-orders failed: User:shop-reader WRITE topic shop.orders`);
    expect(section.text).toContain('Tell the shop team the cutover was rolled back');

    expect(summary).toContain('**Rollback decision** (Kafka');
    expect(summary).toMatch(/❌ rollback — rollback \(1 of 4 trigger\(s\) fired\), expected promote; 20(\.\d+)? min added to the projected RTO/);
    expect(summary).toContain(
      `- fired shop-writes-denied: a failed authorization check of User:shop-\\* on topic shop.\\* — check ${refused + 1} of probe reader-writes-orders failed: User:shop-reader WRITE topic shop.orders`,
    );
    expect(summary).toContain('- quiet: fulfilment-replays, fulfilment-must-resume, too-slow');

    const suite = await junitSuite(junit, dir);
    expect(suite.properties).toMatchObject({ 'rollback.decision': 'rollback', 'rollback.expected': 'promote', 'rollback.triggers.fired': 'shop-writes-denied' });
    expect(suite.rollbackCase!.name).toBe('rollback decision: rollback');
    expect(suite.rollbackCase!.failure![0]!).toMatchObject({ type: 'RollbackDecided' });
    expect(suite.rollbackCase!.failure![0]!.inner).toContain('[fired] shop-writes-denied');
    expect(suite.systemOut).toContain('rollback step [automated] Point shop clients back at the original cluster');

    expect(decisionGauge(metrics)).toEqual({ promote: 0, rollback: 1 });
    expect(log).toContain(`[${DEFAULT_KAFKA_VERSION}] rollback decision: rollback (fired: shop-writes-denied), expected promote`);
  });

  itWithSchema('rollback-promote: nothing triggers, so the cutover is promoted and the rollback neither runs nor counts', async () => {
    const { code, log, result, dir, html, summary, junit, metrics } = await runDrill('test/drills/fixtures/rollback-promote.yaml', 'promote');
    expect([code, result.verdict], log).toEqual([0, 'passed']);
    const run = result.runs[0]!;
    expect(run.rollback).toMatchObject({ decision: 'promote', expected: 'promote', steps: [], minutes: 0 });
    expect(triggersOf(result)).toEqual([
      ['shop-writes-denied', false],
      ['fulfilment-replays', false],
      ['fulfilment-must-resume', false],
      ['any-objective', false],
    ]);
    expect(run.rollback!.triggers.every((trigger) => trigger.causes.length === 0)).toBe(true);
    // No open manual step and no rollback: projected is measured.
    expect(run.rto.projectedMinutes).toBe(run.rto.measuredMinutes);

    const section = htmlSection(html);
    expect([section.decision, section.expected]).toEqual(['promote', 'promote']);
    expect(section.triggers.map((t) => [t.id, t.fired])).toEqual(triggersOf(result));
    expect(section.text).not.toContain('rollback-steps');
    expect(summary).toContain('✅ promote — promote (none of 4 trigger(s) fired), as expected');
    const suite = await junitSuite(junit, dir);
    expect(suite.properties).toMatchObject({ 'rollback.decision': 'promote', 'rollback.minutes': 0 });
    expect(suite.rollbackCase).toMatchObject({ name: 'rollback decision: promote' });
    expect(suite.rollbackCase!.failure).toBeUndefined();
    expect(decisionGauge(metrics)).toEqual({ promote: 1, rollback: 0 });
  });
  it('rollback-rehearsal: a rollback the drill expects is no failure; it still counts in the RTO', async () => {
    const { code, log, result, summary, metrics } = await runDrill('test/drills/fixtures/rollback-rehearsal.yaml', 'rehearsal');
    expect([code, result.verdict], log).toEqual([0, 'passed']);
    const run = result.runs[0]!;
    const rollback = run.rollback!;
    expect([rollback.decision, rollback.expected]).toEqual(['rollback', 'rollback']);
    const cause = rollback.triggers[0]!.causes[0]!;
    expect(cause).toMatchObject({ kind: 'rto', boundMinutes: 30 });
    // The cutover's RTO is the restore plus the person's 40 minutes; the rollback comes on top.
    expect(cause.kind === 'rto' && cause.projectedMinutes).toBeCloseTo(run.rto.measuredMinutes + 40, 2);
    expect(rollback.steps.map((s) => [s.id, s.status])).toEqual([['repoint-clients', 'automated']]);
    expect(rollback.minutes).toBeLessThan(0.1);
    expect(run.rto.projectedMinutes).toBeCloseTo(run.rto.measuredMinutes + 40 + rollback.minutes, 2);
    expect(summary).toContain('✅ rollback — rollback (1 of 1 trigger(s) fired), as expected');
    expect(decisionGauge(metrics)).toEqual({ promote: 0, rollback: 1 });
  });
});
