/**
 * Application-level success criteria and the drill's time series, through the real CLI: a
 * consumer-lag criterion that passes (the probe drives the restored group through its backlog)
 * and a must-fail one nobody meets (drills/must-fail/consumer-lag-stuck.yaml). The samples must
 * show what Kafka holds: the restored group's lag is the log end minus its restored committed
 * offset. report.html's charts are checked in Chromium and metrics.prom with a Prometheus parser.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { chromium } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import type { Result, Run } from '../../src/model/result.js';
import { DEFAULT_KAFKA_VERSION } from '../../src/runtime/distribution.js';
import { executable, itWith, repoRoot } from '../support/require.js';
import { readEvidence, runToEnd } from './cli.js';

const outRoot = mkdtempSync(path.join(tmpdir(), 'kafka-drill-success-criteria-'));
afterAll(() => rmSync(outRoot, { recursive: true, force: true }));
const chromiumPath = '/usr/bin/chromium';
const itChromium = itWith(executable(chromiumPath));

const runs = new Map<string, { code: number | null; out: string; result: Result }>();
async function drill(spec: string): Promise<{ code: number | null; out: string; result: Result; run: Run }> {
  if (!runs.has(spec)) {
    const out = path.join(outRoot, path.basename(spec, '.yaml'));
    const { code, stdout, stderr } = await runToEnd(spec, out);
    if (code !== 0 && code !== 1) throw new Error(`${spec} exited ${code}:\n${stdout}\n${stderr}`);
    runs.set(spec, { code, out, result: readEvidence(out) });
  }
  const entry = runs.get(spec)!;
  return { ...entry, run: entry.result.runs[0]! };
}

/** The restored lag per partition, from the offset map: target log end minus the target offset the restore committed. */
function restoredLag(run: Run, group: string): Map<string, number> {
  const lag = new Map<string, number>();
  for (const entry of run.offsetMap!.entries) {
    const committed = entry.committed[0];
    if (committed) lag.set(`${entry.topic}-${entry.partition}`, entry.target.logEnd - committed.target);
  }
  expect(group).toBe('shop-fulfilment'); // the only group of the small snapshot
  return lag;
}

function metric(out: string, name: string): Record<string, number> {
  const family = parsePrometheusTextFormat(readFileSync(path.join(out, 'metrics.prom'), 'utf8')).find((entry) => entry.name === name);
  if (!family) throw new Error(`no ${name} in metrics.prom`);
  return Object.fromEntries(family.metrics.map((sample) => [Object.values(sample.labels ?? {}).join(','), Number(sample.value)]));
}

