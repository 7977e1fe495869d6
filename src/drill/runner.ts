import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { clientProperties } from '../environment/client-properties.js';
import { planEnvironment } from '../environment/plan.js';
import { providerOptions, startEnvironment, type ProviderName } from '../environment/start.js';
import type { StartedEnvironment } from '../environment/types.js';
import { withAdmin } from '../kafka/admin.js';
import { describeTopicAndBrokerConfigs } from '../kafka/configs.js';
import { probeFromSpec } from '../probes/from-spec.js';
import { runProbes } from '../probes/probe.js';
import { connectRequest, connectRestoreOptions } from './connect-inputs.js';
import type { PhaseResult } from '../restore/phase.js';
import { summarizeOffsetMap } from '../restore/offset-map.js';
import type { ProgressListener } from './progress.js';
import { restoreSnapshot } from '../restore/restore.js';
import { captureBaseline, verifyRestore, type VerifyOutcome } from '../restore/verify.js';
import type { Snapshot } from '../snapshot/schema.js';
import type { LoadedSpec } from '../spec/load.js';
import { evaluateDeclared, evaluateImplicit } from './assumptions.js';
import { performDeclaredStep, restoreStep } from './manual-steps.js';
import { RESULT_FORMAT, RESULT_VERSION, type ManualStep, type Objective, type Phase, type Result, type Run, type Verdict } from './result.js';

export interface DrillInputs {
  spec: LoadedSpec;
  snapshot: Snapshot;
  snapshotFile: string;
  /** sha256 of the snapshot file's bytes. */
  snapshotSha256: string;
}

export interface RunOptions {
  kafkaVersions: string[];
  provider: ProviderName;
  toolVersion: string;
  signal: AbortSignal;
  /** One line per phase as it ends. */
  progress: (line: string) => void;
  /** How far a long phase is, for a person watching (src/drill/progress.ts); never in the result. */
  onProgress?: ProgressListener;
}

class Interrupted extends Error {}

const minutes = (ms: number) => Math.round((ms / 60_000) * 1000) / 1000;

/**
 * Runs a drill once per Kafka version: start an environment, restore, verify, probe, check
 * assumptions, tear down. Never throws for what it finds; a result always comes back, with an
 * infrastructure-error or interrupted verdict when the run could not finish.
 */
export async function runDrill(inputs: DrillInputs, options: RunOptions): Promise<Result> {
  const startedAt = new Date().toISOString();
  const runs: Run[] = [];
  for (const kafkaVersion of options.kafkaVersions) {
    runs.push(await runOnVersion(inputs, kafkaVersion, options));
    if (options.signal.aborted) break;
  }
  const verdict = overallVerdict(runs);
  const reasons = runs.filter((run) => run.verdict !== 'passed').map((run) => `${run.kafkaVersion}: ${run.reason}`);
  return {
    format: RESULT_FORMAT,
    version: RESULT_VERSION,
    toolVersion: options.toolVersion,
    drillName: inputs.spec.spec.name,
    spec: { file: inputs.spec.file, sha256: inputs.spec.sha256 },
    snapshot: {
      file: inputs.snapshotFile,
      sha256: inputs.snapshotSha256,
      digest: inputs.snapshot.digest,
      clusterId: inputs.snapshot.source.clusterId,
      kafkaVersion: inputs.snapshot.source.kafkaVersion,
    },
    startedAt,
    finishedAt: new Date().toISOString(),
    verdict,
    reason: verdict === 'passed' ? `recovery proven on Kafka ${runs.map((r) => r.kafkaVersion).join(', ')}` : reasons.join('; '),
    runs,
  };
}

function overallVerdict(runs: Run[]): Verdict {
  for (const verdict of ['interrupted', 'infrastructure-error', 'failed'] as const) if (runs.some((run) => run.verdict === verdict)) return verdict;
  return 'passed';
}

function toPhase(result: PhaseResult): Phase {
  return { name: result.phase, status: result.status, startedAt: result.startedAt, durationMs: result.durationMs, counts: result.counts, findings: result.findings };
}

async function timedPhase(name: Phase['name'], work: () => Promise<Pick<Phase, 'status' | 'findings'>>): Promise<Phase> {
  const startedAt = new Date().toISOString();
  const started = performance.now();
  const outcome = await work();
  return { name, startedAt, durationMs: Math.round(performance.now() - started), ...outcome };
}

