import { assignOwners } from './owners.js';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Admin } from '@platformatic/kafka';
import { errorMessage } from '../errors.js';
import { errorLines } from '../environment/process-exit.js';
import { clientProperties } from '../environment/client-properties.js';
import { planEnvironment, type EnvironmentPlan } from '../environment/plan.js';
import { providerOptions, startEnvironment } from '../environment/start.js';
import { scrapeEnvironmentMetrics } from '../environment/jmx-metrics.js';
import type { EnvironmentRequest, StartedEnvironment } from '../environment/types.js';
import { createAdmin, withAdmin } from '../kafka/admin.js';
import { describeTopicAndBrokerConfigs, type DescribedConfigs } from '../kafka/configs.js';
import { expectedFailureFor } from '../probes/clients.js';
import { readBrokerDenials, reconcileDenials } from '../probes/authorization/denials.js';
import { probesFromSpec } from '../probes/from-spec.js';
import { runProbes } from '../probes/run-probes.js';
import { RESTORE_PHASES, type PhaseResult, type RestoreContext, type RestorePhaseName } from '../restore/phase.js';
import { summarizeOffsetMap } from '../restore/offset-map.js';
import { connectorsAsRestored } from '../restore/connectors.js';
import type { PlaceholderValues } from '../drill-spec/placeholders.js';
import type { ProgressListener } from '../model/progress.js';
import { RESTORE_REQUEST_TIMEOUT_MS, restoreContext, restorePhase } from '../restore/restore.js';
import { captureBaseline, verifyRestore, type VerifyOutcome } from '../verify/verify.js';
import { snapshotMappingRules, type Snapshot, type SnapshotContent } from '../snapshot/schema.js';
import type { LoadedSpec } from '../drill-spec/load.js';
import { evaluateDeclared, evaluateImplicit } from './assumptions.js';
import { connectRequest, connectRestoreOptions, mirrorRestoreOptions } from './connect-inputs.js';
import { performDeclaredStep, restoreStep, type AutomationEnvironment } from './manual-steps.js';
import { decideRollback, performRollback } from './rollback.js';
import { emptyRun, RESULT_FORMAT, RESULT_VERSION, type Finding, type ManualStep, type Phase, type Result, type Run } from '../model/result.js';
import { SecretMask } from './secrets.js';
import { startSampler, type Sampler } from './sampler.js';
import { postgresPlaceholders } from '../environment/connect/postgres.js';
import { securityProfile, type DrillPhase, type ProviderName, type SecurityMode } from '../model/enums.js';
import { cutoverMinutes, finish, overallVerdict, probeFailsRun, skippedNote, type RunEnd } from '../model/verdict.js';

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
  /** One line per phase as it ends (secrets masked). */
  progress: (line: string) => void;
  /** How far a long phase is, for a person watching (src/drill/progress.ts); never in the result. */
  onProgress?: ProgressListener;
  /** Starts the environment; defaults to the provider's. */
  startEnvironment?: (request: EnvironmentRequest) => Promise<StartedEnvironment>;
  /** Called as each stage starts, teardown included (the CLI sets the heap's growth for the probes by it). */
  onStage?: (stage: StageName) => void;
}

/** The stages of a run, in order (see STAGES), and the teardown that ends every run. */
export type StageName = 'environment' | 'baseline' | RestorePhaseName | 'manual steps' | 'verify' | 'assumptions' | 'probes' | 'rollback decision' | 'teardown';

/** A drill under way: the result once it ends, and the result as it stands for a process that must leave now. */
export interface DrillHandle {
  done: Promise<Result>;
  /** The result so far, the run in progress marked interrupted; secrets masked. */
  resultSoFar(): Result;
  /** Every credential the drill has handled so far. */
  secrets: SecretMask;
}

const INTERRUPTED: RunEnd = { verdict: 'interrupted', reason: 'interrupted by a signal; the environment was torn down' };

