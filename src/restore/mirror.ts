/**
 * Data by mirror: MirrorMaker 2 — Kafka's own connectors, in the drill's Connect workers — copies
 * the live source's records into the target, then the drill cuts over as an operator would.
 *
 * 1. Creates MirrorSourceConnector (identity replication policy, so topic names stay; ACL and
 *    config sync off: the restore does those) and MirrorCheckpointConnector. Both keep their
 *    offset-syncs topic on the target: nothing is ever written to the source.
 * 2. Waits until every mirrored partition has copied the source's records up to the log end it
 *    had when the wait began, or the catch-up timeout passes; samples the lag every second.
 * 3. Cuts over: stops both connectors, reads where the source connector got to per partition,
 *    and records the RPO (source offsets not copied, and the age of the oldest such record).
 * 4. Translates each group's committed offset twice: from MirrorMaker's last checkpoint, and
 *    exactly — the target offset of the record the group committed at on the source, found by
 *    its fingerprint. The offsets phase commits the one the spec chose.
 * 5. Deletes the connectors and MirrorMaker's own topics, so the target holds the restore only.
 */
import type { Admin } from '@platformatic/kafka';
import { errorMessage } from '../errors.js';
import { withAdmin } from '../kafka/admin.js';
import { createConnector, deleteConnector, getConnectorOffsets, stopConnector, type ConnectEndpoint } from '../kafka/connect-rest.js';
import { listLogOffsets, partitionKey, type TopicPartition } from '../kafka/log-offsets.js';
import { parseCheckpoint } from '../kafka/mirror-checkpoint.js';
import { fetchRecordsAt, scanRecords, type FetchedRecord, type RecordPosition } from '../kafka/records.js';
import { retryTransient } from '../kafka/retry.js';
import type { MirrorEvidence, MirrorGroupPartition, MirrorPartition } from '../model/result.js';
import { recordFingerprint } from '../snapshot/fingerprint.js';
import type { CommittedOffset, ConsumerGroup, Snapshot, SnapshotContent } from '../snapshot/schema.js';
import type { MirrorOptions, MirrorOutcome, PhaseRecorder } from './phase.js';

export const SOURCE_ALIAS = 'source';
export const MIRROR_SOURCE_CONNECTOR = 'kafka-drill-mirror-source';
export const MIRROR_CHECKPOINT_CONNECTOR = 'kafka-drill-mirror-checkpoint';
/** MirrorMaker's topics on the target (identity policy, offset syncs kept on the target). */
const CHECKPOINTS_TOPIC = `${SOURCE_ALIAS}.checkpoints.internal`;
const OFFSET_SYNCS_TOPIC = `mm2-offset-syncs.${SOURCE_ALIAS}.internal`;
const CHECKPOINT_INTERVAL_SECONDS = 1;
const POLL_MS = 1_000;

interface PartitionState {
  topic: string;
  partition: number;
  /** Next source offset the mirror has to copy (connector offset + 1); log start when it copied none. */
  mirroredNext: number;
}

