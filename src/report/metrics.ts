/**
 * metrics.prom: a drill's result in the Prometheus text format, for node exporter's textfile
 * collector or a Pushgateway, so the dashboards operators already have can chart drills. One
 * sample set per Kafka version run; names and labels follow Prometheus conventions (snake_case,
 * base units, `_seconds`, `_total` only for counters — a drill's figures are gauges).
 */
import { Gauge, Registry } from 'prom-client';
import type { Result } from '../model/result.js';
import { verdicts } from '../model/result.js';
import { runFigures } from './figures.js';
import { replayByGroup } from '../model/verdict.js';
import { lastSampleMetrics } from './samples-metrics.js';

export const METRICS_FILE = 'metrics.prom';

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
  const finished = gauge('kafka_drill_last_run_timestamp_seconds', 'When the drill finished (Unix time).', ['drill']);

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
    if (entry.mirror) {
      rpo.set(labels, entry.mirror.rpoSeconds);
      notCopied.set(labels, entry.mirror.rpoOffsets);
      for (const [group, records] of replayByGroup(entry.mirror)) replay.set({ ...labels, group }, records);
    }
  }
  lastSampleMetrics(registry, result);
  return registry.metrics();
}
