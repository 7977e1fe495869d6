/**
 * The rollback decision (spec `rollback:`): at the cutover, would the recovery be promoted or
 * rolled back? Each trigger is judged on the run's typed fields; any that fires decides rollback,
 * and then the rollback's steps are run (automated) or counted (manual).
 */
import type { ObjectiveTargets } from '../model/verdict.js';
import { evaluateObjectives, isRed, replayByGroup } from '../model/verdict.js';
import type { ProbeEvidence, ProbeRecord, Rollback, RollbackCause, RollbackStep, RollbackTrigger, Run } from '../model/result.js';
import type { RollbackSpec, RollbackStepSpec, RollbackTriggerSpec } from '../drill-spec/schema.js';
import { globMatches } from '../glob.js';
import { runAutomation, type AutomationEnvironment } from './manual-steps.js';

export type DecisionInputs = Pick<Run, 'probes' | 'assumptions' | 'manualSteps' | 'mirror'>;

/** The decision and every trigger's outcome, with no steps done yet. */
export function decideRollback(policy: RollbackSpec, run: DecisionInputs, targets: ObjectiveTargets, cutoverMinutes: number): Omit<Rollback, 'steps' | 'minutes'> {
  const triggers = policy.when.map((trigger, index): RollbackTrigger => {
    const causes = triggerCauses(trigger, run, targets, cutoverMinutes);
    return {
      id: trigger.id ?? `${trigger.type}-${index + 1}`,
      type: trigger.type,
      description: trigger.description ?? describeTrigger(trigger, targets),
      fired: causes.length > 0,
      causes,
    };
  });
  return { decision: triggers.some((trigger) => trigger.fired) ? 'rollback' : 'promote', expected: policy.expect, triggers };
}

function triggerCauses(trigger: RollbackTriggerSpec, run: DecisionInputs, targets: ObjectiveTargets, cutoverMinutes: number): RollbackCause[] {
  switch (trigger.type) {
    case 'authorization-failed':
      return counted(run.probes)
        .filter((probe) => probe.type === 'authorization')
        .flatMap((probe) =>
          probe.evidence.flatMap((check, index): RollbackCause[] =>
            check.outcome === 'failed' && selected(check, trigger)
              ? [
                  {
                    kind: 'probe-check',
                    probe: probe.id,
                    check: index,
                    ...(check.principal ? { principal: check.principal } : {}),
                    ...(check.operation ? { operation: check.operation } : {}),
                    ...(check.resource ? { resource: check.resource } : {}),
                  },
                ]
              : [],
          ),
        );
    case 'replay': {
      const inGroups = (group: string) => trigger.groups === undefined || trigger.groups.some((pattern) => globMatches(pattern, group));
      const causes: RollbackCause[] = [];
      for (const probe of run.probes) {
        for (const [group, records] of probeReplayByGroup(probe.evidence)) {
          if (inGroups(group) && records > trigger.maxRecords)
            causes.push({ kind: 'replay', source: 'offsets-probe', probe: probe.id, group, records, maxRecords: trigger.maxRecords });
        }
      }
      for (const [group, records] of run.mirror ? replayByGroup(run.mirror) : []) {
        if (inGroups(group) && records > trigger.maxRecords) causes.push({ kind: 'replay', source: 'mirror', group, records, maxRecords: trigger.maxRecords });
      }
      return causes;
    }
    case 'rto-missed': {
      const bound = trigger.minutes ?? targets.rtoMinutes!;
      return cutoverMinutes > bound ? [{ kind: 'rto', projectedMinutes: cutoverMinutes, boundMinutes: bound }] : [];
    }
    case 'probe-failed':
      return counted(run.probes)
        .filter((probe) => (probe.client?.probe ?? probe.id) === trigger.probe)
        .flatMap((probe): RollbackCause[] => {
          if (isRed(probe) || (trigger.skipped && probe.status === 'skipped')) return [{ kind: 'probe', probe: probe.id, status: probe.status as 'failed' | 'error' | 'skipped' }];
          return [];
        });
    case 'objective-missed': {
      const keys = trigger.objective ? [trigger.objective] : (Object.keys(targets) as (keyof ObjectiveTargets)[]);
      return keys
        .filter((key) => targets[key] !== undefined)
        .flatMap((key): RollbackCause[] => {
          const [objective] = evaluateObjectives(run, { [key]: targets[key] }, cutoverMinutes);
          return objective && !objective.met ? [{ kind: 'objective', objective: key, name: objective.name, target: objective.target, observed: objective.observed }] : [];
        });
    }
  }
}

/** A cell the spec declared as a known failure (expectedFailures) is accepted: it triggers nothing. */
function counted(probes: ProbeRecord[]): ProbeRecord[] {
  return probes.filter((probe) => !probe.expectedFailure);
}

function selected(check: ProbeEvidence, selector: { principals?: string[] | undefined; topics?: string[] | undefined }): boolean {
  if (selector.principals && !(check.principal && selector.principals.some((pattern) => globMatches(pattern, check.principal!)))) return false;
  if (selector.topics) {
    const topic = check.resource?.startsWith('topic ') ? check.resource.slice('topic '.length) : undefined;
    if (topic === undefined || !selector.topics.some((pattern) => globMatches(pattern, topic))) return false;
  }
  return true;
}

/** Records each group re-reads according to one probe's checks, summed over its partitions (skips count as 0). */
function probeReplayByGroup(evidence: ProbeEvidence[]): Map<string, number> {
  const byGroup = new Map<string, number>();
  for (const { replay } of evidence) if (replay) byGroup.set(replay.group, (byGroup.get(replay.group) ?? 0) + Math.max(0, replay.records));
  return byGroup;
}

function describeTrigger(trigger: RollbackTriggerSpec, targets: ObjectiveTargets): string {
  switch (trigger.type) {
    case 'authorization-failed': {
      const who = trigger.principals ? ` of ${trigger.principals.join(', ')}` : '';
      const where = trigger.topics ? ` on topic ${trigger.topics.join(', ')}` : '';
      return `a failed authorization check${who}${where}`;
    }
    case 'replay':
      return `a group${trigger.groups ? ` matching ${trigger.groups.join(', ')}` : ''} re-reads more than ${trigger.maxRecords} records after the cutover`;
    case 'rto-missed':
      return `the cutover's projected RTO is over ${trigger.minutes ?? targets.rtoMinutes} min`;
    case 'probe-failed':
      return `probe ${trigger.probe} failed${trigger.skipped ? ' or proved nothing (every check skipped)' : ''}`;
    case 'objective-missed':
      return trigger.objective ? `objective ${trigger.objective} missed` : 'any objective missed';
  }
}

/** The rollback's steps in order: automated ones run against the drill's environment, the others left for a person. */
export async function performRollback(steps: RollbackStepSpec[], automation: AutomationEnvironment): Promise<Pick<Rollback, 'steps' | 'minutes'>> {
  const done: RollbackStep[] = [];
  for (const step of steps) {
    const base = { id: step.id, title: step.title, owner: step.owner, estimateMinutes: step.estimateMinutes };
    done.push(step.automate ? { ...base, ...(await runAutomation(step.automate, automation)) } : { ...base, automated: false, status: 'pending' });
  }
  return { steps: done, minutes: rollbackMinutes(done) };
}

/** Automated steps count their measured time; pending and failed ones their estimate (a person does them). */
export function rollbackMinutes(steps: RollbackStep[]): number {
  const total = steps.reduce((sum, step) => sum + (step.status === 'automated' ? (step.durationMs ?? 0) / 60_000 : step.estimateMinutes), 0);
  return Math.round(total * 1000) / 1000;
}
