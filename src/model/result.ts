/**
 * The result model: everything a drill measured, written as `result.json`
 * (format `kafka-drill/result`, version 1). Every report is rendered from it alone.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { formatPath, InputError } from '../errors.js';
import { brokerStorages, clientClasses, drillPhases, providerNames } from './enums.js';

export const RESULT_FORMAT = 'kafka-drill/result';
export const RESULT_VERSION = 1;
export const RESULT_FILE = 'result.json';

const timestamp = z.iso.datetime({ offset: true });
const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lowercase hex digits');
const text = z.string().min(1);
const durationMs = z.number().nonnegative();
const count = z.number().int().nonnegative();
const minutes = z.number().nonnegative();

export const verdicts = ['passed', 'failed', 'infrastructure-error', 'interrupted'] as const;
export const Verdict = z.enum(verdicts);

/**
 * What a finding is, as a type: verify, assumptions and verdicts select findings by code, never
 * by the wording of their message. Keep sorted.
 */
export const findingCodes = [
  'acl-refused',
  'broker-absent',
  'broker-config-refused',
  'config-exceeds-drill-heap',
  'config-not-applied',
  'config-sensitive',
  'config-set-at-start-up',
  'connect-too-old',
  'connect-unavailable',
  'connector-group-differs',
  'connector-isolated',
  'connector-not-settled',
  'connector-plugin-missing',
  'connector-restore-failed',
  'connector-secret-missing',
  'connector-writes-external',
  'connectors-not-restored',
  'credential-generated',
  'credential-source-unreadable',
  'data-lag-truncated',
  'data-log-end-not-reached',
  'data-not-restored',
  'mirror-behind',
  'mirror-topic-left-out',
  'mirror-no-checkpoint',
  'mirror-cleanup-failed',
  'mirror-failed',
  'data-produce-failed',
  'drill-admin-not-restored',
  'security-not-visible',
  'environment-process-exited',
  'environment-start-failed',
  'interrupted',
  'log-start-not-restored',
  'log-start-refused',
  'offset-approximated',
  'offset-before-log-start',
  'offset-beyond-log-end',
  'offset-commit-failed',
  'offset-reset-as-in-source',
  'offset-topic-missing',
  'partitions-add-failed',
  'partitions-cannot-shrink',
  'phase-crashed',
  'quota-refused',
  'replication-clamped',
  'replication-differs',
  'scram-refused',
  'teardown-failed',
  'topic-config-alter-refused',
  'topic-config-refused',
  'topic-not-served',
  'topic-refused',
  'unexpected-denial',
] as const;
export const FindingCode = z.enum(findingCodes);

/**
 * Findings that say the drill reached a system outside what it started, because the spec allowed
 * it (restore.connectors.<name>.allowExternal): reports show them red, as danger, whatever their
 * severity (which stays a warning, so an allowed connector does not fail the drill by itself).
 */
export const dangerFindingCodes: ReadonlySet<string> = new Set(['connector-writes-external'] satisfies (typeof findingCodes)[number][]);

export const Finding = z.strictObject({
  code: FindingCode,
  severity: z.enum(['error', 'warning', 'info']),
  /** What the finding is about, e.g. "topic orders" or "acl User:app READ topic orders". */
  object: text,
  message: text,
  /** Kafka's error name when Kafka refused, e.g. "POLICY_VIOLATION". */
  kafkaError: text.optional(),
  /** The team that owns what it is about (the spec's owners:); absent in results from before owners. */
  owner: text.optional(),
  /** unexpected-denial: the broker's own record of the refusal. */
  denial: z.lazy(() => BrokerDenial).optional(),
});

export const PhaseCounts = z.strictObject({
  created: count,
  updated: count,
  unchanged: count,
  failed: count,
});

export const Phase = z.strictObject({
  name: z.enum(drillPhases),
  status: z.enum(['passed', 'failed', 'skipped']),
  startedAt: timestamp,
  durationMs,
  counts: PhaseCounts.optional(),
  findings: z.array(Finding),
});