describe('success criteria and the time series', { timeout: 300_000 }, () => {
  it('consumer-lag: the restored group consumes its backlog and its sampled lag gets back to 0', async () => {
    const { code, out, result, run } = await drill('drills/consumer-lag.yaml');
    expect([code, result.verdict, result.reason]).toEqual([0, 'passed', `recovery proven on Kafka ${DEFAULT_KAFKA_VERSION}`]);
    expect(run.probes.map((p) => [p.id, p.type, p.status])).toEqual([
      ['fulfilment-resumes', 'offsets', 'passed'],
      ['fulfilment-consumes-backlog', 'records-consumed', 'passed'],
      ['fulfilment-caught-up', 'consumer-lag', 'passed'],
    ]);
    const consumed = run.probes[1]!.evidence[0]!;
    expect(consumed).toMatchObject({ outcome: 'passed', expected: '10 records consumed within 60s', resource: 'group shop-fulfilment (shop.orders)' });
    expect(consumed.observed).toMatch(/^10 records in \d+\.\ds$/);
    const caughtUp = run.probes[2]!.evidence[0]!;
    expect(caughtUp).toMatchObject({ outcome: 'passed', expected: 'lag of group shop-fulfilment at most 0 within 90s', resource: 'group shop-fulfilment' });
    expect(caughtUp.observed).toMatch(/^lag 0 after \d+\.\ds$/);

    const series = run.samples!;
    expect(series.intervalMs).toBe(1000);
    expect(series.groups).toEqual(['shop-fulfilment']);
    // A sample at each phase start (environment's excepted: sampling starts once it is up), at the end, and between on the cadence.
    const triggers = series.samples.map((s) => s.trigger);
    for (const stage of ['baseline', 'topics', 'offsets', 'verify', 'probes', 'assumptions']) expect(triggers).toContain(`start ${stage}`);
    expect(triggers.at(-1)).toBe('end');
    expect(triggers.filter((t) => t === 'interval').length).toBeGreaterThan(0);
    expect(series.samples.flatMap((s) => s.errors)).toEqual([]);
    for (const sample of series.samples) {
      expect(sample.health).toMatchObject({ liveBrokers: 1, underReplicated: 0, offline: 0, underMinIsr: 0, controllerId: run.environment.brokerIds![0] });
      expect(sample.quorum).toMatchObject({ leaderId: run.environment.brokerIds![0], followers: [] });
    }
    // Once the topics exist, the restored topics (4 partitions) and, once a group committed, __consumer_offsets count.
    expect(series.samples.at(-1)!.health!.partitions).toBeGreaterThan(4);

    // Before the probes consumed: the lag of the restored offsets, partition by partition.
    const lag = restoredLag(run, 'shop-fulfilment');
    const restored = series.samples.find((s) => s.trigger === 'start verify')!.groups[0]!;
    expect(new Map(restored.partitions!.map((p) => [`${p.topic}-${p.partition}`, p.lag]))).toEqual(lag);
    expect(restored.total).toBe([...lag.values()].reduce((a, b) => a + b, 0));
    expect(restored.total).toBe(10);
    for (const partition of restored.partitions!) expect(partition.lag).toBe(partition.logEnd - partition.committed!);
    // Before the offsets phase the group has no committed offset: its lag is unknown, never 0.
    expect(series.samples.find((s) => s.phase === 'topics')!.groups[0]!.total).toBeNull();
    // After: the group consumed everything. Interval samples hold the total only, the last (at the end) every partition too.
    expect(series.samples.at(-1)!.groups[0]).toMatchObject({ total: 0 });
    expect(series.samples.filter((s) => s.trigger === 'interval').every((s) => s.groups.every((g) => g.partitions === undefined))).toBe(true);
    expect(series.samples.at(-1)!.groups[0]!.partitions!.every((p) => p.lag === 0)).toBe(true);

    expect(metric(out, 'kafka_drill_consumer_lag')).toEqual({ [`consumer-lag,${DEFAULT_KAFKA_VERSION},shop-fulfilment`]: 0 });
    expect(metric(out, 'kafka_drill_partitions')[`consumer-lag,${DEFAULT_KAFKA_VERSION},under_replicated`]).toBe(0);
    expect(metric(out, 'kafka_drill_live_brokers')).toEqual({ [`consumer-lag,${DEFAULT_KAFKA_VERSION}`]: 1 });
    expect(metric(out, 'kafka_drill_samples')).toEqual({ [`consumer-lag,${DEFAULT_KAFKA_VERSION}`]: series.samples.length });
  });

  it('must-fail/consumer-lag-stuck: nobody consumes, the lag stays at the restored 10 and the criterion fails on it', async () => {
    const { code, out, result, run } = await drill('drills/must-fail/consumer-lag-stuck.yaml');
    expect([code, result.verdict, run.reason]).toEqual([1, 'failed', 'probe fulfilment-caught-up failed']);
    expect(run.phases.filter((p) => p.status !== 'passed').map((p) => `${p.name} ${p.status}`)).toEqual(['connectors skipped', 'probes failed']);
    expect(run.probes.map((p) => [p.id, p.status])).toEqual([
      ['fulfilment-resumes', 'passed'],
      ['fulfilment-caught-up', 'failed'],
    ]);
    const evidence = run.probes[1]!.evidence;
    expect(evidence).toHaveLength(1);
    expect(evidence[0]).toMatchObject({ outcome: 'failed', expected: 'lag of group shop-fulfilment at most 2 within 10s', resource: 'group shop-fulfilment' });
    expect(evidence[0]!.observed).toMatch(/^lag 10 after \d+\.\ds$/);
    expect(evidence[0]!.detail).toMatch(/lowest lag 10, first 10$/);
    // Every sample from the offsets phase on holds the restored lag.
    const probing = run.samples!.samples.filter((s) => s.phase === 'probes');
    expect(probing.length).toBeGreaterThanOrEqual(8);
    for (const sample of probing) expect(sample.groups[0]!.total).toBe(10);
    expect(metric(out, 'kafka_drill_consumer_lag')).toEqual({ [`must-fail-consumer-lag-stuck,${DEFAULT_KAFKA_VERSION},shop-fulfilment`]: 10 });
  });

  itChromium('report.html charts the lag and health over the timeline, inline, as Chromium renders it', async () => {
    const { out, run } = await drill('drills/consumer-lag.yaml');
    const browser = await chromium.launch({ executablePath: chromiumPath, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const requests: string[] = [];
      page.on('request', (request) => requests.push(request.url()));
      const url = pathToFileURL(path.join(out, 'report.html')).href;
      await page.goto(url, { waitUntil: 'load' });
      expect(requests).toEqual([url]);
      const charts = await page.$$eval('.samples-chart', (figures) =>
        figures.map((figure) => ({
          title: figure.getAttribute('data-chart'),
          width: figure.querySelector('svg')!.getBoundingClientRect().width,
          series: [...figure.querySelectorAll('polyline')].map((line) => {
            const box = (line as SVGGraphicsElement).getBBox();
            return { name: line.getAttribute('data-series'), points: line.getAttribute('points')!.trim().split(/\s+/).length, boxWidth: box.width };
          }),
          legend: figure.querySelector('.legend')!.textContent,
        })),
      );
      expect(charts.map((chart) => chart.title)).toEqual(['Consumer lag (records: log end minus committed)', 'Broker health']);
      for (const chart of charts) expect(chart.width).toBeGreaterThan(800);
      const lag = charts[0]!.series;
      // One point per sample where the group had a committed offset; the line spans time (rendered, not collapsed).
      expect(lag).toEqual([{ name: 'shop-fulfilment', points: run.samples!.samples.filter((s) => s.groups[0]!.total !== null).length, boxWidth: expect.any(Number) }]);
      expect(lag[0]!.boxWidth).toBeGreaterThan(50);
      expect(charts[0]!.legend).toContain('shop-fulfilment (last 0)');
      expect(charts[1]!.series.map((s) => s.name)).toEqual([
        'live brokers',
        'under-replicated partitions',
        'offline partitions',
        'under min ISR partitions',
        'quorum follower lag (max)',
      ]);
      expect(charts[1]!.legend).toContain('live brokers (last 1)');
      const artifacts = path.join(repoRoot, 'reports/test-artifacts');
      mkdirSync(artifacts, { recursive: true });
      await page
        .locator('.samples')
        .first()
        .screenshot({ path: path.join(artifacts, 'samples-charts.png') });
    } finally {
      await browser.close();
    }
  });
});
