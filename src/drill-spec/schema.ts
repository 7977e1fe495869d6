import * as z from 'zod';

/**
 * The drill spec: which snapshot, which target, how to restore, what to probe and assume,
 * which steps stay manual, and the objectives the drill is judged against.
 *
 * Every object is strict: a misspelt key is an error, never silently ignored.
 * Paths inside a spec (snapshot, out, credential files, custom probe modules) are relative
 * to the spec file.
 */

import { differenceKinds } from '../snapshot/diff.js';
import { replacementProblem } from './external-settings.js';
import { drillPlaceholders, placeholdersIn, unknownPlaceholders } from './placeholders.js';
import { authenticatedModes, brokerStorages, clientClasses, drillPhases, providerNames, restorePhases, securityModes } from '../model/enums.js';

export const aclOperations = ['READ', 'WRITE', 'DESCRIBE', 'CREATE', 'DELETE', 'ALTER', 'DESCRIBE_CONFIGS', 'ALTER_CONFIGS', 'IDEMPOTENT_WRITE', 'CLUSTER_ACTION', 'ALL'] as const;

const name = z.string().min(1);
const id = z.string().min(1);
const nonNegativeInt = z.number().int().min(0);
const positiveInt = z.number().int().min(1);
const regexText = z
  .string()
  .min(1)
  .superRefine((source, context) => {
    try {
      new RegExp(source);
    } catch (error) {
      context.addIssue({ code: 'custom', message: `not a valid regular expression: ${(error as Error).message}` });
    }
  });

/** Kafka config values are strings on the wire; YAML may write them as numbers or booleans. */
const configValue = z.union([z.string(), z.number(), z.boolean()], { error: 'expected a string, number or boolean' }).transform(String);

const principal = z.string().regex(/^User:.+$/, { error: 'expected "User:<name>"' });

const aclResource = z.strictObject({
  type: z.enum(['topic', 'group', 'cluster', 'transactional-id']),
  name,
  patternType: z.enum(['literal', 'prefixed']).default('literal'),
});

/** Ids, where given, must be unique within their list: results and reports refer to them. */
function uniqueIds(list: string) {
  return (items: { id?: string | undefined }[], context: z.RefinementCtx) => {
    const firstIndex = new Map<string, number>();
    items.forEach((item, index) => {
      if (item.id === undefined) return;
      const first = firstIndex.get(item.id);
      if (first === undefined) firstIndex.set(item.id, index);
      else context.addIssue({ code: 'custom', path: [index, 'id'], message: `duplicate id "${item.id}" (also ${list}[${first}].id)` });
    });
  };
}

/** Heap per broker a spec may ask for: five brokers at this size still fit a 24 GiB machine. */
const MAX_HEAP_MB = 3072;

const kafkaVersion = z.string().regex(/^\d+\.\d+\.\d+$/, { error: 'expected a Kafka version like "3.9.1"' });