/** The typed outcome of one check; a skip is never a pass. */
export const checkOutcomes = ['passed', 'failed', 'skipped'] as const;
export const CheckOutcome = z.enum(checkOutcomes);

/** One check a probe made. `detail` says how it was checked, and why when it failed or was skipped. */
export const ProbeEvidence = z.strictObject({
  outcome: CheckOutcome,
  principal: text.optional(),
  operation: text.optional(),
  resource: text.optional(),
  expected: z.string(),
  observed: z.string(),
  kafkaError: text.optional(),
  detail: z.string().optional(),
  /** Offsets probe: records the consumer re-reads on this partition (negative: records it skips). */
  replay: z.strictObject({ group: text, topic: text, partition: count, records: z.int() }).optional(),
  /** The team that owns what the check is about; set on failed and skipped checks (the spec's owners:); absent in results from before owners. */
  owner: text.optional(),
  /** The client library that did the work where a probe cell uses more than one, e.g. "kafkajs 2.2.4" for a real transactional producer. */
  client: text.optional(),
});

/** Which client produced a probe's checks: one cell of the matrix probe × client × Kafka version. */
export const ProbeClient = z.strictObject({
  class: z.enum(clientClasses),
  /** The library and its version as run, e.g. "kcat 1.7.1 / librdkafka 2.0.2", "kafka-clients 4.3.1". */
  library: text,
  version: text,
  /** The spec probe's id, shared by every client class it runs through (the matrix row). */
  probe: text,
  /** Processes the client class started for the probe: kcat runs (one per check) or JVMs (one per probe). */
  processes: count.optional(),
});

export const ProbeRecord = z.strictObject({
  id: text,
  /** The probe kind, e.g. authorization, offset-resumption, connector-idempotency, produce-consume, custom. */
  type: text,
  name: text,
  /**
   * `failed`: a check failed. `passed`: none failed and at least one passed. `skipped`: every
   * check was skipped, so the probe proved nothing. `error`: the probe itself could not run.
   */
  status: z.enum(['passed', 'failed', 'skipped', 'error']),
  durationMs,
  evidence: z.array(ProbeEvidence),
  /** Present for probes of the client matrix (produce-consume, authorization, offsets). */
  client: ProbeClient.optional(),
  /**
   * The spec declared this cell's failure as known (`expectedFailures`): it is still shown red
   * with its status, but a failed or error status does not fail the run; a pass does (the
   * declaration is stale).
   */
  expectedFailure: z.strictObject({ reason: text }).optional(),
});

export const Assumption = z.strictObject({
  id: text,
  description: text,
  source: z.enum(['declared', 'implicit']),
  /** `skipped`: the drill could not check it (e.g. the phase it rests on did not run); never counted as held. */
  status: z.enum(['held', 'failed', 'skipped']),
  expected: z.string(),
  observed: z.string(),
  /** The team that owns what it is about (the spec's owners:); absent in results from before owners. */
  owner: text.optional(),
});

export const ManualStep = z.strictObject({
  id: text,
  title: text,
  owner: text,
  /** When in the recovery the step is done; usually a phase name. */
  phase: text,
  estimateMinutes: minutes,
  source: z.enum(['declared', 'restore']),
  /** True when the spec supplies an automation the drill ran. */
  automated: z.boolean(),
  status: z.enum(['pending', 'automated', 'failed']),
  durationMs: durationMs.optional(),
  output: z.string().optional(),
});

export const differenceClassifications = ['expected', 'unrestorable', 'drift'] as const;

export const ClassifiedDifference = z.strictObject({
  kind: text,
  object: text,
  /** null: the object is absent on that side. */
  expected: z.string().nullable(),
  actual: z.string().nullable(),
  classification: z.enum(differenceClassifications),
  reason: z.string().optional(),
  /** The Kafka Streams application whose consumer group or internal topic this is (src/snapshot/streams.ts). */
  streamsApplication: text.optional(),
});

