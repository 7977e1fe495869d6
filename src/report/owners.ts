/**
 * What each team has to act on in a run, from the owners the drill recorded: failed and skipped
 * checks, restore findings, failed assumptions and manual steps still done by hand. Every report
 * groups by team through this module, so their counts never disagree.
 */
import { dangerFindingCodes, type Assumption, type Finding, type ManualStep, type ProbeEvidence, type ProbeRecord, type Result, type Run } from '../model/result.js';

/** Shown for items of a result written before owners were recorded. */
export const UNASSIGNED = 'unassigned';

export interface OwnedCheck {
  probe: ProbeRecord;
  check: ProbeEvidence;
}

export interface TeamItems {
  team: string;
  failedChecks: OwnedCheck[];
  skippedChecks: OwnedCheck[];
  /** Restore findings of severity error, or that reached outside the drill (danger). */
  errorFindings: (Finding & { phase: string })[];
  warningFindings: (Finding & { phase: string })[];
  failedAssumptions: Assumption[];
  /** Not automated, or whose automation failed. */
  openManualSteps: ManualStep[];
}

const ownerOf = (item: { owner?: string | undefined }) => item.owner ?? UNASSIGNED;

/** Each team with anything to act on, the most failures first, then by name. */
export function teamItems(run: Run): TeamItems[] {
  const teams = new Map<string, TeamItems>();
  const team = (name: string) => {
    let items = teams.get(name);
    if (!items) {
      items = { team: name, failedChecks: [], skippedChecks: [], errorFindings: [], warningFindings: [], failedAssumptions: [], openManualSteps: [] };
      teams.set(name, items);
    }
    return items;
  };
  for (const probe of run.probes) {
    for (const check of probe.evidence) {
      if (check.outcome === 'failed') team(ownerOf(check)).failedChecks.push({ probe, check });
      else if (check.outcome === 'skipped') team(ownerOf(check)).skippedChecks.push({ probe, check });
    }
  }
  for (const phase of run.phases) {
    for (const finding of phase.findings) {
      if (finding.severity === 'error' || dangerFindingCodes.has(finding.code)) team(ownerOf(finding)).errorFindings.push({ ...finding, phase: phase.name });
      else if (finding.severity === 'warning') team(ownerOf(finding)).warningFindings.push({ ...finding, phase: phase.name });
    }
  }
  for (const assumption of run.assumptions) if (assumption.status === 'failed') team(ownerOf(assumption)).failedAssumptions.push(assumption);
  for (const step of run.manualSteps) if (step.status !== 'automated') team(step.owner).openManualSteps.push(step);
  const weight = (items: TeamItems) => items.failedChecks.length + items.errorFindings.length + items.failedAssumptions.length;
  return [...teams.values()].sort((a, b) => weight(b) - weight(a) || a.team.localeCompare(b.team));
}

export interface TeamCounts {
  team: string;
  failedChecks: number;
  skippedChecks: number;
  errorFindings: number;
  warningFindings: number;
  failedAssumptions: number;
  openManualSteps: number;
  openManualMinutes: number;
}

export function teamCounts(items: TeamItems): TeamCounts {
  return {
    team: items.team,
    failedChecks: items.failedChecks.length,
    skippedChecks: items.skippedChecks.length,
    errorFindings: items.errorFindings.length,
    warningFindings: items.warningFindings.length,
    failedAssumptions: items.failedAssumptions.length,
    openManualSteps: items.openManualSteps.length,
    openManualMinutes: items.openManualSteps.reduce((sum, step) => sum + step.estimateMinutes, 0),
  };
}

/** Checks grouped by probe, then by principal, in first-seen order. */
export function byProbeAndPrincipal(checks: OwnedCheck[]): { probe: ProbeRecord; principal: string; checks: ProbeEvidence[] }[] {
  const groups = new Map<string, { probe: ProbeRecord; principal: string; checks: ProbeEvidence[] }>();
  for (const { probe, check } of checks) {
    const principal = check.principal ?? '';
    const key = `${probe.id}\u0000${probe.client?.class ?? ''}\u0000${principal}`;
    let group = groups.get(key);
    if (!group) {
      group = { probe, principal, checks: [] };
      groups.set(key, group);
    }
    group.checks.push(check);
  }
  return [...groups.values()];
}

/** One team's figures across runs, oldest first: the slowest-to-recover version of each run, as trendPoints takes. */
export interface TeamTrendRow {
  team: string;
  /** Per compared result, oldest first; undefined when the team had nothing in that run. */
  points: ({ manualSteps: number; failedAssumptions: number; skippedChecks: number; failedChecks: number } | undefined)[];
}

/** Per team: open manual steps, failed assumptions, skipped and failed checks in each result (summed over its Kafka versions' worst). */
export function teamTrend(current: Result, compare: Result[]): { startedAt: string[]; current: number; rows: TeamTrendRow[] } {
  const results = [...compare, current].sort((a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt));
  const perResult = results.map((result) => {
    const byTeam = new Map<string, { manualSteps: number; failedAssumptions: number; skippedChecks: number; failedChecks: number }>();
    for (const run of result.runs) {
      for (const counts of teamItems(run).map(teamCounts)) {
        const point = byTeam.get(counts.team) ?? { manualSteps: 0, failedAssumptions: 0, skippedChecks: 0, failedChecks: 0 };
        // A result's runs are Kafka versions of one drill: the worst version counts, as in the RTO trend.
        point.manualSteps = Math.max(point.manualSteps, counts.openManualSteps);
        point.failedAssumptions = Math.max(point.failedAssumptions, counts.failedAssumptions);
        point.skippedChecks = Math.max(point.skippedChecks, counts.skippedChecks);
        point.failedChecks = Math.max(point.failedChecks, counts.failedChecks);
        byTeam.set(counts.team, point);
      }
    }
    return byTeam;
  });
  const teams = [...new Set(perResult.flatMap((byTeam) => [...byTeam.keys()]))].sort();
  return {
    startedAt: results.map((result) => result.startedAt),
    current: results.indexOf(current),
    rows: teams.map((team) => ({ team, points: perResult.map((byTeam) => byTeam.get(team)) })),
  };
}