/** What the stages of one run share: each stage fills in what later ones read. */
interface RunState {
  readonly inputs: DrillInputs;
  readonly kafkaVersion: string;
  readonly options: RunOptions;
  readonly secrets: SecretMask;
  readonly run: Run;
  readonly startedAt: number;
  /** The snapshot as this run restores it: once the environment is up, connectors carry the spec's replacements (restore.connectors). */
  snapshot: Snapshot;
  /** Values of the `${drill.*}` placeholders, once the environment is up. */
  placeholders?: PlaceholderValues;
  /** Broker ids, their map from the source's, and heap, chosen before anything starts. */
  readonly plan: EnvironmentPlan;
  environment?: StartedEnvironment;
  /** The admin client restore phases share; closed at teardown (which also cancels its requests in flight). */
  admin?: Admin;
  /** The fresh target before the restore; verify's, released after it. */
  baseline?: SnapshotContent;
  restore?: RestoreContext;
  restorePhases: PhaseResult[];
  restoreEndedAt?: number;
  /** The restored cluster as verify captured it, for the assumptions only: released once they are checked (a whole cluster's copy). */
  restored?: SnapshotContent;
  end?: RunEnd;
  /** Environment processes already reported as ended on their own. */
  reportedExits: Set<string>;
  /** The time series (src/drill/sampler.ts), from the environment's start until teardown. */
  sampler?: Sampler;
  /** The stage under way, for the samples. */
  stage?: StageName;
}

/** What a stage that is a phase of the result reports; the loop adds its name, start and real duration. */
interface StageOutcome {
  status: Phase['status'];
  findings: Finding[];
  counts?: Phase['counts'];
  /** The run cannot go on: the verdict is an infrastructure error with this reason. */
  endRun?: string;
}

interface Stage {
  name: Exclude<StageName, 'teardown'>;
  /** The phase this stage records in the result; stages without one record into the run directly. */
  phase?: DrillPhase;
  run(state: RunState, signal: AbortSignal): Promise<StageOutcome | void>;
}

/** The drill, in order (the restore phases are topics … connectors). Teardown is not a stage: it runs whatever happened. */
const STAGES: Stage[] = [
  { name: 'environment', phase: 'environment', run: startStage },
  { name: 'baseline', run: baselineStage },
  ...RESTORE_PHASES.map((name): Stage => ({ name, phase: name, run: (state) => restoreStage(name, state) })),
  { name: 'manual steps', run: manualStepsStage },
  { name: 'verify', phase: 'verify', run: verifyStage },
  { name: 'assumptions', run: assumptionsStage },
  { name: 'probes', phase: 'probes', run: probesStage },
  { name: 'rollback decision', run: rollbackStage },
];

/** How long a stage may take to stop on its own after the signal before the drill moves on to teardown without it. */
const STOP_GRACE_MS = 2_000;

/**
 * Runs a drill once per Kafka version: start an environment, restore, verify, probe, check
 * assumptions, tear down. Never throws for what it finds; a result always comes back, with an
 * infrastructure-error or interrupted verdict when the run could not finish.
 */
export async function runDrill(inputs: DrillInputs, options: RunOptions): Promise<Result> {
  return startDrill(inputs, options).done;
}

export function startDrill(inputs: DrillInputs, options: RunOptions): DrillHandle {
  const startedAt = new Date().toISOString();
  const secrets = new SecretMask();
  const runs: Run[] = [];
  const header = resultHeader(inputs, options, startedAt);
  // The parsed snapshot is released with the last run, not kept by the handle while the reports are written.
  let pending: DrillInputs | undefined = inputs;
  let current: RunState | undefined;
  const done = (async () => {
    for (const kafkaVersion of options.kafkaVersions) {
      current = newRunState(pending!, kafkaVersion, options, secrets);
      runs.push(await runOnVersion(current));
      current = undefined;
      if (options.signal.aborted) break;
    }
    pending = undefined;
    return buildResult(header, runs, secrets);
  })();
  return {
    done,
    secrets,
    resultSoFar: () => buildResult(header, current ? [...runs, interruptedNow(current)] : runs, secrets),
  };
}