export const Verify = z
  .strictObject({
    differences: z.array(ClassifiedDifference),
    counts: z.strictObject({
      /** Objects compared that came back identical. */
      matched: count,
      expected: count,
      unrestorable: count,
      drift: count,
    }),
  })
  .superRefine((verify, context) => {
    for (const classification of differenceClassifications) {
      const listed = verify.differences.filter((difference) => difference.classification === classification).length;
      if (verify.counts[classification] !== listed) {
        context.addIssue({
          code: 'custom',
          path: ['counts', classification],
          message: `is ${verify.counts[classification]} but ${listed} differences are classified ${classification}`,
        });
      }
    }
  });

export const Rto = z.strictObject({
  /** Wall time of the automated restore. */
  measuredMinutes: minutes,
  /** Measured time plus the estimates of manual steps that are not automated. */
  projectedMinutes: minutes,
  objectiveMinutes: minutes.optional(),
});

export const Objective = z.strictObject({
  name: text,
  target: z.string(),
  observed: z.string(),
  met: z.boolean(),
});

export const Environment = z.strictObject({
  provider: z.enum(providerNames),
  brokers: count,
  /** Listener security, e.g. PLAINTEXT, SASL_PLAINTEXT (SCRAM-SHA-512), SSL. */
  security: text,
  clusterId: text.optional(),
  bootstrap: z.array(text).optional(),
  /** The target brokers' node ids. */
  brokerIds: z.array(z.int().min(0)).optional(),
  /** Each source broker the snapshot knows and the target broker standing for it (null: none), with the rule applied. */
  brokerIdMap: z.strictObject({ rule: text, mapping: z.array(z.strictObject({ source: z.int().min(0), target: z.int().min(0).nullable() })) }).optional(),
  /** Max heap per broker JVM, in MiB. */
  heapMb: count.optional(),
  /** The soft open-file limit each broker started with, where the provider set it (sized from the snapshot's partitions). */
  openFilesLimit: count.optional(),
  /** Where the brokers kept their data: memory (a tmpfs) or disk; absent for an external target. */
  brokerStorage: z.enum(brokerStorages).optional(),
});

/**
 * The offset map's shape (synthetic data): source offsets → target offsets. Per-partition
 * entries only for partitions with committed offsets, so it stays compact for thousands of topics.
 */
export const OffsetMapSummary = z.strictObject({
  maxRecordsPerPartition: count,
  partitions: count,
  /** Partitions whose target offsets are not the source's. */
  rebased: count,
  /** Partitions where source records before the log end are not reproduced (lag past the budget). */
  truncated: count,
  /** Synthetic records planned, in total. */
  records: count,
  entries: z.array(
    z.strictObject({
      topic: text,
      partition: count,
      source: z.strictObject({ logStart: count, logEnd: count }),
      target: z.strictObject({ logStart: count, logEnd: count }),
      /** Each distinct committed source offset and where it was set in the target. */
      committed: z.array(z.strictObject({ source: count, target: count, exact: z.boolean() })),
      /** Source records between the first reproduced one and the log end that are not reproduced. */
      omitted: count,
    }),
  ),
});

/** One partition at cut-over: how far the mirror had copied it (the RPO). */
export const MirrorPartition = z.strictObject({
  topic: text,
  partition: count,
  sourceLogEnd: count,
  /** The next source offset the mirror would have copied. */
  mirroredTo: count,
  targetLogEnd: count,
  /** Source offsets from mirroredTo to the source log end: 0 when nothing holding data was left. */
  behindOffsets: count,
  /** Age at cut-over of the oldest source record not copied; 0 when none was left. */
  behindSeconds: z.number().min(0),
});

