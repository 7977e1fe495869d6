/**
 * junit.xml: one <testsuite> per Kafka version, a testcase per phase, probe, assumption and
 * objective, plus one for the run's verdict so an infrastructure error never reads as green.
 * Shaped to validate against the Ant JUnit schema (the strictest common dialect).
 */
import { type Phase, type ProbeEvidence, type Result, type Rollback, type Run } from '../model/result.js';
import { decisionLine, rollbackLines } from './rollback.js';
import { formatCheckCounts, formatMinutes, runFigures } from './figures.js';
import { countChecks } from '../model/verdict.js';
import { teamCounts, teamItems, type OwnedCheck, type TeamItems } from './owners.js';

export interface JunitOptions {
  /** Where the drill ran; the schema requires one. */
  hostname: string;
}

type Outcome = { kind: 'passed' } | { kind: 'skipped'; message: string } | { kind: 'failure' | 'error'; type: string; message: string; details: string };

interface TestCase {
  classname: string;
  name: string;
  seconds: number;
  outcome: Outcome;
}

// XML 1.0 allows only these code points; anything else (control characters, lone surrogates) becomes U+FFFD.
const illegalXmlCharacters = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

export function xmlText(value: string): string {
  return value.replace(illegalXmlCharacters, '\uFFFD').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Attribute values also keep their quotes and line breaks, which a parser would otherwise normalize away. */
export function xmlAttribute(value: string): string {
  return xmlText(value).replace(/"/g, '&quot;').replace(/'/g, '&apos;').replace(/\t/g, '&#9;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;');
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

/** The schema's timestamp: UTC, whole seconds, no zone designator. */
function junitTimestamp(iso: string): string {
  return new Date(iso).toISOString().slice(0, 19);
}

/** A dotted Java-style package name; the schema's xs:token would collapse spaces anyway. */
function packageName(drillName: string): string {
  const safe = drillName.replace(/[^A-Za-z0-9_.-]+/g, '_').replace(/^[._-]+|[._-]+$/g, '');
  return `kafka-drill.${safe || 'drill'}`;
}

function versionSegment(kafkaVersion: string): string {
  return `kafka-${kafkaVersion.replace(/[^A-Za-z0-9_.-]+/g, '_')}`;
}

function phaseCase(base: string, phase: Phase): TestCase {
  const errors = phase.findings.filter((finding) => finding.severity === 'error');
  const describe = (finding: Phase['findings'][number]) => `${finding.severity}: ${finding.object}: ${finding.message}${finding.kafkaError ? ` (${finding.kafkaError})` : ''}`;
  let outcome: Outcome = { kind: 'passed' };
  if (phase.status === 'skipped') outcome = { kind: 'skipped', message: 'phase skipped' };
  if (phase.status === 'failed') {
    const first = errors[0] ?? phase.findings[0];
    outcome = {
      kind: 'failure',
      type: 'PhaseFailed',
      message: first ? `${first.object}: ${first.message}` : `phase ${phase.name} failed`,
      details: phase.findings.map(describe).join('\n'),
    };
  }
  return { classname: `${base}.phases`, name: phase.name, seconds: phase.durationMs, outcome };
}

function describeCheck(item: ProbeEvidence): string {
  const who = [item.principal, item.operation, item.resource].filter(Boolean).join(' ');
  const error = item.kafkaError ? ` (${item.kafkaError})` : '';
  const detail = item.detail ? ` — ${item.detail}` : '';
  return `[${item.outcome}] ${who ? `${who}: ` : ''}expected ${item.expected}, observed ${item.observed}${error}${detail}`;
}

/** Skipped checks listed per probe in system-out, up to this many each. */
const skippedListed = 50;

function runCases(base: string, run: Run): TestCase[] {
  const cases: TestCase[] = run.phases.map((phase) => phaseCase(base, phase));

  for (const probe of run.probes) {
    const evidence = probe.evidence.map(describeCheck);
    const firstMismatch = probe.evidence.find((item) => item.outcome === 'failed') ?? probe.evidence[0];
    const message = firstMismatch ? `expected ${firstMismatch.expected}, observed ${firstMismatch.observed}` : `probe ${probe.status}`;
    const status = probe.status;
    const known = probe.expectedFailure?.reason;
    // Like pytest's xfail: a declared known failure is reported as skipped with its reason (it is
    // still red in report.html and summary.md); a declared failure that passed fails (stale).
    const outcome: Outcome =
      known && (status === 'failed' || status === 'error')
        ? { kind: 'skipped', message: `expected failure (declared: ${known}): ${message}` }
        : known
          ? {
              kind: 'failure',
              type: 'ExpectedFailureDidNotHappen',
              message: `declared expected failure did not happen (${known}): the probe ${status}; remove the declaration`,
              details: evidence.join('\n'),
            }
          : status === 'passed'
            ? { kind: 'passed' }
            : status === 'skipped'
              ? { kind: 'skipped', message: `every check skipped (${countChecks(probe).skipped}): ${probe.evidence[0]?.detail ?? probe.evidence[0]?.observed ?? ''}` }
              : status === 'failed'
                ? { kind: 'failure', type: 'ProbeFailed', message, details: evidence.join('\n') }
                : { kind: 'error', type: 'ProbeError', message, details: evidence.join('\n') };
    cases.push({ classname: `${base}.probes.${probe.type}`, name: `${probe.name} [${probe.id}]`, seconds: probe.durationMs, outcome });
  }

  for (const assumption of run.assumptions) {
    const message = `expected ${assumption.expected}, observed ${assumption.observed}`;
    cases.push({
      classname: `${base}.assumptions.${assumption.source}`,
      name: `${assumption.description} [${assumption.id}]`,
      seconds: 0,
      outcome:
        assumption.status === 'held'
          ? { kind: 'passed' }
          : assumption.status === 'skipped'
            ? { kind: 'skipped', message: `not checked: ${assumption.observed}` }
            : { kind: 'failure', type: 'AssumptionFailed', message, details: message },
    });
  }

  for (const objective of run.objectives) {
    const message = `target ${objective.target}, observed ${objective.observed}`;
    cases.push({
      classname: `${base}.objectives`,
      name: objective.name,
      seconds: 0,
      outcome: objective.met ? { kind: 'passed' } : { kind: 'failure', type: 'ObjectiveMissed', message, details: message },
    });
  }

  if (run.rollback) cases.push(rollbackCase(base, run.rollback));

  const verdictOutcome: Outcome =
    run.verdict === 'passed'
      ? { kind: 'passed' }
      : run.verdict === 'failed'
        ? { kind: 'failure', type: 'DrillFailed', message: run.reason, details: run.reason }
        : { kind: 'error', type: run.verdict === 'interrupted' ? 'DrillInterrupted' : 'InfrastructureError', message: run.reason, details: run.reason };
  cases.push({ classname: base, name: 'drill verdict', seconds: 0, outcome: verdictOutcome });
  return cases;
}

/** The rollback decision: a failure when it is not the one the spec expects, or a rollback automation failed. */
function rollbackCase(base: string, rollback: Rollback): TestCase {
  const details = rollbackLines(rollback).join('\n');
  const failedSteps = rollback.steps.filter((step) => step.status === 'failed').map((step) => step.id);
  const outcome: Outcome =
    rollback.decision !== rollback.expected
      ? { kind: 'failure', type: rollback.decision === 'rollback' ? 'RollbackDecided' : 'RollbackNotTriggered', message: decisionLine(rollback), details }
      : failedSteps.length
        ? { kind: 'failure', type: 'RollbackStepFailed', message: `rollback step(s) failed: ${failedSteps.join(', ')}`, details }
        : { kind: 'passed' };
  return {
    classname: `${base}.rollback`,
    name: `rollback decision: ${rollback.decision}`,
    seconds: rollback.steps.reduce((sum, step) => sum + (step.durationMs ?? 0), 0),
    outcome,
  };
}

/** Checks of one outcome listed as testcases in a team's suite, up to this many; the rest are one case that counts them. */
const teamChecksListed = 200;

/** A team's suite: one testcase per failed or skipped check, restore error, failed assumption and open manual step it owns. */
function teamCases(base: string, items: TeamItems): TestCase[] {
  const classname = `${base}.team.${items.team.replace(/[^A-Za-z0-9_-]+/g, '_')}`;
  const cases: TestCase[] = [];
  const checkCases = (checks: OwnedCheck[], outcome: 'failed' | 'skipped') => {
    for (const { probe, check } of checks.slice(0, teamChecksListed)) {
      const text = describeCheck(check);
      cases.push({
        classname: `${classname}.checks`,
        name: `${probe.name} [${probe.id}${probe.client ? ` ${probe.client.class}` : ''}]: ${[check.principal, check.operation, check.resource].filter(Boolean).join(' ') || check.expected}`,
        seconds: 0,
        outcome:
          outcome === 'failed'
            ? { kind: 'failure', type: 'CheckFailed', message: `expected ${check.expected}, observed ${check.observed}`, details: text }
            : { kind: 'skipped', message: check.detail ?? check.observed },
      });
    }
    const more = checks.length - teamChecksListed;
    if (more > 0) {
      const message = `… and ${more} more ${outcome} checks (result.json lists them all)`;
      cases.push({
        classname: `${classname}.checks`,
        name: `${more} more ${outcome} checks`,
        seconds: 0,
        outcome: outcome === 'failed' ? { kind: 'failure', type: 'CheckFailed', message, details: message } : { kind: 'skipped', message },
      });
    }
  };
  checkCases(items.failedChecks, 'failed');
  checkCases(items.skippedChecks, 'skipped');
  for (const finding of items.errorFindings) {
    const message = `${finding.object}: ${finding.message}${finding.kafkaError ? ` (${finding.kafkaError})` : ''}`;
    cases.push({
      classname: `${classname}.findings`,
      name: `${finding.phase}: ${finding.code} ${finding.object}`,
      seconds: 0,
      outcome: { kind: 'failure', type: 'RestoreError', message, details: message },
    });
  }
  for (const assumption of items.failedAssumptions) {
    const message = `expected ${assumption.expected}, observed ${assumption.observed}`;
    cases.push({
      classname: `${classname}.assumptions`,
      name: `${assumption.description} [${assumption.id}]`,
      seconds: 0,
      outcome: { kind: 'failure', type: 'AssumptionFailed', message, details: message },
    });
  }
  for (const step of items.openManualSteps) {
    const message = `${step.status === 'failed' ? 'automation failed' : 'done by hand'}, estimated ${formatMinutes(step.estimateMinutes)}`;
    cases.push({
      classname: `${classname}.manual-steps`,
      name: `${step.title} [${step.id}]`,
      seconds: step.durationMs ?? 0,
      outcome: step.status === 'failed' ? { kind: 'failure', type: 'AutomationFailed', message, details: step.output ?? message } : { kind: 'skipped', message },
    });
  }
  return cases;
}

function caseXml(testCase: TestCase): string {
  const open = `    <testcase classname="${xmlAttribute(testCase.classname)}" name="${xmlAttribute(testCase.name || '(unnamed)')}" time="${seconds(testCase.seconds)}"`;
  const { outcome } = testCase;
  switch (outcome.kind) {
    case 'passed':
      return `${open}/>`;
    case 'skipped':
      return `${open}>\n      <skipped message="${xmlAttribute(outcome.message)}"/>\n    </testcase>`;
    default:
      return (
        `${open}>\n      <${outcome.kind} type="${xmlAttribute(outcome.type)}" message="${xmlAttribute(outcome.message)}">` +
        `${xmlText(outcome.details)}</${outcome.kind}>\n    </testcase>`
      );
  }
}

function runProperties(result: Result, run: Run): [string, string][] {
  const figures = runFigures(run);
  const properties: [string, string][] = [
    ['drill', result.drillName],
    ['kafka.version', run.kafkaVersion],
    ['verdict', run.verdict],
    ['verdict.reason', run.reason],
    ['rto.measured.minutes', String(run.rto.measuredMinutes)],
    ['rto.projected.minutes', String(run.rto.projectedMinutes)],
  ];
  if (run.rto.objectiveMinutes !== undefined) properties.push(['rto.objective.minutes', String(run.rto.objectiveMinutes)]);
  properties.push(
    ['manual.steps', String(figures.manualSteps)],
    ['manual.steps.open', String(figures.manualStepsOpen)],
    ['manual.minutes.open', String(figures.manualMinutesOpen)],
    ['probes.passed', String(figures.probesPassed)],
    ['probes.failed', String(figures.probesFailed)],
    ['probes.errored', String(figures.probesErrored)],
    ['probes.skipped', String(figures.probesSkipped)],
    ['checks.passed', String(figures.checks.passed)],
    ['checks.failed', String(figures.checks.failed)],
    ['checks.skipped', String(figures.checks.skipped)],
    ['assumptions.failed', String(figures.assumptionsFailed)],
    ['assumptions.total', String(figures.assumptionsTotal)],
  );
  if (run.rollback) {
    properties.push(
      ['rollback.decision', run.rollback.decision],
      ['rollback.expected', run.rollback.expected],
      [
        'rollback.triggers.fired',
        run.rollback.triggers
          .filter((trigger) => trigger.fired)
          .map((trigger) => trigger.id)
          .join(','),
      ],
      ['rollback.minutes', String(run.rollback.minutes)],
    );
  }
  if (run.verify) {
    for (const [name, value] of Object.entries(run.verify.counts)) properties.push([`verify.${name}`, String(value)]);
  }
  for (const phase of run.phases) {
    if (!phase.counts) continue;
    for (const [name, value] of Object.entries(phase.counts)) properties.push([`${phase.name}.${name}`, String(value)]);
  }
  properties.push(
    ['environment.provider', run.environment.provider],
    ['environment.brokers', String(run.environment.brokers)],
    ['environment.security', run.environment.security],
    ['snapshot.sha256', result.snapshot.sha256],
    ['snapshot.digest', result.snapshot.digest],
    ['spec.sha256', result.spec.sha256],
    ['tool.version', result.toolVersion],
  );
  return properties;
}

function systemOut(run: Run): string {
  const figures = runFigures(run);
  const lines = [
    `Kafka ${run.kafkaVersion}: ${run.verdict} — ${run.reason}`,
    `RTO: measured ${formatMinutes(run.rto.measuredMinutes)}, projected ${formatMinutes(run.rto.projectedMinutes)}` +
      (run.rto.objectiveMinutes === undefined ? '' : `, objective ${formatMinutes(run.rto.objectiveMinutes)}`),
    `Manual steps: ${figures.manualSteps} (${figures.manualStepsOpen} still manual, ${formatMinutes(figures.manualMinutesOpen)} estimated)`,
    ...run.manualSteps.map((step) => `  - [${step.status}] ${step.title} (owner ${step.owner}, ${formatMinutes(step.estimateMinutes)})`),
  ];
  lines.push(
    `Probes: ${figures.probesPassed} passed, ${figures.probesFailed} failed, ${figures.probesErrored} could not run, ${figures.probesSkipped} skipped; checks: ${formatCheckCounts(figures.checks)}`,
  );
  for (const probe of run.probes) {
    lines.push(`  - ${probe.name} [${probe.id}]: ${probe.status}; checks: ${formatCheckCounts(countChecks(probe))}`);
    const skipped = probe.evidence.filter((item) => item.outcome === 'skipped');
    lines.push(...skipped.slice(0, skippedListed).map((item) => `      ${describeCheck(item)}`));
    if (skipped.length > skippedListed) lines.push(`      … and ${skipped.length - skippedListed} more skipped checks (result.json lists them all)`);
  }
  if (run.rollback) lines.push(...rollbackLines(run.rollback));
  if (run.verify) {
    const { counts } = run.verify;
    lines.push(`Verify: ${counts.matched} matched, ${counts.expected} expected, ${counts.unrestorable} unrestorable, ${counts.drift} drift`);
    for (const difference of run.verify.differences) {
      lines.push(
        `  - [${difference.classification}] ${difference.kind} ${difference.object}: expected ${difference.expected ?? '(absent)'}, actual ${difference.actual ?? '(absent)'}`,
      );
    }
  }
  return lines.join('\n') + '\n';
}

function systemErr(run: Run): string {
  const lines = run.phases.flatMap((phase) =>
    phase.findings
      .filter((finding) => finding.severity !== 'info')
      .map((finding) => `${phase.name}: ${finding.severity}: ${finding.object}: ${finding.message}${finding.kafkaError ? ` (${finding.kafkaError})` : ''}`),
  );
  return lines.length ? lines.join('\n') + '\n' : '';
}

export function renderJunit(result: Result, options: JunitOptions): string {
  const packageBase = packageName(result.drillName);
  let teamSuiteCount = 0;
  const suites = result.runs.map((run, index) => {
    const base = `${packageBase}.${versionSegment(run.kafkaVersion)}`;
    const cases = runCases(base, run);
    const count = (kind: Outcome['kind']) => cases.filter((testCase) => testCase.outcome.kind === kind).length;
    const runStart = Math.min(...run.phases.map((phase) => Date.parse(phase.startedAt)), Date.parse(result.startedAt));
    const runEnd = Math.max(...run.phases.map((phase) => Date.parse(phase.startedAt) + phase.durationMs), runStart);
    const properties = runProperties(result, run)
      .map(([name, value]) => `      <property name="${xmlAttribute(name)}" value="${xmlAttribute(value)}"/>`)
      .join('\n');
    return [
      `  <testsuite package="${xmlAttribute(packageBase)}" id="${index}" name="${xmlAttribute(`${result.drillName} on Kafka ${run.kafkaVersion}`)}"` +
        ` timestamp="${junitTimestamp(new Date(runStart).toISOString())}" hostname="${xmlAttribute(options.hostname || 'localhost')}"` +
        ` tests="${cases.length}" failures="${count('failure')}" errors="${count('error')}" skipped="${count('skipped')}" time="${seconds(runEnd - runStart)}">`,
      `    <properties>\n${properties}\n    </properties>`,
      ...cases.map(caseXml),
      `    <system-out>${xmlText(systemOut(run))}</system-out>`,
      `    <system-err>${xmlText(systemErr(run))}</system-err>`,
      '  </testsuite>',
    ].join('\n');
  });
  // After the suites of the Kafka versions: one per team and version, with what the team has to act on.
  const teamSuites = result.runs.flatMap((run) =>
    teamItems(run).map((items) => {
      const cases = teamCases(`${packageBase}.${versionSegment(run.kafkaVersion)}`, items);
      const count = (kind: Outcome['kind']) => cases.filter((testCase) => testCase.outcome.kind === kind).length;
      const counts = teamCounts(items);
      const properties: [string, string][] = [
        ['team', items.team],
        ['kafka.version', run.kafkaVersion],
        ['checks.failed', String(counts.failedChecks)],
        ['checks.skipped', String(counts.skippedChecks)],
        ['restore.errors', String(counts.errorFindings)],
        ['restore.warnings', String(counts.warningFindings)],
        ['assumptions.failed', String(counts.failedAssumptions)],
        ['manual.steps.open', String(counts.openManualSteps)],
        ['manual.minutes.open', String(counts.openManualMinutes)],
      ];
      const index = suites.length + teamSuiteCount++;
      return [
        `  <testsuite package="${xmlAttribute(packageBase)}" id="${index}" name="${xmlAttribute(`${result.drillName} on Kafka ${run.kafkaVersion}: team ${items.team}`)}"` +
          ` timestamp="${junitTimestamp(result.startedAt)}" hostname="${xmlAttribute(options.hostname || 'localhost')}"` +
          ` tests="${cases.length}" failures="${count('failure')}" errors="${count('error')}" skipped="${count('skipped')}" time="0.000">`,
        `    <properties>\n${properties.map(([name, value]) => `      <property name="${xmlAttribute(name)}" value="${xmlAttribute(value)}"/>`).join('\n')}\n    </properties>`,
        ...cases.map(caseXml),
        `    <system-out>${xmlText(`team ${items.team} on Kafka ${run.kafkaVersion}: ${counts.failedChecks} failed and ${counts.skippedChecks} skipped checks, ${counts.errorFindings} restore errors, ${counts.failedAssumptions} failed assumptions, ${counts.openManualSteps} open manual steps\n`)}</system-out>`,
        '    <system-err></system-err>',
        '  </testsuite>',
      ].join('\n');
    }),
  );
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n${[...suites, ...teamSuites].join('\n')}\n</testsuites>\n`;
}
