/** The time series in the reports: chart geometry (report.html) and last values (metrics.prom), from result.json alone. */
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { describe, expect, it } from 'vitest';
import { serializeResult, type Result, type Sample } from '../../src/model/result.js';
import { renderHtml } from '../../src/report/html.js';
import { renderMetrics } from '../../src/report/metrics.js';
import { buildSamplesView, MAX_GROUP_LINES } from '../../src/report/samples-chart.js';
import { loadFixture } from './fixtures.js';

// The passed fixture's run spans 02:00:05.000 (environment) to 02:01:17.550 (teardown's end): 72,550 ms.
const RUN_START = Date.parse('2026-11-20T02:00:05.000Z');
const SPAN_MS = 72_550;

function sample(atMs: number, groups: [string, number | null][], extra: Partial<Sample> = {}): Sample {
  return {
    at: new Date(RUN_START + atMs).toISOString(),
    atMs,
    trigger: 'interval',
    phase: 'probes',
    health: { liveBrokers: 3, partitions: 60, underReplicated: 0, offline: 0, underMinIsr: 0, controllerId: 1 },
    quorum: { leaderId: 1, leaderEpoch: 1, highWatermark: 100, followers: [{ nodeId: 2, kind: 'voter', lagOffsets: 4 }] },
    groups: groups.map(([group, total]) => ({ group, total, partitions: [] })),
    errors: [],
    ...extra,
  };
}

function withSamples(samples: Sample[], groups: string[]): Result {
  const result = structuredClone(loadFixture('passed'));
  result.runs[0]!.samples = { intervalMs: 2000, groups, samples, probeErrors: [{ probe: 'orders-access', kafkaError: 'TOPIC_AUTHORIZATION_FAILED', count: 2 }] };
  return JSON.parse(serializeResult(result)) as Result; // valid against the result schema
}

