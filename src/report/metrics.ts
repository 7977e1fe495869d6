/**
 * metrics.prom: a drill's result in the Prometheus text format, for node exporter's textfile
 * collector or a Pushgateway, so the dashboards operators already have can chart drills. One
 * sample set per Kafka version run; names and labels follow Prometheus conventions (snake_case,
 * base units, `_seconds`, `_total` only for counters — a drill's figures are gauges).
 */
import { Gauge, Registry } from 'prom-client';
import type { Result } from '../model/result.js';
import { rollbackDecisions, verdicts } from '../model/result.js';
import { runFigures } from './figures.js';
import { replayByGroup } from '../model/verdict.js';
import { teamCounts, teamItems } from './owners.js';
import { lastSampleMetrics } from './samples-metrics.js';

export async function renderMetrics(result: Result): Promise<string> {
  const registry = new Registry();
  const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[]) => new Gauge({ name, help, labelNames, registers: [registry] });
  const run = ['drill', 'kafka_version'] as const;

  const verdict = gauge('kafka_drill_verdict', 'The run verdict: 1 for the verdict it had, 0 for the others.', [...run, 'verdict']);
  const passed = gauge('kafka_drill_passed', '1 when the run passed, else 0.', run);
  const rto = gauge('kafka_drill_rto_seconds', 'Recovery time: measured (automated restore) and projected (plus open manual steps).', [...run, 'kind']);
  const rtoObjective = gauge('kafka_drill_rto_objective_seconds', 'The RTO objective the spec sets.', run);
  const manualSteps = gauge('kafka_drill_manual_steps', 'Manual steps of the run, by whether a person still has to do them.', [...run, 'state']);
  const assumptions = gauge('kafka_drill_failed_assumptions', 'Assumptions the restored cluster did not meet.', run);
  const checks = gauge('kafka_drill_probe_checks', 'Probe checks by outcome (skipped checks were not exercised).', [...run, 'outcome']);
  const drift = gauge('kafka_drill_drift_differences', 'Differences between the snapshot and the restored cluster classified as drift.', run);
  const objectives = gauge('kafka_drill_objective_met', '1 when the objective was met, 0 when missed.', [...run, 'objective']);
  const rpo = gauge('kafka_drill_mirror_rpo_seconds', 'Mirror drills: age at cut-over of the oldest source record not copied (largest over partitions).', run);
  const notCopied = gauge('kafka_drill_mirror_not_copied_offsets', 'Mirror drills: source offsets not copied at cut-over.', run);
  const replay = gauge('kafka_drill_mirror_replay_records', 'Mirror drills: records a group re-reads after the cut-over, summed over its partitions.', [...run, 'group']);
  const rollback = gauge(
    'kafka_drill_rollback_decision',
    'Drills with a rollback policy: 1 for the decision the drill would have taken at the cutover (promote or rollback), 0 for the other.',
    [...run, 'decision'],
  );
  const rollbackTriggers = gauge('kafka_drill_rollback_triggers_fired', 'Drills with a rollback policy: rollback triggers that fired.', run);
  const finished = gauge('kafka_drill_last_run_timestamp_seconds', 'When the drill finished (Unix time).', ['drill']);
  const team = [...run, 'team'] as const;
  const teamFailedChecks = gauge('kafka_drill_team_failed_checks', 'Failed probe checks of what the team owns.', team);
  const teamSkippedChecks = gauge('kafka_drill_team_skipped_checks', 'Probe checks not exercised, of what the team owns.', team);
  const teamFindings = gauge('kafka_drill_team_restore_findings', 'Restore findings of what the team owns, by severity (error includes danger).', [...team, 'severity']);
  const teamAssumptions = gauge('kafka_drill_team_failed_assumptions', 'Failed assumptions the team owns.', team);
  const teamManualSteps = gauge('kafka_drill_team_manual_steps', 'Manual steps the team still does by hand.', team);
  const teamManualSeconds = gauge('kafka_drill_team_manual_steps_estimate_seconds', "The estimates of the team's open manual steps, summed.", team);

  const drill = result.drillName;
  finished.set({ drill }, Date.parse(result.finishedAt) / 1000);
  for (const entry of result.runs) {
    const labels = { drill, kafka_version: entry.kafkaVersion };
    const figures = runFigures(entry);
    for (const name of verdicts) verdict.set({ ...labels, verdict: name }, entry.verdict === name ? 1 : 0);
    passed.set(labels, entry.verdict === 'passed' ? 1 : 0);
    rto.set({ ...labels, kind: 'measured' }, entry.rto.measuredMinutes * 60);
    rto.set({ ...labels, kind: 'projected' }, entry.rto.projectedMinutes * 60);
    if (entry.rto.objectiveMinutes !== undefined) rtoObjective.set(labels, entry.rto.objectiveMinutes * 60);
    manualSteps.set({ ...labels, state: 'open' }, figures.manualStepsOpen);
    manualSteps.set({ ...labels, state: 'automated' }, figures.manualSteps - figures.manualStepsOpen);
    assumptions.set(labels, figures.assumptionsFailed);
    for (const [outcome, count] of Object.entries(figures.checks)) checks.set({ ...labels, outcome }, count);
    if (entry.verify) drift.set(labels, figures.drift);
    for (const objective of entry.objectives) objectives.set({ ...labels, objective: objective.name }, objective.met ? 1 : 0);
    if (entry.rollback) {
      for (const decision of rollbackDecisions) rollback.set({ ...labels, decision }, entry.rollback.decision === decision ? 1 : 0);
      rollbackTriggers.set(labels, entry.rollback.triggers.filter((trigger) => trigger.fired).length);
    }
    for (const counts of teamItems(entry).map(teamCounts)) {
      const byTeam = { ...labels, team: counts.team };
      teamFailedChecks.set(byTeam, counts.failedChecks);
      teamSkippedChecks.set(byTeam, counts.skippedChecks);
      teamFindings.set({ ...byTeam, severity: 'error' }, counts.errorFindings);
      teamFindings.set({ ...byTeam, severity: 'warning' }, counts.warningFindings);
      teamAssumptions.set(byTeam, counts.failedAssumptions);
      teamManualSteps.set(byTeam, counts.openManualSteps);
      teamManualSeconds.set(byTeam, counts.openManualMinutes * 60);
    }
    if (entry.mirror) {
      rpo.set(labels, entry.mirror.rpoSeconds);
      notCopied.set(labels, entry.mirror.rpoOffsets);
      for (const [group, records] of replayByGroup(entry.mirror)) replay.set({ ...labels, group }, records);
    }
  }
  lastSampleMetrics(registry, result);
  return registry.metrics();
}
