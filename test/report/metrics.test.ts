import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { describe, expect, it } from 'vitest';
import { renderMetrics } from '../../src/report/metrics.js';
import { runFigures } from '../../src/report/figures.js';
import { loadFixture } from './fixtures.js';

/** Every sample of a family as "label=value,…" → value. */
function samples(text: string, name: string): Record<string, number> {
  const family = parsePrometheusTextFormat(text).find((entry) => entry.name === name);
  if (!family) throw new Error(`no ${name} in:\n${text}`);
  return Object.fromEntries(
    family.metrics.map((sample) => [
      Object.entries(sample.labels ?? {})
        .map(([key, value]) => `${key}=${value}`)
        .join(','),
      Number(sample.value),
    ]),
  );
}

describe('metrics.prom', () => {
  it("holds a real drill's figures, parsed by a Prometheus text-format parser", async () => {
    const result = loadFixture('real/mixed');
    const text = await renderMetrics(result);
    const families = parsePrometheusTextFormat(text);
    // Prometheus conventions: snake_case names under one prefix, every family a gauge with help text.
    for (const family of families) {
      expect(family.name).toMatch(/^kafka_drill_[a-z0-9_]+$/);
      expect([family.type, family.help.length > 0]).toEqual(['GAUGE', true]);
    }
    const run = result.runs[0]!;
    const figures = runFigures(run);
    const labels = `drill=${result.drillName},kafka_version=${run.kafkaVersion}`;
    expect(samples(text, 'kafka_drill_verdict')[`${labels},verdict=${run.verdict}`]).toBe(1);
    expect(Object.values(samples(text, 'kafka_drill_verdict')).reduce((a, b) => a + b, 0)).toBe(result.runs.length);
    expect(samples(text, 'kafka_drill_probe_checks')).toEqual({
      [`${labels},outcome=passed`]: figures.checks.passed,
      [`${labels},outcome=failed`]: figures.checks.failed,
      [`${labels},outcome=skipped`]: figures.checks.skipped,
    });
    expect(samples(text, 'kafka_drill_rto_seconds')[`${labels},kind=measured`]).toBeCloseTo(run.rto.measuredMinutes * 60, 3);
    expect(samples(text, 'kafka_drill_failed_assumptions')[labels]).toBe(figures.assumptionsFailed);
    expect(samples(text, 'kafka_drill_last_run_timestamp_seconds')[`drill=${result.drillName}`]).toBe(Date.parse(result.finishedAt) / 1000);
  });

  it('escapes label values a drill name or group could carry', async () => {
    const result = loadFixture('real/mixed');
    const text = await renderMetrics({ ...result, drillName: 'nightly "quoted"\\ \n next' });
    const parsed = samples(text, 'kafka_drill_last_run_timestamp_seconds');
    expect(Object.keys(parsed)).toEqual(['drill=nightly "quoted"\\ \n next']);
  });
});
