/** The headline numbers of a run and their wording, shared by every report so they never disagree. */
import { type Result, type Run, type Verdict } from '../model/result.js';
import { countChecks } from '../model/verdict.js';

export interface RunFigures {
  /** Probes that passed with at least one passed check. */
  probesPassed: number;
  probesFailed: number;
  /** Probes that could not run at all. */
  probesErrored: number;
  /** Probes that passed with every check skipped. */
  probesSkipped: number;
  /** Checks of every probe, by outcome. */
  checks: Record<'passed' | 'failed' | 'skipped', number>;
  assumptionsFailed: number;
  assumptionsTotal: number;
  manualSteps: number;
  /** Manual steps a person still has to do: not automated, or whose automation failed. */
  manualStepsOpen: number;
  manualMinutesOpen: number;
  drift: number;
  unrestorable: number;
  findingsErrors: number;
  findingsWarnings: number;
  rtoMet: boolean | undefined;
}

export function runFigures(run: Run): RunFigures {
  const openSteps = run.manualSteps.filter((step) => step.status !== 'automated');
  const findings = run.phases.flatMap((phase) => phase.findings);
  const { objectiveMinutes, projectedMinutes } = run.rto;
  const shown = run.probes.map((probe) => probe.status);
  const checks = { passed: 0, failed: 0, skipped: 0 };
  for (const probe of run.probes) {
    const counts = countChecks(probe);
    checks.passed += counts.passed;
    checks.failed += counts.failed;
    checks.skipped += counts.skipped;
  }
  return {
    probesPassed: shown.filter((status) => status === 'passed').length,
    probesFailed: shown.filter((status) => status === 'failed').length,
    probesErrored: shown.filter((status) => status === 'error').length,
    probesSkipped: shown.filter((status) => status === 'skipped').length,
    checks,
    assumptionsFailed: run.assumptions.filter((assumption) => assumption.status === 'failed').length,
    assumptionsTotal: run.assumptions.length,
    manualSteps: run.manualSteps.length,
    manualStepsOpen: openSteps.length,
    manualMinutesOpen: openSteps.reduce((sum, step) => sum + step.estimateMinutes, 0),
    drift: run.verify?.counts.drift ?? 0,
    unrestorable: run.verify?.counts.unrestorable ?? 0,
    findingsErrors: findings.filter((finding) => finding.severity === 'error').length,
    findingsWarnings: findings.filter((finding) => finding.severity === 'warning').length,
    rtoMet: objectiveMinutes === undefined ? undefined : projectedMinutes <= objectiveMinutes,
  };
}

/** "12 passed, 0 failed, 3 skipped". */
export function formatCheckCounts(counts: Record<'passed' | 'failed' | 'skipped', number>): string {
  return `${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`;
}

export const verdictLabels: Record<Verdict, string> = {
  passed: 'Passed',
  failed: 'Failed',
  'infrastructure-error': 'Infrastructure error',
  interrupted: 'Interrupted',
};

/** "850 ms", "12.3 s", "4 min 05 s", "1 h 02 min". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const wholeSeconds = Math.round(seconds);
  const minutes = Math.floor(wholeSeconds / 60);
  if (minutes < 60) return `${minutes} min ${String(wholeSeconds % 60).padStart(2, '0')} s`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

/** Minutes with one decimal below 10, whole above: "1.7 min", "77 min". */
export function formatMinutes(minutes: number): string {
  const rounded = minutes < 10 ? Math.round(minutes * 10) / 10 : Math.round(minutes);
  return `${rounded} min`;
}

/** "2026-11-20 03:00:00 UTC". Reports show UTC so two readers in different zones quote the same time. */
export function formatTimestamp(iso: string): string {
  return new Date(iso)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC');
}

/** One point of a trend: the slowest version of a drill run, since an upgrade gate is only as fast as its worst target. */
export interface TrendPoint {
  startedAt: string;
  verdict: Verdict;
  measuredMinutes: number;
  projectedMinutes: number;
  objectiveMinutes: number | undefined;
  manualSteps: number;
  current: boolean;
}

/** The current result and the compared ones, oldest first. */
export function trendPoints(current: Result, compare: Result[]): TrendPoint[] {
  const point = (result: Result, isCurrent: boolean): TrendPoint => ({
    startedAt: result.startedAt,
    verdict: result.verdict,
    measuredMinutes: Math.max(...result.runs.map((run) => run.rto.measuredMinutes)),
    projectedMinutes: Math.max(...result.runs.map((run) => run.rto.projectedMinutes)),
    objectiveMinutes: result.runs.find((run) => run.rto.objectiveMinutes !== undefined)?.rto.objectiveMinutes,
    manualSteps: Math.max(...result.runs.map((run) => run.manualSteps.length)),
    current: isCurrent,
  });
  return [...compare.map((result) => point(result, false)), point(current, true)].sort((a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt));
}