export const targetSchema = z
  .strictObject({
    provider: z.enum(providerNames).default('process'),
    kafkaVersion: z
      .union([kafkaVersion, z.array(kafkaVersion).min(1)], { error: 'expected a Kafka version like "3.9.1" or a list of them' })
      .optional()
      .describe(
        "One Kafka version, or several: the drill runs once per version (an upgrade gate). Omitted: the newest supported release of the snapshot's own release line (a 3.9 snapshot runs on 3.9.2); a snapshot of an unsupported or unknown version runs on the default.",
      ),
    brokers: z.literal([1, 2, 3, 4, 5]).default(1).describe('Broker count, 1 to 5 (each a combined broker+controller).'),
    brokerIds: z
      .array(nonNegativeInt)
      .min(1)
      .optional()
      .describe(
        "The brokers' node ids, one per broker. Omitted: the snapshot's own broker ids where they fit (the lowest ones when the target has fewer brokers), else 1..N. Source brokers map to these ids: same id first, then the rest in ascending order.",
      ),
    brokerStorage: z
      .enum(brokerStorages)
      .optional()
      .describe(
        "Where the drill's brokers keep their data (process and docker providers). memory: a tmpfs (/dev/shm on Linux; disk where there is none with 1 GiB free: the run's output says why, result.json's environment.brokerStorage says disk). disk: the environment's directory. Omitted: memory, unless restore.data is mirror (it copies the source's records, as many as there are). Kafka syncs two files to disk for every partition it creates, one after another: on a CI disk about 8 ms a partition, minutes for tens of thousands.",
      ),
    heapMb: z
      .int()
      .min(256)
      .max(MAX_HEAP_MB)
      .optional()
      .describe(`Max heap per broker JVM, in MiB (256 to ${MAX_HEAP_MB}). Omitted: sized from the snapshot's partition count, 512 to 2048.`),
    security: z
      .enum(securityModes)
      .default('plaintext')
      .describe('plaintext; scram (SASL/SCRAM + ACLs); ssl (TLS, server-authenticated); mtls (client certificates, principals from their subjects); sasl_ssl (SCRAM over TLS).'),
    bootstrap: z.string().min(1).optional().describe('provider external only: host:port list of the pre-provisioned cluster.'),
    clusterId: z.string().min(1).optional().describe('provider external only: the cluster id the drill verifies before writing anything.'),
    commandConfig: z.string().min(1).optional().describe('provider external only: Java client properties file (relative to the spec) for the admin connection.'),
    cleanup: z.enum(['delete-restored', 'keep']).optional().describe('provider external only, required: delete-restored removes exactly what the drill created; keep leaves it.'),
    image: z.string().min(1).optional().describe('provider docker only: image laid out like apache/kafka. Default: kafka-drill/kafka:V when built, else apache/kafka:V.'),
    connect: z
      .strictObject({
        workers: z.number().int().min(1).max(3).default(1),
        pluginPaths: z.array(z.string().min(1)).default([]).describe("Directories for the workers' plugin.path, relative to the spec (installed plugins are always on it)."),
      })
      .optional()
      .describe('Kafka Connect distributed workers beside the brokers. Started anyway when the snapshot has connectors and the connectors phase runs.'),
    postgres: z
      .boolean()
      .optional()
      .describe(
        "provider process only: start a PostgreSQL of the drill's own beside the brokers, for restored JDBC sinks. Connector settings reach it through ${drill.postgres.jdbcUrl}, ${drill.postgres.user} and ${drill.postgres.password}; it is removed with the environment.",
      ),
    jmxExporter: z
      .boolean()
      .optional()
      .describe(
        "Attach the Prometheus JMX exporter's Java agent (io.prometheus.jmx:jmx_prometheus_javaagent, resolved into the cache) to the brokers and Connect workers; the drill scrapes it before teardown and keeps failed-request, request-error and partition-health metrics in result.json under the names Strimzi's dashboards use. Not with provider external.",
      ),
  })
  .superRefine((target, context) => {
    if (target.brokerIds !== undefined) {
      if (target.brokerIds.length !== target.brokers) {
        context.addIssue({ code: 'custom', path: ['brokerIds'], message: `has ${target.brokerIds.length} id(s) for ${target.brokers} broker(s)` });
      }
      target.brokerIds.forEach((brokerId, index) => {
        if (target.brokerIds!.indexOf(brokerId) !== index) context.addIssue({ code: 'custom', path: ['brokerIds', index], message: `duplicate broker id ${brokerId}` });
      });
    }
    if (target.provider !== 'docker' && target.image !== undefined) {
      context.addIssue({ code: 'custom', path: ['image'], message: 'only allowed when provider is "docker"' });
    }
    if (target.postgres && target.provider !== 'process') {
      context.addIssue({
        code: 'custom',
        path: ['postgres'],
        message: `only with provider "process": Connect workers in containers or elsewhere cannot reach a PostgreSQL on this host's loopback`,
      });
    }
    if (target.provider === 'external') {
      for (const key of ['bootstrap', 'clusterId', 'cleanup'] as const) {
        if (target[key] === undefined) context.addIssue({ code: 'custom', path: [key], message: 'required when provider is "external"' });
      }
      if (Array.isArray(target.kafkaVersion) && target.kafkaVersion.length > 1) {
        context.addIssue({ code: 'custom', path: ['kafkaVersion'], message: 'an external target is one cluster: give one version' });
      }
    } else {
      for (const key of ['bootstrap', 'clusterId', 'commandConfig', 'cleanup'] as const) {
        if (target[key] !== undefined) context.addIssue({ code: 'custom', path: [key], message: 'only allowed when provider is "external"' });
      }
    }
  });

const credentialSource = z.union([z.strictObject({ env: z.string().min(1) }), z.strictObject({ file: z.string().min(1) }), z.strictObject({ generate: z.literal(true) })], {
  error: 'expected { env: VAR }, { file: PATH } or { generate: true }',
});

/** Replacements must use placeholders the drill knows; one of a setting naming an external system must resolve inside the drill. */
function connectorReplacementIssues(connectors: Record<string, { config?: Record<string, string> | undefined; allowExternal: string[] }>, context: z.RefinementCtx): void {
  for (const [connector, { config = {}, allowExternal }] of Object.entries(connectors)) {
    for (const [key, value] of Object.entries(config)) {
      const path = [connector, 'config', key];
      const unknown = unknownPlaceholders(value);
      if (unknown.length > 0) {
        const known = Object.keys(drillPlaceholders).map((name) => `\${${name}}`);
        context.addIssue({ code: 'custom', path, message: `unknown placeholder ${unknown.map((name) => `\${${name}}`).join(', ')} (the drill provides ${known.join(', ')})` });
        continue;
      }
      // Both would leave the evidence unsure which system the connector ran against.
      const problem = allowExternal.includes(key)
        ? `is also listed in allowExternal: replace it with a store the drill owns, or allow the captured one, not both`
        : replacementProblem(key, value);
      if (problem) context.addIssue({ code: 'custom', path, message: problem });
    }
  }
}

