/** summary.md: a short Markdown summary for a CI step summary or a pull-request comment. */
import { dangerFindingCodes, type Result, type Run, type Verdict } from '../model/result.js';
import { clientMatrix, type ClientMatrixCell } from './client-matrix.js';
import { formatDuration, formatMinutes, formatTimestamp, runFigures, trendPoints, verdictLabels } from './figures.js';
import { countChecks } from '../model/verdict.js';
import { decisionLine, describeCause, rollbackHeld } from './rollback.js';
import { byProbeAndPrincipal, teamCounts, teamItems, teamTrend } from './owners.js';

export interface SummaryOptions {
  /** Earlier results of the same drill, for the trend table. */
  compare?: Result[];
}

const verdictIcons: Record<Verdict, string> = {
  passed: '✅',
  failed: '❌',
  'infrastructure-error': '⚠️',
  interrupted: '⏹️',
};

// Bidirectional overrides could make a name read as something else; GitHub flags them too.
const bidiControls = /[\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C]/g;

/** Makes any text inert inside Markdown (incl. table cells): no markup, no HTML, one line. */
export function markdownText(value: string): string {
  return (
    value
      .replace(bidiControls, '\uFFFD')
      .replace(/[\r\n\t]+/g, ' ')
      .replace(/[\u0000-\u001F\u007F]|\p{Cs}/gu, '\uFFFD')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      // User text never starts a line here, so block markers (#, -, 1.) need no escape; inline ones do.
      .replace(/[\\`*_[\]|~]/g, '\\$&')
  );
}

const failureLimit = 10;

function rtoCell(run: Run): string {
  const { measuredMinutes, projectedMinutes, objectiveMinutes } = run.rto;
  const objective = objectiveMinutes === undefined ? '' : ` / ${formatMinutes(objectiveMinutes)}`;
  const mark = objectiveMinutes === undefined ? '' : projectedMinutes <= objectiveMinutes ? ' ✅' : ' ❌';
  return `${formatMinutes(measuredMinutes)} → ${formatMinutes(projectedMinutes)}${objective}${mark}`;
}

function failures(run: Run): string[] {
  const lines: string[] = [];
  for (const probe of run.probes.filter((probe) => probe.status === 'failed' || probe.status === 'error')) {
    const evidence = probe.evidence.find((item) => item.outcome === 'failed') ?? probe.evidence[0];
    const detail = evidence ? `: expected ${evidence.expected}, observed ${evidence.observed}` : '';
    const known = probe.expectedFailure ? ` (expected failure: ${probe.expectedFailure.reason})` : '';
    lines.push(`probe ${probe.status === 'error' ? 'could not run' : 'failed'}: ${markdownText(probe.name + detail + known)}`);
  }
  for (const assumption of run.assumptions.filter((assumption) => assumption.status === 'failed')) {
    lines.push(`assumption failed: ${markdownText(`${assumption.description}: expected ${assumption.expected}, observed ${assumption.observed}`)}`);
  }
  for (const difference of run.verify?.differences.filter((difference) => difference.classification === 'drift') ?? []) {
    const application = difference.streamsApplication ? ` (Streams application ${difference.streamsApplication})` : '';
    lines.push(
      `drift: ${markdownText(`${difference.kind} ${difference.object}${application}: expected ${difference.expected ?? '(absent)'}, actual ${difference.actual ?? '(absent)'}`)}`,
    );
  }
  for (const phase of run.phases) {
    for (const finding of phase.findings.filter((finding) => finding.severity === 'error' || dangerFindingCodes.has(finding.code))) {
      lines.push(
        `${markdownText(phase.name)} ${dangerFindingCodes.has(finding.code) ? 'danger' : 'error'}: ${markdownText(`${finding.object}: ${finding.message}`)}${finding.kafkaError ? ` (${markdownText(finding.kafkaError)})` : ''}`,
      );
    }
  }
  for (const objective of run.objectives.filter((objective) => !objective.met)) {
    lines.push(`objective missed: ${markdownText(`${objective.name}: target ${objective.target}, observed ${objective.observed}`)}`);
  }
  for (const probe of run.probes) {
    const checks = countChecks(probe);
    if (checks.skipped === 0) continue;
    const reason = probe.evidence.find((item) => item.outcome === 'skipped')?.detail;
    const total = checks.passed + checks.failed + checks.skipped;
    const what = probe.status === 'skipped' ? 'every check skipped' : `${checks.skipped} of ${total} checks skipped`;
    lines.push(`probe ${what}: ${markdownText(`${probe.name}${reason ? ` (first: ${reason})` : ''}`)}`);
  }
  return lines;
}

const statusIcons: Record<ClientMatrixCell['status'], string> = { passed: '✅', failed: '❌', error: '❌', skipped: '⏭️' };

function matrixCell(cell: ClientMatrixCell): string {
  const why = cell.kafkaError ?? (cell.status === 'failed' || cell.status === 'error' ? cell.observed : undefined);
  const known = cell.expectedFailure ? ` (expected failure: ${cell.expectedFailure})` : '';
  return markdownText(`${statusIcons[cell.status]} ${cell.status}${why ? ` ${why}` : ''}${known} · ${cell.library} · ${formatDuration(cell.durationMs)}`);
}

/** Each run's rollback decision, its fired triggers with their causes, and the rollback's steps. */
function rollbackSection(runs: Run[]): string[] {
  const out: string[] = [];
  for (const run of runs) {
    const rollback = run.rollback;
    if (!rollback) continue;
    out.push(
      '',
      `**Rollback decision** (Kafka ${markdownText(run.kafkaVersion)}): ${rollbackHeld(rollback) ? '✅' : '❌'} ${rollback.decision} — ${markdownText(decisionLine(rollback))}`,
      '',
    );
    for (const trigger of rollback.triggers.filter((trigger) => trigger.fired)) {
      const causes = trigger.causes.slice(0, failureLimit).map(describeCause);
      const more = trigger.causes.length > failureLimit ? `; … and ${trigger.causes.length - failureLimit} more in report.html` : '';
      out.push(`- fired ${markdownText(trigger.id)}: ${markdownText(`${trigger.description} — ${causes.join('; ')}${more}`)}`);
    }
    const quiet = rollback.triggers.filter((trigger) => !trigger.fired).map((trigger) => trigger.id);
    if (quiet.length) out.push(`- quiet: ${markdownText(quiet.join(', '))}`);
    if (rollback.steps.length) {
      out.push('', '| Rollback step | Owner | How | Status |', '|---|---|---|---|');
      for (const step of rollback.steps) {
        const how = step.automated ? `automated${step.durationMs === undefined ? '' : `, ${formatDuration(step.durationMs)}`}` : `by hand, ${formatMinutes(step.estimateMinutes)}`;
        out.push(`| ${markdownText(step.title)} | ${markdownText(step.owner)} | ${how} | ${step.status} |`);
      }
    }
  }
  return out;
}

/** Rows of a team's table in summary.md; the rest are counted, and all of them are in report.html. */
const teamRowLimit = 10;

/** One counts table over the teams of each run, then a table per team of what it has to act on. */
function teamSections(run: Run, matrix: boolean): string[] {
  const teams = teamItems(run);
  if (teams.length === 0) return [];
  const out: string[] = ['', `**By team${matrix ? ` (Kafka ${markdownText(run.kafkaVersion)})` : ''}**`, ''];
  out.push('| Team | Failed checks | Skipped checks | Restore errors | Failed assumptions | Manual steps (open) |', '|---|---|---|---|---|---|');
  for (const counts of teams.map(teamCounts)) {
    out.push(
      `| ${markdownText(counts.team)} | ${counts.failedChecks} | ${counts.skippedChecks} | ${counts.errorFindings} | ${counts.failedAssumptions} | ${counts.openManualSteps} (${formatMinutes(counts.openManualMinutes)}) |`,
    );
  }
  for (const items of teams) {
    const rows: string[] = [];
    for (const group of byProbeAndPrincipal(items.failedChecks)) {
      const first = group.checks[0]!;
      const where = [first.operation, first.resource].filter(Boolean).join(' ');
      rows.push(
        `| ❌ ${group.checks.length} failed check(s) | ${markdownText(`${group.probe.name} [${group.probe.id}]${group.principal ? ` · ${group.principal}` : ''}`)} | ${markdownText(`${where ? `${where}: ` : ''}expected ${first.expected}, observed ${first.observed}`)} |`,
      );
    }
    for (const group of byProbeAndPrincipal(items.skippedChecks)) {
      const first = group.checks[0]!;
      rows.push(
        `| ⏭️ ${group.checks.length} skipped check(s) | ${markdownText(`${group.probe.name} [${group.probe.id}]${group.principal ? ` · ${group.principal}` : ''}`)} | ${markdownText(first.detail ?? first.observed)} |`,
      );
    }
    for (const finding of items.errorFindings)
      rows.push(
        `| ❌ restore ${dangerFindingCodes.has(finding.code) ? 'danger' : 'error'} | ${markdownText(`${finding.phase}: ${finding.object}`)} | ${markdownText(finding.message)} |`,
      );
    for (const assumption of items.failedAssumptions)
      rows.push(`| ❌ assumption failed | ${markdownText(assumption.description)} | ${markdownText(`expected ${assumption.expected}, observed ${assumption.observed}`)} |`);
    for (const step of items.openManualSteps)
      rows.push(
        `| ✋ manual step | ${markdownText(step.title)} | ${markdownText(`${step.status === 'failed' ? 'automation failed' : 'by hand'}, ${formatMinutes(step.estimateMinutes)}`)} |`,
      );
    if (rows.length === 0) continue;
    out.push('', `**${markdownText(items.team)}**`, '', '| What | Where | Detail |', '|---|---|---|', ...rows.slice(0, teamRowLimit));
    if (rows.length > teamRowLimit) out.push(`| … | ${rows.length - teamRowLimit} more row(s) | in report.html |`);
  }
  return out;
}

export function renderSummary(result: Result, options: SummaryOptions = {}): string {
  const out: string[] = [];
  out.push(`### ${verdictIcons[result.verdict]} kafka-drill ${markdownText(result.drillName)}: ${verdictLabels[result.verdict]}`);
  out.push('');
  if (result.reason) out.push(`**Why:** ${markdownText(result.reason)}`, '');
  out.push(
    '| Kafka | Verdict | RTO measured → projected / objective | Manual steps (open) | Assumptions failed | Probes passed / failed / skipped | Checks passed / failed / skipped | Drift |',
  );
  out.push('|---|---|---|---|---|---|---|---|');
  for (const run of result.runs) {
    const figures = runFigures(run);
    const probesFailed = figures.probesFailed + figures.probesErrored;
    out.push(
      `| ${markdownText(run.kafkaVersion)} | ${verdictIcons[run.verdict]} ${verdictLabels[run.verdict]} | ${rtoCell(run)} | ` +
        `${figures.manualSteps} (${figures.manualStepsOpen}) | ${figures.assumptionsFailed} of ${figures.assumptionsTotal} | ` +
        `${figures.probesPassed} / ${probesFailed} / ${figures.probesSkipped} | ${figures.checks.passed} / ${figures.checks.failed} / ${figures.checks.skipped} | ` +
        `${run.verify ? figures.drift : 'not verified'} |`,
    );
  }
  for (const run of result.runs) {
    const lines = failures(run);
    if (lines.length === 0) continue;
    out.push('', `**Kafka ${markdownText(run.kafkaVersion)}**`, '');
    out.push(...lines.slice(0, failureLimit).map((line) => `- ${line}`));
    if (lines.length > failureLimit) out.push(`- … and ${lines.length - failureLimit} more in report.html`);
  }
  out.push(...rollbackSection(result.runs));
  for (const run of result.runs) out.push(...teamSections(run, result.runs.length > 1));
  const mirrored = result.runs.filter((run) => run.mirror);
  if (mirrored.length > 0) {
    out.push('', '**Data path** (MirrorMaker 2 failover)', '');
    out.push('| Kafka | Copied | Caught up | RPO | Not copied | Offsets committed | Worst replay with the checkpoints alone |', '|---|---|---|---|---|---|---|');
    for (const run of mirrored) {
      const mirror = run.mirror!;
      const worst = Math.max(0, ...mirror.groups.map((g) => g.checkpointReplay ?? 0));
      out.push(
        `| ${markdownText(run.kafkaVersion)} | ${mirror.records} records, ${mirror.recordsPerSecond}/s | ${mirror.caughtUp ? 'yes' : 'no'} | ${mirror.rpoSeconds.toFixed(1)} s | ` +
          `${mirror.rpoOffsets} offsets | ${mirror.offsets} | ${worst} records |`,
      );
    }
  }
  const matrix = clientMatrix(result);
  if (matrix) {
    out.push('', '**Client matrix** (probe × client × Kafka version)', '');
    out.push(`| Probe | Client | ${matrix.versions.map(markdownText).join(' | ')} |`, `|---|---|${matrix.versions.map(() => '---|').join('')}`);
    for (const row of matrix.rows) out.push(`| ${markdownText(row.probe)} | ${row.client} | ${row.cells.map((cell) => (cell ? matrixCell(cell) : '–')).join(' | ')} |`);
  }
  if (options.compare && options.compare.length > 0) {
    out.push('', '**Trend** (slowest version of each run)', '');
    out.push('| Started | Verdict | RTO measured | RTO projected | Manual steps |', '|---|---|---|---|---|');
    for (const point of trendPoints(result, options.compare)) {
      const started = markdownText(formatTimestamp(point.startedAt)) + (point.current ? ' (this run)' : '');
      out.push(`| ${started} | ${verdictIcons[point.verdict]} | ${formatMinutes(point.measuredMinutes)} | ${formatMinutes(point.projectedMinutes)} | ${point.manualSteps} |`);
    }
  }
  if (options.compare && options.compare.length > 0) {
    const trend = teamTrend(result, options.compare);
    if (trend.rows.length > 0) {
      out.push('', '**Trend by team** (manual steps open / failed assumptions / skipped checks; worst version of each run)', '');
      out.push(`| Team | ${trend.startedAt.map((startedAt, index) => markdownText(formatTimestamp(startedAt)) + (index === trend.current ? ' (this run)' : '')).join(' | ')} |`);
      out.push(`|---|${trend.startedAt.map(() => '---|').join('')}`);
      for (const row of trend.rows) {
        out.push(
          `| ${markdownText(row.team)} | ${row.points.map((point) => (point ? `${point.manualSteps} / ${point.failedAssumptions} / ${point.skippedChecks}` : '–')).join(' | ')} |`,
        );
      }
    }
  }
  out.push(
    '',
    `<sub>Snapshot ${markdownText(result.snapshot.file)} of cluster ${markdownText(result.snapshot.clusterId)} · ${markdownText(formatTimestamp(result.startedAt))} · kafka-drill ${markdownText(result.toolVersion)}</sub>`,
    '',
  );
  return out.join('\n');
}
