/**
 * The reports rendered from a real drill's result.json (not a hand-made fixture): a one-broker
 * drill run through the CLI whose evidence has passed, failed and skipped checks. In Chromium,
 * no passing row may look failing (computed style), and skipped rows must look skipped and be
 * counted wherever passes are counted.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Result } from '../../src/model/result.js';
import { readEvidence, runToEnd } from '../drills/cli.js';
import { allAvailable, executable, itWith } from '../support/require.js';
import { countChecks } from '../../src/model/verdict.js';

const chromiumPath = '/usr/bin/chromium';
const chromiumPresent = executable(chromiumPath);
const itChromium = itWith(chromiumPresent);

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
  return page.$$eval('ul.evidence li', (items) =>
    items.map((item) => ({
      outcome: item.getAttribute('data-outcome') ?? '',
      border: getComputedStyle(item).borderLeftColor,
      background: getComputedStyle(item).backgroundColor,
      label: item.querySelector('.outcome')?.textContent ?? '',
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
    const rows = await page.$$eval('table.probes tbody tr', (trs) =>
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
});
