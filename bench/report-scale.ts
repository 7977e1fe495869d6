/**
 * report.html at scale: a 1,000-topic drill's derived authorization matrix (25,000 checks, 58
 * failed, 40 skipped), grafted onto a real drill's result, rendered and opened in headless
 * Chromium. Prints the page's size, where its first failed check starts, and load times.
 *
 *   npx tsx bench/report-scale.ts [checks]
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { parseResult, type ProbeEvidence, type Result } from '../src/model/result.js';
import { renderHtml } from '../src/report/html.js';

const operations = ['READ', 'WRITE', 'DESCRIBE', 'DESCRIBE_CONFIGS', 'ALTER_CONFIGS'] as const;

/** The real mixed drill's result with its derived matrix grown to `checks` checks over 1,000 topics and 50 principals. */
export function scaledResult(checks: number): Result {
  const file = new URL('../test/report/fixtures/real/mixed.json', import.meta.url);
  const result = parseResult(readFileSync(file, 'utf8'), file.pathname);
  const matrix = result.runs[0]!.probes.find((probe) => probe.id === 'acl-matrix')!;
  const evidence: ProbeEvidence[] = [];
  for (let index = 0; index < checks; index++) {
    const topic = `shop.topic-${String(index % 1000).padStart(4, '0')}`;
    const principal = `User:svc-${String(Math.floor(index / 500) % 50).padStart(2, '0')}`;
    const operation = operations[index % operations.length]!;
    const failed = index % 431 === 17 && evidence.filter((item) => item.outcome === 'failed').length < 58;
    const skipped = !failed && index % 613 === 5 && evidence.filter((item) => item.outcome === 'skipped').length < 40;
    const expected = index % 3 === 0 ? 'deny' : 'allow';
    evidence.push({
      outcome: failed ? 'failed' : skipped ? 'skipped' : 'passed',
      principal,
      operation,
      resource: `topic ${topic}`,
      expected,
      observed: skipped
        ? 'not exercised'
        : failed
          ? expected === 'allow'
            ? 'denied (TOPIC_AUTHORIZATION_FAILED)'
            : 'allowed'
          : expected === 'allow'
            ? 'allowed'
            : 'denied (TOPIC_AUTHORIZATION_FAILED)',
      ...(failed || expected === 'deny' ? { kafkaError: 'TOPIC_AUTHORIZATION_FAILED' } : {}),
      detail: skipped ? 'budget: the probe ran out of time before this check' : `${operation} of ${topic}; because acl ${index % 5000}`,
      ...(failed || skipped ? { owner: index % 2 ? 'shop' : 'security' } : {}),
    });
  }
  matrix.evidence = evidence;
  matrix.status = 'failed';
  return result;
}

export async function measure(
  html: string,
): Promise<{ bytes: number; firstFailedAt: number; loadMs: number; bestLoadMs: number; domContentLoadedMs: number; firstFailedVisible: boolean }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'kafka-drill-report-scale-'));
  const file = path.join(dir, 'report.html');
  writeFileSync(file, html);
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-background-networking'] });
  try {
    const times: { load: number; dcl: number }[] = [];
    let firstFailedVisible = false;
    for (let round = 0; round < 3; round++) {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      await page.goto(pathToFileURL(file).href, { waitUntil: 'load', timeout: 300_000 });
      const timing = await page.evaluate(() => {
        const [entry] = performance.getEntriesByType('navigation') as PerformanceNavigationTiming[];
        return { load: entry!.loadEventEnd - entry!.startTime, dcl: entry!.domContentLoadedEventEnd - entry!.startTime };
      });
      times.push(timing);
      // A failed check in the first two screens, without a click.
      firstFailedVisible = await page.evaluate(() => {
        const first = document.querySelector('[data-outcome="failed"]');
        if (!first) return false;
        const box = first.getBoundingClientRect();
        return box.height > 0 && box.top < 1800;
      });
      await page.close();
    }
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    return {
      bytes: Buffer.byteLength(html),
      firstFailedAt: Buffer.byteLength(html.slice(0, Math.max(0, html.indexOf('data-outcome="failed"')))),
      loadMs: Math.round(median(times.map((time) => time.load))),
      bestLoadMs: Math.round(Math.min(...times.map((time) => time.load))),
      domContentLoadedMs: Math.round(median(times.map((time) => time.dcl))),
      firstFailedVisible,
    };
  } finally {
    await browser.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const checks = Number(process.argv[2] ?? 25_000);
  const started = performance.now();
  const html = renderHtml(scaledResult(checks));
  const renderMs = Math.round(performance.now() - started);
  const measured = await measure(html);
  console.log(JSON.stringify({ checks, renderMs, ...measured, megabytes: +(measured.bytes / 1e6).toFixed(2) }));
}
