/**
 * Geometry of the observed time series (result.json's `samples`): consumer lag per group, the
 * mirror's lag, and broker health over the run's timeline, as inline SVG polylines. The x axis is
 * the phase timeline's (run start to teardown end, same ticks); phase starts are drawn as lines.
 */
import type { Run, Sample } from '../model/result.js';
import { axisLabel, tickStepMs, timelineWidth, type TimelineTick } from './timeline.js';

export const samplesChartHeight = 110;
/** Groups drawn, the most lagging first; the others are counted in a note. */
export const MAX_GROUP_LINES = 6;

export interface ChartSeries {
  name: string;
  /** 0..5: the line's colour class. */
  colour: number;
  points: string;
  last: string;
}

export interface SamplesChart {
  title: string;
  maxLabel: string;
  series: ChartSeries[];
  note: string;
}

export interface SamplesView {
  kafkaVersion: string;
  width: number;
  height: number;
  ticks: TimelineTick[];
  phaseLines: { x: number; title: string }[];
  charts: SamplesChart[];
  samples: number;
  interval: string;
  errors: string;
  probeErrors: string;
}

const round = (value: number) => Math.round(value * 10) / 10;

/** The charts of one run, or null when it has no samples. */
export function buildSamplesView(run: Run): SamplesView | null {
  const series = run.samples;
  if (!series || series.samples.length === 0) return null;
  const starts = run.phases.map((phase) => Date.parse(phase.startedAt));
  const start = Math.min(...starts, ...series.samples.map((sample) => Date.parse(sample.at)));
  const end = Math.max(...run.phases.map((phase) => Date.parse(phase.startedAt) + phase.durationMs), ...series.samples.map((sample) => Date.parse(sample.at)));
  const spanMs = Math.max(1, end - start);
  const x = (at: number) => round(((at - start) / spanMs) * timelineWidth);
  const step = tickStepMs(spanMs);
  const ticks: TimelineTick[] = [];
  for (let at = 0; at <= spanMs; at += step) ticks.push({ x: round((at / spanMs) * timelineWidth), leftPercent: round((at / spanMs) * 100), label: axisLabel(at) });

  const line = (values: { at: number; value: number | null }[], most: number): string =>
    values
      .filter((point) => point.value !== null)
      .map((point) => `${x(point.at)},${round(samplesChartHeight - 2 - (point.value! / most) * (samplesChartHeight - 8))}`)
      .join(' ');
  const chart = (title: string, lines: { name: string; values: { at: number; value: number | null }[] }[], note: string): SamplesChart => {
    const most = Math.max(1, ...lines.flatMap((entry) => entry.values.map((point) => point.value ?? 0)));
    return {
      title,
      maxLabel: String(most),
      series: lines.map((entry, index) => ({
        name: entry.name,
        colour: index % 6,
        points: line(entry.values, most),
        last: String(entry.values.filter((point) => point.value !== null).at(-1)?.value ?? '—'),
      })),
      note,
    };
  };

  const at = (sample: { at: string }) => Date.parse(sample.at);
  const groups = series.groups
    .map((group) => ({
      name: group,
      values: series.samples.map((sample) => ({ at: at(sample), value: sample.groups.find((entry) => entry.group === group)?.total ?? null })),
    }))
    .sort((a, b) => Math.max(0, ...b.values.map((v) => v.value ?? 0)) - Math.max(0, ...a.values.map((v) => v.value ?? 0)));
  const shown = groups.slice(0, MAX_GROUP_LINES);
  const lagLines = [...shown];
  // The mirror samples its own lag during the data phase (src/restore/mirror.ts): drawn from the data phase's start.
  const dataPhase = run.phases.find((phase) => phase.name === 'data');
  if (run.mirror && dataPhase && run.mirror.lag.length > 0) {
    const from = Date.parse(dataPhase.startedAt);
    lagLines.push({ name: 'mirror (source offsets not copied)', values: run.mirror.lag.map((point) => ({ at: from + point.atMs, value: point.behindOffsets })) });
  }
  const charts: SamplesChart[] = [];
  if (lagLines.length > 0) {
    const hidden = groups.length - shown.length;
    charts.push(chart('Consumer lag (records: log end minus committed)', lagLines, hidden > 0 ? `${hidden} more group(s) not drawn; every value is in result.json` : ''));
  }
  const health = (pick: (sample: Sample) => number | undefined) => series.samples.map((sample) => ({ at: at(sample), value: pick(sample) ?? null }));
  charts.push(
    chart(
      'Broker health',
      [
        { name: 'live brokers', values: health((sample) => sample.health?.liveBrokers) },
        { name: 'under-replicated partitions', values: health((sample) => sample.health?.underReplicated) },
        { name: 'offline partitions', values: health((sample) => sample.health?.offline) },
        { name: 'under min ISR partitions', values: health((sample) => sample.health?.underMinIsr) },
        { name: 'quorum follower lag (max)', values: health((sample) => (sample.quorum ? Math.max(0, ...sample.quorum.followers.map((f) => f.lagOffsets)) : undefined)) },
      ],
      '',
    ),
  );

  const intervalTimes = series.samples.filter((sample) => sample.trigger === 'interval').map((sample) => sample.atMs);
  const widestGapMs = Math.max(0, ...intervalTimes.slice(1).map((atMs, index) => atMs - intervalTimes[index]!));
  const failed = series.samples.reduce((sum, sample) => sum + sample.errors.length, 0);
  const probeErrors = series.probeErrors.reduce((sum, entry) => sum + entry.count, 0);
  return {
    kafkaVersion: run.kafkaVersion,
    width: timelineWidth,
    height: samplesChartHeight,
    ticks,
    phaseLines: run.phases.map((phase) => ({ x: x(Date.parse(phase.startedAt)), title: `${phase.name} starts` })),
    charts,
    samples: series.samples.length,
    // Slow samples space the next ones out (sampler.ts): say so rather than claim the cadence asked for.
    interval:
      widestGapMs > 1.5 * series.intervalMs
        ? `every ${series.intervalMs / 1000} s or more (up to ${Math.round(widestGapMs / 1000)} s apart: slow samples space the next ones out)`
        : `every ${series.intervalMs / 1000} s`,
    errors: failed === 0 ? 'every sample request answered' : `${failed} sample request(s) failed`,
    probeErrors:
      probeErrors === 0
        ? 'no Kafka errors in probe evidence'
        : `Kafka errors the probes met: ${series.probeErrors.map((entry) => `${entry.kafkaError} × ${entry.count} (${entry.probe})`).join(', ')}`,
  };
}
