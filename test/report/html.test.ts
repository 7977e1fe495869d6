import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Result } from '../../src/model/result.js';
import { renderHtml, renderHtmlPieces } from '../../src/report/html.js';
import { writeReports } from '../../src/report/write.js';
import { allAvailable, executable, itWith, repoRoot } from '../support/require.js';
import { hostile, hostileResult, loadFixture } from './fixtures.js';

const chromiumPath = '/usr/bin/chromium';
const chromiumPresent = executable(chromiumPath);
const itChromium = itWith(chromiumPresent);
const artifacts = path.join(repoRoot, 'reports/test-artifacts');

let browser: Browser | undefined;

beforeAll(async () => {
  if (!allAvailable(chromiumPresent)) return;
  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
  });
});

afterAll(async () => {
  await browser?.close();
});

interface OpenedReport {
  page: Page;
  /** Every request the page made, including itself. */
  requests: string[];
  dialogs: string[];
  url: string;
}

/** Writes the result's reports into reports/test-artifacts/<name>/ and opens report.html. */
async function openReport(name: string, result: Result, width = 1280, compare: Result[] = []): Promise<OpenedReport> {
  const dir = path.join(artifacts, name);
  await writeReports(result, dir, { compare, hostname: 'test-host' });
  const url = pathToFileURL(path.join(dir, 'report.html')).href;
  const page = await browser!.newPage({ viewport: { width, height: 900 } });
  const requests: string[] = [];
  const dialogs: string[] = [];
  page.on('request', (request) => requests.push(request.url()));
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  await page.goto(url, { waitUntil: 'load' });
  return { page, requests, dialogs, url };
}

async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(artifacts, { recursive: true });
  await page.screenshot({ path: path.join(artifacts, `${name}.png`), fullPage: true });
}

async function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