function newRunState(inputs: DrillInputs, kafkaVersion: string, options: RunOptions, secrets: SecretMask): RunState {
  const { target } = inputs.spec.spec;
  const plan = planEnvironment(target, inputs.snapshot, kafkaVersion, inputs.spec.spec.restore);
  for (const note of plan.notes) options.progress(`[${kafkaVersion}] ${note}`);
  return {
    inputs,
    kafkaVersion,
    options,
    secrets,
    plan,
    snapshot: inputs.snapshot,
    startedAt: performance.now(),
    restorePhases: [],
    reportedExits: new Set(),
    run: emptyRun(kafkaVersion, {
      provider: options.provider,
      brokers: target.brokers,
      security: describeSecurityMode(target.security),
      brokerIds: plan.brokerIds.targetIds,
      brokerIdMap: { rule: plan.brokerIds.rule, mapping: plan.brokerIds.mapping },
      ...(plan.request.heapMb ? { heapMb: plan.request.heapMb } : {}),
    }),
  };
}

/** What a result says of its inputs and tool, known before the first run. */
type ResultHeader = Pick<Result, 'format' | 'version' | 'toolVersion' | 'drillName' | 'spec' | 'snapshot' | 'startedAt'>;

function resultHeader(inputs: DrillInputs, options: RunOptions, startedAt: string): ResultHeader {
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
  };
}

function buildResult(header: ResultHeader, runs: Run[], secrets: SecretMask): Result {
  const verdict = overallVerdict(runs);
  const reasons = runs.filter((run) => run.verdict !== 'passed').map((run) => `${run.kafkaVersion}: ${run.reason}`);
  return secrets.maskDeep({
    ...header,
    finishedAt: new Date().toISOString(),
    verdict,
    reason: verdict === 'passed' ? `recovery proven on Kafka ${runs.map((r) => r.kafkaVersion).join(', ')}${skippedNote(runs)}` : reasons.join('; '),
    runs,
  });
}

async function runOnVersion(state: RunState): Promise<Run> {
  const { signal } = state.options;
  try {
    for (const stage of STAGES) {
      if (signal.aborted) {
        state.end ??= INTERRUPTED;
        break;
      }
      state.stage = stage.name;
      state.sampler?.mark(`start ${stage.name}`);
      tellStage(state);
      await runStage(stage, state);
      state.sampler ??= startSampler(
        state.environment,
        state.inputs.spec.spec,
        state.snapshot,
        Date.parse(state.run.phases[0]?.startedAt ?? '') || Date.now(),
        () => state.stage ?? '',
      );
      if (state.end) break;
    }
  } finally {
    await teardown(state);
    ownRun(state.run, state);
    finish(state.run, state.inputs.spec.spec.objectives, state.end, measuredMs(state));
  }
  return state.run;
}

/**
 * Runs one stage with the drill's signal. When the signal comes, the stage gets STOP_GRACE_MS to
 * stop its own work; after that the drill goes on to teardown without it (closing the admin
 * client and stopping the brokers ends whatever it still had in flight).
 */
async function runStage(stage: Stage, state: RunState): Promise<void> {
  const { signal } = state.options;
  const startedAt = new Date().toISOString();
  const started = performance.now();
  let outcome: StageOutcome | void;
  try {
    outcome = await untilStopped(stage.run(state, signal), signal, STOP_GRACE_MS);
  } catch (error) {
    const message = state.secrets.mask(errorText(error));
    if (signal.aborted) {
      state.end = INTERRUPTED;
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      outcome = {
        status: 'failed',
        findings: [{ code: 'interrupted', severity: 'warning', object: stage.name, message: `interrupted after ${seconds}s; the ${stage.name} stage did not finish` }],
      };
    } else {
      state.end = { verdict: 'infrastructure-error', reason: `the drill could not go on: ${stage.name}: ${message}` };
      outcome = { status: 'failed', findings: [{ code: 'phase-crashed', severity: 'error', object: stage.name, message: `the stage stopped: ${message}` }] };
    }
  }
  if (outcome?.status === 'failed' && !signal.aborted) await reportExitedProcesses(state, stage.name);
  if (stage.phase && outcome) {
    const { endRun, ...recorded } = outcome;
    record(state, { name: stage.phase, startedAt, durationMs: Math.round(performance.now() - started), ...recorded });
    if (endRun && !state.end) state.end = { verdict: 'infrastructure-error', reason: endRun };
  }
}