/** One committed offset of a group and where each translation puts it on the target. */
export const MirrorGroupPartition = z.strictObject({
  group: text,
  topic: text,
  partition: count,
  /** The group's committed offset on the source (at capture). */
  committed: count,
  /** MirrorMaker's translation (its last checkpoint); null when it emitted none. */
  checkpoint: count.nullable(),
  /** The target offset of the record the group resumes at on the source, by fingerprint; null when not found. */
  exact: count.nullable(),
  /** sha256 (key, value, timestamp) of that record as a read_committed consumer reads it; null when the group had read everything. */
  sha256: z.string().nullable(),
  /** False when that record was not copied before the cut-over: the group resumes at the target log end, and what it misses counts in the RPO. */
  resumeCopied: z.boolean(),
  /** Records a consumer re-reads when it resumes at the checkpoint instead (exact − checkpoint; negative: skipped). */
  checkpointReplay: z.int().nullable(),
  /** The offset the offsets phase committed on the target (null: none, the partition was not translated). */
  target: count.nullable(),
  /** Records the group re-reads from there (exact − target; negative: records it skips); null when the exact record is unknown. */
  replay: z.int().nullable(),
  note: z.string(),
});

/** restore.data: mirror — what MirrorMaker 2 copied, the cut-over, and both offset translations. */
export const MirrorEvidence = z.strictObject({
  topics: z.array(text),
  /** Topics of the capture the mirror's filter left out. */
  left: z.array(text),
  caughtUp: z.boolean(),
  catchUpTimeoutSeconds: z.number().min(0),
  /** From creating the connectors until the mirror had caught up (or the catch-up timeout passed). */
  copyMs: count,
  /** Records on the mirrored target partitions at cut-over. */
  records: count,
  recordsPerSecond: count,
  /** Bytes of the mirrored partitions on the target at cut-over, as stored (after the target topics' compression). */
  bytes: count.optional(),
  /** The largest behindSeconds of any partition. */
  rpoSeconds: z.number().min(0),
  rpoOffsets: count,
  /** How old the capture (the control plane restored) was at the cut-over. */
  snapshotAgeSeconds: z.number().min(0),
  /** The translation the offsets phase committed. */
  offsets: z.enum(['checkpoint', 'exact']),
  /** Source offsets not yet copied, sampled about every second until the cut-over. */
  lag: z.array(z.strictObject({ atMs: count, behindOffsets: count })),
  partitions: z.array(MirrorPartition),
  groups: z.array(MirrorGroupPartition),
});

export const rollbackDecisions = ['promote', 'rollback'] as const;
export const RollbackDecision = z.enum(rollbackDecisions);

/** What made a trigger fire, as typed references into the run. */
export const RollbackCause = z.discriminatedUnion('kind', [
  /** One check of a probe: `check` is its index in that probe's evidence. */
  z.strictObject({ kind: z.literal('probe-check'), probe: text, check: count, principal: text.optional(), operation: text.optional(), resource: text.optional() }),
  z.strictObject({ kind: z.literal('probe'), probe: text, status: z.enum(['failed', 'skipped', 'error']) }),
  /** `objective` is its key in the spec's objectives; `name` as in the run's objectives. */
  z.strictObject({ kind: z.literal('objective'), objective: text, name: text, target: z.string(), observed: z.string() }),
  /** A group's replay, summed over its partitions: from an offsets probe's checks (`probe`) or the mirror's cut-over. */
  z.strictObject({ kind: z.literal('replay'), source: z.enum(['offsets-probe', 'mirror']), probe: text.optional(), group: text, records: z.int(), maxRecords: count }),
  z.strictObject({ kind: z.literal('rto'), projectedMinutes: minutes, boundMinutes: minutes }),
]);

export const RollbackTrigger = z.strictObject({
  /** The spec trigger's id, or "<type>-<position>". */
  id: text,
  type: z.enum(['authorization-failed', 'replay', 'rto-missed', 'probe-failed', 'objective-missed']),
  description: text,
  fired: z.boolean(),
  causes: z.array(RollbackCause),
});

/** One step of the rollback: pending for a person (counted by its estimate) or run by its automation. */
export const RollbackStep = ManualStep.omit({ phase: true, source: true });