describe('report.html', () => {
  it('is self-contained: no script, no external reference, escaping on', () => {
    const html = renderHtml(loadFixture('passed'));
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/\b(src|href)=/i);
    expect(html).not.toMatch(/url\(/i);
    expect(html).toContain('Content-Security-Policy');
  });

  it('comes in pieces for writing, every check of the long lists a piece of its own, that make the same page as rendered whole', () => {
    const result = loadFixture('real/mixed');
    const pieces = [...renderHtmlPieces(result)];
    const checks = result.runs.flatMap((run) => run.probes).flatMap((probe) => probe.evidence).length;
    expect(checks).toBeGreaterThan(20);
    expect(pieces.length).toBeGreaterThan(checks);
    const page = pieces.join('');
    expect(page).not.toContain('\u0000');
    expect(page.match(/<li class="check-/g)!.length + (page.match(/<tr data-outcome="passed">/g) ?? []).length).toBeGreaterThanOrEqual(checks);
    expect(page).toBe(renderHtml(result));
  });

  itChromium('shows the verdict, headline numbers and timeline of a passed run, and makes no request', async () => {
    const result = loadFixture('passed');
    const { page, requests, url } = await openReport('passed', result);
    try {
      expect(requests).toEqual([url]);
      await expect(page.locator('.verdict-label').innerText()).resolves.toBe('Passed');
      expect(await page.locator('.verdict').getAttribute('data-verdict')).toBe('passed');
      expect(await page.locator('.verdict-reason').innerText()).toBe(result.reason);
      const stats = await page.locator('.stat').allInnerTexts();
      expect(stats.join('\n')).toMatch(/PROJECTED RTO\s+6\.7 min\s+objective 30 min/);
      expect(stats.join('\n')).toMatch(/MEASURED RTO\s+1\.7 min/);
      expect(stats.join('\n')).toMatch(/PROBES PASSED\s+4 \/ 4\s+0 failed · 0 could not run · 0 skipped/);
      expect(stats.join('\n')).toMatch(/CHECKS SKIPPED\s+1\s+of 6 · 5 passed · 0 failed/);
      expect(stats.join('\n')).toMatch(/FAILED ASSUMPTIONS\s+0/);

      const bars = page.locator('svg.timeline-bars rect.bar');
      expect(await bars.count()).toBe(result.runs[0]!.phases.length);
      const environment = await page.locator('rect.bar[data-phase="environment"]').boundingBox();
      const offsets = await page.locator('rect.bar[data-phase="offsets"]').boundingBox();
      // environment took 41.2 s of ~72 s, offsets 1.2 s: the bars must show that.
      expect(environment!.width).toBeGreaterThan(300);
      expect(offsets!.width).toBeGreaterThan(2);
      expect(offsets!.width).toBeLessThan(environment!.width / 10);
      expect(offsets!.x).toBeGreaterThan(environment!.x + environment!.width);
      expect(await page.locator('rect.bar-skipped').count()).toBe(1);
      await expect(page.locator('#timeline').isVisible()).resolves.toBe(true);
      await screenshot(page, 'passed-desktop');
    } finally {
      await page.close();
    }
  });

  itChromium('puts the versions of an upgrade gate side by side, with failures, drift and manual steps', async () => {
    const result = loadFixture('upgrade-gate-failed');
    const { page, requests, url } = await openReport('upgrade-gate-failed', result);
    try {
      expect(requests).toEqual([url]);
      expect(await page.locator('.verdict-label').innerText()).toBe('Failed');
      const cards = page.locator('.run-card');
      expect(await cards.count()).toBe(2);
      const [first, second] = [await cards.nth(0).boundingBox(), await cards.nth(1).boundingBox()];
      expect(Math.abs(first!.y - second!.y)).toBeLessThan(2);
      expect(second!.x).toBeGreaterThan(first!.x + first!.width - 1);
      expect(await cards.nth(1).innerText()).toMatch(/PROJECTED RTO\s+77 min/);
      expect(await cards.nth(1).innerText()).toMatch(/PROBES PASSED\s+1 \/ 3/);
      expect(await cards.nth(1).innerText()).toMatch(/DRIFT\s+2/);

      expect(await page.locator('figure.timeline').count()).toBe(2);
      expect(await page.locator('figure.timeline[data-kafka-version="4.1.0"] rect.bar-failed').count()).toBe(3);

      const details = page.locator('section.run-details[data-kafka-version="4.1.0"]');
      expect(await details.locator('table.probes tbody tr').first().innerText()).toMatch(/could not run/);
      expect(await details.locator('table.differences').innerText()).toContain('client-id <default>');
      expect(await details.locator('table.differences .status-drift').count()).toBe(2);
      expect(await details.locator('table.manual-steps').innerText()).toMatch(/Rotate client TLS certificates[\s\S]*?platform-oncall\s+security\s+45 min\s+by hand/);
      expect(await details.locator('.finding-error').innerText()).toContain('INVALID_CONFIG');
      expect(await page.locator('#provenance').innerText()).toContain(result.snapshot.sha256);
      await screenshot(page, 'upgrade-gate-desktop');
    } finally {
      await page.close();
    }
  });

  itChromium('reads on a phone: no sideways scrolling, stats two abreast', async () => {
    const { page } = await openReport('upgrade-gate-phone', loadFixture('upgrade-gate-failed'), 390);
    try {
      expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
      const stats = page.locator('.run-card').first().locator('.stat');
      const [a, b] = [await stats.nth(0).boundingBox(), await stats.nth(1).boundingBox()];
      expect(Math.abs(a!.y - b!.y)).toBeLessThan(2);
      const bar = await page.locator('rect.bar[data-phase="environment"]').first().boundingBox();
      expect(bar!.width).toBeGreaterThan(40);
      await screenshot(page, 'upgrade-gate-phone');
    } finally {
      await page.close();
    }
  });

  itChromium('prints: the verdict and every section stay on the page', async () => {
    const { page } = await openReport('interrupted', loadFixture('interrupted'));
    try {
      await page.emulateMedia({ media: 'print' });
      expect(await page.locator('.verdict-label').innerText()).toBe('Interrupted');
      expect(await page.locator('#provenance').isVisible()).toBe(true);
      expect(await page.locator('.run-details').innerText()).toContain('The drill did not reach the verify phase.');
      const pdf = await page.pdf({ format: 'A4' });
      expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    } finally {
      await page.close();
    }
  });

  itChromium('shows a trend when earlier runs are compared', async () => {
    const { page } = await openReport('trend', loadFixture('interrupted'), 1280, [loadFixture('passed')]);
    try {
      expect(await page.locator('#trend tbody tr').count()).toBe(2);
      expect(await page.locator('#trend tr.current').innerText()).toContain('(this run)');
      expect(await page.locator('svg.trend-chart rect.projected').count()).toBe(2);
      expect(await page.locator('svg.trend-chart line.objective').count()).toBe(1);
    } finally {
      await page.close();
    }
  });

  itChromium('renders hostile names as text, never markup', async () => {
    const { page, requests, dialogs, url } = await openReport('hostile', hostileResult(), 390);
    try {
      expect(dialogs).toEqual([]);
      expect(requests).toEqual([url]);
      const dom = await page.evaluate(() => ({
        scripts: document.querySelectorAll('script').length,
        images: document.querySelectorAll('img').length,
        bold: document.querySelectorAll('b').length,
        handlers: [...document.querySelectorAll('*')].flatMap((element) => element.getAttributeNames().filter((name) => name.startsWith('on'))),
        text: document.body.innerText,
        title: document.title,
      }));
      expect(dom.scripts).toBe(0);
      expect(dom.images).toBe(0);
      expect(dom.bold).toBe(0);
      expect(dom.handlers).toEqual([]);
      expect(dom.title).toContain(hostile.script);
      for (const text of [hostile.script, hostile.attribute, hostile.quotes, hostile.rtl, hostile.markdown, hostile.longTopic]) {
        expect(dom.text).toContain(text);
      }
      expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
      await screenshot(page, 'hostile-phone');
    } finally {
      await page.close();
    }
  });
});