export async function runMirror(
  context: { admin: Admin; snapshot: Snapshot; signal?: AbortSignal | undefined; transientDeadlineMs: number },
  connect: ConnectEndpoint,
  options: MirrorOptions,
  recorder: PhaseRecorder,
): Promise<MirrorOutcome> {
  const { admin: target, snapshot } = context;
  const patterns = options.topics ?? snapshot.topics.map((topic) => `^${escapeRegex(topic.name)}$`);
  const matcher = new RegExp(patterns.map((p) => `(?:${p})`).join('|'));
  const mirrored = snapshot.topics.filter((topic) => matcher.test(topic.name));
  const partitions: TopicPartition[] = mirrored.flatMap((topic) => Array.from({ length: topic.partitions }, (_, partition) => ({ topic: topic.name, partition })));
  recorder.plan(partitions.length, 'partitions');

  const started = performance.now();
  const common = {
    'source.cluster.alias': SOURCE_ALIAS,
    'target.cluster.alias': 'target',
    ...prefixed('source.cluster.', options.sourceProperties),
    ...prefixed('target.cluster.', options.targetProperties),
    'replication.policy.class': 'org.apache.kafka.connect.mirror.IdentityReplicationPolicy',
    'offset-syncs.topic.location': 'target',
    'offset-syncs.topic.replication.factor': '1',
    'key.converter': 'org.apache.kafka.connect.converters.ByteArrayConverter',
    'value.converter': 'org.apache.kafka.connect.converters.ByteArrayConverter',
    'header.converter': 'org.apache.kafka.connect.converters.ByteArrayConverter',
  };
  await recorder.request(
    createConnector(connect, MIRROR_SOURCE_CONNECTOR, {
      ...common,
      'connector.class': 'org.apache.kafka.connect.mirror.MirrorSourceConnector',
      topics: patterns.join(','),
      'topics.exclude': '',
      'sync.topic.acls.enabled': 'false',
      'sync.topic.configs.enabled': 'false',
      'refresh.topics.interval.seconds': '5',
      // Aborted transactions are not data: consumers reading committed data never see them.
      'source.consumer.isolation.level': 'read_committed',
    }),
  );
  await recorder.request(
    createConnector(connect, MIRROR_CHECKPOINT_CONNECTOR, {
      ...common,
      'connector.class': 'org.apache.kafka.connect.mirror.MirrorCheckpointConnector',
      topics: patterns.join(','),
      'topics.exclude': '',
      groups: '.*',
      'emit.checkpoints.interval.seconds': String(CHECKPOINT_INTERVAL_SECONDS),
      'refresh.groups.interval.seconds': String(CHECKPOINT_INTERVAL_SECONDS),
      'sync.group.offsets.enabled': 'false',
      'checkpoints.topic.replication.factor': '1',
    }),
  );

  const lag: MirrorEvidence['lag'] = [];
  let copyMs = 0;
  let states: PartitionState[] = [];
  let caughtUp = false;
  try {
    await withAdmin(options.source, async (source) => {
      const logStarts = await retryTransient(() => listLogOffsets(source, partitions, 'earliest'), context.transientDeadlineMs);
      // The source keeps taking writes: catching up means reaching the log end it had when the wait began.
      const goal = await retryTransient(() => listLogOffsets(source, partitions, 'latest'), context.transientDeadlineMs);
      const deadline = Date.now() + options.catchUpTimeoutMs;
      for (;;) {
        context.signal?.throwIfAborted();
        states = await mirrorPositions(connect, partitions, logStarts);
        const behind = states.reduce((sum, state) => sum + Math.max(0, Number(goal.get(partitionKey(state.topic, state.partition)) ?? 0n) - state.mirroredNext), 0);
        lag.push({ atMs: Math.round(performance.now() - started), behindOffsets: behind });
        recorder.produced(states.reduce((sum, state) => sum + (state.mirroredNext - Number(logStarts.get(partitionKey(state.topic, state.partition)) ?? 0n)), 0));
        caughtUp = behind === 0 || (await onlyMarkersLeft(source, states, goal));
        copyMs = Math.round(performance.now() - started);
        if (caughtUp || Date.now() >= deadline) break;
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
    });
    // One more checkpoint interval: MirrorMaker translates the last positions only after it copied them.
    if (caughtUp) await new Promise((resolve) => setTimeout(resolve, (CHECKPOINT_INTERVAL_SECONDS + 1) * 1_000));
  } finally {
    // Cut-over: nothing more is copied from here on (stopping flushes the source connector's offsets).
    await Promise.allSettled([stopConnector(connect, MIRROR_SOURCE_CONNECTOR), stopConnector(connect, MIRROR_CHECKPOINT_CONNECTOR)]);
  }
  const cutoverAt = Date.now();

  return withAdmin(options.source, async (source) => {
    const logStarts = await retryTransient(() => listLogOffsets(source, partitions, 'earliest'), context.transientDeadlineMs);
    states = await settledPositions(connect, partitions, logStarts);
    const sourceEnds = await retryTransient(() => listLogOffsets(source, partitions, 'latest'), context.transientDeadlineMs);
    const targetEnds = await retryTransient(() => listLogOffsets(target, partitions, 'latest'), context.transientDeadlineMs);
    const sourcePositions = await recordPositions(
      source,
      mirrored.map((topic) => topic.name),
    );
    const targetPositions = await recordPositions(
      target,
      mirrored.map((topic) => topic.name),
    );

    // RPO: the oldest source record the mirror had not copied at cut-over.
    const firstNotCopied = await fetchRecordsAt(
      source,
      states.flatMap((state) => {
        const at = sourcePositions.get(partitionKey(state.topic, state.partition));
        return at && state.mirroredNext < Number(sourceEnds.get(partitionKey(state.topic, state.partition)) ?? 0n) ? [{ ...at, offset: BigInt(state.mirroredNext) }] : [];
      }),
      'committed',
    );
    const partitionEvidence: MirrorPartition[] = states.map((state) => {
      const key = partitionKey(state.topic, state.partition);
      const sourceEnd = Number(sourceEnds.get(key) ?? 0n);
      const lost = firstNotCopied.get(key);
      return {
        topic: state.topic,
        partition: state.partition,
        sourceLogEnd: sourceEnd,
        mirroredTo: state.mirroredNext,
        targetLogEnd: Number(targetEnds.get(key) ?? 0n),
        behindOffsets: lost ? sourceEnd - state.mirroredNext : 0,
        behindSeconds: lost ? Math.max(0, (cutoverAt - Number(lost.timestamp)) / 1000) : 0,
      };
    });
    recorder.advance(partitions.length);

    const checkpoints = await readCheckpoints(target);
    const groups = await translateGroups(snapshot.consumerGroups, matcher, states, checkpoints, source, target, sourcePositions, targetPositions, targetEnds, options.offsets);
    await cleanUp(connect, target, new Set(snapshot.topics.map((topic) => topic.name)), recorder);

    const records = partitionEvidence.reduce((sum, p) => sum + p.targetLogEnd, 0);
    const evidence: MirrorEvidence = {
      topics: mirrored.map((topic) => topic.name),
      left: snapshot.topics.filter((topic) => !matcher.test(topic.name)).map((topic) => topic.name),
      caughtUp,
      catchUpTimeoutSeconds: options.catchUpTimeoutMs / 1000,
      copyMs,
      records,
      recordsPerSecond: copyMs > 0 ? Math.round((records / copyMs) * 1000) : 0,
      rpoSeconds: Math.max(0, ...partitionEvidence.map((p) => p.behindSeconds)),
      rpoOffsets: partitionEvidence.reduce((sum, p) => sum + p.behindOffsets, 0),
      offsets: options.offsets,
      lag,
      partitions: partitionEvidence,
      groups,
    };
    for (const p of partitionEvidence.filter((entry) => entry.behindOffsets > 0)) {
      recorder.finding(
        'mirror-behind',
        'warning',
        `topic ${p.topic} partition ${p.partition}`,
        `at cut-over the mirror had copied up to source offset ${p.mirroredTo} of ${p.sourceLogEnd}: ${p.behindOffsets} offset(s) not copied, the oldest written ${p.behindSeconds.toFixed(1)} s before`,
      );
    }
    for (const group of snapshot.consumerGroups) {
      const left = [...new Set(group.offsets.filter((o) => !matcher.test(o.topic)).map((o) => o.topic))];
      if (left.length > 0)
        recorder.finding(
          'mirror-topic-left-out',
          'error',
          `group ${group.groupId}`,
          `commits on ${left.join(', ')}, which the mirror does not copy: it cannot resume on the target`,
        );
    }
    for (const entry of groups.filter((g) => g.checkpoint === null && g.exact !== null)) {
      recorder.finding(
        'mirror-no-checkpoint',
        'warning',
        `group ${entry.group} ${entry.topic}-${entry.partition}`,
        `MirrorMaker emitted no checkpoint for it: after a MirrorMaker failover it would start where auto.offset.reset says${options.offsets === 'checkpoint' ? '; the drill committed the exact translation instead' : ''}`,
      );
    }
    const byKey = new Map(groups.map((entry) => [`${entry.group}\u0000${entry.topic}\u0000${entry.partition}`, entry]));
    const entry = (groupId: string, committed: Pick<CommittedOffset, 'topic' | 'partition'>) => byKey.get(`${groupId}\u0000${committed.topic}\u0000${committed.partition}`);
    return {
      evidence,
      entry,
      translate(groupId, committed) {
        const found = entry(groupId, committed);
        if (!found || found.target === null)
          return { offset: committed.offset, exact: false, kind: 'in-log', reason: found?.note ?? 'not translated: the mirror did not copy this partition' };
        return { offset: found.target, exact: found.target === found.exact, kind: 'in-log', reason: found.note };
      },
    };
  });
}

function prefixed(prefix: string, properties: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(properties).map(([key, value]) => [`${prefix}${key}`, value]));
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Where the source connector got to, per partition, from its committed Connect offsets. */
async function mirrorPositions(connect: ConnectEndpoint, partitions: TopicPartition[], logStarts: Map<string, bigint>): Promise<PartitionState[]> {
  const offsets = await getConnectorOffsets(connect, MIRROR_SOURCE_CONNECTOR).catch(() => []);
  const copied = new Map<string, number>();
  for (const entry of offsets) {
    const partition = entry.partition as { topic?: string; partition?: number };
    const offset = (entry.offset as { offset?: number } | null)?.offset;
    if (typeof partition.topic === 'string' && typeof partition.partition === 'number' && typeof offset === 'number')
      copied.set(partitionKey(partition.topic, partition.partition), offset + 1);
  }
  return partitions.map(({ topic, partition }) => {
    const key = partitionKey(topic, partition);
    return { topic, partition, mirroredNext: Math.max(copied.get(key) ?? 0, Number(logStarts.get(key) ?? 0n)) };
  });
}

/** After the stop: the connector's offsets, read until two reads agree (the stop flushes them). */
async function settledPositions(connect: ConnectEndpoint, partitions: TopicPartition[], logStarts: Map<string, bigint>): Promise<PartitionState[]> {
  let last = await mirrorPositions(connect, partitions, logStarts);
  for (let read = 0; read < 5; read++) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const next = await mirrorPositions(connect, partitions, logStarts);
    if (JSON.stringify(next) === JSON.stringify(last)) return next;
    last = next;
  }
  return last;
}

