/**
 * The reports rendered from a real drill's result.json (not a hand-made fixture): a one-broker
 * drill run through the CLI whose evidence has passed, failed and skipped checks. In Chromium,
 * no passing row may look failing (computed style), and skipped rows must look skipped and be
 * counted wherever passes are counted.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serializeResult, type Result } from '../../src/model/result.js';
import { parse } from 'junit2json';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { readEvidence, runToEnd } from '../drills/cli.js';
import { allAvailable, executable, fileExists, itWith, onPath, repoRoot, sharedDir } from '../support/require.js';
import { countChecks } from '../../src/model/verdict.js';
import { CLI } from '../cli/run-cli.js';

const chromiumPath = '/usr/bin/chromium';
const chromiumPresent = executable(chromiumPath);
const itChromium = itWith(chromiumPresent);
const junitSchema = path.join(sharedDir, 'schemas/JUnit.xsd');
const itValidates = itWith(onPath('xmllint'), fileExists(junitSchema));

const out = mkdtempSync(path.join(tmpdir(), 'kafka-drill-report-real-'));
let result: Result;
let browser: Browser | undefined;
let page: Page;

beforeAll(async () => {
  const { code, stdout, stderr } = await runToEnd('test/report/drills/mixed.yaml', out);
  if (code !== 1) throw new Error(`the drill should fail for one explicit expectation (exit 1), exited ${code}:\n${stdout}\n${stderr}`);
  result = readEvidence(out);
  if (!allAvailable(chromiumPresent)) return;
  browser = await chromium.launch({ executablePath: chromiumPath, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'] });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(pathToFileURL(path.join(out, 'report.html')).href, { waitUntil: 'load' });
}, 600_000);

afterAll(async () => {
  await browser?.close();
  rmSync(out, { recursive: true, force: true });
});

const probe = (id: string) => result.runs[0]!.probes.find((candidate) => candidate.id === id)!;

/** The left border colour and the row background of every evidence item, by its outcome. */
async function evidenceStyles(): Promise<{ outcome: string; border: string; background: string; label: string }[]> {
  // Failed and skipped checks are listed with their outcome; passing ones in a table under "show the N passed check(s)".
  return page.$$eval('.run-details ul.evidence li, .run-details table.passing-checks tbody tr', (items) =>
    items.map((item) => ({
      outcome: item.getAttribute('data-outcome') ?? '',
      border: getComputedStyle(item).borderLeftColor,
      background: getComputedStyle(item).backgroundColor,
      label:
        item.querySelector('.outcome')?.textContent ??
        (item
          .closest('details.passing-rows')
          ?.querySelector('summary')
          ?.textContent?.match(/passed/)?.[0] ||
          ''),
    })),
  );
}