export const restoreSchema = z.strictObject({
  phases: z
    .array(z.enum(restorePhases))
    .min(1)
    .default([...restorePhases])
    .superRefine((phases, context) => {
      phases.forEach((phase, index) => {
        if (phases.indexOf(phase) !== index) context.addIssue({ code: 'custom', path: [index], message: `duplicate phase "${phase}"` });
      });
    })
    .transform((phases) => restorePhases.filter((phase) => phases.includes(phase)))
    .describe('Restore phases to run. A set: they always run in the fixed order topics, cluster-configs, security, data, offsets, connectors.'),
  data: z
    .enum(['none', 'synthetic', 'mirror'])
    .default('none')
    .describe(
      "none: topics stay empty (offsets cannot be proven by a consumer). synthetic: records standing for the source offsets, rebased through the offset map. mirror: the source's own records, copied by MirrorMaker 2 from the live `source` cluster, then a cut-over.",
    ),
  mirror: z
    .strictObject({
      topics: z
        .array(regexText.refine((pattern) => !pattern.includes(','), { error: 'MirrorMaker splits its topic list on commas: give each pattern as its own entry' }))
        .min(1)
        .optional()
        .describe('Regular expressions of the topics MirrorMaker 2 copies. Omitted: every topic of the capture. A group committed on a topic left out gets a finding.'),
      cutover: z
        .strictObject({
          catchUpTimeoutSeconds: z
            .number()
            .min(0)
            .max(3_600)
            .default(120)
            .describe('How long to wait for the mirror to catch up with the source before cutting over anyway (the records not copied then are the RPO).'),
        })
        .prefault({}),
      offsets: z
        .enum(['checkpoint', 'exact'])
        .default('exact')
        .describe(
          "checkpoint: each group resumes where MirrorMaker's checkpoints put it (what a MirrorMaker failover gives). exact: where the record it committed at landed on the target, found by fingerprint. Both are reported side by side.",
        ),
    })
    .prefault({}),
  synthetic: z
    .strictObject({
      maxRecordsPerPartition: z
        .int()
        .min(1)
        .default(1_000)
        .describe(
          'Records produced per partition beyond the windows around committed offsets and the log end: a lag larger than this is not reproduced in full (an expected difference).',
        ),
    })
    .prefault({}),
  clampReplication: z
    .boolean()
    .default(false)
    .describe('Create topics with min(replication factor, broker count) when the target has fewer brokers than the source; each clamp is a warning.'),
  credentials: z
    .record(z.string().min(1), credentialSource)
    .default({})
    .describe('SCRAM user name (or "User:<name>", or "*" for every other user) → where its password comes from. A user without a source becomes a manual step.'),
  connectorSecrets: z
    .record(
      z.string().min(1),
      z.record(
        z.string().min(1),
        z.union([z.strictObject({ env: z.string().min(1) }), z.strictObject({ file: z.string().min(1) })], { error: 'expected { env: VAR } or { file: PATH }' }),
      ),
    )
    .default({})
    .describe('Connector name → config key → where a value the snapshot redacted comes from. A redacted value without a source becomes a manual step.'),
  connectors: z
    .record(
      z.string().min(1),
      z.strictObject({
        config: z
          .record(z.string().min(1), configValue)
          .optional()
          .describe(
            "Config key → value that replaces the captured one before the connector is created. May use ${drill.workDir} (this run's own directory) and the other ${drill.*} values the drill provides; Connect's own ${provider:path:key} references are passed on as written.",
          ),
        allowExternal: z
          .array(z.string().min(1))
          .default([])
          .describe(
            'Settings naming an external system (a file, URL, host, bucket, another Kafka) the restored connector may use as captured: it then runs against that system, and the evidence says so in red.',
          ),
        externalSettingsReviewed: z
          .boolean()
          .default(false)
          .describe(
            'Every setting of this connector that names an external system is replaced in config or listed in allowExternal. Required for a connector class the drill does not know (other than FileStream, MirrorMaker 2 and the Debezium JDBC sink), whose settings the drill cannot tell apart: without it such a connector is restored STOPPED.',
          ),
      }),
    )
    .default({})
    .superRefine(connectorReplacementIssues)
    .describe(
      'Connector name → settings replaced for the drill. A connector with a setting that names an external system (file, connection.url, *.url, bootstrap.servers, …) runs only when the spec replaces it with a store the drill owns, or allows it, and only when the drill knows its class or the spec vouches for it (externalSettingsReviewed); otherwise it is restored STOPPED with its offsets, and a manual step.',
    ),
  verify: z
    .strictObject({
      expectedDifferences: z
        .array(z.strictObject({ kind: z.enum(differenceKinds), object: z.string().min(1), reason: z.string().min(1) }))
        .default([])
        .describe(
          'Differences between snapshot and restored cluster that are expected, not drift: a diff kind and object (exact, or a glob with * and ?), as `kafka-drill diff` prints them.',
        ),
    })
    .optional(),
});

const probeCommon = { id: id.optional(), name: name.optional() };
const clientList = z
  .array(z.enum(clientClasses))
  .min(1)
  .superRefine((list, context) => {
    if (new Set(list).size !== list.length) context.addIssue({ code: 'custom', message: 'names a client class twice' });
  });
/** The client matrix: which client classes a probe runs through; default the drill's `clients`. */
const matrixCommon = {
  ...probeCommon,
  clients: clientList.optional().describe("Client classes this probe runs through: kafkajs, librdkafka (Debian kcat), java (Kafka's Java client). Default: the drill's `clients`."),
};

export const expectedFailureSchema = z.strictObject({
  client: z.enum(clientClasses),
  kafkaVersions: z.array(z.string().min(1)).min(1).optional().describe('Kafka versions where the failure is known; omitted: every version.'),
  probes: z.array(id).min(1).optional().describe('Probe ids (as in the spec) it applies to; omitted: every probe of the client matrix.'),
  reason: z.string().min(1).describe('Why the failure is known and accepted; shown beside the red cell.'),
});

const authorizationExpectation = z.strictObject({
  principal,
  operation: z.enum(aclOperations),
  resource: aclResource,
  result: z.enum(['allow', 'deny']),
});

export const authorizationProbeSchema = z
  .strictObject({
    type: z.literal('authorization'),
    ...matrixCommon,
    derive: z.boolean().default(false).describe("Derive the allow/deny matrix from the snapshot's ACLs."),
    expect: z.array(authorizationExpectation).default([]),
    budgetMs: positiveInt
      .optional()
      .describe('Time for the checks, in ms (default: the probe timeout less a margin). Checks it does not reach are reported as skipped with reason "budget", never passed.'),
  })
  .refine((probe) => probe.derive || probe.expect.length > 0, { error: 'give derive: true, expect: [...], or both' });

