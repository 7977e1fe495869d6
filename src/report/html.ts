/**
 * report.html: one self-contained page (inline CSS and SVG, no script, no external request)
 * rendered with handlebars from a view model built here. Escaping stays on: every value
 * from the result goes through {{ }}; only our own stylesheet is inserted raw, as a partial.
 */
import { clientMatrix } from './client-matrix.js';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';
import { dangerFindingCodes, type MirrorEvidence, type OffsetMapSummary, type ProbeEvidence, type Result, type Run } from '../model/result.js';
import { byProbeAndPrincipal, teamCounts, teamItems, teamTrend, type OwnedCheck } from './owners.js';
import { formatCheckCounts, formatDuration, formatMinutes, formatTimestamp, runFigures, trendPoints, verdictLabels } from './figures.js';
import { buildTimelines, timelineWidth } from './timeline.js';
import { buildTrendChart, trendChartHeight, trendChartWidth } from './trend-chart.js';
import { buildSamplesView } from './samples-chart.js';
import { countChecks } from '../model/verdict.js';
import { rollbackView } from './rollback.js';
import { brokerView } from './broker-view.js';

export interface HtmlOptions {
  /** Earlier results of the same drill, for the trend section. */
  compare?: Result[];
}

/** Beside this module in src/, or back in src/ when running from a tsc build in dist/ that did not copy them. */
export function templatesDir(): string {
  const candidates = [new URL('./templates/', import.meta.url), new URL('../../src/report/templates/', import.meta.url)];
  for (const candidate of candidates) {
    const dir = fileURLToPath(candidate);
    if (existsSync(`${dir}report.hbs`)) return dir;
  }
  throw new Error(`report templates not found (looked in ${candidates.map((url) => fileURLToPath(url)).join(', ')})`);
}

let compiled: Handlebars.TemplateDelegate | undefined;

type Frame = Record<string, unknown> & { _parent?: Frame };
const frozenFrame = (frame: Frame | undefined): Frame | undefined => frame && { ...frame, _parent: frozenFrame(frame._parent) };

function template(): Handlebars.TemplateDelegate {
  if (compiled) return compiled;
  const dir = templatesDir();
  const handlebars = Handlebars.create();
  handlebars.registerPartial('styles', readFileSync(`${dir}report.css`, 'utf8'));
  handlebars.registerPartial('rollback', readFileSync(`${dir}rollback.hbs`, 'utf8'));
  handlebars.registerPartial('check', readFileSync(`${dir}check.hbs`, 'utf8'));
  handlebars.registerPartial('samples', readFileSync(`${dir}samples.hbs`, 'utf8'));
  handlebars.registerPartial('brokerView', readFileSync(`${dir}broker-view.hbs`, 'utf8'));
  // {{#eachLater list}}: like each, but while a page renders in pieces the list is left as a
  // marker and its items are rendered one by one as the page is written.
  handlebars.registerHelper('eachLater', function (this: unknown, items: unknown[], options: Handlebars.HelperOptions) {
    // The enclosing blocks' @ variables as they are now: an enclosing each moves on before the items render.
    const outer = frozenFrame(options.data as Frame | undefined);
    const render = (index: number) => {
      const data = Handlebars.createFrame(outer) as Record<string, unknown>;
      Object.assign(data, { index, first: index === 0, last: index === items.length - 1 });
      return options.fn(items[index], { data });
    };
    if (!later) return items.map((_, index) => render(index)).join('');
    later.lists.push({ count: items.length, render });
    return `${later.marker}${later.lists.length - 1}${later.marker}`;
  });
  compiled = handlebars.compile(readFileSync(`${dir}report.hbs`, 'utf8'), { strict: true, noEscape: false });
  return compiled;
}

type Tone = 'good' | 'bad' | 'warn' | 'neutral';

interface Stat {
  label: string;
  value: string;
  detail: string;
  tone: Tone;
}