/** The work's result; once the signal aborts, a rejection: when the work stops (it has the signal too), or after `graceMs` if it does not. */
function untilStopped<T>(work: Promise<T>, signal: AbortSignal, graceMs: number): Promise<T> {
  work.catch(() => {}); // an abandoned stage's late failure is not an unhandled rejection
  return new Promise<T>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      timer = setTimeout(() => reject(signal.reason as Error), graceMs);
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    work
      .then((value) => (signal.aborted ? reject(signal.reason as Error) : resolve(value)), reject)
      .finally(() => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
      });
  });
}

function record(state: RunState, phase: Phase): void {
  state.run.phases.push(phase);
  state.options.progress(state.secrets.mask(progressLine(state.kafkaVersion, phase)));
}

function progressLine(kafkaVersion: string, phase: Phase): string {
  return (
    `[${kafkaVersion}] ${phase.name.padEnd(15)} ${phase.status.padEnd(7)} ${(phase.durationMs / 1000).toFixed(1).padStart(6)}s` +
    (phase.counts ? `  created ${phase.counts.created}, updated ${phase.counts.updated}, unchanged ${phase.counts.unchanged}, failed ${phase.counts.failed}` : '') +
    (phase.findings.length ? `  (${phase.findings.length} finding${phase.findings.length > 1 ? 's' : ''})` : '')
  );
}

function errorText(error: unknown): string {
  const message = errorMessage(error);
  const details = (error as { details?: string } | undefined)?.details;
  return details ? `${message}\n${details.slice(-2000)}` : message;
}

// ---- the stages -------------------------------------------------------------------------------

async function startStage(state: RunState, signal: AbortSignal): Promise<StageOutcome> {
  const { spec, dir } = state.inputs.spec;
  const request: EnvironmentRequest = { ...state.plan.request, ...connectRequest(spec, state.inputs.snapshot, dir), signal };
  const start =
    state.options.startEnvironment ?? ((r: EnvironmentRequest) => startEnvironment(state.options.provider, r, providerOptions(state.inputs.spec, state.inputs.snapshot)));
  let environment: StartedEnvironment;
  try {
    environment = await start(request);
  } catch (error) {
    if (signal.aborted) throw error;
    const message = state.secrets.mask(errorText(error));
    return {
      status: 'failed',
      findings: [{ code: 'environment-start-failed', severity: 'error', object: 'environment', message }],
      endRun: `the environment did not start: ${message.split('\n')[0]}`,
    };
  }
  state.environment = environment;
  const openFilesLimit = environment.brokers[0]?.openFilesLimit;
  if (openFilesLimit !== undefined) {
    state.run.environment.openFilesLimit = openFilesLimit;
    state.options.progress(`[${state.kafkaVersion}] brokers started with an open-file limit of ${openFilesLimit} each`);
  }
  const storage = environment.brokers[0]?.storage;
  if (storage) {
    state.run.environment.brokerStorage = storage.kind;
    if (storage.fallback) state.options.progress(`[${state.kafkaVersion}] broker storage: disk, not memory (${storage.fallback})`);
  }
  // Masked before any placeholder is resolved: nothing written from here on may show them.
  state.secrets.add(environment.admin.sasl?.password);
  state.secrets.add(environment.postgres?.password);
  state.placeholders = placeholderValues(environment);
  state.snapshot = connectorsAsRestored(state.inputs.snapshot, spec.restore.connectors, state.placeholders);
  state.run.environment = { ...state.run.environment, security: describeSecurity(environment), clusterId: environment.clusterId, bootstrap: environment.admin.bootstrap };
  return { status: 'passed', findings: [] };
}