export const offsetsProbeSchema = z.strictObject({
  type: z.literal('offsets'),
  ...matrixCommon,
  groups: z
    .union(
      [
        z.literal('all'),
        z
          .array(name)
          .min(1)
          .refine((groups) => new Set(groups).size === groups.length, { error: 'a group is listed twice' }),
      ],
      { error: 'expected "all" or a list of group names' },
    )
    .default('all'),
  tolerance: z
    .union([z.literal('exact'), z.strictObject({ replay: nonNegativeInt }), z.strictObject({ skip: nonNegativeInt })], { error: 'expected "exact", { replay: N } or { skip: N }' })
    .default('exact')
    .describe('exact: consumers resume at the committed offset; { replay: N }: up to N records read again; { skip: N }: up to N records lost.'),
  byContent: z.boolean().default(false).describe("Also compare the record at each committed offset with the snapshot's fingerprint."),
});

export const produceConsumeProbeSchema = z.strictObject({
  type: z.literal('produce-consume'),
  ...matrixCommon,
  topics: z.array(name).min(1),
  records: positiveInt.default(100),
  transactions: z
    .boolean()
    .default(false)
    .describe(
      'Also per topic: a transactional producer commits, aborts and commits; a read_committed consumer must get every committed record and none aborted, and a group committed at a commit marker must resume at the next committed record. kafkajs client class only.',
    ),
  transactionTimeoutMs: positiveInt
    .optional()
    .describe("With transactions: the producer's transaction.timeout.ms, as your applications set it; the restored brokers refuse one above their transaction.max.timeout.ms."),
});

export const customProbeSchema = z.strictObject({
  type: z.literal('custom'),
  id: id.optional(),
  name,
  module: z.string().min(1).describe('A TypeScript or JavaScript module, relative to the spec file, whose default export is the probe function.'),
  timeoutMs: positiveInt.default(60_000),
});

export const connectorIdempotencyProbeSchema = z.strictObject({
  type: z.literal('connector-idempotency'),
  ...probeCommon,
  connector: name.describe('A connector in the snapshot: a FileStream source, a FileStream sink or a JDBC sink to PostgreSQL.'),
  newRecords: nonNegativeInt
    .default(5)
    .describe(
      "Records of new input the probe writes after the restore (FileStream connectors; a JDBC sink's records with a schema from its converter settings); each must come out exactly once.",
    ),
  allowedDuplicates: nonNegativeInt.default(0).describe('Records the connector may deliver (sink) or emit (source) twice before the probe fails.'),
  store: z
    .union(
      [
        z.strictObject({ file: z.string().min(1) }),
        z.strictObject({
          postgres: z.strictObject({
            url: z
              .string()
              .min(1)
              .optional()
              .describe(
                "A postgresql:// connection URL (its password goes to psql through a 0600 passfile, or PGPASSWORD). Omitted: the drill's own PostgreSQL (target.postgres).",
              ),
            table: name,
            key: z.array(name).min(1).describe('The columns that identify one record; duplicates are rows sharing them.'),
          }),
        }),
      ],
      { error: 'expected { file: PATH } or { postgres: { url, table, key } }' },
    )
    .optional()
    .describe("Where a sink writes. Default: the FileStream sink's `file` config; for a JDBC sink, its table in the drill's own PostgreSQL (target.postgres)."),
  timeoutMs: positiveInt.default(90_000),
});

export const quotaProbeSchema = z.strictObject({
  type: z.literal('quota'),
  ...probeCommon,
  entities: z
    .array(name)
    .min(1)
    .optional()
    .describe(
      'Quota entities to probe, named as `kafka-drill diff` prints them ("user=svc-billing", "user=<default>", "user=app,client-id=etl"). Omitted: every quota in the snapshot.',
    ),
  tolerance: z.number().gt(0).lt(1).default(0.2).describe('How far the rate the broker enforces may be from the quota, as a fraction (0.2: ±20%).'),
  budgetMs: positiveInt
    .default(60_000)
    .describe('Time for the checks, in ms; each takes a few seconds. Checks it does not reach are reported as skipped with reason "budget", never passed.'),
  maxBytesPerSecond: positiveInt
    .default(1024 * 1024)
    .describe("Quotas above this rate are skipped, with the reason: exceeding a quota takes about 11 seconds of it (Kafka's quota window)."),
});

/**
 * Application-level success criteria (issue 19): what the application must see after the
 * restore, judged on the drill's time series (consumer-lag) or on a consumption the probe drives
 * itself (records-consumed).
 */
export const recordsConsumedProbeSchema = z.strictObject({
  type: z.literal('records-consumed'),
  ...probeCommon,
  group: name.describe('A restored consumer group: the probe consumes as it, from its restored offsets, and commits as the application would.'),
  records: positiveInt.describe('Records the group must consume.'),
  withinSeconds: positiveInt.default(60).describe('From the moment the probe starts consuming.'),
  topics: z.array(name).min(1).optional().describe('Topics to consume; default: those the group has committed offsets for in the snapshot.'),
});

export const consumerLagProbeSchema = z.strictObject({
  type: z.literal('consumer-lag'),
  ...probeCommon,
  group: name.describe("A consumer group whose lag the drill samples (a restored group, or one the application's consumers use)."),
  maxLag: nonNegativeInt.describe("The group's lag (log end minus committed offset, summed over its partitions) must be at most this in one sample."),
  withinSeconds: positiveInt.default(60).describe('From the start of the probes phase (the connectors have resumed; the application resumes).'),
});