describe('samples chart', () => {
  it('is absent for a run without samples', () => {
    expect(buildSamplesView(loadFixture('passed').runs[0]!)).toBeNull();
  });

  it("places samples on the run's timeline; a group without a committed offset has no point there", () => {
    const result = withSamples(
      [
        sample(48_100, [
          ['app', 8],
          ['late', null],
        ]),
        sample(
          SPAN_MS,
          [
            ['app', 0],
            ['late', 3],
          ],
          { health: undefined, errors: [{ request: 'metadata', error: 'ECONNREFUSED' }] },
        ),
      ],
      ['app', 'late'],
    );
    const view = buildSamplesView(result.runs[0]!)!;
    expect(view.samples).toBe(2);
    expect(view.phaseLines[0]).toEqual({ x: 0, title: 'environment starts' });
    const [lag, health] = view.charts;
    expect(lag!.maxLabel).toBe('8');
    // x = 48100 / 72550 of 1000; y: top (8 of 8) is 6, 0 is the bottom, 108.
    expect(lag!.series).toEqual([
      { name: 'app', colour: 0, points: '663,6 1000,108', last: '0' },
      { name: 'late', colour: 1, points: '1000,69.8', last: '3' },
    ]);
    // The last sample could not read health: the line stops at the one before (3 of a top of 4, the quorum lag).
    expect(health!.series.find((s) => s.name === 'live brokers')).toMatchObject({ points: '663,31.5', last: '3' });
    expect(health!.series.find((s) => s.name === 'quorum follower lag (max)')).toMatchObject({ last: '4' });
    // 24 s between its two interval samples, asked every 2 s: the report says so.
    expect(view.interval).toBe('every 2 s or more (up to 24 s apart: slow samples space the next ones out)');
    expect(view.errors).toBe('1 sample request(s) failed');
    expect(view.probeErrors).toBe('Kafka errors the probes met: TOPIC_AUTHORIZATION_FAILED × 2 (orders-access)');
  });

  it(`draws the ${MAX_GROUP_LINES} most lagging groups and counts the others`, () => {
    const groups = Array.from({ length: MAX_GROUP_LINES + 2 }, (_, i) => `g${i}`);
    const view = buildSamplesView(
      withSamples(
        [
          sample(
            60_000,
            groups.map((g, i) => [g, i]),
          ),
        ],
        groups,
      ).runs[0]!,
    )!;
    expect(view.charts[0]!.series.map((s) => s.name)).toEqual(['g7', 'g6', 'g5', 'g4', 'g3', 'g2']);
    expect(view.charts[0]!.note).toBe('2 more group(s) not drawn; every value is in result.json');
  });

  it('draws the mirror’s own lag series from the data phase', () => {
    const result = withSamples([sample(60_000, [])], []);
    result.runs[0]!.mirror = {
      topics: ['orders'],
      left: [],
      caughtUp: true,
      catchUpTimeoutSeconds: 60,
      copyMs: 2000,
      records: 10,
      recordsPerSecond: 5,
      rpoSeconds: 0,
      rpoOffsets: 0,
      snapshotAgeSeconds: 3,
      offsets: 'exact',
      lag: [
        { atMs: 0, behindOffsets: 10 },
        { atMs: 1000, behindOffsets: 0 },
      ],
      partitions: [],
      groups: [],
    };
    const lag = buildSamplesView(result.runs[0]!)!.charts[0]!;
    // The data phase starts at 48,100 ms: x 663 and, a second later, 676.8.
    expect(lag.series).toEqual([{ name: 'mirror (source offsets not copied)', colour: 0, points: '663,6 676.8,108', last: '0' }]);
  });

  it('is one section of report.html, with one polyline per series', () => {
    const html = renderHtml(withSamples([sample(48_100, [['app', 8]]), sample(60_000, [['app', 1]])], ['app']));
    expect(html.match(/<div class="samples"/g)).toHaveLength(1);
    expect(html.match(/<polyline class="series/g)).toHaveLength(6);
    expect(html).toContain('data-series="app"');
  });
});

describe('metrics.prom: last values of the series', () => {
  function family(text: string, name: string): Record<string, number> {
    const found = parsePrometheusTextFormat(text).find((entry) => entry.name === name);
    if (!found) throw new Error(`no ${name}`);
    return Object.fromEntries(
      found.metrics.map((m) => [
        Object.entries(m.labels ?? {})
          .map(([k, v]) => `${k}=${v}`)
          .join(','),
        Number(m.value),
      ]),
    );
  }

  it('has each group’s last known lag, the last health that was read, quorum lag and errors', async () => {
    const result = withSamples(
      [
        sample(
          50_000,
          [
            ['app', 8],
            ['idle', null],
          ],
          { health: { liveBrokers: 3, partitions: 60, underReplicated: 2, offline: 1, underMinIsr: 1, controllerId: 1 } },
        ),
        sample(
          60_000,
          [
            ['app', 5],
            ['idle', null],
          ],
          { health: undefined, quorum: undefined, errors: [{ request: 'metadata', error: 'REQUEST_TIMED_OUT' }] },
        ),
      ],
      ['app', 'idle'],
    );
    const text = await renderMetrics(result);
    const labels = `drill=${result.drillName},kafka_version=${result.runs[0]!.kafkaVersion}`;
    // A group that never had a committed offset has no lag sample, rather than a false 0.
    expect(family(text, 'kafka_drill_consumer_lag')).toEqual({ [`${labels},group=app`]: 5 });
    expect(family(text, 'kafka_drill_partitions')).toEqual({
      [`${labels},state=all`]: 60,
      [`${labels},state=under_replicated`]: 2,
      [`${labels},state=offline`]: 1,
      [`${labels},state=under_min_isr`]: 1,
    });
    expect(family(text, 'kafka_drill_live_brokers')).toEqual({ [labels]: 3 });
    expect(family(text, 'kafka_drill_quorum_follower_lag')).toEqual({ [`${labels},node_id=2`]: 4 });
    expect(family(text, 'kafka_drill_sample_request_errors')).toEqual({ [`${labels},request=metadata`]: 1 });
    expect(family(text, 'kafka_drill_probe_kafka_errors')).toEqual({ [`${labels},probe=orders-access,error=TOPIC_AUTHORIZATION_FAILED`]: 2 });
    expect(family(text, 'kafka_drill_samples')).toEqual({ [labels]: 2 });
  });
});