function describeSecurity(environment: StartedEnvironment): string {
  const protocol = environment.admin.sasl ? (environment.admin.tls ? 'SASL_SSL' : 'SASL_PLAINTEXT') : environment.admin.tls ? 'SSL' : 'PLAINTEXT';
  if (environment.admin.sasl) return `${protocol} (${environment.admin.sasl.mechanism})`;
  if (environment.tls?.adminPrincipal) return `${protocol} (client certificates, mapping rules ${environment.tls.principalMappingRules ?? 'DEFAULT'})`;
  return protocol;
}

function describeSecurityMode(mode: SecurityMode): string {
  return { plaintext: 'PLAINTEXT', scram: 'SASL_PLAINTEXT (SCRAM-SHA-512)', ssl: 'SSL', mtls: 'SSL (client certificates)', sasl_ssl: 'SASL_SSL (SCRAM-SHA-512)' }[mode];
}

/** Snapshot configs the environment set at start-up (read-only in Kafka), so the restore does not SET them again. */
function startupConfigs(snapshot: Snapshot, env: StartedEnvironment): { startupConfigs?: Record<string, string> } {
  const source = snapshotMappingRules(snapshot);
  if (!source || env.tls?.principalMappingRules !== source.rules) return {};
  return { startupConfigs: { [source.config]: source.rules } };
}

/** The fresh target as it is before the restore (verify diffs against it), and the restore's context. */
async function baselineStage(state: RunState, signal: AbortSignal): Promise<void> {
  const env = state.environment!;
  const { spec, dir } = state.inputs.spec;
  state.baseline = await captureBaseline(env.admin, state.snapshot, state.options.toolVersion);
  state.admin = createAdmin(env.admin, { requestTimeoutMs: RESTORE_REQUEST_TIMEOUT_MS });
  state.restore = await restoreContext(
    state.admin,
    env.admin,
    state.snapshot,
    {
      phases: spec.restore.phases,
      data: spec.restore.data,
      maxRecordsPerPartition: spec.restore.synthetic.maxRecordsPerPartition,
      credentials: spec.restore.credentials,
      baseDir: dir,
      clampReplication: spec.restore.clampReplication,
      brokerMapping: state.plan.brokerIds.mapping,
      kafkaVersion: state.kafkaVersion,
      ...(env.provider === 'external' ? {} : { brokerHeapMb: state.plan.request.heapMb }),
      ...startupConfigs(state.snapshot, env),
      ...connectRestoreOptions(spec, env),
      ...(await mirrorRestoreOptions(spec, dir, env)),
      connectorOverrides: spec.restore.connectors,
      placeholders: state.placeholders ?? {},
      signal,
      secrets: state.secrets,
    },
    state.options.onProgress,
  );
  if (state.restore.offsetMap) state.run.offsetMap = summarizeOffsetMap(state.restore.offsetMap);
}

async function restoreStage(name: RestorePhaseName, state: RunState): Promise<StageOutcome> {
  const result = await restorePhase(name, state.restore!);
  // The client caches the metadata of every partition a phase touched (at 5,000 topics ~19,500
  // entries, ~15 MB, held through the probes); the next phase asks again for what it needs.
  state.admin?.clearMetadata();
  state.restorePhases.push(result);
  state.restoreEndedAt = performance.now();
  if (name === 'data' && state.restore!.mirror) state.run.mirror = state.restore!.mirror.evidence;
  return { status: result.status, counts: result.counts, findings: result.findings };
}

/** Declared steps: a person's (pending) or an automation, run against this environment; then the restore's own. */
async function manualStepsStage(state: RunState, signal: AbortSignal): Promise<void> {
  const { spec } = state.inputs.spec;
  const automation = await automationEnvironment(state, signal);
  const manualSteps: ManualStep[] = [];
  for (const step of spec.manualSteps) manualSteps.push(await performDeclaredStep(step, automation));
  manualSteps.push(...state.restorePhases.flatMap((phase) => phase.manualSteps).map(restoreStep));
  state.run.manualSteps = manualSteps;
}

