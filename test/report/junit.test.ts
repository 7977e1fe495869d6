import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'junit2json';
import { describe, expect, it } from 'vitest';
import type { Result } from '../../src/model/result.js';
import { renderJunit, xmlAttribute, xmlText } from '../../src/report/junit.js';
import { teamCounts, teamItems } from '../../src/report/owners.js';
import { fileExists, itWith, onPath, sharedDir } from '../support/require.js';
import { expectGolden } from './golden.js';
import { fixtureNames, hostile, hostileResult, loadFixture } from './fixtures.js';
import { tempDir } from '../support/temp.js';

const schema = path.join(sharedDir, 'schemas/JUnit.xsd');
const itValidates = itWith(onPath('xmllint'), fileExists(schema));

function xmllint(xml: string): void {
  const file = path.join(tempDir('junit'), 'junit.xml');
  writeFileSync(file, xml);
  // Throws with xmllint's message on any schema violation.
  execFileSync('xmllint', ['--noout', '--schema', schema, file], { stdio: 'pipe' });
}

function expectedCases(result: Result): number[] {
  return result.runs.map((run) => run.phases.length + run.probes.length + run.assumptions.length + run.objectives.length + 1);
}

describe('junit.xml', () => {
  for (const name of fixtureNames) {
    itValidates(`${name}: validates against the Ant JUnit schema`, () => {
      xmllint(renderJunit(loadFixture(name), { hostname: 'ci-runner-7' }));
    });

    it(`${name}: a JUnit consumer reads back the same counts`, async () => {
      const result = loadFixture(name);
      const parsed = (await parse(renderJunit(result, { hostname: 'ci-runner-7' }))) as { testsuite?: Array<Record<string, any>> };
      // One suite per Kafka version, then one per team and version (with what that team has to act on).
      const suites = (parsed.testsuite ?? []).slice(0, result.runs.length);
      expect(suites.map((suite) => suite.testcase.length)).toEqual(expectedCases(result));
      const teamSuites = (parsed.testsuite ?? []).slice(result.runs.length);
      const owned = result.runs.flatMap((run) => teamItems(run).map(teamCounts));
      expect(teamSuites.map((suite) => suite.tests)).toEqual(
        owned.map((team) => team.failedChecks + team.skippedChecks + team.errorFindings + team.failedAssumptions + team.openManualSteps),
      );
      for (const suite of teamSuites) expect(suite.name).toMatch(/ on Kafka .+: team \S/);
      for (const [index, suite] of suites.entries()) {
        const run = result.runs[index]!;
        const cases = suite.testcase as Array<Record<string, unknown>>;
        expect(suite.tests).toBe(cases.length);
        expect(suite.failures).toBe(cases.filter((testCase) => testCase.failure).length);
        expect(suite.errors).toBe(cases.filter((testCase) => testCase.error).length);
        expect(suite.skipped).toBe(cases.filter((testCase) => testCase.skipped).length);
        const skippedProbes = run.probes.filter((probe) => probe.status === 'skipped').length;
        const skippedAssumptions = run.assumptions.filter((assumption) => assumption.status === 'skipped').length;
        expect(suite.skipped).toBe(run.phases.filter((phase) => phase.status === 'skipped').length + skippedProbes + skippedAssumptions);
        expect(suite.errors).toBe(
          run.probes.filter((probe) => probe.status === 'error').length + (run.verdict === 'interrupted' || run.verdict === 'infrastructure-error' ? 1 : 0),
        );
        const properties = Object.fromEntries((suite.properties as Array<{ name: string; value: string }>).map((property) => [property.name, property.value]));
        expect(String(properties['rto.projected.minutes'])).toBe(String(run.rto.projectedMinutes));
        expect(String(properties['kafka.version'])).toBe(run.kafkaVersion);
        const phaseSeconds = run.phases.reduce((sum, phase) => sum + phase.durationMs, 0) / 1000;
        expect(suite.time).toBeGreaterThanOrEqual(phaseSeconds);
        expect(suite.hostname).toBe('ci-runner-7');
        expect(suite.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
      }
    });
  }

  it('reports a failed probe with the evidence that failed', async () => {
    const parsed = (await parse(renderJunit(loadFixture('upgrade-gate-failed'), { hostname: 'h' }))) as { testsuite: Array<Record<string, any>> };
    const probe = parsed.testsuite[1]!.testcase.find((testCase: { name: string }) => testCase.name.includes('resume-billing'));
    expect(probe.failure[0].message).toBe('expected resume at 5120 (exact), observed no committed offset');
    expect(probe.failure[0].type).toBe('ProbeFailed');
    expect(probe.time).toBe(4.1);
  });

  it('escapes markup and replaces characters XML 1.0 forbids', () => {
    expect(xmlText('a < b && c > d')).toBe('a &lt; b &amp;&amp; c &gt; d');
    expect(xmlAttribute(`"x" 'y'\n\tz`)).toBe('&quot;x&quot; &apos;y&apos;&#10;&#9;z');
    expect(xmlText('nul\u0000 bell\u0007 \uD800 \uFFFE ok \u{1F600}')).toBe('nul\uFFFD bell\uFFFD \uFFFD \uFFFD ok \u{1F600}');
  });

  itValidates('hostile names still validate and read back as the same text', async () => {
    const xml = renderJunit(hostileResult(), { hostname: 'h' });
    expect(xml).not.toContain('<script>');
    expect(xml).not.toContain('<img');
    xmllint(xml);
    const parsed = (await parse(xml)) as { testsuite: Array<Record<string, any>> };
    const names = parsed.testsuite.flatMap((suite) => suite.testcase.map((testCase: { name: string }) => testCase.name));
    expect(names).toContain(`probe ${hostile.script} [resume-billing]`);
    expect(parsed.testsuite[0]!.name).toBe(`drill ${hostile.script} on Kafka 3.9.1`);
    expect(String(parsed.testsuite[1]!['system-err'])).toContain(`${hostile.script} bell\uFFFD nul\uFFFD lone-surrogate\uFFFD end`);
  });

  it('matches the golden file for the failed upgrade gate', () => {
    expectGolden('upgrade-gate-failed.junit.xml', renderJunit(loadFixture('upgrade-gate-failed'), { hostname: 'golden-host' }));
  });

  it('is well-formed for every fixture even without xmllint (parser round trip)', async () => {
    for (const name of fixtureNames) await expect(parse(renderJunit(loadFixture(name), { hostname: 'h' }))).resolves.toBeTruthy();
    expect(readFileSync(new URL('./golden/upgrade-gate-failed.junit.xml', import.meta.url), 'utf8')).toContain('<testsuites>');
  });
});