/** The decision the drill would have taken at the cutover (spec `rollback:`). */
export const Rollback = z.strictObject({
  decision: RollbackDecision,
  /** The decision the spec expects; a different one fails the run. */
  expected: RollbackDecision,
  /** Every trigger, fired or not. */
  triggers: z.array(RollbackTrigger),
  /** The rollback's steps, done or counted only when the decision is rollback (else empty). */
  steps: z.array(RollbackStep),
  /** Added to the projected RTO: automated steps by their measured time, the others by their estimate. */
  minutes,
});

/**
 * One DENIED decision of a broker's authorizer (logger kafka.authorizer.logger, logged at INFO),
 * parsed from the broker's own log; identical decisions are counted once.
 */
export const BrokerDenial = z.strictObject({
  principal: text,
  operation: text,
  /** As Kafka logs it: Topic, Group, Cluster, TransactionalId, DelegationToken, User. */
  resourceType: text,
  /** The requested resource's pattern type (LITERAL for a request; the matching ACL is in `rule`). */
  patternType: text,
  resourceName: z.string(),
  host: z.string(),
  /** The Kafka request refused, e.g. Produce, FindCoordinator. */
  request: text,
  /** DefaultDeny (no ACL matched) or the matching DENY ACL. */
  rule: z.string(),
  count: z.number().int().positive(),
  brokers: z.array(z.number().int().nonnegative()),
  /** authorization-probe: a check of the authorization probe asked for it; unexpected: nobody did (a finding). */
  accountedBy: z.enum(['authorization-probe', 'unexpected']),
});

/** The brokers' authorizer log, reconciled with the authorization probe. */
export const AuthorizerLog = z.strictObject({
  /** The broker log files read (one per broker). */
  files: z.array(text),
  denials: z.array(BrokerDenial),
  /** The authorization probe's checks that expected and got a denial: how many the brokers logged. */
  expectedDenials: z.strictObject({ total: count, logged: count, notLogged: z.array(text) }),
});

/**
 * Broker and Connect worker metrics scraped from the Prometheus JMX exporter's Java agent at the
 * end of the run, under the names operators' dashboards use (Strimzi's rules).
 */
export const ScrapedMetrics = z.strictObject({
  agent: text,
  targets: z.array(
    z.strictObject({
      /** "broker 1", "connect http://127.0.0.1:18083". */
      process: text,
      url: text,
      scrapedAt: timestamp,
      /** Why the scrape failed; absent when it answered. */
      error: text.optional(),
      samples: z.array(z.strictObject({ name: text, labels: z.record(z.string(), z.string()), value: z.number() })),
    }),
  ),
});

/**
 * The drill's time series (issue 19): what an operator's dashboard shows while a recovery runs,
 * sampled on a fixed cadence and at each phase boundary from the drill's own admin connection.
 * A value the sampler could not read is absent and its request error is in `errors`.
 */
export const GroupLagPartition = z.strictObject({
  topic: text,
  partition: count,
  logEnd: count,
  /** null: the group has no committed offset there (its lag is not counted). */
  committed: count.nullable(),
  /** logEnd − committed, never below 0; null without a committed offset. */
  lag: count.nullable(),
});

export const GroupLagSample = z.strictObject({
  group: text,
  /** Summed over the partitions with a committed offset; null when none has one yet (before the offsets phase). */
  total: count.nullable(),
  /**
   * Per partition, in the samples taken at phase boundaries and at the end; an `interval` sample
   * holds the total only (per partition, a 5,000-topic drill's samples were 54 MB of its result).
   */
  partitions: z.array(GroupLagPartition).optional(),
});

export const HealthSample = z.strictObject({
  liveBrokers: count,
  partitions: count,
  underReplicated: count,
  offline: count,
  /** Partitions whose ISR is smaller than their topic's min.insync.replicas. */
  underMinIsr: count,
  controllerId: z.int(),
});

