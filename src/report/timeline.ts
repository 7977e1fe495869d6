/**
 * Geometry of the per-version phase timeline. All versions share one time scale so an
 * upgrade gate's bars can be compared by eye. The SVG stretches horizontally (viewBox width
 * 1000, preserveAspectRatio none) while labels stay HTML text, so it reads on a phone too.
 */
import type { Run } from '../model/result.js';
import { formatDuration } from './figures.js';

export const timelineWidth = 1000;
export const timelineRowHeight = 28;
const barHeight = 16;
/** Shorter phases would vanish; they get this width so their colour still shows. */
const minimumBarWidth = 3;

export interface TimelineBar {
  phase: string;
  status: string;
  x: number;
  y: number;
  width: number;
  height: number;
  duration: string;
  title: string;
}

export interface TimelineTick {
  x: number;
  leftPercent: number;
  label: string;
}

export interface Timeline {
  kafkaVersion: string;
  height: number;
  rows: number;
  bars: TimelineBar[];
  ticks: TimelineTick[];
  total: string;
}

function runSpan(run: Run): { start: number; end: number } {
  const starts = run.phases.map((phase) => Date.parse(phase.startedAt));
  const ends = run.phases.map((phase) => Date.parse(phase.startedAt) + phase.durationMs);
  return starts.length ? { start: Math.min(...starts), end: Math.max(...ends) } : { start: 0, end: 0 };
}

/** A tick step of 1, 2 or 5 times a power of ten seconds, giving at most about six ticks. */
export function tickStepMs(scaleMs: number): number {
  const rough = scaleMs / 6;
  const magnitude = 10 ** Math.floor(Math.log10(Math.max(rough, 1)));
  for (const factor of [1, 2, 5, 10]) if (factor * magnitude >= rough) return factor * magnitude;
  return 10 * magnitude;
}

/** Tick steps are whole seconds (or sub-second for very short runs), so labels need no decimals. */
export function axisLabel(ms: number): string {
  if (ms === 0) return '0';
  if (ms < 1000) return `${ms} ms`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  const rest = seconds % 60;
  return rest ? `${Math.floor(seconds / 60)} min ${rest} s` : `${Math.floor(seconds / 60)} min`;
}

const round = (value: number) => Math.round(value * 10) / 10;

export function buildTimelines(runs: Run[]): Timeline[] {
  const scaleMs = Math.max(1, ...runs.map((run) => runSpan(run).end - runSpan(run).start));
  const step = tickStepMs(scaleMs);
  const ticks: TimelineTick[] = [];
  for (let at = 0; at <= scaleMs; at += step) {
    ticks.push({ x: round((at / scaleMs) * timelineWidth), leftPercent: round((at / scaleMs) * 100), label: axisLabel(at) });
  }
  return runs.map((run) => {
    const { start, end } = runSpan(run);
    const bars = run.phases.map((phase, index) => {
      const x = Math.min(((Date.parse(phase.startedAt) - start) / scaleMs) * timelineWidth, timelineWidth - minimumBarWidth);
      const width = Math.max(minimumBarWidth, Math.min((phase.durationMs / scaleMs) * timelineWidth, timelineWidth - x));
      const duration = phase.status === 'skipped' ? 'skipped' : formatDuration(phase.durationMs);
      return {
        phase: phase.name,
        status: phase.status,
        x: round(x),
        y: index * timelineRowHeight + (timelineRowHeight - barHeight) / 2,
        width: round(width),
        height: barHeight,
        duration,
        title: `${phase.name}: ${duration} (${phase.status})`,
      };
    });
    return {
      kafkaVersion: run.kafkaVersion,
      rows: bars.length,
      height: Math.max(1, bars.length) * timelineRowHeight,
      bars,
      ticks,
      total: formatDuration(end - start),
    };
  });
}
