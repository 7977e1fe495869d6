import { keyedByTargetBroker, type BrokerMapping } from '../environment/broker-ids.js';
import type { ConnectEndpoint } from '../kafka/connect-rest.js';
import type { KafkaConnection } from '../kafka/connection.js';
import { captureConnect } from '../snapshot/capture-connect.js';
import { captureSnapshot } from '../snapshot/capture.js';
import { compareSnapshots, diffSnapshots, summarizeDiff, type DeclaredDifference, type Difference, type DiffSummary } from '../snapshot/diff.js';
import type { Snapshot, SnapshotContent } from '../snapshot/schema.js';
import { streamsApplicationOfObject, streamsApplicationsOf } from '../snapshot/streams.js';
import { translateSnapshot, type OffsetMap } from '../restore/offset-map.js';
import { mirroredSnapshot } from '../restore/mirror.js';
import type { MirrorOutcome } from '../restore/phase.js';
import type { PhaseResult } from '../restore/phase.js';

/** A difference, and the Streams application whose group or internal topic it is about. */
export type VerifiedDifference = Difference & { streamsApplication?: string };

export interface VerifyOutcome {
  /** The restored cluster as verify captured it. */
  capture: SnapshotContent;
  differences: VerifiedDifference[];
  /** Objects compared that came back identical (exact, from the diff). */
  matched: number;
  summary: DiffSummary;
  durationMs: number;
}

function captureLike(connection: KafkaConnection, snapshot: Snapshot, toolVersion: string): Promise<SnapshotContent> {
  const { include, exclude } = snapshot.source.filters;
  return captureSnapshot(connection, {
    toolVersion,
    ...(include.length ? { include: new RegExp(include.join('|')) } : {}),
    ...(exclude.length ? { exclude: new RegExp(exclude.join('|')) } : {}),
  });
}

/** The fresh target as it was before the restore: what it has of its own is not drift. */
export function captureBaseline(connection: KafkaConnection, snapshot: Snapshot, toolVersion: string): Promise<SnapshotContent> {
  return captureLike(connection, snapshot, toolVersion);
}

/**
 * Differences the restore already reported as findings, so verify does not count them twice as
 * drift: a replication factor clamped to the broker count, configs the target refused or does not know.
 */
function declaredByRestore(phases: PhaseResult[]): DeclaredDifference[] {
  const declared: DeclaredDifference[] = [];
  for (const finding of phases.flatMap((phase) => phase.findings)) {
    if (finding.code === 'replication-clamped' || finding.code === 'replication-differs') {
      declared.push({ kind: 'replication-factor', object: finding.object, reason: finding.message });
    } else if (finding.code === 'broker-absent') {
      declared.push({ kind: 'cluster-config', object: `${finding.object} config *`, reason: finding.message });
    } else if (finding.code === 'config-set-at-start-up' || finding.code === 'config-exceeds-drill-heap') {
      declared.push({ kind: 'cluster-config', object: finding.object, reason: finding.message });
    } else if (finding.code === 'config-not-applied') {
      // A config the target does not know (vendor, removed): the reason is the finding's.
      declared.push({ kind: finding.object.startsWith('topic ') ? 'topic-config' : 'cluster-config', object: finding.object, reason: finding.message });
    } else if (finding.code === 'drill-admin-not-restored') {
      // The target's own admin stands there: whatever it holds is not drift.
      const reason = finding.message;
      if (finding.object.startsWith('scram-user ')) {
        declared.push({ kind: 'scram-user', object: finding.object, reason }, { kind: 'scram-credential', object: `${finding.object} *`, reason });
      } else declared.push({ kind: 'quota', object: `${finding.object} *`, reason });
    } else if (finding.code === 'topic-config-refused') {
      declared.push({ kind: 'topic-config', object: finding.object, reason: 'restore finding: the target refused this config' });
    } else if (finding.code === 'connector-plugin-missing' || finding.code === 'connector-secret-missing') {
      // Not created, and already a finding (and a manual step): not drift a second time.
      declared.push({ kind: 'connector', object: finding.object, reason: `restore finding: ${finding.message}` });
    } else if (finding.code === 'connector-isolated') {
      // Held STOPPED (no tasks), or not created, because it names an external system: already a finding and a manual step.
      for (const kind of ['connector', 'connector-state', 'connector-tasks'] as const)
        declared.push({ kind, object: finding.object, reason: `restore finding: ${finding.message}` });
    }
  }
  return declared;
}

/** Partitions whose lag past the synthetic budget was not reproduced: expected, with the reason. */
function truncatedLogs(offsetMap: OffsetMap, after: SnapshotContent): Difference[] {
  const ends = new Map(after.topics.flatMap((topic) => topic.partitionOffsets.map((p) => [`${topic.name}\u0000${p.partition}`, p.logEndOffset] as const)));
  return [...offsetMap.partitions()]
    .filter((partition) => partition.omitted > 0)
    .map((partition) => ({
      kind: 'log-end-offset',
      object: `topic ${partition.topic} partition ${partition.partition}`,
      expected: partition.source.logEnd,
      actual: ends.get(`${partition.topic}\u0000${partition.partition}`) ?? null,
      classification: 'expected',
      reason: `offset map: ${partition.omitted} source records before the log end are not reproduced (more than ${offsetMap.maxRecordsPerPartition} records per partition); source log end ${partition.source.logEnd} is target ${partition.target.logEnd}`,
    }));
}