function runStats(run: Run): Stat[] {
  const figures = runFigures(run);
  const { measuredMinutes, projectedMinutes, objectiveMinutes } = run.rto;
  const objective = objectiveMinutes === undefined ? 'no objective set' : `objective ${formatMinutes(objectiveMinutes)}`;
  const probesBad = figures.probesFailed + figures.probesErrored;
  return [
    {
      label: 'Projected RTO',
      value: formatMinutes(projectedMinutes),
      detail: `${objective} · incl. ${formatMinutes(figures.manualMinutesOpen)} manual`,
      tone: figures.rtoMet === undefined ? 'neutral' : figures.rtoMet ? 'good' : 'bad',
    },
    {
      label: 'Measured RTO',
      value: formatMinutes(measuredMinutes),
      detail: 'automated restore, wall time',
      tone: objectiveMinutes === undefined ? 'neutral' : measuredMinutes <= objectiveMinutes ? 'good' : 'bad',
    },
    {
      label: 'Manual steps',
      value: String(figures.manualSteps),
      detail: `${figures.manualStepsOpen} still done by hand`,
      tone: figures.manualStepsOpen > 0 ? 'warn' : 'good',
    },
    {
      label: 'Failed assumptions',
      value: String(figures.assumptionsFailed),
      detail: `of ${figures.assumptionsTotal} checked`,
      tone: figures.assumptionsFailed > 0 ? 'bad' : 'good',
    },
    {
      label: 'Probes passed',
      value: `${figures.probesPassed} / ${run.probes.length}`,
      detail: `${figures.probesFailed} failed · ${figures.probesErrored} could not run · ${figures.probesSkipped} skipped`,
      tone: probesBad > 0 ? 'bad' : figures.probesSkipped > 0 ? 'warn' : figures.probesPassed > 0 ? 'good' : 'neutral',
    },
    {
      label: 'Checks skipped',
      value: String(figures.checks.skipped),
      detail: `of ${figures.checks.passed + figures.checks.failed + figures.checks.skipped} · ${figures.checks.passed} passed · ${figures.checks.failed} failed`,
      tone: figures.checks.skipped > 0 ? 'warn' : figures.checks.passed > 0 ? 'good' : 'neutral',
    },
    {
      label: 'Drift',
      value: run.verify ? String(figures.drift) : '—',
      detail: run.verify ? `${run.verify.counts.matched} matched · ${run.verify.counts.expected} expected · ${figures.unrestorable} unrestorable` : 'not verified',
      tone: !run.verify ? 'neutral' : figures.drift > 0 ? 'bad' : 'good',
    },
  ];
}

const statusOrder: Record<string, number> = { error: 0, failed: 1, skipped: 2, passed: 3 };

/** One line: how the offset map is shaped. */
function describeOffsetMap(summary: OffsetMapSummary): string {
  const positions = summary.entries.reduce((sum, entry) => sum + entry.committed.length, 0);
  return `${summary.partitions} partitions, ${summary.rebased} rebased, ${summary.truncated} with lag truncated at ${summary.maxRecordsPerPartition} records; ${summary.records} synthetic records; ${positions} committed positions translated`;
}

const LAG_WIDTH = 600;
const LAG_HEIGHT = 80;

/** The data path of a mirror drill: capture → mirror (lag over time) → cut-over → resume. */
function mirrorView(mirror: MirrorEvidence) {
  const last = mirror.lag[mirror.lag.length - 1]?.atMs ?? 0;
  const most = Math.max(1, ...mirror.lag.map((sample) => sample.behindOffsets));
  const points = mirror.lag
    .map((sample) => `${((sample.atMs / Math.max(1, last)) * LAG_WIDTH).toFixed(1)},${(LAG_HEIGHT - (sample.behindOffsets / most) * (LAG_HEIGHT - 4)).toFixed(1)}`)
    .join(' ');
  const replayText = (replay: number | null) => (replay === null ? '—' : replay === 0 ? '0' : replay > 0 ? `${replay} re-read` : `${-replay} skipped`);
  return {
    steps: [
      {
        label: 'Capture',
        value: `source captured with a fingerprint of the record at each committed offset; ${mirror.snapshotAgeSeconds.toFixed(0)} s old at the cut-over`,
      },
      {
        label: 'Mirror',
        value: `${mirror.records} records${mirror.bytes !== undefined ? ` (${(mirror.bytes / 1_000_000).toFixed(1)} MB on the target)` : ''} of ${mirror.topics.length} topic(s) in ${formatDuration(mirror.copyMs)} (${mirror.recordsPerSecond} records/s)${mirror.left.length ? `; left out: ${mirror.left.join(', ')}` : ''}`,
      },
      {
        label: 'Cut-over',
        value: `${mirror.caughtUp ? 'caught up' : `not caught up within ${mirror.catchUpTimeoutSeconds} s`}; RPO ${mirror.rpoSeconds.toFixed(1)} s, ${mirror.rpoOffsets} source offset(s) not copied`,
      },
      { label: 'Resume', value: `groups committed at the ${mirror.offsets === 'exact' ? 'exact translation (by fingerprint)' : "translation of MirrorMaker's checkpoints"}` },
    ],
    lag: { width: LAG_WIDTH, height: LAG_HEIGHT, points, most, seconds: (last / 1000).toFixed(1) },
    partitions: mirror.partitions.map((p) => ({ ...p, behindSeconds: p.behindSeconds.toFixed(1), behind: p.behindOffsets > 0 })),
    groups: mirror.groups.map((g) => ({
      ...g,
      checkpoint: g.checkpoint ?? 'none',
      exact: g.exact ?? 'not found',
      checkpointReplay: replayText(g.checkpointReplay),
      target: g.target ?? '—',
      replay: replayText(g.replay),
      bad: (g.replay ?? 0) !== 0 || g.exact === null,
    })),
  };
}

