/**
 * Verdicts and status helpers: how a run is judged from its typed fields, never from wording.
 * The runner decides with them; reports count with them.
 */
import type { CheckOutcome, Objective, ProbeRecord, Run, Verdict } from './result.js';

/** The objectives a spec may set (`objectives:` in a drill spec). */
export interface ObjectiveTargets {
  rtoMinutes?: number | undefined;
  maxManualSteps?: number | undefined;
  maxFailedAssumptions?: number | undefined;
  maxSkippedChecks?: number | undefined;
  rpoSeconds?: number | undefined;
  maxReplayRecords?: number | undefined;
}

/** Why a run stopped before its last stage. */
export interface RunEnd {
  verdict: Verdict;
  reason: string;
}

const minutes = (ms: number) => Math.round((ms / 60_000) * 1000) / 1000;

/** A probe's checks counted by outcome: reports and objectives show skipped checks beside passed ones, never inside them. */
export function countChecks(probe: Pick<ProbeRecord, 'evidence'>): Record<CheckOutcome, number> {
  const counts: Record<CheckOutcome, number> = { passed: 0, failed: 0, skipped: 0 };
  for (const item of probe.evidence) counts[item.outcome]++;
  return counts;
}

/** Probe checks that were not exercised; counted, never passes. */
export function skippedChecks(run: Pick<Run, 'probes'>): number {
  return run.probes.reduce((sum, probe) => sum + countChecks(probe).skipped, 0);
}

/** Each objective the spec sets, against what the run recorded. */
export function evaluateObjectives(run: Pick<Run, 'probes' | 'assumptions' | 'manualSteps' | 'mirror'>, targets: ObjectiveTargets, projectedMinutes: number): Objective[] {
  const open = run.manualSteps.filter((step) => step.status !== 'automated').length;
  const failedAssumptions = run.assumptions.filter((a) => a.status === 'failed').length;
  const skipped = skippedChecks(run);
  const { rtoMinutes, maxManualSteps, maxFailedAssumptions, maxSkippedChecks } = targets;
  const objectives: Objective[] = [];
  if (rtoMinutes !== undefined)
    objectives.push({ name: 'RTO (projected)', target: `≤ ${rtoMinutes} min`, observed: `${projectedMinutes} min`, met: projectedMinutes <= rtoMinutes });
  if (maxManualSteps !== undefined) objectives.push({ name: 'manual steps', target: `≤ ${maxManualSteps}`, observed: String(open), met: open <= maxManualSteps });
  if (maxFailedAssumptions !== undefined) {
    objectives.push({ name: 'failed assumptions', target: `≤ ${maxFailedAssumptions}`, observed: String(failedAssumptions), met: failedAssumptions <= maxFailedAssumptions });
  }
  if (maxSkippedChecks !== undefined) objectives.push({ name: 'skipped checks', target: `≤ ${maxSkippedChecks}`, observed: String(skipped), met: skipped <= maxSkippedChecks });
  const { rpoSeconds, maxReplayRecords } = targets;
  if (rpoSeconds !== undefined) {
    const observed = run.mirror?.rpoSeconds;
    objectives.push({
      name: 'RPO',
      target: `≤ ${rpoSeconds} s`,
      observed: observed === undefined ? 'not measured (no mirror cut-over)' : `${observed.toFixed(1)} s`,
      met: observed !== undefined && observed <= rpoSeconds,
    });
  }
  if (maxReplayRecords !== undefined) {
    const worst = worstReplay(run.mirror);
    const unmeasured = run.mirror?.groups.filter((g) => g.replay === null && g.resumeCopied).length ?? 0;
    objectives.push({
      name: 'replay after cut-over',
      target: `≤ ${maxReplayRecords} records per group`,
      observed:
        worst === undefined
          ? 'not measured (no mirror cut-over)'
          : unmeasured > 0
            ? `not measured for ${unmeasured} group position(s) (their record was not found on the target)`
            : `${worst.records} records${worst.group ? ` (group ${worst.group})` : ''}`,
      met: worst !== undefined && unmeasured === 0 && worst.records <= maxReplayRecords,
    });
  }
  return objectives;
}