/** True when what the mirror has not copied holds no data record (transaction markers, aborted records only). */
async function onlyMarkersLeft(source: Admin, states: PartitionState[], goal: Map<string, bigint>): Promise<boolean> {
  const behind = states.filter((state) => state.mirroredNext < Number(goal.get(partitionKey(state.topic, state.partition)) ?? 0n));
  const positions = await recordPositions(
    source,
    behind.map((state) => state.topic),
  );
  const found = await fetchRecordsAt(
    source,
    behind.flatMap((state) => {
      const at = positions.get(partitionKey(state.topic, state.partition));
      return at ? [{ ...at, offset: BigInt(state.mirroredNext) }] : [];
    }),
    'committed',
  );
  return behind.every((state) => {
    const record = found.get(partitionKey(state.topic, state.partition));
    return record === undefined || record.offset >= (goal.get(partitionKey(state.topic, state.partition)) ?? 0n);
  });
}

/** Leader and topic id of every partition of `topics`, for Fetch. */
async function recordPositions(admin: Admin, topics: string[]): Promise<Map<string, Omit<RecordPosition, 'offset'>>> {
  const positions = new Map<string, Omit<RecordPosition, 'offset'>>();
  if (topics.length === 0) return positions;
  const metadata = await retryTransient(() => admin.metadata({ topics: [...new Set(topics)], forceUpdate: true }));
  for (const [name, topic] of metadata.topics) {
    topic.partitions.forEach((partition, index) =>
      positions.set(partitionKey(name, index), { topic: name, topicId: topic.id, partition: index, leader: partition.leader, leaderEpoch: partition.leaderEpoch }),
    );
  }
  return positions;
}