function clientMatrixView(result: Result) {
  const matrix = clientMatrix(result);
  if (!matrix) return undefined;
  return {
    versions: matrix.versions,
    rows: matrix.rows.map((row) => ({
      probe: row.probe,
      client: row.client,
      cells: row.cells.map((cell) =>
        cell
          ? {
              present: true,
              status: cell.status,
              statusLabel: cell.status === 'error' ? 'could not run' : cell.status,
              library: cell.library,
              duration: formatDuration(cell.durationMs),
              processes: cell.processes === undefined ? '' : `${cell.processes} process${cell.processes === 1 ? '' : 'es'}`,
              kafkaError: cell.kafkaError ?? '',
              observed: cell.status === 'passed' ? '' : (cell.observed ?? ''),
              expectedFailure: cell.expectedFailure ?? '',
              probeId: cell.probeId,
            }
          : { present: false },
      ),
    })),
  };
}

function evidenceView(item: ProbeEvidence) {
  return {
    subject: [item.principal, item.operation, item.resource].filter(Boolean).join(' · '),
    expected: item.expected,
    observed: item.observed,
    outcome: item.outcome,
    kafkaError: item.kafkaError ?? '',
    detail: item.detail ?? '',
    owner: item.owner ?? '',
  };
}

/** Passing checks of a probe, counted per principal and operation: the rows themselves are a click away. */
function passingView(evidence: ProbeEvidence[]) {
  const passing = evidence.filter((item) => item.outcome === 'passed');
  const byPrincipal = new Map<string, Map<string, number>>();
  for (const item of passing) {
    const operations = byPrincipal.get(item.principal ?? '—') ?? new Map<string, number>();
    operations.set(item.operation ?? '—', (operations.get(item.operation ?? '—') ?? 0) + 1);
    byPrincipal.set(item.principal ?? '—', operations);
  }
  return {
    count: passing.length,
    principals: [...byPrincipal].map(([principal, operations]) => ({
      principal,
      total: [...operations.values()].reduce((sum, count) => sum + count, 0),
      operations: [...operations].map(([operation, count]) => `${operation} ${count}`).join(' · '),
    })),
    rows: passing.map((item) => ({
      principal: item.principal ?? '',
      operation: item.operation ?? '',
      resource: item.resource ?? '',
      expected: item.expected,
      observed: item.observed,
      kafkaError: item.kafkaError ?? '',
      detail: item.detail ?? '',
    })),
  };
}

/** Groups this long start closed: their count is in the summary, their rows a click away. */
const OPEN_GROUP_ROWS = 25;

/** What failed and what was skipped, by owning team, then by probe and principal: the top of the report. */
function attentionView(run: Run) {
  const groupsOf = (checks: OwnedCheck[]) =>
    byProbeAndPrincipal(checks).map((group) => ({
      probe: group.probe.name,
      probeId: group.probe.id,
      client: group.probe.client ? group.probe.client.class : '',
      principal: group.principal,
      count: group.checks.length,
      open: group.checks.length <= OPEN_GROUP_ROWS,
      rows: group.checks.map(evidenceView),
    }));
  const teams = teamItems(run);
  return {
    teams: teams.map((items) => ({ ...teamCounts(items), anchor: `team-${teams.indexOf(items)}` })),
    groups: teams.map((items, index) => {
      const counts = teamCounts(items);
      return {
        team: items.team,
        anchor: `team-${index}`,
        summary: [
          counts.failedChecks ? `${counts.failedChecks} failed check(s)` : '',
          counts.skippedChecks ? `${counts.skippedChecks} skipped check(s)` : '',
          counts.errorFindings ? `${counts.errorFindings} restore error(s)` : '',
          counts.failedAssumptions ? `${counts.failedAssumptions} failed assumption(s)` : '',
          counts.openManualSteps ? `${counts.openManualSteps} manual step(s), ${formatMinutes(counts.openManualMinutes)}` : '',
          counts.warningFindings ? `${counts.warningFindings} warning(s)` : '',
        ]
          .filter(Boolean)
          .join(' · '),
        failed: groupsOf(items.failedChecks),
        skipped: groupsOf(items.skippedChecks),
        // Warnings are counted here and listed under the run's restore findings: this part is for what failed.
        findings: items.errorFindings.map((finding) => ({
          ...finding,
          tone: dangerFindingCodes.has(finding.code) ? 'danger' : 'error',
          kafkaError: finding.kafkaError ?? '',
          owner: items.team,
        })),
        assumptions: items.failedAssumptions,
        manualSteps: items.openManualSteps.map((step) => ({ ...step, estimate: formatMinutes(step.estimateMinutes) })),
      };
    }),
  };
}