/** Kafka Streams (issue 20 §2): a real count-per-key topology under a restored application id (src/probes/streams.ts). */
export const streamsProbeSchema = z.strictObject({
  type: z.literal('streams'),
  ...probeCommon,
  application: name.describe('The application.id: a consumer group of the snapshot, whose changelog the snapshot marks (streamsApplications).'),
  principal: name.describe('The principal the application runs as (e.g. "User:word-count"): its restored ACLs are what is checked.'),
  inputTopic: name.optional().describe("The input topic; default: the one topic the application's group has offsets for that is not its own internal topic."),
  changelog: name.optional().describe("The changelog whose store the count is materialized in; default: the application's one changelog in the snapshot."),
  processingGuarantee: z
    .enum(['at_least_once', 'exactly_once_v2'])
    .default('at_least_once')
    .describe('exactly_once_v2 also needs the transactional ids (TRANSACTIONAL_ID prefixed with the application id).'),
  runSeconds: positiveInt.default(90).describe('How long the application may run to process a record on every input partition.'),
});

/** How the drill samples its time series (broker health, quorum, consumer lag) while it runs. */
export const samplingSchema = z.strictObject({
  enabled: z.boolean().default(true),
  intervalSeconds: z.number().min(0.2).max(3600).default(2).describe('Seconds between samples; a sample is also taken at each phase boundary.'),
});

export const probeSchema = z.discriminatedUnion('type', [
  authorizationProbeSchema,
  offsetsProbeSchema,
  produceConsumeProbeSchema,
  customProbeSchema,
  connectorIdempotencyProbeSchema,
  quotaProbeSchema,
  recordsConsumedProbeSchema,
  consumerLagProbeSchema,
  streamsProbeSchema,
]);

const assumptionCommon = { id: id.optional(), description: z.string().optional() };

export const topicConfigAssumptionSchema = z
  .strictObject({
    type: z.literal('topic-config'),
    ...assumptionCommon,
    topic: name,
    config: name,
    equals: configValue.optional(),
    oneOf: z.array(configValue).min(1).optional(),
    min: z.number().optional(),
    max: z.number().optional(),
  })
  .superRefine((assumption, context) => {
    const given = (['equals', 'oneOf', 'min', 'max'] as const).filter((key) => assumption[key] !== undefined);
    if (given.length === 0) context.addIssue({ code: 'custom', path: [], message: 'give one of equals, oneOf, min, max' });
    const exclusive = given.filter((key) => key === 'equals' || key === 'oneOf');
    if (exclusive.length > 0 && given.length > 1) {
      context.addIssue({ code: 'custom', path: [exclusive[0]!], message: `${exclusive[0]} cannot be combined with ${given.filter((key) => key !== exclusive[0]).join(', ')}` });
    }
  });

export const groupOffsetAssumptionSchema = z
  .strictObject({
    type: z.literal('group-offset'),
    ...assumptionCommon,
    group: name,
    topic: name.optional(),
    partition: nonNegativeInt.optional(),
    exists: z.boolean().default(true),
    min: nonNegativeInt.optional().describe('The committed offset is at least this.'),
  })
  .superRefine((assumption, context) => {
    if (assumption.partition !== undefined && assumption.topic === undefined) {
      context.addIssue({ code: 'custom', path: ['partition'], message: 'partition needs topic' });
    }
    if (!assumption.exists && assumption.min !== undefined) {
      context.addIssue({ code: 'custom', path: ['min'], message: 'min cannot be combined with exists: false' });
    }
  });

export const aclAssumptionSchema = z.strictObject({
  type: z.literal('acl'),
  ...assumptionCommon,
  principal,
  operation: z.enum(aclOperations),
  resource: aclResource,
  permission: z.enum(['allow', 'deny']),
  present: z.boolean().default(true),
});

export const userExistsAssumptionSchema = z.strictObject({
  type: z.literal('user-exists'),
  ...assumptionCommon,
  user: name,
  mechanism: z.enum(['SCRAM-SHA-256', 'SCRAM-SHA-512']).optional(),
});

const quotaEntity = z
  .strictObject({ user: name.optional(), 'client-id': name.optional(), ip: name.optional() })
  .refine((entity) => Object.values(entity).some((value) => value !== undefined), { error: 'give user, client-id or ip' })
  .describe('A quota entity as Kafka names it; "<default>" stands for the default entity of that kind.');

export const quotaAssumptionSchema = z.strictObject({
  type: z.literal('quota'),
  ...assumptionCommon,
  entity: quotaEntity,
  key: name,
  equals: z.number(),
});

export const brokerConfigAssumptionSchema = z.strictObject({
  type: z.literal('broker-config'),
  ...assumptionCommon,
  config: name,
  equals: configValue,
  broker: nonNegativeInt.optional().describe('A broker id; omitted means the cluster-wide default.'),
});

export const tlsTrustedAssumptionSchema = z.strictObject({
  type: z.literal('tls-trusted'),
  ...assumptionCommon,
  truststore: z.string().min(1).describe("A PEM file of CA certificates, relative to the spec: the snapshot's recorded chain must lead to one of them."),
});

export const tlsExpiryAssumptionSchema = z.strictObject({
  type: z.literal('tls-expiry'),
  ...assumptionCommon,
  minDaysLeft: nonNegativeInt.describe("No certificate of the snapshot's recorded chain expires within this many days of the drill."),
});

const configsAccepted = <T extends 'topic-configs-accepted' | 'broker-configs-accepted'>(type: T, what: string) =>
  z
    .strictObject({ type: z.literal(type), ...assumptionCommon })
    .describe(
      `Every ${what} config of the snapshot is applied on the target. Without it, a config the target does not know (a vendor's, one Kafka removed) is left out and counted as an expected difference; with it, that fails the assumption.`,
    );
export const topicConfigsAcceptedAssumptionSchema = configsAccepted('topic-configs-accepted', 'topic');
export const brokerConfigsAcceptedAssumptionSchema = configsAccepted('broker-configs-accepted', 'dynamic broker');