/** The last checkpoint per group partition ("group\0topic\0partition" → downstream offset). */
async function readCheckpoints(target: Admin): Promise<Map<string, number>> {
  const checkpoints = new Map<string, number>();
  const topics = await target.listTopics();
  if (!topics.includes(CHECKPOINTS_TOPIC)) return checkpoints;
  const [position] = (await recordPositions(target, [CHECKPOINTS_TOPIC])).values();
  if (!position) return checkpoints;
  const end = (await listLogOffsets(target, [{ topic: CHECKPOINTS_TOPIC, partition: 0 }], 'latest')).get(partitionKey(CHECKPOINTS_TOPIC, 0)) ?? 0n;
  await scanRecords(target, position, 0n, end, (record) => {
    const checkpoint = parseCheckpoint(record.key, record.value);
    if (checkpoint) checkpoints.set(`${checkpoint.group}\u0000${checkpoint.topic}\u0000${checkpoint.partition}`, checkpoint.downstreamOffset);
    return false;
  });
  return checkpoints;
}

/**
 * Both translations of every committed offset on a mirrored partition. Exact: the source record a
 * consumer resuming at the committed offset reads first is looked up on the target by fingerprint,
 * scanning forward from the checkpoint (which never lies past it) — or from 0 without one.
 */
async function translateGroups(
  groups: ConsumerGroup[],
  matcher: RegExp,
  states: PartitionState[],
  checkpoints: Map<string, number>,
  source: Admin,
  target: Admin,
  sourcePositions: Map<string, Omit<RecordPosition, 'offset'>>,
  targetPositions: Map<string, Omit<RecordPosition, 'offset'>>,
  targetEnds: Map<string, bigint>,
  mode: MirrorOptions['offsets'],
): Promise<MirrorGroupPartition[]> {
  const copiedTo = new Map(states.map((state) => [partitionKey(state.topic, state.partition), state.mirroredNext]));
  const entries = groups.flatMap((group) => group.offsets.filter((o) => matcher.test(o.topic)).map((committed) => ({ group: group.groupId, committed })));
  // The record each committed offset resumes at, on the source, now (a live source may have written it since the capture).
  const resumeRecords = new Map<string, FetchedRecord>();
  for (const round of distinctRounds(entries.map((entry) => entry.committed))) {
    const found = await fetchRecordsAt(
      source,
      round.flatMap((committed) => {
        const at = sourcePositions.get(partitionKey(committed.topic, committed.partition));
        return at ? [{ ...at, offset: BigInt(committed.offset) }] : [];
      }),
      // What a read_committed consumer resuming there reads first: aborted transactions are never delivered.
      'committed',
    );
    for (const committed of round) {
      const record = found.get(partitionKey(committed.topic, committed.partition));
      if (record) resumeRecords.set(`${partitionKey(committed.topic, committed.partition)}\u0000${committed.offset}`, record);
    }
  }
  const result: MirrorGroupPartition[] = [];
  for (const { group, committed } of entries) {
    const key = partitionKey(committed.topic, committed.partition);
    const checkpoint = checkpoints.get(`${group}\u0000${committed.topic}\u0000${committed.partition}`) ?? null;
    const targetEnd = Number(targetEnds.get(key) ?? 0n);
    const record = resumeRecords.get(`${key}\u0000${committed.offset}`);
    let exact: number | null = null;
    let note: string;
    if (!record) {
      exact = targetEnd;
      note = 'the group had read everything on the source: it resumes at the target log end';
    } else if (Number(record.offset) >= (copiedTo.get(key) ?? 0)) {
      exact = targetEnd;
      note = `the record it resumes at (source offset ${record.offset}) was not copied before the cut-over: it resumes at the target log end`;
    } else {
      const position = targetPositions.get(key);
      const wanted = recordFingerprint(record).sha256;
      const match = (from: number, until: number): Promise<FetchedRecord | undefined> =>
        position ? scanRecords(target, position, BigInt(from), BigInt(until), (candidate) => recordFingerprint(candidate).sha256 === wanted) : Promise.resolve(undefined);
      const hint = Math.min(checkpoint ?? 0, targetEnd);
      const found = (await match(hint, targetEnd)) ?? (hint > 0 ? await match(0, hint) : undefined);
      exact = found ? Number(found.offset) : null;
      note = found
        ? `the record at source offset ${record.offset} is at target offset ${found.offset} (same sha256 of key, value, timestamp)`
        : `the record at source offset ${record.offset} was not found on the target`;
    }
    const chosen: number | null = mode === 'checkpoint' ? (checkpoint ?? exact) : (exact ?? checkpoint);
    result.push({
      group,
      topic: committed.topic,
      partition: committed.partition,
      committed: committed.offset,
      checkpoint,
      exact,
      sha256: record ? recordFingerprint(record).sha256 : null,
      checkpointReplay: checkpoint !== null && exact !== null ? exact - checkpoint : null,
      target: chosen,
      replay: chosen !== null && exact !== null ? exact - chosen : null,
      note,
    });
  }
  return result;
}