function describeSecurity(environment: StartedEnvironment): string {
  return environment.admin.sasl ? `SASL_PLAINTEXT (${environment.admin.sasl.mechanism})` : 'PLAINTEXT';
}

function stringify(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function verifySection(verified: VerifyOutcome): NonNullable<Run['verify']> {
  return {
    differences: verified.differences.map((d) => ({
      kind: d.kind,
      object: d.object,
      expected: stringify(d.expected),
      actual: stringify(d.actual),
      classification: d.classification,
      ...(d.reason ? { reason: d.reason } : {}),
    })),
    counts: { matched: verified.matched, expected: verified.summary.expected, unrestorable: verified.summary.unrestorable, drift: verified.summary.drift },
  };
}

async function runOnVersion(inputs: DrillInputs, kafkaVersion: string, options: RunOptions): Promise<Run> {
  const { spec, dir } = inputs.spec;
  let { snapshot } = inputs;
  const log = (phase: Phase) =>
    options.progress(
      `[${kafkaVersion}] ${phase.name.padEnd(15)} ${phase.status.padEnd(7)} ${(phase.durationMs / 1000).toFixed(1).padStart(6)}s` +
        (phase.counts ? `  created ${phase.counts.created}, updated ${phase.counts.updated}, unchanged ${phase.counts.unchanged}, failed ${phase.counts.failed}` : '') +
        (phase.findings.length ? `  (${phase.findings.length} finding${phase.findings.length > 1 ? 's' : ''})` : ''),
    );
  const phases: Phase[] = [];
  const push = (phase: Phase) => {
    phases.push(phase);
    log(phase);
  };
  const checkAbort = () => {
    if (options.signal.aborted) throw new Interrupted();
  };
  const plan = planEnvironment(spec.target, snapshot, kafkaVersion);
  for (const note of plan.notes) options.progress(`[${kafkaVersion}] ${note}`);
  const run: Run = {
    kafkaVersion,
    environment: {
      provider: options.provider,
      brokers: spec.target.brokers,
      security: spec.target.security === 'scram' ? 'SASL_PLAINTEXT (SCRAM-SHA-512)' : 'PLAINTEXT',
      brokerIds: plan.brokerIds.targetIds,
      brokerIdMap: { rule: plan.brokerIds.rule, mapping: plan.brokerIds.mapping },
      ...(plan.request.heapMb ? { heapMb: plan.request.heapMb } : {}),
    },
    verdict: 'passed',
    reason: '',
    phases,
    probes: [],
    assumptions: [],
    manualSteps: [],
    rto: { measuredMinutes: 0, projectedMinutes: 0 },
    objectives: [],
  };
  let environment: StartedEnvironment | undefined;
  const drillStarted = performance.now();
  let restoreEnded = drillStarted;
  let failure: { verdict: Verdict; reason: string } | undefined;
  try {
    const environmentPhase = await timedPhase('environment', async () => {
      try {
        environment = await startEnvironment(
          options.provider,
          { ...plan.request, ...connectRequest(spec, snapshot, dir) },
          providerOptions(inputs.spec, snapshot),
        );
        return { status: 'passed', findings: [] };
      } catch (error) {
        const details = (error as { details?: string }).details;
        return { status: 'failed', findings: [{ code: 'environment-start-failed', severity: 'error', object: 'environment', message: `${(error as Error).message}${details ? `\n${details.slice(-2000)}` : ''}` }] };
      }
    });
    push(environmentPhase);
    if (!environment) {
      failure = { verdict: 'infrastructure-error', reason: `the environment did not start: ${environmentPhase.findings[0]?.message.split('\n')[0]}` };
      return run;
    }
    const env = environment;
    run.environment = { ...run.environment, security: describeSecurity(env), clusterId: env.clusterId, bootstrap: env.admin.bootstrap };
    checkAbort();
    snapshot = withWorkDir(snapshot, env.workDir);

    const baseline = await captureBaseline(env.admin, snapshot, options.toolVersion);
    const restored = await restoreSnapshot(
      env.admin,
      snapshot,
      {
        phases: spec.restore.phases,
        data: spec.restore.data,
        maxRecordsPerPartition: spec.restore.synthetic.maxRecordsPerPartition,
        credentials: spec.restore.credentials,
        baseDir: dir,
        clampReplication: spec.restore.clampReplication,
        brokerMapping: plan.brokerIds.mapping,
        ...connectRestoreOptions(spec, env),
      },
      (phase) => push(toPhase(phase)),
      options.onProgress,
    );
    checkAbort();
    restoreEnded = performance.now();
    if (restored.offsetMap) run.offsetMap = summarizeOffsetMap(restored.offsetMap);

    // Declared steps: a person's (pending) or an automation, run against this environment.
    const propertiesFile = join(env.workDir, 'client.properties');
    await writeFile(propertiesFile, clientProperties(env.admin), { mode: 0o600 });
    const automation = {
      cwd: dir,
      env: { KAFKA_DRILL_BOOTSTRAP: env.admin.bootstrap.join(','), KAFKA_DRILL_COMMAND_CONFIG: propertiesFile, KAFKA_DRILL_KAFKA_VERSION: kafkaVersion, KAFKA_DRILL_WORK_DIR: env.workDir, ...(env.connect ? { KAFKA_DRILL_CONNECT_URL: env.connect.url } : {}) },
      secrets: [env.admin.sasl?.password ?? '', ...restored.credentials.values()],
    };
    const manualSteps: ManualStep[] = [];
    for (const step of spec.manualSteps) manualSteps.push(await performDeclaredStep(step, automation));
    manualSteps.push(...restored.phases.flatMap((phase) => phase.manualSteps).map(restoreStep));
    run.manualSteps = manualSteps;
    checkAbort();

    let verified: VerifyOutcome | undefined;
    push(
      await timedPhase('verify', async () => {
        verified = await verifyRestore(env.admin, snapshot, {
          baseline,
          brokerMapping: plan.brokerIds.mapping,
          phases: restored.phases,
          expected: spec.restore.verify?.expectedDifferences ?? [],
          compareData: spec.restore.data === 'synthetic',
          toolVersion: options.toolVersion,
          ...connectRestoreOptions(spec, env),
          ...(restored.offsetMap ? { offsetMap: restored.offsetMap } : {}),
        });
        return { status: verified.summary.drift > 0 ? 'failed' : 'passed', findings: [] };
      }),
    );
    run.verify = verifySection(verified!);
    checkAbort();

    const probes = spec.probes.map(probeFromSpec);
    push(
      await timedPhase('probes', async () => {
        run.probes = await runProbes(probes, {
          connection: env.admin,
          snapshot,
          credentials: restored.credentials,
          environment: { bootstrap: env.admin.bootstrap, security: env.security, kafkaVersion },
          specDir: dir,
          signal: options.signal,
          timeoutMs: 60_000,
          restoredData: restored.offsetMap ? { mode: 'synthetic', offsetMap: restored.offsetMap } : { mode: 'none' },
        });
        return { status: run.probes.every((probe) => probe.status === 'passed') ? 'passed' : 'failed', findings: [] };
      }),
    );
    checkAbort();

    const capture = verified!.capture;
    const configs = await withAdmin(env.admin, (admin) =>
      describeTopicAndBrokerConfigs(admin, capture.topics.map((t) => t.name), env.brokers.map((b) => b.nodeId)),
    );
    run.assumptions = [...evaluateImplicit(restored.phases), ...evaluateDeclared(spec.assumptions, { capture, configs })];
  } catch (error) {
    failure =
      error instanceof Interrupted
        ? { verdict: 'interrupted', reason: 'interrupted by a signal; the environment was torn down' }
        : { verdict: 'infrastructure-error', reason: `the drill could not go on: ${(error as Error).message}` };
  } finally {
    if (environment) {
      const env = environment;
      push(
        await timedPhase('teardown', async () => {
          await env.stop();
          return { status: 'passed', findings: [] };
        }),
      );
    }
    finish(run, spec, restoreEnded - drillStarted, failure);
  }
  return run;
}

/** RTO, objectives and the verdict, from everything the run recorded. */
function finish(run: Run, spec: LoadedSpec['spec'], measuredMs: number, failure: { verdict: Verdict; reason: string } | undefined) {
  const open = run.manualSteps.filter((step) => step.status !== 'automated');
  const measuredMinutes = minutes(Math.max(0, measuredMs));
  const projectedMinutes = Math.round((measuredMinutes + open.reduce((sum, step) => sum + step.estimateMinutes, 0)) * 1000) / 1000;
  run.rto = { measuredMinutes, projectedMinutes, ...(spec.objectives.rtoMinutes !== undefined ? { objectiveMinutes: spec.objectives.rtoMinutes } : {}) };

  const failedAssumptions = run.assumptions.filter((a) => a.status === 'failed');
  const objectives: Objective[] = [];
  if (spec.objectives.rtoMinutes !== undefined) {
    objectives.push({ name: 'RTO (projected)', target: `≤ ${spec.objectives.rtoMinutes} min`, observed: `${projectedMinutes} min`, met: projectedMinutes <= spec.objectives.rtoMinutes });
  }
  if (spec.objectives.maxManualSteps !== undefined) {
    objectives.push({ name: 'manual steps', target: `≤ ${spec.objectives.maxManualSteps}`, observed: String(open.length), met: open.length <= spec.objectives.maxManualSteps });
  }
  if (spec.objectives.maxFailedAssumptions !== undefined) {
    objectives.push({ name: 'failed assumptions', target: `≤ ${spec.objectives.maxFailedAssumptions}`, observed: String(failedAssumptions.length), met: failedAssumptions.length <= spec.objectives.maxFailedAssumptions });
  }
  run.objectives = objectives;

  if (failure) {
    run.verdict = failure.verdict;
    run.reason = failure.reason;
    return;
  }
  const reasons: string[] = [];
  const failedPhases = run.phases.filter((p) => p.status === 'failed' && p.name !== 'verify' && p.name !== 'probes');
  if (failedPhases.length) reasons.push(`restore phase${failedPhases.length > 1 ? 's' : ''} ${failedPhases.map((p) => p.name).join(', ')} failed: ${failedPhases[0]!.findings.find((f) => f.severity === 'error')?.message ?? ''}`.trim());
  if (run.verify && run.verify.counts.drift > 0) reasons.push(`${run.verify.counts.drift} difference(s) of drift after restore`);
  const failedProbes = run.probes.filter((p) => p.status !== 'passed');
  if (failedProbes.length) reasons.push(`probe${failedProbes.length > 1 ? 's' : ''} ${failedProbes.map((p) => `${p.id} ${p.status}`).join(', ')}`);
  // With a maxFailedAssumptions objective, that objective decides; without one, any failed assumption fails the drill.
  if (failedAssumptions.length && spec.objectives.maxFailedAssumptions === undefined) {
    reasons.push(`assumption${failedAssumptions.length > 1 ? 's' : ''} failed: ${failedAssumptions.map((a) => a.id).join(', ')}`);
  }
  const failedAutomations = run.manualSteps.filter((s) => s.status === 'failed');
  if (failedAutomations.length) reasons.push(`automated step${failedAutomations.length > 1 ? 's' : ''} failed: ${failedAutomations.map((s) => s.id).join(', ')}`);
  const missed = objectives.filter((o) => !o.met);
  if (missed.length) reasons.push(`objective${missed.length > 1 ? 's' : ''} missed: ${missed.map((o) => `${o.name} ${o.observed} (target ${o.target})`).join(', ')}`);
  run.verdict = reasons.length ? 'failed' : 'passed';
  run.reason = reasons.length ? reasons.join('; ') : 'restored, verified and probed: every check held';
}

/**
 * Connector configs and offsets may name `${drill.workDir}`: this run's own directory (removed
 * with the environment), so a FileStream connector's files are never another run's. Connect's
 * own `${provider:path:key}` references have a colon and are left alone.
 */
export function withWorkDir(snapshot: Snapshot, workDir: string): Snapshot {
  if (!snapshot.connect) return snapshot;
  const replace = (value: unknown): unknown =>
    typeof value === 'string'
      ? value.replaceAll('${drill.workDir}', workDir)
      : Array.isArray(value)
        ? value.map(replace)
        : value && typeof value === 'object'
          ? Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, replace(inner)]))
          : value;
  return { ...snapshot, connect: { ...snapshot.connect, connectors: snapshot.connect.connectors.map((connector) => replace(connector) as typeof connector) } };
}