describe('reports of a real drill', () => {
  it('the drill produced every outcome: passed, failed and skipped checks', () => {
    expect(result.verdict).toBe('failed');
    expect(countChecks(probe('acl-matrix'))).toMatchObject({ failed: 0, skipped: 1 });
    expect(countChecks(probe('acl-matrix')).passed).toBeGreaterThan(10);
    // The three controls and the writer's WRITE passed; the reader's WRITE was refused.
    expect(countChecks(probe('reader-writes-orders'))).toEqual({ passed: 4, failed: 1, skipped: 0 });
    expect(countChecks(probe('outside-checks'))).toEqual({ passed: 0, failed: 0, skipped: 2 });
  });

  itChromium('no passing check looks failing, failed checks do, skipped checks are marked skipped', async () => {
    const styles = await evidenceStyles();
    const failedStyle = styles.find((style) => style.outcome === 'failed')!;
    const passed = styles.filter((style) => style.outcome === 'passed');
    const skipped = styles.filter((style) => style.outcome === 'skipped');
    expect(passed.length).toBe(result.runs[0]!.probes.reduce((sum, each) => sum + countChecks(each).passed, 0));
    expect(failedStyle.border).toBe('rgb(198, 40, 40)');
    for (const style of passed) {
      expect(style.border).not.toBe(failedStyle.border);
      expect(style.background).not.toBe(failedStyle.background);
      expect(style.label).toBe('passed');
    }
    expect(skipped.length).toBe(3);
    for (const style of skipped) {
      expect([style.border, style.label]).not.toEqual([failedStyle.border, 'failed']);
      expect(style.label).toBe('skipped');
    }
  });

  itChromium('probe rows: a passing probe looks passing, an all-skipped probe is shown skipped with its count', async () => {
    const rows = await page.$$eval('table.probes > tbody > tr', (trs) =>
      trs.map((tr) => ({
        status: tr.getAttribute('data-status'),
        skipped: tr.getAttribute('data-skipped-checks'),
        label: tr.querySelector('.status')?.textContent ?? '',
        labelColor: getComputedStyle(tr.querySelector('.status')!).color,
        counts: tr.querySelector('.check-counts')?.textContent ?? '',
        background: getComputedStyle(tr).backgroundColor,
      })),
    );
    const byStatus = (status: string) => rows.filter((row) => row.status === status);
    expect(byStatus('failed')).toHaveLength(1);
    expect(byStatus('skipped')).toEqual([expect.objectContaining({ label: 'skipped', skipped: '2', counts: 'checks: 0 passed, 0 failed, 2 skipped' })]);
    const failedRow = byStatus('failed')[0]!;
    for (const row of byStatus('passed')) {
      expect(row.labelColor).not.toBe(failedRow.labelColor);
      expect(row.background).not.toBe(failedRow.background);
    }
    expect(byStatus('passed').find((row) => row.skipped === '1')?.counts).toMatch(/^checks: \d+ passed, 0 failed, 1 skipped$/);
    const summary = await page.textContent('.run-details h3 .count');
    expect(summary).toMatch(/2 passed, 1 failed, 0 could not run, 1 skipped · checks: \d+ passed, 1 failed, 3 skipped/);
    const chips = await page.$$eval('.stat', (stats) => stats.map((stat) => stat.textContent?.replace(/\s+/g, ' ').trim()));
    expect(chips).toContainEqual(expect.stringMatching(/^Checks skipped 3\s*of \d+ · \d+ passed · 1 failed$/));
  });

  it('JUnit: the all-skipped probe is a skipped testcase; check counts in properties and system-out', () => {
    const junit = readFileSync(path.join(out, 'junit.xml'), 'utf8');
    expect(junit).toMatch(/<testcase [^>]*name="checks from outside the drill&apos;s network \[outside-checks\]"[^>]*>\s*<skipped message="every check skipped \(2\)/);
    expect(junit).toContain('<property name="checks.skipped" value="3"/>');
    expect(junit).toContain('<property name="probes.skipped" value="1"/>');
    expect(junit).toMatch(/Probes: 2 passed, 1 failed, 0 could not run, 1 skipped; checks: \d+ passed, 1 failed, 3 skipped/);
    expect(junit).toContain('[skipped] User:shop-reader CLUSTER_ACTION cluster: expected deny, observed not exercised');
  });

  it('Markdown summary: skipped beside passed in the table, and which probes skipped checks', () => {
    const summary = readFileSync(path.join(out, 'summary.md'), 'utf8');
    expect(summary).toContain('| Probes passed / failed / skipped | Checks passed / failed / skipped |');
    expect(summary).toMatch(/\| 2 \/ 1 \/ 1 \| \d+ \/ 1 \/ 3 \|/);
    expect(summary).toContain("- probe every check skipped: checks from outside the drill's network (first: not reachable from the drill host)");
  });
  it("result.json: each failed or skipped check, assumption, finding and manual step names its owner, from the spec's owners", () => {
    const run = result.runs[0]!;
    const owned = run.probes.flatMap((each) =>
      each.evidence.filter((check) => check.outcome !== 'passed').map((check) => [each.id, check.outcome, check.principal ?? check.resource, check.owner]),
    );
    expect(owned).toEqual([
      ['acl-matrix', 'skipped', 'User:shop-reader', 'shop-app'],
      ['reader-writes-orders', 'failed', 'User:shop-reader', 'shop-app'],
      ['outside-checks', 'skipped', 'load balancer lb-1', 'platform'],
      ['outside-checks', 'skipped', 'DNS kafka.internal', 'platform'],
    ]);
    // Passing checks carry no owner: 25,000 of them would only repeat it.
    expect(run.probes.flatMap((each) => each.evidence).filter((check) => check.outcome === 'passed' && check.owner !== undefined)).toEqual([]);
    expect(run.assumptions.find((assumption) => assumption.id === 'orders-min-isr')).toMatchObject({ status: 'failed', owner: 'catalog' });
    expect(run.assumptions.find((assumption) => assumption.id === 'acls-accepted')?.owner).toBe('security');
    expect(run.manualSteps.map((step) => [step.id, step.owner])).toEqual([['point-shop-dns', 'shop-app']]);
    for (const finding of run.phases.flatMap((phase) => phase.findings)) expect(finding.owner).toMatch(/^(platform|security|catalog|shop-app|application)$/);
  });

  itChromium('report.html opens with what failed and was skipped, by team, with counts per team; passing rows are a click away', async () => {
    const teams = await page.$$eval('.attention table.team-counts tbody tr', (rows) =>
      rows.map((row) => [row.getAttribute('data-owner'), ...[...row.querySelectorAll('td[data-count]')].map((cell) => `${cell.getAttribute('data-count')}=${cell.textContent}`)]),
    );
    expect(teams).toEqual([
      // The most failures first (checks, restore errors, assumptions), then by name.
      ['catalog', 'failed-checks=0', 'skipped-checks=0', 'restore-errors=0', 'failed-assumptions=1', 'manual-steps=0', 'warnings=0'],
      ['shop-app', 'failed-checks=1', 'skipped-checks=1', 'restore-errors=0', 'failed-assumptions=0', 'manual-steps=1', 'warnings=0'],
      ['platform', 'failed-checks=0', 'skipped-checks=2', 'restore-errors=0', 'failed-assumptions=0', 'manual-steps=0', 'warnings=0'],
    ]);
    // Each team's section holds its own items, grouped by probe and principal.
    const shop = page.locator('.attention article.team[data-owner="shop-app"]');
    expect((await shop.locator('details.group-failed summary').innerText()).replace(/\s+/g, ' ')).toBe('failed 1 · authorization reader-writes-orders · User:shop-reader');
    expect(await shop.locator('details.group-failed li[data-outcome="failed"]').getAttribute('data-owner')).toBe('shop-app');
    expect(await shop.locator('details.group-skipped li').innerText()).toContain('CLUSTER_ACTION');
    expect(await shop.locator('[data-kind="manual-step"]').innerText()).toContain("Point the shop's bootstrap name at the restored cluster");
    expect(await page.locator('.attention article.team[data-owner="catalog"] [data-kind="assumption"]').innerText()).toContain('min.insync.replicas');
    expect(await page.locator('.attention article.team[data-owner="platform"] details.group-skipped li').count()).toBe(2);
    // It leads: the failed check is on the first screens, above the timeline and every probe table.
    const failedTop = await shop.locator('li[data-outcome="failed"]').evaluate((item) => item.getBoundingClientRect().top + window.scrollY);
    const probesTop = await page.locator('table.probes').evaluate((table) => table.getBoundingClientRect().top + window.scrollY);
    expect(failedTop).toBeLessThan(probesTop);
    expect(failedTop).toBeLessThan(1800);
    // Passing checks: counted per principal and operation, their rows hidden until a click.
    const matrix = page.locator('table.probes tr', { has: page.locator('code', { hasText: /^acl-matrix$/ }) });
    const passed = countChecks(probe('acl-matrix')).passed;
    expect(await matrix.locator('.passing-summary').getAttribute('data-passed')).toBe(String(passed));
    const perPrincipal = await matrix.locator('table.passing-counts td.num').allInnerTexts();
    expect(perPrincipal.map(Number).reduce((a, b) => a + b, 0)).toBe(passed);
    expect(await matrix.locator('table.passing-counts').innerText()).toMatch(/User:shop-reader\s+\d+\s+.*DESCRIBE_CONFIGS \d+/);
    const firstPassing = matrix.locator('details.passing-rows tr[data-outcome="passed"]').first();
    expect(await firstPassing.isVisible()).toBe(false);
    await matrix.locator('details.passing-rows > summary').click();
    expect(await firstPassing.isVisible()).toBe(true);
  });

  itValidates('junit.xml: a schema-valid suite per team with what it owns', async () => {
    const file = path.join(out, 'junit.xml');
    execFileSync('xmllint', ['--noout', '--schema', junitSchema, file], { stdio: 'pipe' });
    const parsed = (await parse(readFileSync(file, 'utf8'))) as { testsuite: Array<Record<string, any>> };
    const teams = parsed.testsuite.filter((suite) => / team /.test(suite.name));
    expect(teams.map((suite) => [suite.name, suite.tests, suite.failures, suite.skipped])).toEqual([
      ['report-mixed on Kafka 4.3.1: team catalog', 1, 1, 0],
      ['report-mixed on Kafka 4.3.1: team shop-app', 3, 1, 2],
      ['report-mixed on Kafka 4.3.1: team platform', 2, 0, 2],
    ]);
    const shopCases = teams[1]!.testcase as Array<{ name: string; failure?: unknown }>;
    expect(shopCases.find((testCase) => testCase.failure)?.name).toBe('authorization [reader-writes-orders]: User:shop-reader WRITE topic shop.orders');
  });

  it('metrics.prom: per-team gauges, parsed by a Prometheus text-format parser', () => {
    const families = parsePrometheusTextFormat(readFileSync(path.join(out, 'metrics.prom'), 'utf8'));
    const byTeam = (name: string) =>
      Object.fromEntries(
        families
          .find((family) => family.name === name)!
          .metrics.map((sample) => [sample.labels!.team! + (sample.labels!.severity ? `/${sample.labels!.severity}` : ''), Number(sample.value)]),
      );
    expect(byTeam('kafka_drill_team_failed_checks')).toEqual({ 'shop-app': 1, catalog: 0, platform: 0 });
    expect(byTeam('kafka_drill_team_skipped_checks')).toEqual({ 'shop-app': 1, catalog: 0, platform: 2 });
    expect(byTeam('kafka_drill_team_failed_assumptions')).toEqual({ 'shop-app': 0, catalog: 1, platform: 0 });
    expect(byTeam('kafka_drill_team_manual_steps')).toEqual({ 'shop-app': 1, catalog: 0, platform: 0 });
    expect(byTeam('kafka_drill_team_manual_steps_estimate_seconds')['shop-app']).toBe(300);
    for (const sample of families.find((family) => family.name === 'kafka_drill_team_failed_checks')!.metrics) {
      expect(sample.labels).toEqual({ drill: 'report-mixed', kafka_version: '4.3.1', team: expect.any(String) });
    }
  });

  it('kafka-drill report --compare shows per-team trends across runs', () => {
    const older = structuredClone(result);
    older.startedAt = '2026-01-01T00:00:00.000Z';
    older.finishedAt = '2026-01-01T00:05:00.000Z';
    older.runs[0]!.manualSteps = [];
    const compareDir = mkdtempSync(path.join(tmpdir(), 'kafka-drill-report-compare-'));
    try {
      const olderFile = path.join(compareDir, 'older.json');
      writeFileSync(olderFile, serializeResult(older));
      execFileSync(CLI[0], [CLI[1], 'report', path.join(out, 'result.json'), '--out', path.join(compareDir, 'now'), '--compare', olderFile], { cwd: repoRoot, stdio: 'pipe' });
      const summary = readFileSync(path.join(compareDir, 'now', 'summary.md'), 'utf8');
      const trend = summary.slice(summary.indexOf('**Trend by team**'));
      expect(trend).toContain('| shop-app | 0 / 0 / 1 | 1 / 0 / 1 |');
      expect(trend).toContain('| catalog | 0 / 1 / 0 | 0 / 1 / 0 |');
      expect(trend).toContain('| platform | 0 / 0 / 2 | 0 / 0 / 2 |');
      const html = readFileSync(path.join(compareDir, 'now', 'report.html'), 'utf8');
      expect(html).toMatch(
        /<tr data-owner="shop-app">\s*<td data-label="Team"><bdi>shop-app<\/bdi><\/td>\s*<td class="trend-cell">.*0<\/span> · .*1<\/span><\/td><td class="trend-cell">.*1<\/span> · /,
      );
    } finally {
      rmSync(compareDir, { recursive: true, force: true });
    }
  });
});