/** The KRaft metadata quorum (DescribeQuorum): its leader and how far each follower's log end is behind the leader's. */
export const QuorumSample = z.strictObject({
  leaderId: z.int(),
  leaderEpoch: z.int(),
  highWatermark: count,
  followers: z.array(z.strictObject({ nodeId: z.int(), kind: z.enum(['voter', 'observer']), lagOffsets: count })),
});

export const Sample = z.strictObject({
  at: timestamp,
  /** Milliseconds since the run started. */
  atMs: count,
  /** `interval`, or the phase boundary that triggered it (`after topics`, `before probes`, …). */
  trigger: text,
  /** The drill phase under way when the sample was taken. */
  phase: text,
  health: HealthSample.optional(),
  quorum: QuorumSample.optional(),
  groups: z.array(GroupLagSample),
  /** Requests of this sample that failed, by what they asked: Kafka's error name or the client's message. */
  errors: z.array(z.strictObject({ request: text, error: text })),
});

export const Samples = z.strictObject({
  /** The cadence asked for. A slow sample spaces the next ones out (the sampler spends at most a tenth of the run sampling) unless a probe waits on the series. */
  intervalMs: count,
  /** The groups whose lag is sampled: every restored group plus those success criteria name. */
  groups: z.array(text),
  samples: z.array(Sample),
  /** Requests the probes made that Kafka refused, by Kafka error name (from their evidence). */
  probeErrors: z.array(z.strictObject({ probe: text, kafkaError: text, count })),
});

export type GroupLagSample = z.infer<typeof GroupLagSample>;
export type HealthSample = z.infer<typeof HealthSample>;
export type QuorumSample = z.infer<typeof QuorumSample>;
export type Sample = z.infer<typeof Sample>;
export type Samples = z.infer<typeof Samples>;

/** One Kafka version's restore; several runs make an upgrade gate. */
export const Run = z.strictObject({
  kafkaVersion: text,
  environment: Environment,
  verdict: Verdict,
  reason: z.string(),
  phases: z.array(Phase),
  probes: z.array(ProbeRecord),
  assumptions: z.array(Assumption),
  manualSteps: z.array(ManualStep),
  /** Absent when the drill never reached the verify phase. */
  verify: Verify.optional(),
  /** Present when the restore produced synthetic data. */
  offsetMap: OffsetMapSummary.optional(),
  /** Present when the restore copied records with MirrorMaker 2 (restore.data: mirror). */
  mirror: MirrorEvidence.optional(),
  /** The time series sampled while the run went on (absent when sampling was off or the environment never started). */
  samples: Samples.optional(),
  rto: Rto,
  objectives: z.array(Objective),
  /** Present when the spec states a rollback policy and the run reached its decision. */
  rollback: Rollback.optional(),
  /** The brokers' authorizer log (scram, mtls, sasl_ssl: the modes whose clients are authorized). */
  authorizerLog: AuthorizerLog.optional(),
  /** Present when the JMX exporter agent ran (target.jmxExporter). */
  brokerMetrics: ScrapedMetrics.optional(),
});

export const Result = z.strictObject({
  format: z.literal(RESULT_FORMAT),
  version: z.literal(RESULT_VERSION),
  toolVersion: text,
  drillName: text,
  spec: z.strictObject({ file: text, sha256 }),
  snapshot: z.strictObject({
    file: text,
    /** Of the file's bytes. */
    sha256,
    /** The snapshot's own canonical digest, as recorded inside it. */
    digest: text,
    clusterId: text,
    kafkaVersion: text,
  }),
  startedAt: timestamp,
  finishedAt: timestamp,
  verdict: Verdict,
  reason: z.string(),
  runs: z.array(Run).min(1),
});