/** The cutover's projected RTO: measured time plus the estimates of manual steps that are not automated (no rollback). */
export function cutoverMinutes(run: Pick<Run, 'manualSteps'>, measuredMs: number): number {
  const open = run.manualSteps.filter((step) => step.status !== 'automated');
  return Math.round((minutes(Math.max(0, measuredMs)) + open.reduce((sum, step) => sum + step.estimateMinutes, 0)) * 1000) / 1000;
}

/** How many unexpected denials a run's reason names. */
const REASON_DENIALS_NAMED = 5;

/** RTO, objectives and the verdict, from the run's typed fields. */
export function finish(run: Run, targets: ObjectiveTargets, end: RunEnd | undefined, measuredMs: number): void {
  const measuredMinutes = minutes(Math.max(0, measuredMs));
  // A rollback decided at the cutover is part of the recovery: its steps add to the projected RTO.
  const rollbackMinutes = run.rollback?.decision === 'rollback' ? run.rollback.minutes : 0;
  const projectedMinutes = Math.round((cutoverMinutes(run, measuredMs) + rollbackMinutes) * 1000) / 1000;
  run.rto = { measuredMinutes, projectedMinutes, ...(targets.rtoMinutes !== undefined ? { objectiveMinutes: targets.rtoMinutes } : {}) };

  const failedAssumptions = run.assumptions.filter((a) => a.status === 'failed');
  const objectives = evaluateObjectives(run, targets, projectedMinutes);
  run.objectives = objectives;

  const teardownFailed = run.phases.find((p) => p.name === 'teardown' && p.status === 'failed');
  if (end) {
    run.verdict = end.verdict;
    run.reason = end.reason;
    return;
  }
  const reasons: string[] = [];
  const failedPhases = run.phases.filter((p) => p.status === 'failed' && p.name !== 'verify' && p.name !== 'probes' && p.name !== 'teardown');
  if (failedPhases.length)
    reasons.push(
      `restore phase${failedPhases.length > 1 ? 's' : ''} ${failedPhases.map((p) => p.name).join(', ')} failed: ${failedPhases[0]!.findings.find((f) => f.severity === 'error')?.message ?? ''}`.trim(),
    );
  if (run.verify && run.verify.counts.drift > 0) reasons.push(`${run.verify.counts.drift} difference(s) of drift after restore`);
  const failedProbes = run.probes.filter((p) => probeFailsRun(p) && !p.expectedFailure);
  if (failedProbes.length) reasons.push(`probe${failedProbes.length > 1 ? 's' : ''} ${failedProbes.map((p) => `${p.id} ${p.status}`).join(', ')}`);
  const denials = run.authorizerLog?.denials.filter((denial) => denial.accountedBy === 'unexpected') ?? [];
  if (denials.length) {
    // The reason is one line (the terminal, summary.md, JUnit): the first few, the rest in the reports.
    const named = denials.slice(0, REASON_DENIALS_NAMED).map((d) => `${d.principal} ${d.operation} ${d.resourceType} ${d.resourceName}`);
    const more = denials.length > REASON_DENIALS_NAMED ? `, … and ${denials.length - REASON_DENIALS_NAMED} more (result.json lists them all)` : '';
    reasons.push(`${denials.length} denial(s) nobody expected in the brokers' authorizer log: ${named.join(', ')}${more}`);
  }
  const stale = run.probes.filter((p) => p.expectedFailure && !isRed(p));
  if (stale.length)
    reasons.push(`declared expected failure${stale.length > 1 ? 's' : ''} did not happen: ${stale.map((p) => `${p.id} ${p.status}`).join(', ')} (remove the declaration)`);
  // With a maxFailedAssumptions objective, that objective decides; without one, any failed assumption fails the drill.
  if (failedAssumptions.length && targets.maxFailedAssumptions === undefined) {
    reasons.push(`assumption${failedAssumptions.length > 1 ? 's' : ''} failed: ${failedAssumptions.map((a) => a.id).join(', ')}`);
  }
  const failedAutomations = run.manualSteps.filter((s) => s.status === 'failed');
  if (failedAutomations.length) reasons.push(`automated step${failedAutomations.length > 1 ? 's' : ''} failed: ${failedAutomations.map((s) => s.id).join(', ')}`);
  reasons.push(...rollbackReasons(run.rollback));
  const missed = objectives.filter((o) => !o.met);
  if (missed.length) reasons.push(`objective${missed.length > 1 ? 's' : ''} missed: ${missed.map((o) => `${o.name} ${o.observed} (target ${o.target})`).join(', ')}`);
  // A teardown that failed may have left processes behind: the machine's problem, reported first.
  if (teardownFailed) {
    run.verdict = 'infrastructure-error';
    run.reason = [`teardown failed: ${teardownFailed.findings[0]?.message ?? ''}`, ...reasons].join('; ');
    return;
  }
  run.verdict = reasons.length ? 'failed' : 'passed';
  run.reason = reasons.length ? reasons.join('; ') : `restored, verified and probed: ${passedReason(run)}`;
}

