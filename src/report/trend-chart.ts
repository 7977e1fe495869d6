/** Geometry of the trend chart: projected RTO per run as a bar, measured RTO inside it, the objective as a line. */
import { formatMinutes, formatTimestamp, type TrendPoint } from './figures.js';

export const trendChartWidth = 600;
export const trendChartHeight = 160;
const gap = 8;

export interface TrendChart {
  bars: { x: number; width: number; projectedY: number; projectedHeight: number; measuredY: number; measuredHeight: number; title: string; current: boolean }[];
  objectiveY: number | null;
  maxLabel: string;
}

export function buildTrendChart(points: TrendPoint[]): TrendChart {
  const objective = [...points].reverse().find((point) => point.objectiveMinutes !== undefined)?.objectiveMinutes;
  const maxMinutes = Math.max(1, objective ?? 0, ...points.map((point) => point.projectedMinutes)) * 1.1;
  const slot = trendChartWidth / Math.max(points.length, 1);
  const y = (minutes: number) => Math.round((trendChartHeight - (minutes / maxMinutes) * trendChartHeight) * 10) / 10;
  return {
    bars: points.map((point, index) => ({
      x: Math.round(index * slot + gap / 2),
      width: Math.max(2, Math.round(slot - gap)),
      projectedY: y(point.projectedMinutes),
      projectedHeight: Math.round((trendChartHeight - y(point.projectedMinutes)) * 10) / 10,
      measuredY: y(point.measuredMinutes),
      measuredHeight: Math.round((trendChartHeight - y(point.measuredMinutes)) * 10) / 10,
      title: `${formatTimestamp(point.startedAt)}: measured ${formatMinutes(point.measuredMinutes)}, projected ${formatMinutes(point.projectedMinutes)}, ${point.manualSteps} manual steps`,
      current: point.current,
    })),
    objectiveY: objective === undefined ? null : y(objective),
    maxLabel: formatMinutes(maxMinutes),
  };
}