/**
 * A connector restored PAUSED went through STOPPED (to set its offsets), and Connect creates a
 * connector's tasks only when it runs: until it is resumed it has none. Expected, not drift.
 */
function pausedConnectorTasks(snapshot: Snapshot): DeclaredDifference[] {
  return (snapshot.connect?.connectors ?? [])
    .filter((connector) => connector.state === 'PAUSED' && connector.tasks > 0)
    .map((connector) => ({
      kind: 'connector-tasks',
      object: `connector ${connector.name}`,
      reason: 'restored paused through STOPPED: Connect creates its tasks when it is resumed',
    }));
}

/**
 * Re-captures the target and diffs it against the snapshot. A difference where the snapshot has
 * nothing and the target already had the same thing before the restore (e.g. the cluster-level
 * min.insync.replicas Kafka 4.x writes at format time) is the target's own: classified expected.
 */
export interface VerifyOptions {
  baseline?: SnapshotContent;
  phases?: PhaseResult[];
  expected?: DeclaredDifference[];
  compareData: boolean;
  toolVersion: string;
  connect?: ConnectEndpoint;
  /** The drill's broker id mapping: a source broker's configs are expected on the target broker standing for it. */
  brokerMapping?: BrokerMapping;
  offsetMap?: OffsetMap;
  /** data: mirror — offsets are compared where the mirror's translation put them. */
  mirror?: MirrorOutcome;
  /** How long to re-read a target that still shows drift (default VERIFY_SETTLE_MS). */
  settleMs?: number;
}

export async function verifyRestore(connection: KafkaConnection, snapshot: Snapshot, options: VerifyOptions): Promise<VerifyOutcome> {
  const started = performance.now();
  const settleBy = Date.now() + (options.settleMs ?? VERIFY_SETTLE_MS);
  for (;;) {
    const outcome = await compareOnce(connection, snapshot, options);
    if (outcome.summary.drift === 0 || Date.now() >= settleBy) return { ...outcome, durationMs: Math.round(performance.now() - started) };
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/**
 * How long verify re-reads a target that still differs. In KRaft a broker answers ACL, quota,
 * SCRAM and config writes once the controller committed them, but serves Describe requests from
 * its own copy of the metadata log, which catches up a little later: a read right after the
 * restore can miss what was written (seen here: 0 of 37 ACLs, once, on 3.9.2).
 */
export const VERIFY_SETTLE_MS = 3_000;

async function compareOnce(connection: KafkaConnection, snapshot: Snapshot, options: VerifyOptions): Promise<Omit<VerifyOutcome, 'durationMs'>> {
  const after = await captureLike(connection, snapshot, options.toolVersion);
  // Connect is compared when the snapshot has it and the target runs a worker; a snapshot with
  // connectors and no worker leaves after.connect unset, which the diff reports once.
  if (snapshot.connect && options.connect) after.connect = (await captureConnect(options.connect, after)).connect;
  const expected = [...(options.expected ?? []), ...declaredByRestore(options.phases ?? []), ...pausedConnectorTasks(snapshot)];
  const byBroker = options.brokerMapping
    ? { ...snapshot, clusterConfigs: { ...snapshot.clusterConfigs, perBroker: keyedByTargetBroker(snapshot.clusterConfigs.perBroker, options.brokerMapping) } }
    : snapshot;
  // Offsets are compared where the offset map put them, never as the source's numbers.
  const wanted = options.offsetMap ? translateSnapshot(byBroker, options.offsetMap) : options.mirror ? mirroredSnapshot(byBroker, options.mirror) : byBroker;
  const { differences, matched } = compareSnapshots(wanted, after, { expected, compareData: options.compareData });
  if (options.offsetMap) for (const difference of truncatedLogs(options.offsetMap, after)) differences.push(difference);
  if (options.baseline) {
    const before = diffSnapshots(wanted, options.baseline, { compareData: options.compareData });
    for (const difference of differences) {
      if (difference.classification !== 'drift' || difference.expected !== null) continue;
      const alreadyThere = before.some((b) => b.kind === difference.kind && b.object === difference.object && JSON.stringify(b.actual) === JSON.stringify(difference.actual));
      if (alreadyThere) Object.assign(difference, { classification: 'expected', reason: 'the fresh target had it before the restore' });
    }
  }
  const applications = streamsApplicationsOf(snapshot);
  const grouped = differences.map((difference): VerifiedDifference => {
    const streamsApplication = streamsApplicationOfObject(difference.object, applications);
    return streamsApplication === undefined ? difference : { ...difference, streamsApplication };
  });
  return { capture: after, differences: grouped, matched, summary: summarizeDiff(grouped) };
}