/** What a step's automation gets: the spec's folder, and how to reach this run's environment. */
async function automationEnvironment(state: RunState, signal: AbortSignal): Promise<AutomationEnvironment> {
  const env = state.environment!;
  const propertiesFile = join(env.workDir, 'client.properties');
  await writeFile(propertiesFile, clientProperties(env.admin, env.tls), { mode: 0o600 });
  return {
    cwd: state.inputs.spec.dir,
    env: {
      KAFKA_DRILL_BOOTSTRAP: env.admin.bootstrap.join(','),
      KAFKA_DRILL_COMMAND_CONFIG: propertiesFile,
      KAFKA_DRILL_KAFKA_VERSION: state.kafkaVersion,
      KAFKA_DRILL_WORK_DIR: env.workDir,
      ...(env.connect ? { KAFKA_DRILL_CONNECT_URL: env.connect.url } : {}),
    },
    secrets: state.secrets,
    signal,
  };
}

/** The decision at the cutover (spec `rollback:`); a rollback's automated steps run while the environment is still up. */
async function rollbackStage(state: RunState, signal: AbortSignal): Promise<void> {
  const { rollback, objectives } = state.inputs.spec.spec;
  if (!rollback) return;
  const decided = decideRollback(rollback, state.run, objectives, cutoverMinutes(state.run, measuredMs(state)));
  const done = decided.decision === 'rollback' ? await performRollback(rollback.steps, await automationEnvironment(state, signal)) : { steps: [], minutes: 0 };
  state.run.rollback = { ...decided, ...done };
  const fired = decided.triggers.filter((trigger) => trigger.fired).map((trigger) => trigger.id);
  state.options.progress(`[${state.kafkaVersion}] rollback decision: ${decided.decision}${fired.length ? ` (fired: ${fired.join(', ')})` : ''}, expected ${decided.expected}`);
}

async function verifyStage(state: RunState): Promise<StageOutcome> {
  const { spec } = state.inputs.spec;
  const verified = await verifyRestore(state.environment!.admin, state.snapshot, {
    baseline: state.baseline!,
    brokerMapping: state.plan.brokerIds.mapping,
    phases: state.restorePhases,
    expected: spec.restore.verify?.expectedDifferences ?? [],
    compareData: spec.restore.data === 'synthetic',
    toolVersion: state.options.toolVersion,
    ...connectRestoreOptions(spec, state.environment!),
    ...(state.restore!.offsetMap ? { offsetMap: state.restore!.offsetMap } : {}),
    ...(state.restore!.mirror ? { mirror: state.restore!.mirror } : {}),
  });
  state.baseline = undefined;
  state.restored = verified.capture;
  state.run.verify = verifySection(verified);
  return { status: verified.summary.drift > 0 ? 'failed' : 'passed', findings: [] };
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
      ...(d.streamsApplication ? { streamsApplication: d.streamsApplication } : {}),
    })),
    counts: { matched: verified.matched, expected: verified.summary.expected, unrestorable: verified.summary.unrestorable, drift: verified.summary.drift },
  };
}

async function probesStage(state: RunState, signal: AbortSignal): Promise<StageOutcome> {
  const env = state.environment!;
  const spec = state.inputs.spec.spec;
  const probes = spec.probes.flatMap((probe, index) => probesFromSpec(probe, index, spec.clients));
  const outcomes = await runProbes(probes, {
    connection: env.admin,
    workDir: env.workDir,
    snapshot: state.snapshot,
    ...(env.connect ? { connect: { url: env.connect.url } } : {}),
    ...(env.postgres ? { postgres: env.postgres } : {}),
    credentials: state.restore!.credentials,
    connectors: state.restore!.connectors ?? new Map(),
    ...(env.tls ? { tls: env.tls } : {}),
    environment: { bootstrap: env.admin.bootstrap, security: env.security, kafkaVersion: state.kafkaVersion },
    specDir: state.inputs.spec.dir,
    signal,
    timeoutMs: 60_000,
    ...(state.sampler ? { samples: state.sampler } : {}),
    restoredData: state.restore!.offsetMap
      ? { mode: 'synthetic', offsetMap: state.restore!.offsetMap }
      : state.restore!.mirror
        ? { mode: 'mirror', mirror: state.restore!.mirror }
        : { mode: 'none' },
  });
  // A known red cell of the client matrix is marked as such; it stays red.
  for (const outcome of outcomes) {
    const known = outcome.client && expectedFailureFor(spec.expectedFailures, outcome.client.probe, outcome.client.class, state.kafkaVersion);
    if (known) outcome.expectedFailure = { reason: known.reason };
  }
  // Probe output (custom probes' above all) is masked before it enters the result.
  state.run.probes = state.secrets.maskDeep(outcomes);
  const denials = await authorizerLogFindings(state);
  return { status: outcomes.some((probe) => probeFailsRun(probe)) || denials.length > 0 ? 'failed' : 'passed', findings: denials };
}