export const assumptionSchema = z.discriminatedUnion('type', [
  topicConfigAssumptionSchema,
  groupOffsetAssumptionSchema,
  aclAssumptionSchema,
  userExistsAssumptionSchema,
  quotaAssumptionSchema,
  brokerConfigAssumptionSchema,
  tlsTrustedAssumptionSchema,
  tlsExpiryAssumptionSchema,
  topicConfigsAcceptedAssumptionSchema,
  brokerConfigsAcceptedAssumptionSchema,
]);

export const manualStepSchema = z.strictObject({
  id,
  title: name,
  owner: name,
  phase: z.enum(drillPhases),
  estimateMinutes: z.number().min(0),
  automate: z
    .strictObject({
      command: z.union([z.string().min(1), z.array(z.string()).min(1)], { error: 'expected a command string or a list of arguments' }),
      timeoutMs: positiveInt.optional(),
      env: z.record(z.string(), z.string()).optional(),
    })
    .optional()
    .describe('A command that does the step, so a drill can run it instead of waiting for a person.'),
});

export const objectivesSchema = z.strictObject({
  rtoMinutes: z.number().positive().optional(),
  maxManualSteps: nonNegativeInt.optional(),
  maxFailedAssumptions: nonNegativeInt.optional(),
  maxSkippedChecks: nonNegativeInt.optional().describe('Probe checks that could not be exercised (counted as skipped, never as passed) the drill tolerates.'),
  rpoSeconds: z
    .number()
    .min(0)
    .optional()
    .describe('restore.data: mirror: at cut-over, no partition holds a source record the mirror had not copied that is older than this many seconds.'),
  maxReplayRecords: nonNegativeInt.optional().describe('restore.data: mirror: no group re-reads more records than this after the cut-over (summed over its partitions).'),
});

/*
 * Rollback decisions: when a cutover would be rolled back, and what the rollback is. The drill
 * records the decision it would have taken (promote or rollback) and the checks that led to it.
 */

/** An asset name, exact or a glob where `*` matches any text and `?` one character. */
const assetPattern = z.string().min(1);

/**
 * Which assets a trigger is about. Every selector given must match (an empty selector matches
 * all). An owning team (`team:`, from the spec's ownership map) is meant to plug in here, beside
 * the patterns.
 */
const rollbackSelector = {
  principals: z.array(assetPattern).min(1).optional().describe('Principals as "User:<name>", exact or a glob ("User:svc-*").'),
  topics: z.array(assetPattern).min(1).optional().describe('Topic names, exact or a glob ("payments.*"); a check on another kind of resource does not match.'),
};

export const objectiveKeys = ['rtoMinutes', 'maxManualSteps', 'maxFailedAssumptions', 'maxSkippedChecks', 'rpoSeconds', 'maxReplayRecords'] as const;

const triggerCommon = { id: id.optional().describe('Names the trigger in the result; default "<type>-<position>".'), description: z.string().optional() };

export const rollbackTriggerSchema = z.discriminatedUnion('type', [
  z
    .strictObject({ type: z.literal('authorization-failed'), ...triggerCommon, ...rollbackSelector })
    .describe('Any failed check of an authorization probe whose principal (and topic, when given) matches.'),
  z
    .strictObject({
      type: z.literal('replay'),
      ...triggerCommon,
      maxRecords: nonNegativeInt.describe('A group re-reading more records than this after the cutover (summed over its partitions) triggers.'),
      groups: z.array(assetPattern).min(1).optional().describe('Consumer groups, exact or a glob; omitted: every group.'),
    })
    .describe("Replay beyond a bound, as measured by the offsets probe's consumers and by the mirror's cut-over."),
  z
    .strictObject({
      type: z.literal('rto-missed'),
      ...triggerCommon,
      minutes: z.number().positive().optional().describe("The bound on the cutover's projected RTO; omitted: objectives.rtoMinutes."),
    })
    .describe("The cutover's projected RTO (measured + open manual steps, before any rollback) is beyond the bound."),
  z
    .strictObject({
      type: z.literal('probe-failed'),
      ...triggerCommon,
      probe: id.describe('A probe id of this spec (every client cell of it counts).'),
      skipped: z.boolean().default(false).describe('Also trigger when every check of the probe was skipped (it proved nothing).'),
    })
    .describe('A must-have probe failed or could not run. A cell declared in expectedFailures does not trigger.'),
  z
    .strictObject({
      type: z.literal('objective-missed'),
      ...triggerCommon,
      objective: z.enum(objectiveKeys).optional().describe('The objective (its key under objectives:); omitted: any objective.'),
    })
    .describe("An objective is missed, judged on the cutover (before any rollback's time is added)."),
]);

export const rollbackStepSchema = z.strictObject({
  id,
  title: name,
  owner: name,
  estimateMinutes: z.number().min(0),
  automate: manualStepSchema.shape.automate,
});

export const rollbackSchema = z.strictObject({
  expect: z
    .enum(['promote', 'rollback'])
    .default('promote')
    .describe('The decision this drill should reach. A different decision fails the run; `rollback` is for a drill that rehearses the rollback on purpose.'),
  when: z.array(rollbackTriggerSchema).min(1).superRefine(uniqueIds('rollback.when')).describe('Any trigger that fires decides rollback.'),
  steps: z
    .array(rollbackStepSchema)
    .superRefine(uniqueIds('rollback.steps'))
    .default([])
    .describe('The rollback: done when the decision is rollback, and added to the projected RTO (automated ones by their measured time, the rest by their estimate).'),
});