export type Verdict = z.infer<typeof Verdict>;
export type FindingCode = z.infer<typeof FindingCode>;
export type MirrorEvidence = z.infer<typeof MirrorEvidence>;
export type MirrorPartition = z.infer<typeof MirrorPartition>;
export type MirrorGroupPartition = z.infer<typeof MirrorGroupPartition>;
export type Finding = z.infer<typeof Finding>;
export type OffsetMapSummary = z.infer<typeof OffsetMapSummary>;
export type CheckOutcome = z.infer<typeof CheckOutcome>;
export type PhaseCounts = z.infer<typeof PhaseCounts>;
export type Phase = z.infer<typeof Phase>;
export type ProbeEvidence = z.infer<typeof ProbeEvidence>;
export type ProbeRecord = z.infer<typeof ProbeRecord>;
export type ProbeClient = z.infer<typeof ProbeClient>;
export type Assumption = z.infer<typeof Assumption>;
export type ManualStep = z.infer<typeof ManualStep>;
export type ClassifiedDifference = z.infer<typeof ClassifiedDifference>;
export type Verify = z.infer<typeof Verify>;
export type Rto = z.infer<typeof Rto>;
export type Objective = z.infer<typeof Objective>;
export type Environment = z.infer<typeof Environment>;
export type Run = z.infer<typeof Run>;
export type BrokerDenial = z.infer<typeof BrokerDenial>;
export type AuthorizerLog = z.infer<typeof AuthorizerLog>;
export type ScrapedMetrics = z.infer<typeof ScrapedMetrics>;
export type Result = z.infer<typeof Result>;
export type RollbackDecision = z.infer<typeof RollbackDecision>;
export type RollbackCause = z.infer<typeof RollbackCause>;
export type RollbackTrigger = z.infer<typeof RollbackTrigger>;
export type RollbackStep = z.infer<typeof RollbackStep>;
export type Rollback = z.infer<typeof Rollback>;

/** A run that has done nothing yet: passed until a phase, probe or objective says otherwise. */
export function emptyRun(kafkaVersion: string, environment: Environment): Run {
  return {
    kafkaVersion,
    environment,
    verdict: 'passed',
    reason: '',
    phases: [],
    probes: [],
    assumptions: [],
    manualSteps: [],
    rto: { measuredMinutes: 0, projectedMinutes: 0 },
    objectives: [],
  };
}

/** Parses and validates result.json text; errors name the file and the path inside it. */
export function parseResult(text: string, file: string): Result {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new InputError(`${file}: (root): not valid JSON: ${(error as Error).message}`);
  }
  const parsed = Result.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const more = parsed.error.issues.length > 1 ? ` (and ${parsed.error.issues.length - 1} more)` : '';
    throw new InputError(`${file}: ${formatPath(issue.path)}: ${issue.message}${more}`);
  }
  return parsed.data;
}

export function serializeResult(result: Result): string {
  return [...resultJsonChunks(result)].join('');
}

/** Validates, then writes `dir/result.json` via a temporary file so a reader never sees half of it. Returns its path. */
export function writeResult(dir: string, result: Result): string {
  const json = serializeResult(result);
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, RESULT_FILE);
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, json);
  renameSync(temporary, file);
  return file;
}

// ---- result.json in pieces ----------------------------------------------------------------------

/**
 * The text of result.json (JSON.stringify of the validated result, 2-space indented, a trailing
 * newline) in pieces, for writing without ever holding it whole: at 5,000 topics it is ~180 MB,
 * mostly samples and evidence. The long arrays (each run's samples, probe evidence and logged
 * denials) are validated and written one element at a time; the rest of the result is validated
 * as one, so no validated copy of the whole result exists at once either. Throws a ZodError, with
 * the path from the result's root, for a result that does not match the schema.
 */
export function* resultJsonChunks(result: Result): Generator<string> {
  const skeleton = validatedSkeleton(result);
  yield* jsonChunks(skeleton.result, '', skeleton);
  yield '\n';
}

/** An array written element by element: `items` as the caller had them, each validated with `schema` when written. */
interface Fill {
  items: readonly unknown[];
  schema: z.ZodType;
  path: (string | number)[];
}