/** The brokers' own denials, reconciled with the authorization probe: those nobody expected are findings. */
async function authorizerLogFindings(state: RunState): Promise<Finding[]> {
  const env = state.environment!;
  if (env.provider === 'external' || !securityProfile(env.security).authenticated) return [];
  const files = env.brokers.map((broker) => broker.logFile);
  const reconcile = async () => reconcileDenials(await readBrokerDenials(env.brokers), state.run.probes, files);
  // A container's output reaches its log file through the engine's log stream, a moment after the
  // broker wrote it: read again, briefly, while a refusal the probe met (expected or not) is not there yet.
  const deadline = Date.now() + AUTHORIZER_LOG_SETTLE_MS;
  let reconciled = await reconcile();
  while (reconciled.refusalsNotLogged > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    reconciled = await reconcile();
  }
  state.run.authorizerLog = reconciled.log;
  return reconciled.findings;
}

/** How long the brokers' logs may take to show a denial the authorization probe met. */
const AUTHORIZER_LOG_SETTLE_MS = 5_000;

/**
 * Checked against the cluster as restored, before the probes write to it. Configs are read only
 * for the assumptions about them, and a failed read skips those (with why), never the probes.
 */
async function assumptionsStage(state: RunState): Promise<void> {
  const env = state.environment!;
  const capture = state.restored!;
  state.restored = undefined;
  const { assumptions } = state.inputs.spec.spec;
  let configs: DescribedConfigs | undefined;
  let configsUnread: string | undefined;
  if (assumptions.some((assumption) => assumption.type === 'topic-config' || assumption.type === 'broker-config')) {
    // Only the topics the assumptions name (those the restore made): a topic the capture lacks is "topic missing".
    const named = new Set(assumptions.flatMap((assumption) => (assumption.type === 'topic-config' ? [assumption.topic] : [])));
    try {
      configs = await withAdmin(env.admin, (admin) =>
        describeTopicAndBrokerConfigs(
          admin,
          capture.topics.map((t) => t.name).filter((topic) => named.has(topic)),
          env.brokers.map((b) => b.nodeId),
        ),
      );
    } catch (error) {
      configsUnread = state.secrets.mask(errorMessage(error).split('\n')[0]!);
    }
  }
  state.run.assumptions = [
    ...evaluateImplicit(state.restorePhases, assumptions),
    ...evaluateDeclared(assumptions, {
      capture,
      ...(configs ? { configs } : {}),
      ...(configsUnread ? { configsUnread } : {}),
      sourceTls: state.snapshot.tls,
      specDir: state.inputs.spec.dir,
      phases: state.restorePhases,
    }),
  ];
}

/** Tells the caller the stage under way; advice only, so a caller's error never stops a run or its teardown. */
function tellStage(state: RunState): void {
  try {
    state.options.onStage?.(state.stage!);
  } catch {
    // ignored: see above
  }
}