/** Committed offsets split so that no round names a partition twice (one Fetch position per partition). */
function distinctRounds(offsets: CommittedOffset[]): CommittedOffset[][] {
  const rounds: CommittedOffset[][] = [];
  const seen = new Set<string>();
  for (const committed of offsets) {
    const id = `${partitionKey(committed.topic, committed.partition)}\u0000${committed.offset}`;
    if (seen.has(id)) continue;
    seen.add(id);
    const round = rounds.find((candidate) => !candidate.some((other) => other.topic === committed.topic && other.partition === committed.partition));
    if (round) round.push(committed);
    else rounds.push([committed]);
  }
  return rounds;
}

/** The target keeps the restore only: MirrorMaker's connectors and topics go. */
async function cleanUp(connect: ConnectEndpoint, target: Admin, restored: Set<string>, recorder: PhaseRecorder): Promise<void> {
  for (const name of [MIRROR_SOURCE_CONNECTOR, MIRROR_CHECKPOINT_CONNECTOR]) {
    await recorder.request(deleteConnector(connect, name)).catch((error: unknown) => {
      recorder.finding('mirror-cleanup-failed', 'warning', `connector ${name}`, `could not be deleted: ${errorMessage(error)}`);
    });
  }
  const topics = await target.listTopics();
  const mirrorTopics = topics.filter((topic) => (topic === CHECKPOINTS_TOPIC || topic === OFFSET_SYNCS_TOPIC) && !restored.has(topic));
  if (mirrorTopics.length > 0) await recorder.request(target.deleteTopics({ topics: mirrorTopics })).catch(() => {});
}

/**
 * The snapshot as the mirrored target should show it: each group's committed offsets on the
 * mirrored topics where the offsets phase put them, none on the topics the mirror left out.
 */
export function mirroredSnapshot<T extends SnapshotContent>(snapshot: T, mirror: MirrorOutcome): T {
  const mirrored = new Set(mirror.evidence.topics);
  return {
    ...snapshot,
    consumerGroups: snapshot.consumerGroups
      .map((group) => ({
        ...group,
        offsets: group.offsets
          .filter((committed) => mirrored.has(committed.topic))
          .map(({ fingerprint: _fingerprint, ...committed }) => ({ ...committed, offset: mirror.translate(group.groupId, committed).offset })),
      }))
      .filter((group) => group.offsets.length > 0 || !snapshot.consumerGroups.find((g) => g.groupId === group.groupId)?.offsets.length),
  };
}