/**
 * A rollback policy fails its run when the decision is not the one the spec expects (by default
 * promote: a gate is red when the recovery would have been rolled back), or when a rollback
 * automation failed. The checks that triggered it keep failing the run by their own rules.
 */
function rollbackReasons(rollback: Run['rollback']): string[] {
  if (!rollback) return [];
  const reasons: string[] = [];
  const fired = rollback.triggers.filter((trigger) => trigger.fired).map((trigger) => trigger.id);
  if (rollback.decision !== rollback.expected) {
    reasons.push(
      rollback.decision === 'rollback'
        ? `rollback decided (trigger${fired.length > 1 ? 's' : ''} ${fired.join(', ')})`
        : 'rollback expected, but no trigger fired: promote decided',
    );
  }
  const failedSteps = rollback.steps.filter((step) => step.status === 'failed');
  if (failedSteps.length) reasons.push(`rollback step${failedSteps.length > 1 ? 's' : ''} failed: ${failedSteps.map((step) => step.id).join(', ')}`);
  return reasons;
}

export function isRed(probe: Pick<Run['probes'][number], 'status'>): boolean {
  return probe.status === 'failed' || probe.status === 'error';
}

/**
 * Whether a probe fails its run: a red probe does, unless the spec declared that cell's failure
 * (still red in every report); a declared failure that is not red does (the declaration is stale).
 */
export function probeFailsRun(probe: Pick<Run['probes'][number], 'status' | 'expectedFailure'>): boolean {
  return probe.expectedFailure ? !isRed(probe) : isRed(probe);
}

/** What a passing run proved, never more: skipped checks, and probes that proved nothing, are named. */
function passedReason(run: Run): string {
  const skipped = skippedChecks(run);
  const provedNothing = run.probes.filter((probe) => probe.status === 'skipped').map((probe) => probe.id);
  const knownRed = run.probes.filter((probe) => probe.expectedFailure && isRed(probe)).map((probe) => probe.id);
  const known = knownRed.length ? `; declared known failure(s), still red: ${knownRed.join(', ')}` : '';
  if (skipped === 0 && !known) return 'every check held';
  const held = run.probes.reduce((sum, probe) => sum + countChecks(probe).passed, 0);
  return `${held} check(s) held, ${skipped} skipped` + (provedNothing.length ? `; every check of ${provedNothing.join(', ')} was skipped` : '') + known;
}

/** " (3 check(s) skipped, not proven)" after a passing reason, or nothing. */
export function skippedNote(runs: Run[]): string {
  const skipped = runs.reduce((sum, run) => sum + skippedChecks(run), 0);
  return skipped > 0 ? ` (${skipped} check(s) skipped, not proven)` : '';
}

/** The worst verdict of a drill's runs (one per Kafka version). */
export function overallVerdict(runs: Run[]): Verdict {
  for (const verdict of ['interrupted', 'infrastructure-error', 'failed'] as const) if (runs.some((run) => run.verdict === verdict)) return verdict;
  return 'passed';
}

/** Records each group re-reads after the cut-over, summed over its partitions (positions not measured left out). */
export function replayByGroup(mirror: NonNullable<Run['mirror']>): Map<string, number> {
  const byGroup = new Map<string, number>();
  for (const position of mirror.groups) if (position.replay !== null) byGroup.set(position.group, (byGroup.get(position.group) ?? 0) + Math.max(0, position.replay));
  return byGroup;
}

/** The group that re-reads the most records after the cut-over. */
function worstReplay(mirror: Run['mirror']): { group?: string; records: number } | undefined {
  if (!mirror) return undefined;
  let worst: { group?: string; records: number } = { records: 0 };
  for (const [group, records] of replayByGroup(mirror)) if (records > worst.records) worst = { group, records };
  return worst;
}
