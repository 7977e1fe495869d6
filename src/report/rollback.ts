/** The rollback decision (run.rollback) as every report shows it: its words here, its layout in each report. */
import type { Rollback, RollbackCause } from '../model/result.js';
import { formatDuration, formatMinutes } from './figures.js';

/** "authorization check 3 of probe reader-writes: User:app WRITE topic orders". */
export function describeCause(cause: RollbackCause): string {
  switch (cause.kind) {
    case 'probe-check': {
      const subject = [cause.principal, cause.operation, cause.resource].filter(Boolean).join(' ');
      return `check ${cause.check + 1} of probe ${cause.probe} failed${subject ? `: ${subject}` : ''}`;
    }
    case 'probe':
      return `probe ${cause.probe} ${cause.status === 'error' ? 'could not run' : cause.status === 'skipped' ? 'proved nothing (every check skipped)' : 'failed'}`;
    case 'objective':
      return `objective ${cause.name} missed: observed ${cause.observed}, target ${cause.target}`;
    case 'replay':
      return `group ${cause.group} re-reads ${cause.records} records (bound ${cause.maxRecords}), ${cause.source === 'mirror' ? "measured at the mirror's cut-over" : `measured by probe ${cause.probe}`}`;
    case 'rto':
      return `cutover's projected RTO ${formatMinutes(cause.projectedMinutes)} is over ${formatMinutes(cause.boundMinutes)}`;
  }
}

/** Whether the decision is the one the spec expects and the rollback's automations all worked. */
export function rollbackHeld(rollback: Rollback): boolean {
  return rollback.decision === rollback.expected && rollback.steps.every((step) => step.status !== 'failed');
}

/** One line: the decision, against what the spec expects. */
export function decisionLine(rollback: Rollback): string {
  const fired = rollback.triggers.filter((trigger) => trigger.fired);
  const what =
    rollback.decision === 'rollback'
      ? `rollback (${fired.length} of ${rollback.triggers.length} trigger(s) fired)`
      : `promote (none of ${rollback.triggers.length} trigger(s) fired)`;
  const expected = rollback.decision === rollback.expected ? 'as expected' : `expected ${rollback.expected}`;
  const time = rollback.decision === 'rollback' ? `; ${formatMinutes(rollback.minutes)} added to the projected RTO` : '';
  return `${what}, ${expected}${time}`;
}

/** Plain text lines: the decision, each trigger with its causes, each rollback step (for system-out and the like). */
export function rollbackLines(rollback: Rollback): string[] {
  const lines = [`Rollback decision: ${decisionLine(rollback)}`];
  for (const trigger of rollback.triggers) {
    lines.push(`  - [${trigger.fired ? 'fired' : 'quiet'}] ${trigger.id}: ${trigger.description}`);
    lines.push(...trigger.causes.map((cause) => `      ${describeCause(cause)}`));
  }
  for (const step of rollback.steps) lines.push(`  - rollback step [${step.status}] ${step.title} (${step.id}, owner ${step.owner}, ${stepTime(step)})`);
  return lines;
}

function stepTime(step: Rollback['steps'][number]): string {
  return step.status === 'automated' && step.durationMs !== undefined ? `took ${formatDuration(step.durationMs)}` : `estimate ${formatMinutes(step.estimateMinutes)}`;
}

/** The view model of report.html's rollback section (templates/rollback.hbs). */
export function rollbackView(rollback: Rollback) {
  return {
    decision: rollback.decision,
    expected: rollback.expected,
    held: rollbackHeld(rollback),
    summary: decisionLine(rollback),
    triggers: rollback.triggers.map((trigger) => ({
      id: trigger.id,
      type: trigger.type,
      description: trigger.description,
      fired: trigger.fired,
      causes: trigger.causes.map(describeCause),
    })),
    steps: rollback.steps.map((step) => ({ ...step, time: stepTime(step), output: step.output ?? '' })),
  };
}