/** Rollback triggers must name what exists: a probe of this spec, a bound for the RTO. */
function rollbackReferences(
  spec: { probes: { id?: string | undefined; type: string }[]; objectives: { rtoMinutes?: number | undefined }; rollback?: z.output<typeof rollbackSchema> | undefined },
  context: z.RefinementCtx,
): void {
  const probeIds = spec.probes.map((probe, index) => probe.id ?? `${probe.type}-${index + 1}`);
  spec.rollback?.when.forEach((trigger, index) => {
    const path = ['rollback', 'when', index];
    if (trigger.type === 'probe-failed' && !probeIds.includes(trigger.probe)) {
      context.addIssue({ code: 'custom', path: [...path, 'probe'], message: `no probe "${trigger.probe}" in this spec (probes: ${probeIds.join(', ') || 'none'})` });
    }
    if (trigger.type === 'rto-missed' && trigger.minutes === undefined && spec.objectives.rtoMinutes === undefined) {
      context.addIssue({ code: 'custom', path: [...path, 'minutes'], message: 'give minutes, or set objectives.rtoMinutes' });
    }
  });
}

/**
 * owners: which team owns what, so every finding, failed or skipped check, failed assumption and
 * manual step names its team. A pattern is a literal name, or a glob where `*` stands for any run
 * of characters and `?` for one (`payments.*` is a prefix). The most specific pattern wins: a
 * literal over any glob, then the glob with more fixed characters, then spec order.
 */
export const ownerTeamName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9 ._-]*$/, { error: 'expected a team name: letters, digits, space, ".", "_" or "-", starting with a letter or digit' });

const ownerPattern = (what: string, check: (text: string) => string | undefined = () => undefined) =>
  z
    .string()
    .min(1, { error: `expected a ${what} name or glob` })
    .superRefine((pattern, context) => {
      if (pattern.includes('**')) context.addIssue({ code: 'custom', message: `"${pattern}": write one * for any run of characters, not **` });
      const problem = check(pattern);
      if (problem) context.addIssue({ code: 'custom', message: `"${pattern}": ${problem}` });
    });

const ownerTopicPattern = ownerPattern('topic', (pattern) =>
  /^[a-zA-Z0-9._*?-]+$/.test(pattern) ? undefined : 'a topic name has only letters, digits, ".", "_" and "-" (and * or ? in a glob)',
);
const ownerPrincipalPattern = ownerPattern('principal', (pattern) => (/^User:.+$/.test(pattern) ? undefined : 'expected "User:<name or glob>"'));

export const ownerTeamSchema = z
  .strictObject({
    topics: z.array(ownerTopicPattern).default([]),
    groups: z.array(ownerPattern('group')).default([]),
    principals: z.array(ownerPrincipalPattern).default([]).describe('Principals as "User:<name>": their ACLs, SCRAM users, quotas and authorization checks.'),
    connectors: z.array(ownerPattern('connector')).default([]),
  })
  .refine((team) => team.topics.length + team.groups.length + team.principals.length + team.connectors.length > 0, {
    error: 'give at least one of topics, groups, principals, connectors',
  });

export const ownersSchema = z
  .strictObject({
    teams: z
      .record(ownerTeamName, ownerTeamSchema)
      .default({})
      .describe('Each team and the assets it owns: topic, group, principal and connector patterns (a literal name, or a glob with * and ?).'),
    defaults: z
      .strictObject({
        brokers: ownerTeamName.default('platform').describe('Broker and cluster configs, the environment, anything about the cluster as a whole.'),
        topics: ownerTeamName.default('platform').describe('Topics no team pattern matches.'),
        groups: ownerTeamName.default('application').describe('Consumer groups no team pattern matches.'),
        connectors: ownerTeamName.default('data').describe('Connectors no team pattern matches.'),
        security: ownerTeamName.default('security').describe('ACLs, SCRAM users, quotas and certificates, and principals no team pattern matches.'),
      })
      .prefault({}),
  })
  .superRefine((owners, context) => {
    // A literal or glob owned twice is a contradiction, not a tie to break by order.
    const seen = new Map<string, string>();
    for (const [team, assets] of Object.entries(owners.teams)) {
      for (const key of ['topics', 'groups', 'principals', 'connectors'] as const) {
        assets[key].forEach((pattern, index) => {
          const first = seen.get(`${key}\0${pattern}`);
          if (first !== undefined) context.addIssue({ code: 'custom', path: ['teams', team, key, index], message: `"${pattern}" is already owned by team ${first}` });
          else seen.set(`${key}\0${pattern}`, team);
        });
      }
    }
  });