function teamTrendView(result: Result, compare: Result[]) {
  if (compare.length === 0) return null;
  const trend = teamTrend(result, compare);
  return {
    runs: trend.startedAt.map((startedAt, index) => ({ startedAt: formatTimestamp(startedAt), current: index === trend.current })),
    rows: trend.rows.map((row) => ({
      team: row.team,
      cells: row.points.map((point) => (point ? { ...point, present: true } : { present: false })),
    })),
  };
}

function runView(run: Run, index: number) {
  const figures = runFigures(run);
  const findings = run.phases.flatMap((phase) =>
    phase.findings.map((finding) => ({
      phase: phase.name,
      ...finding,
      kafkaError: finding.kafkaError ?? '',
      owner: finding.owner ?? '',
      tone: dangerFindingCodes.has(finding.code) ? ('danger' as const) : finding.severity,
    })),
  );
  const severityOrder = { danger: 0, error: 1, warning: 2, info: 3 } as const;
  return {
    anchor: `kafka-${index}`,
    kafkaVersion: run.kafkaVersion,
    verdict: run.verdict,
    verdictLabel: verdictLabels[run.verdict],
    reason: run.reason,
    stats: runStats(run),
    attention: attentionView(run),
    probes: run.probes
      .map((probe) => ({ probe, status: probe.status, checks: countChecks(probe) }))
      .sort((a, b) => (statusOrder[a.status] ?? 9) - (statusOrder[b.status] ?? 9))
      .map(({ probe, status, checks }) => ({
        status,
        statusLabel: status === 'error' ? 'could not run' : status,
        checks: formatCheckCounts(checks),
        skippedChecks: checks.skipped,
        id: probe.id,
        type: probe.type,
        name: probe.name,
        duration: formatDuration(probe.durationMs),
        evidence: probe.evidence.filter((item) => item.outcome !== 'passed').map(evidenceView),
        passing: passingView(probe.evidence),
      })),
    probeSummary:
      `${figures.probesPassed} passed, ${figures.probesFailed} failed, ${figures.probesErrored} could not run, ${figures.probesSkipped} skipped` +
      ` · checks: ${formatCheckCounts(figures.checks)}`,
    assumptions: [...run.assumptions]
      .sort((a, b) => (a.status === b.status ? 0 : a.status === 'failed' ? -1 : 1))
      .map((assumption) => ({ ...assumption, owner: assumption.owner ?? '' })),
    manualSteps: run.manualSteps.map((step) => ({
      ...step,
      estimate: formatMinutes(step.estimateMinutes),
      took: step.durationMs === undefined ? '' : formatDuration(step.durationMs),
      output: step.output ?? '',
    })),
    manualSummary: `${figures.manualStepsOpen} of ${figures.manualSteps} done by hand, ${formatMinutes(figures.manualMinutesOpen)} estimated`,
    findings: findings.sort((a, b) => severityOrder[a.tone] - severityOrder[b.tone]),
    phaseCounts: run.phases.filter((phase) => phase.counts).map((phase) => ({ phase: phase.name, ...phase.counts! })),
    verify: run.verify
      ? {
          counts: run.verify.counts,
          differences: [...run.verify.differences]
            .sort(
              (a, b) =>
                ['drift', 'unrestorable', 'expected'].indexOf(a.classification) - ['drift', 'unrestorable', 'expected'].indexOf(b.classification) ||
                streamsOrder(a.streamsApplication, b.streamsApplication),
            )
            .map((difference) => ({
              ...difference,
              expected: difference.expected ?? '(absent)',
              actual: difference.actual ?? '(absent)',
              expectedAbsent: difference.expected === null,
              actualAbsent: difference.actual === null,
              reason: difference.reason ?? '',
              streamsApplication: difference.streamsApplication ?? '',
            })),
        }
      : null,
    offsetMap: run.offsetMap ? describeOffsetMap(run.offsetMap) : '',
    mirror: run.mirror ? mirrorView(run.mirror) : null,
    samples: buildSamplesView(run),
    brokers: brokerView(run),
    objectives: run.objectives,
    rollback: run.rollback ? rollbackView(run.rollback) : null,
    environment: [
      ['Provider', run.environment.provider],
      ['Brokers', String(run.environment.brokers)],
      ['Security', run.environment.security],
      ['Cluster id', run.environment.clusterId ?? '—'],
      ['Bootstrap', run.environment.bootstrap?.join(', ') ?? '—'],
    ].map(([label, value]) => ({ label, value })),
  };
}