interface Skeleton {
  /** The result validated with its long arrays left empty. */
  result: Result;
  /** For each of those arrays (by identity), what goes there. */
  fills: Map<unknown, Fill>;
  /** The objects and arrays with a fill inside them. */
  holders: Set<unknown>;
}

function validatedSkeleton(result: Result): Skeleton {
  const skeleton = Result.parse({
    ...result,
    runs: result.runs.map((run) => ({
      ...run,
      probes: run.probes.map((probe) => ({ ...probe, evidence: [] })),
      ...(run.samples && { samples: { ...run.samples, samples: [] } }),
      ...(run.authorizerLog && { authorizerLog: { ...run.authorizerLog, denials: [] } }),
    })),
  });
  const fills = new Map<unknown, Fill>();
  const holders = new Set<unknown>([skeleton, skeleton.runs]);
  skeleton.runs.forEach((run, index) => {
    const given = result.runs[index]!;
    const at = ['runs', index];
    holders.add(run).add(run.probes);
    run.probes.forEach((probe, p) => {
      holders.add(probe);
      fills.set(probe.evidence, { items: given.probes[p]!.evidence, schema: ProbeEvidence, path: [...at, 'probes', p, 'evidence'] });
    });
    if (run.samples) {
      holders.add(run.samples);
      fills.set(run.samples.samples, { items: given.samples!.samples, schema: Sample, path: [...at, 'samples', 'samples'] });
    }
    if (run.authorizerLog) {
      holders.add(run.authorizerLog);
      fills.set(run.authorizerLog.denials, { items: given.authorizerLog!.denials, schema: BrokerDenial, path: [...at, 'authorizerLog', 'denials'] });
    }
  });
  return { result: skeleton, fills, holders };
}

/** JSON.stringify(value, null, 2) at `indent`, in pieces: a part holding no fill is one piece. */
function* jsonChunks(value: unknown, indent: string, skeleton: Skeleton): Generator<string> {
  const fill = skeleton.fills.get(value);
  if (fill) {
    yield* arrayChunks(fill.items.length, indent, (index, inner) => [stringifyAt(parsedElement(fill, index), inner)]);
    return;
  }
  if (!skeleton.holders.has(value)) {
    yield stringifyAt(value, indent);
    return;
  }
  if (Array.isArray(value)) {
    yield* arrayChunks(value.length, indent, (index, inner) => jsonChunks(value[index] ?? null, inner, skeleton));
    return;
  }
  const inner = `${indent}  `;
  const entries = Object.entries(value as object).filter(([, item]) => item !== undefined && typeof item !== 'function' && typeof item !== 'symbol');
  if (entries.length === 0) {
    yield '{}';
    return;
  }
  for (const [index, [key, item]] of entries.entries()) {
    yield `${index === 0 ? '{' : ','}\n${inner}${JSON.stringify(key)}: `;
    yield* jsonChunks(item, inner, skeleton);
  }
  yield `\n${indent}}`;
}

function* arrayChunks(length: number, indent: string, item: (index: number, inner: string) => Iterable<string>): Generator<string> {
  if (length === 0) {
    yield '[]';
    return;
  }
  const inner = `${indent}  `;
  for (let index = 0; index < length; index++) {
    yield `${index === 0 ? '[' : ','}\n${inner}`;
    yield* item(index, inner);
  }
  yield `\n${indent}]`;
}

/** JSON.stringify's 2-space text of `value` as it reads nested at `indent` (a newline inside a JSON string is always escaped). */
function stringifyAt(value: unknown, indent: string): string {
  const text = JSON.stringify(value, null, 2) ?? 'null';
  return indent ? text.replaceAll('\n', `\n${indent}`) : text;
}

function parsedElement(fill: Fill, index: number): unknown {
  const parsed = fill.schema.safeParse(fill.items[index]);
  if (parsed.success) return parsed.data;
  throw new z.ZodError(parsed.error.issues.map((issue) => ({ ...issue, path: [...fill.path, index, ...issue.path] })));
}