export const drillSpecSchema = z
  .strictObject({
    $schema: z.string().optional().describe('Lets a JSON spec name its schema for editors.'),
    name: name.optional().describe("The drill's name; defaults to the spec's file name without its extension."),
    description: z.string().optional(),
    snapshot: z.string().min(1).optional().describe('The snapshot file, relative to this spec. Give either snapshot or source.'),
    source: z
      .strictObject({
        bootstrap: z.string().min(1).describe('The live cluster: host:port, comma-separated for several.'),
        commandConfig: z
          .string()
          .min(1)
          .optional()
          .describe(
            'Java client properties (security.protocol, sasl.*, ssl.*), relative to this spec. Read-only rights are all the drill needs (Describe, DescribeConfigs and Read on topics, Describe on groups): it never writes to the source.',
          ),
      })
      .optional()
      .describe(
        'A live cluster captured at drill start (record fingerprints included), instead of a snapshot file; the capture is kept with the evidence. Required by restore.data: mirror.',
      ),
    out: z.string().min(1).optional().describe('Where the drill writes result.json and its reports, relative to this spec.'),
    target: targetSchema.prefault({}),
    restore: restoreSchema.prefault({}),
    probes: z.array(probeSchema).superRefine(uniqueIds('probes')).default([]),
    clients: clientList
      .default(['kafkajs'])
      .describe('Client classes the produce-consume, authorization and offsets probes run through, unless a probe names its own (the client matrix).'),
    expectedFailures: z
      .array(expectedFailureSchema)
      .default([])
      .describe('Known red cells of the client matrix: still shown red, but they do not fail the drill; a declared failure that passes does.'),
    assumptions: z.array(assumptionSchema).superRefine(uniqueIds('assumptions')).default([]),
    manualSteps: z.array(manualStepSchema).superRefine(uniqueIds('manualSteps')).default([]),
    objectives: objectivesSchema.prefault({}),
    rollback: rollbackSchema.optional().describe('When a cutover would be rolled back, and the rollback; the result records the decision.'),
    owners: ownersSchema.prefault({}).describe('Which team owns which topics, groups, principals and connectors; every finding and check names its owner.'),
    sampling: samplingSchema.prefault({}),
  })
  .superRefine((spec, context) => {
    if ((spec.snapshot === undefined) === (spec.source === undefined)) {
      context.addIssue({
        code: 'custom',
        path: ['snapshot'],
        message: 'give either snapshot (a file) or source (a live cluster captured at drill start), not both and not neither',
      });
    }
    if (spec.restore.data === 'mirror') {
      if (spec.source === undefined) context.addIssue({ code: 'custom', path: ['restore', 'data'], message: 'data: mirror copies records from a live cluster: it needs source' });
      if (spec.target.provider === 'external') {
        context.addIssue({
          code: 'custom',
          path: ['restore', 'data'],
          message: 'data: mirror runs MirrorMaker 2 in Connect workers the drill starts: give provider "process" or "docker" (an external target has none)',
        });
      }
    }
    const security = spec.target.security;
    spec.probes.forEach((probe, index) => {
      // Over plaintext and ssl every client is User:ANONYMOUS, so there is no principal to probe as.
      if (probe.type === 'authorization' && !authenticatedModes.includes(security)) {
        context.addIssue({ code: 'custom', path: ['probes', index, 'type'], message: 'authorization probes need target.security: scram, mtls or sasl_ssl' });
      }
      // The quota probe logs in with SASL/SCRAM over plaintext as restored users.
      if (probe.type === 'quota' && security !== 'scram') {
        context.addIssue({ code: 'custom', path: ['probes', index, 'type'], message: 'quota probes need target.security: scram (user quotas need users)' });
      }
      if (probe.type === 'connector-idempotency' && probe.store && 'postgres' in probe.store && probe.store.postgres.url === undefined && !spec.target.postgres) {
        context.addIssue({ code: 'custom', path: ['probes', index, 'store', 'postgres', 'url'], message: "required unless target.postgres starts the drill's own PostgreSQL" });
      }
    });
    // Its values exist only when the environment starts the drill's PostgreSQL: found here, not after Kafka started.
    for (const [name, { config = {} }] of Object.entries(spec.restore.connectors)) {
      for (const [key, value] of Object.entries(config)) {
        const needed = placeholdersIn(value).filter((placeholder) => placeholder.startsWith('drill.postgres.'));
        if (needed.length > 0 && !spec.target.postgres) {
          context.addIssue({
            code: 'custom',
            path: ['restore', 'connectors', name, 'config', key],
            message: `\${${needed[0]}} needs target.postgres: true (the drill's own PostgreSQL, which gives it its value)`,
          });
        }
      }
    }
  })
  .superRefine(rollbackReferences);

/** What a spec file may contain (before defaults). */
export type DrillSpecInput = z.input<typeof drillSpecSchema>;
/** A validated spec with defaults applied; `name` is always set by the loader. */
export type DrillSpec = Omit<z.output<typeof drillSpecSchema>, 'name' | '$schema'> & { name: string };
export type Target = DrillSpec['target'];
export type RestoreSpec = DrillSpec['restore'];
export type CredentialSource = z.output<typeof credentialSource>;
export type ProbeSpec = z.output<typeof probeSchema>;
export type ExpectedFailure = z.output<typeof expectedFailureSchema>;
export type AuthorizationProbeSpec = z.output<typeof authorizationProbeSchema>;
export type OffsetsProbeSpec = z.output<typeof offsetsProbeSchema>;
export type ProduceConsumeProbeSpec = z.output<typeof produceConsumeProbeSchema>;
export type CustomProbeSpec = z.output<typeof customProbeSchema>;
export type ConnectorIdempotencyProbeSpec = z.output<typeof connectorIdempotencyProbeSchema>;
export type QuotaProbeSpec = z.output<typeof quotaProbeSchema>;
export type RecordsConsumedProbeSpec = z.output<typeof recordsConsumedProbeSchema>;
export type ConsumerLagProbeSpec = z.output<typeof consumerLagProbeSchema>;
export type StreamsProbeSpec = z.output<typeof streamsProbeSchema>;
export type AssumptionSpec = z.output<typeof assumptionSchema>;
export type ManualStepSpec = z.output<typeof manualStepSchema>;
export type RollbackSpec = z.output<typeof rollbackSchema>;
export type RollbackTriggerSpec = z.output<typeof rollbackTriggerSchema>;
export type RollbackStepSpec = z.output<typeof rollbackStepSchema>;
export type OwnersSpec = z.output<typeof ownersSchema>;

/** The Kafka versions a drill runs against, in spec order; empty means "the snapshot's version". */
export function targetKafkaVersions(target: Target): string[] {
  if (target.kafkaVersion === undefined) return [];
  return Array.isArray(target.kafkaVersion) ? target.kafkaVersion : [target.kafkaVersion];
}