/** Closes the admin client and stops the environment; a teardown that fails is a failed phase, never a lost result. */
async function teardown(state: RunState): Promise<void> {
  state.stage = 'teardown';
  tellStage(state);
  if (state.sampler) {
    await state.sampler.stop(!state.options.signal.aborted);
    state.run.samples = state.sampler.series(state.run.probes);
  }
  await state.admin?.close().catch(() => {});
  const env = state.environment;
  if (!env) return;
  if (!state.options.signal.aborted) await reportExitedProcesses(state, 'teardown');
  // The brokers' own counters as the drill leaves them (failed requests, errors by request), before they stop.
  if (!state.options.signal.aborted) {
    const metrics = await scrapeEnvironmentMetrics(env);
    if (metrics) state.run.brokerMetrics = metrics;
  }
  const startedAt = new Date().toISOString();
  const started = performance.now();
  let outcome: Pick<Phase, 'status' | 'findings'>;
  try {
    await env.stop();
    outcome = { status: 'passed', findings: [] };
  } catch (error) {
    const message = state.secrets.mask(errorText(error));
    outcome = { status: 'failed', findings: [{ code: 'teardown-failed', severity: 'error', object: 'environment', message: `stopping the environment failed: ${message}` }] };
  }
  record(state, { name: 'teardown', startedAt, durationMs: Math.round(performance.now() - started), ...outcome });
}

/**
 * A broker (or Connect worker) that ended on its own breaks every stage after it with errors that
 * look like restore failures ("Listing offsets failed"). Asked after a failed stage and before
 * teardown: each process that ended becomes a finding of the environment phase, with its exit and
 * the end of its log, and the run an infrastructure error that names it.
 */
async function reportExitedProcesses(state: RunState, stage: string): Promise<void> {
  const exited = (await state.environment?.exitedProcesses().catch(() => [])) ?? [];
  const fresh = exited.filter((process) => !state.reportedExits.has(process.name));
  if (fresh.length === 0) return;
  const environmentPhase = state.run.phases.find((phase) => phase.name === 'environment');
  for (const process of fresh) {
    state.reportedExits.add(process.name);
    const message = `${process.name} ended on its own (${process.exit}) by the end of the ${stage} stage; its log ${process.logFile} ends:\n${process.logTail}`;
    environmentPhase?.findings.push({ code: 'environment-process-exited', severity: 'error', object: process.name, message: state.secrets.mask(message) });
  }
  if (environmentPhase) environmentPhase.status = 'failed';
  const why = (tail: string) => errorLines(tail).at(-1);
  const named = fresh.map((process) => `${process.name} ended (${process.exit}${why(process.logTail) ? `: ${why(process.logTail)!.slice(0, 200)}` : ''})`);
  state.end = { verdict: 'infrastructure-error', reason: state.secrets.mask(`the environment broke during ${stage}: ${named.join('; ')}`) };
}

/** The run in progress as it stands, for a process that must leave before the run ends. */
function interruptedNow(state: RunState): Run {
  const run = structuredClone(state.run);
  if (state.sampler) run.samples = state.sampler.series(run.probes);
  if (state.environment && !run.phases.some((phase) => phase.name === 'teardown')) {
    run.phases.push({
      name: 'teardown',
      status: 'failed',
      startedAt: new Date().toISOString(),
      durationMs: 0,
      findings: [
        {
          code: 'interrupted',
          severity: 'warning',
          object: 'environment',
          message: 'a second signal ended the drill before its teardown finished; the process stopped its environments on the way out',
        },
      ],
    });
  }
  ownRun(run, state);
  finish(run, state.inputs.spec.spec.objectives, INTERRUPTED, measuredMs(state));
  return run;
}

/** Every finding, failed or skipped check, assumption and restore step of the run gets its owner. */
function ownRun(run: Run, state: RunState): void {
  const { owners, assumptions } = state.inputs.spec.spec;
  assignOwners(
    run,
    owners,
    assumptions,
    state.restorePhases.flatMap((phase) => phase.manualSteps),
  );
}

function measuredMs(state: RunState): number {
  return state.restoreEndedAt === undefined ? 0 : state.restoreEndedAt - state.startedAt;
}

/**
 * The values of the `${drill.*}` placeholders a spec may use (src/drill-spec/placeholders.ts names
 * them): what this run started, known once its environment is up.
 */
export function placeholderValues(environment: Pick<StartedEnvironment, 'workDir' | 'postgres'>): PlaceholderValues {
  return { 'drill.workDir': environment.workDir, ...(environment.postgres ? postgresPlaceholders(environment.postgres) : {}) };
}