export function htmlViewModel(result: Result, options: HtmlOptions = {}) {
  const compare = options.compare ?? [];
  const points = compare.length ? trendPoints(result, compare) : [];
  const elapsedMs = Date.parse(result.finishedAt) - Date.parse(result.startedAt);
  return {
    drillName: result.drillName,
    verdict: result.verdict,
    verdictLabel: verdictLabels[result.verdict],
    reason: result.reason,
    startedAt: formatTimestamp(result.startedAt),
    finishedAt: formatTimestamp(result.finishedAt),
    elapsed: formatDuration(Math.max(0, elapsedMs)),
    toolVersion: result.toolVersion,
    versions: result.runs.map((run) => run.kafkaVersion).join(', '),
    isMatrix: result.runs.length > 1,
    clientMatrix: clientMatrixView(result),
    runs: result.runs.map(runView),
    teamTrend: teamTrendView(result, compare),
    timelineWidth,
    timelines: buildTimelines(result.runs),
    trend: points.length
      ? {
          width: trendChartWidth,
          height: trendChartHeight,
          chart: buildTrendChart(points),
          rows: points.map((point) => ({
            startedAt: formatTimestamp(point.startedAt),
            verdict: point.verdict,
            verdictLabel: verdictLabels[point.verdict],
            measured: formatMinutes(point.measuredMinutes),
            projected: formatMinutes(point.projectedMinutes),
            manualSteps: point.manualSteps,
            current: point.current,
          })),
        }
      : null,
    provenance: [
      ['Drill spec', result.spec.file],
      ['Spec sha256', result.spec.sha256],
      ['Snapshot', result.snapshot.file],
      ['Snapshot sha256', result.snapshot.sha256],
      ['Snapshot digest', result.snapshot.digest],
      ['Source cluster', result.snapshot.clusterId],
      ['Source Kafka', result.snapshot.kafkaVersion],
      ['Started', formatTimestamp(result.startedAt)],
      ['Finished', formatTimestamp(result.finishedAt)],
      ['kafka-drill', result.toolVersion],
    ].map(([label, value]) => ({ label, value })),
  };
}

/** report.html as one string (writeReports writes it in pieces: renderHtmlPieces). */
export function renderHtml(result: Result, options: HtmlOptions = {}): string {
  return template()(htmlViewModel(result, options));
}

/** Lists the page being rendered in pieces left for later, and the marker standing in for each. */
let later: { marker: string; lists: { count: number; render: (index: number) => string }[] } | undefined;

/**
 * report.html in pieces, for writing as they come: the page around the long lists of checks, and
 * each check of those lists on its own. A 5,000-topic drill's page is 23 MB, never held whole.
 */
export function* renderHtmlPieces(result: Result, options: HtmlOptions = {}): Generator<string> {
  // NULs around a random word: no value from a result holds that by chance.
  const pending = { marker: `\u0000${randomBytes(8).toString('hex')}\u0000`, lists: [] as NonNullable<typeof later>['lists'] };
  const outer = later;
  later = pending;
  let page: string;
  try {
    page = template()(htmlViewModel(result, options));
  } finally {
    later = outer;
  }
  const parts = page.split(pending.marker);
  for (let part = 0; part < parts.length; part++) {
    if (part % 2 === 0) {
      yield parts[part]!;
      continue;
    }
    const list = pending.lists[Number(parts[part])]!;
    for (let index = 0; index < list.count; index++) yield list.render(index);
  }
}

/** Within a classification, a Streams application's differences together, by application id, after the rest. */
function streamsOrder(a: string | undefined, b: string | undefined): number {
  if (a === b) return 0;
  if (a === undefined) return -1;
  if (b === undefined) return 1;
  return a < b ? -1 : 1;
}
