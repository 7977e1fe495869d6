import { expect } from 'vitest';
import type { Result } from '../../src/model/result.js';
import { labelledResources } from '../support/docker.js';
import { readEvidence, startRun } from './cli.js';

/**
 * One drill through the CLI with the process and the docker provider must give the same verdict,
 * phases, counts, findings, probe checks and assumptions. Timings, cluster ids, addresses and the
 * provider name are all that may differ.
 */

/** Probe runs name their synthesized objects with a random marker; connector files sit in the run's own work dir. */
const unmarked = (text: string | undefined) => text?.replace(/(kafka-drill-(?:probe|nobody)-)[0-9a-f]{8}/g, '$1<marker>').replace(/\/\S*\/kafka-drill-env-\w{6}\//g, '<workDir>/');

/** What must not depend on the provider. */
export function comparable(result: Result) {
  return {
    verdict: result.verdict,
    reason: result.reason,
    runs: result.runs.map((run) => ({
      kafkaVersion: run.kafkaVersion,
      verdict: run.verdict,
      reason: run.reason,
      environment: { brokers: run.environment.brokers, security: run.environment.security },
      phases: run.phases.map((phase) => ({
        name: phase.name,
        status: phase.status,
        counts: phase.counts,
        findings: phase.findings.map(({ code, severity, object, kafkaError }) => ({ code, severity, object, kafkaError })),
      })),
      probes: run.probes.map((probe) => ({
        id: probe.id,
        status: probe.status,
        checks: probe.evidence
          .map(({ outcome, principal, operation, resource, expected, kafkaError }) => ({
            outcome,
            principal: unmarked(principal),
            operation,
            resource: unmarked(resource),
            expected: unmarked(expected),
            // An allowed call may meet a coordinator still loading after the authorization check
            // (NOT_COORDINATOR): that timing differs between providers, the outcome may not.
            kafkaError: outcome === 'passed' && expected === 'allow' ? undefined : kafkaError,
          }))
          .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
      })),
      assumptions: run.assumptions.map(({ id, source, status, expected, observed }) => ({ id, source, status, expected, observed })),
      manualSteps: run.manualSteps.map(({ id, status }) => ({ id, status })),
      verify: run.verify?.counts,
      objectives: run.objectives.map(({ name, target, met }) => ({ name, target, met })),
      // The brokers' own denials (the client's address and the retry counts differ by provider).
      authorizerLog: run.authorizerLog && {
        expectedDenials: run.authorizerLog.expectedDenials,
        denials: [
          ...new Set(
            run.authorizerLog.denials.map(({ principal, operation, resourceType, resourceName, request, accountedBy }) =>
              JSON.stringify([principal, operation, resourceType, unmarked(resourceName), request, accountedBy]),
            ),
          ),
        ].sort(),
      },
    })),
  };
}

/** Runs a drill with `--provider docker` and checks it left no container or network of its own behind. */
export async function runOnDocker(spec: string, dir: string): Promise<{ code: number | null; result: Result }> {
  const started = startRun(spec, dir, { ...process.env }, ['--provider', 'docker']);
  const { code } = await started.exited;
  const result = readEvidence(dir);
  expect(result.runs.map((run) => run.environment.provider)).toEqual(result.runs.map(() => 'docker'));
  // This drill's own resources (other test files may run docker drills at the same time).
  expect(await labelledResources({ ownerPid: started.child.pid! })).toEqual({ containers: [], networks: [] });
  return { code, result };
}
