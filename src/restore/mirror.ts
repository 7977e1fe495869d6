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
import { connectorStatus, createConnector, deleteConnector, getConnectorOffsets, stopConnector, type ConnectEndpoint } from '../kafka/connect-rest.js';
import { listLogOffsets, partitionKey, type TopicPartition } from '../kafka/log-offsets.js';
import { parseCheckpoint } from '../kafka/mirror-checkpoint.js';
import { fetchRecordsAt, roundsByPartition, scanRecords, type FetchedRecord, type RecordPosition } from '../kafka/records.js';
import { retryTransient } from '../kafka/retry.js';
import type { MirrorEvidence, MirrorGroupPartition, MirrorPartition } from '../model/result.js';
import { recordFingerprint } from '../snapshot/fingerprint.js';
import { compareText } from '../snapshot/canonical.js';
import type { CommittedOffset, ConsumerGroup, Snapshot, SnapshotContent, Topic } from '../snapshot/schema.js';
import type { MirrorOptions, MirrorOutcome, PhaseRecorder } from './phase.js';

export const SOURCE_ALIAS = 'source';
export const MIRROR_SOURCE_CONNECTOR = 'kafka-drill-mirror-source';
export const MIRROR_CHECKPOINT_CONNECTOR = 'kafka-drill-mirror-checkpoint';
/** MirrorMaker's topics on the target (identity policy, offset syncs kept on the target). */
const CHECKPOINTS_TOPIC = `${SOURCE_ALIAS}.checkpoints.internal`;
const OFFSET_SYNCS_TOPIC = `mm2-offset-syncs.${SOURCE_ALIAS}.internal`;
const CHECKPOINT_INTERVAL_SECONDS = 1;
/** The longest the cut-over waits for MirrorMaker's checkpoints once the mirror caught up, and how long no new one may come. */
const CHECKPOINT_WAIT_MS = 30_000;
const CHECKPOINT_QUIET_MS = 8_000;
/** A catch-up wait this long that copied nothing at all means the mirror is broken. */
const NOTHING_COPIED_MS = 30_000;
const POLL_MS = 1_000;
/** Below this many offsets left in every partition, the drill asks whether they hold any record at all. */
const MARKER_CHECK_OFFSETS = 1_000;

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
  const patterns = options.topics ?? snapshot.topics.map((topic) => escapeRegex(topic.name));
  // MirrorMaker's topic filter matches a whole name against any of the comma-separated patterns.
  const matcher = new RegExp(`^(?:${patterns.join('|')})$`);
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
    // A consumer may create a topic it fetches from on a broker with auto.create.topics.enable: never on the source.
    'source.consumer.allow.auto.create.topics': 'false',
  };
  const lag: MirrorEvidence['lag'] = [];
  let copyMs = 0;
  let caughtUp = false;
  try {
    await recorder.request(
      createConnector(connect, MIRROR_SOURCE_CONNECTOR, {
        ...common,
        'connector.class': 'org.apache.kafka.connect.mirror.MirrorSourceConnector',
        topics: patterns.join(','),
        'topics.exclude': '',
        // Otherwise every topic named *heartbeats is copied whatever the filter says.
        'heartbeats.replication.enabled': 'false',
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

    let sourceEnds: Map<string, bigint> = new Map();
    let cutoverAt = 0;
    await withAdmin(options.source, async (source) => {
      const logStarts = await retryTransient(() => listLogOffsets(source, partitions, 'earliest'), context.transientDeadlineMs);
      // The source keeps taking writes: catching up means reaching the log end it had when the wait began.
      const goal = await retryTransient(() => listLogOffsets(source, partitions, 'latest'), context.transientDeadlineMs);
      const deadline = Date.now() + options.catchUpTimeoutMs;
      try {
        for (;;) {
          context.signal?.throwIfAborted();
          const failure = await mirrorFailure(connect);
          if (failure) {
            recorder.finding('mirror-failed', 'error', `connector ${failure.name}`, `MirrorMaker failed, the mirror was cut over at once: ${failure.trace}`);
            break;
          }
          const states = await mirrorPositions(connect, partitions, logStarts);
          const behind = states.map((state) => Math.max(0, Number(goal.get(partitionKey(state.topic, state.partition)) ?? 0n) - state.mirroredNext));
          const total = behind.reduce((sum, offsets) => sum + offsets, 0);
          lag.push({ atMs: Math.round(performance.now() - started), behindOffsets: total });
          const bytes = await targetBytes(target, partitions).catch(() => undefined);
          recorder.produced(
            states.reduce((sum, state) => sum + (state.mirroredNext - Number(logStarts.get(partitionKey(state.topic, state.partition)) ?? 0n)), 0),
            progressDetail(bytes, states, behind),
          );
          // What is left may be transaction markers only; asked only when little is left, to spare the source's reads.
          caughtUp = total === 0 || (behind.every((offsets) => offsets <= MARKER_CHECK_OFFSETS) && (await nothingVisibleLeft(source, states, goal)));
          copyMs = Math.round(performance.now() - started);
          if (caughtUp || Date.now() >= deadline) {
            // A mirror that copied nothing at all while there was data is broken (an unreachable source, a
            // refused login), not merely behind: red, whatever objectives the spec sets.
            const copied = states.some((state) => state.mirroredNext > Number(logStarts.get(partitionKey(state.topic, state.partition)) ?? 0n));
            if (!caughtUp && !copied && total > 0 && copyMs >= NOTHING_COPIED_MS) {
              recorder.finding(
                'mirror-failed',
                'error',
                `connector ${MIRROR_SOURCE_CONNECTOR}`,
                `MirrorMaker copied no record in ${Math.round(copyMs / 1000)} s although the source had ${total}: check that its workers reach the source (its log says why)`,
              );
            }
            break;
          }
          await new Promise((resolve) => setTimeout(resolve, POLL_MS));
        }
        // As an operator would: before cutting over, give MirrorMaker the time to checkpoint every
        // group position it can (one more interval at least, CHECKPOINT_WAIT_MS at most).
        if (caughtUp) await checkpointsSettled(target, expectedCheckpoints(snapshot, matcher), context.signal);
      } finally {
        // Cut-over: nothing more is copied from here on; the source's log ends now are what the target misses.
        await Promise.allSettled([stopConnector(connect, MIRROR_SOURCE_CONNECTOR), stopConnector(connect, MIRROR_CHECKPOINT_CONNECTOR)]);
        cutoverAt = Date.now();
        sourceEnds = await retryTransient(() => listLogOffsets(source, partitions, 'latest'), context.transientDeadlineMs);
      }
    });
    await tasksStopped(connect);

    return await withAdmin(options.source, async (source) => {
      const logStarts = await retryTransient(() => listLogOffsets(source, partitions, 'earliest'), context.transientDeadlineMs);
      const states = await settledPositions(connect, partitions, logStarts);
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
      const firstNotCopied = await firstVisibleRecords(
        source,
        states.flatMap((state) => {
          const key = partitionKey(state.topic, state.partition);
          const at = sourcePositions.get(key);
          const end = sourceEnds.get(key) ?? 0n;
          return at && BigInt(state.mirroredNext) < end ? [{ ...at, offset: BigInt(state.mirroredNext), end }] : [];
        }),
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
      const groups = await translateGroups({
        groups: snapshot.consumerGroups,
        topics: new Map(mirrored.map((topic) => [topic.name, topic])),
        states,
        checkpoints,
        source,
        target,
        sourcePositions,
        targetPositions,
        logStarts,
        sourceEnds,
        targetEnds,
        mode: options.offsets,
        signal: context.signal,
      });
      const records = partitionEvidence.reduce((sum, p) => sum + p.targetLogEnd, 0);
      const bytes = await targetBytes(target, partitions).catch(() => undefined);
      const evidence: MirrorEvidence = {
        topics: mirrored.map((topic) => topic.name),
        left: snapshot.topics.filter((topic) => !matcher.test(topic.name)).map((topic) => topic.name),
        caughtUp,
        catchUpTimeoutSeconds: options.catchUpTimeoutMs / 1000,
        copyMs,
        records,
        recordsPerSecond: copyMs > 0 ? Math.round((records / copyMs) * 1000) : 0,
        ...(bytes !== undefined ? { bytes } : {}),
        rpoSeconds: Math.max(0, ...partitionEvidence.map((p) => p.behindSeconds)),
        rpoOffsets: partitionEvidence.reduce((sum, p) => sum + p.behindOffsets, 0),
        snapshotAgeSeconds: Math.max(0, (cutoverAt - Date.parse(snapshot.source.capturedAt)) / 1000),
        offsets: options.offsets,
        lag,
        partitions: partitionEvidence,
        groups,
      };
      reportFindings(recorder, evidence, snapshot, matcher, options.offsets);
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
  } finally {
    // Whatever happened: the target keeps the restore only, and no connector holding the source's credentials stays.
    await cleanUp(connect, target, new Set(snapshot.topics.map((topic) => topic.name)), recorder);
  }
}

function reportFindings(recorder: PhaseRecorder, evidence: MirrorEvidence, snapshot: Snapshot, matcher: RegExp, mode: MirrorOptions['offsets']): void {
  for (const p of evidence.partitions.filter((entry) => entry.behindOffsets > 0)) {
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
      recorder.finding('mirror-topic-left-out', 'error', `group ${group.groupId}`, `commits on ${left.join(', ')}, which the mirror does not copy: it cannot resume on the target`);
  }
  for (const entry of evidence.groups.filter((g) => g.checkpoint === null && g.exact !== null)) {
    recorder.finding(
      'mirror-no-checkpoint',
      'warning',
      `group ${entry.group} ${entry.topic}-${entry.partition}`,
      `MirrorMaker emitted no checkpoint for the position the capture recorded: after a MirrorMaker failover it would start elsewhere${mode === 'checkpoint' ? '; the drill committed the exact translation instead' : ''}`,
    );
  }
}

/** Group partitions of the capture on mirrored topics: "group\0topic\0partition". */
function expectedCheckpoints(snapshot: Snapshot, matcher: RegExp): Set<string> {
  return new Set(snapshot.consumerGroups.flatMap((group) => group.offsets.filter((o) => matcher.test(o.topic)).map((o) => `${group.groupId}\u0000${o.topic}\u0000${o.partition}`)));
}

/** Until the checkpoints topic names every expected group partition, or nothing new came for a while, within CHECKPOINT_WAIT_MS. */
async function checkpointsSettled(target: Admin, expected: Set<string>, signal?: AbortSignal): Promise<void> {
  const started = Date.now();
  let seen = -1;
  let sameSince = Date.now();
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, (CHECKPOINT_INTERVAL_SECONDS + 1) * 1_000));
    signal?.throwIfAborted();
    const checkpoints = await readCheckpoints(target).catch(() => new Map());
    const found = [...expected].filter((key) => checkpoints.has(key)).length;
    if (found !== seen) [seen, sameSince] = [found, Date.now()];
    if (found === expected.size || Date.now() - sameSince >= CHECKPOINT_QUIET_MS || Date.now() - started >= CHECKPOINT_WAIT_MS) return;
  }
}

/** The first failed connector or task of the mirror, with the first line of its trace. */
async function mirrorFailure(connect: ConnectEndpoint): Promise<{ name: string; trace: string } | undefined> {
  for (const name of [MIRROR_SOURCE_CONNECTOR, MIRROR_CHECKPOINT_CONNECTOR]) {
    const status = await connectorStatus(connect, name).catch(() => undefined);
    const failed = [status?.connector, ...(status?.tasks ?? [])].find((state) => state?.state === 'FAILED');
    if (failed) return { name, trace: (failed.trace ?? 'no trace').split('\n')[0]!.slice(0, 500) };
  }
  return undefined;
}

/** After the stop request: until both connectors report STOPPED with no task left (at most 15 s). */
async function tasksStopped(connect: ConnectEndpoint): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const statuses = await Promise.all([MIRROR_SOURCE_CONNECTOR, MIRROR_CHECKPOINT_CONNECTOR].map((name) => connectorStatus(connect, name).catch(() => undefined)));
    if (statuses.every((status) => status && status.connector.state === 'STOPPED' && status.tasks.length === 0)) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

function prefixed(prefix: string, properties: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(properties).map(([key, value]) => [`${prefix}${key}`, value]));
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Where the source connector got to, per partition, from its committed Connect offsets. */
async function mirrorPositions(connect: ConnectEndpoint, partitions: TopicPartition[], logStarts: Map<string, bigint>): Promise<PartitionState[]> {
  let offsets: Awaited<ReturnType<typeof getConnectorOffsets>> | undefined;
  // A worker rebalancing answers 409 for a moment; a position never read is never guessed.
  for (let attempt = 1; offsets === undefined; attempt++) {
    try {
      offsets = await getConnectorOffsets(connect, MIRROR_SOURCE_CONNECTOR);
    } catch (error) {
      if (attempt >= 10) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
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

/** Bytes the mirrored partitions hold on the target (one DescribeLogDirs per broker), each partition once. */
async function targetBytes(target: Admin, partitions: TopicPartition[]): Promise<number> {
  const byTopic = new Map<string, number[]>();
  for (const { topic, partition } of partitions) byTopic.set(topic, [...(byTopic.get(topic) ?? []), partition]);
  const brokers = await target.describeLogDirs({ topics: [...byTopic].map(([name, partitionIndexes]) => ({ name, partitions: partitionIndexes })) });
  // Each replica reports its size: count a partition once, at its largest replica.
  const sizes = new Map<string, number>();
  for (const broker of brokers)
    for (const dir of broker.results)
      for (const topic of dir.topics)
        for (const partition of topic.partitions) {
          const key = partitionKey(topic.name, partition.partitionIndex);
          sizes.set(key, Math.max(sizes.get(key) ?? 0, Number(partition.partitionSize)));
        }
  return [...sizes.values()].reduce((sum, size) => sum + size, 0);
}

const MAX_TOPICS_SHOWN = 3;

/** "4.2 MB on the target; behind: pay.orders 120, audit.log 3": the topics furthest behind first. */
export function progressDetail(bytes: number | undefined, states: PartitionState[], behind: number[]): string {
  const byTopic = new Map<string, number>();
  states.forEach((state, index) => byTopic.set(state.topic, (byTopic.get(state.topic) ?? 0) + behind[index]!));
  const lagging = [...byTopic].filter(([, offsets]) => offsets > 0).sort((a, b) => b[1] - a[1] || compareText(a[0], b[0]));
  const shown = lagging.slice(0, MAX_TOPICS_SHOWN).map(([topic, offsets]) => `${topic} ${offsets}`);
  if (lagging.length > MAX_TOPICS_SHOWN) shown.push(`${lagging.length - MAX_TOPICS_SHOWN} more topics`);
  const copied = bytes === undefined ? '' : `${(bytes / 1_000_000).toFixed(1)} MB on the target; `;
  return `${copied}behind: ${shown.length > 0 ? shown.join(', ') : 'none'}`;
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

/** True when what the mirror has not copied of the goal holds no record a read_committed consumer gets. */
async function nothingVisibleLeft(source: Admin, states: PartitionState[], goal: Map<string, bigint>): Promise<boolean> {
  const behind = states.filter((state) => state.mirroredNext < Number(goal.get(partitionKey(state.topic, state.partition)) ?? 0n));
  const positions = await recordPositions(
    source,
    behind.map((state) => state.topic),
  );
  const found = await firstVisibleRecords(
    source,
    behind.flatMap((state) => {
      const key = partitionKey(state.topic, state.partition);
      const at = positions.get(key);
      return at ? [{ ...at, offset: BigInt(state.mirroredNext), end: goal.get(key) ?? 0n }] : [];
    }),
  );
  return found.size === 0;
}

/**
 * The first record a read_committed consumer gets at or after each position, below `end`: one
 * Fetch per leader, then, where that window held only markers or aborted records, reading on.
 */
async function firstVisibleRecords(source: Admin, positions: (RecordPosition & { end: bigint })[]): Promise<Map<string, FetchedRecord>> {
  const found = await fetchRecordsAt(source, positions, 'committed');
  for (const position of positions) {
    const key = partitionKey(position.topic, position.partition);
    const record = found.get(key);
    if (record && record.offset >= position.end) found.delete(key);
    if (record) continue;
    const next = await scanRecords(source, position, position.offset, position.end, () => true, 'committed');
    if (next) found.set(key, next);
  }
  return found;
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

/** The last checkpoint per group partition ("group\0topic\0partition"). */
async function readCheckpoints(target: Admin): Promise<Map<string, { upstream: number; downstream: number }>> {
  const checkpoints = new Map<string, { upstream: number; downstream: number }>();
  const topics = await target.listTopics();
  if (!topics.includes(CHECKPOINTS_TOPIC)) return checkpoints;
  const [position] = (await recordPositions(target, [CHECKPOINTS_TOPIC])).values();
  if (!position) return checkpoints;
  const end = (await listLogOffsets(target, [{ topic: CHECKPOINTS_TOPIC, partition: 0 }], 'latest')).get(partitionKey(CHECKPOINTS_TOPIC, 0)) ?? 0n;
  await scanRecords(target, position, 0n, end, (record) => {
    const checkpoint = parseCheckpoint(record.key, record.value);
    if (checkpoint)
      checkpoints.set(`${checkpoint.group}\u0000${checkpoint.topic}\u0000${checkpoint.partition}`, {
        upstream: checkpoint.upstreamOffset,
        downstream: checkpoint.downstreamOffset,
      });
    return false;
  });
  return checkpoints;
}

/** How long the exact translation may search the target, in all. */
const TRANSLATION_BUDGET_MS = 120_000;

interface TranslationInputs {
  groups: ConsumerGroup[];
  topics: Map<string, Topic>;
  states: PartitionState[];
  checkpoints: Map<string, { upstream: number; downstream: number }>;
  source: Admin;
  target: Admin;
  sourcePositions: Map<string, Omit<RecordPosition, 'offset'>>;
  targetPositions: Map<string, Omit<RecordPosition, 'offset'>>;
  logStarts: Map<string, bigint>;
  sourceEnds: Map<string, bigint>;
  targetEnds: Map<string, bigint>;
  mode: MirrorOptions['offsets'];
  signal?: AbortSignal | undefined;
}

/**
 * Both translations of every committed offset on a mirrored partition.
 * - Checkpoint: MirrorMaker's last checkpoint for the group partition, used only when it
 *   translated the very offset the capture recorded (a live group may have moved on since).
 * - Exact: the record a read_committed consumer resuming at the committed offset gets first (at
 *   the source's log start when the offset lies before it, as auto.offset.reset=earliest does),
 *   found on the target by its fingerprint — key and value only where the topic stamps
 *   LogAppendTime, since the target stamps its own times there — scanning forward from the
 *   checkpoint (which never lies past it), else from 0, within TRANSLATION_BUDGET_MS.
 */
async function translateGroups(inputs: TranslationInputs): Promise<MirrorGroupPartition[]> {
  const { source, target, sourcePositions, targetPositions, logStarts, sourceEnds, targetEnds } = inputs;
  const copiedTo = new Map(inputs.states.map((state) => [partitionKey(state.topic, state.partition), state.mirroredNext]));
  const entries = inputs.groups.flatMap((group) => group.offsets.filter((o) => inputs.topics.has(o.topic)).map((committed) => ({ group: group.groupId, committed })));
  const resumeAt = (committed: CommittedOffset) => Math.max(committed.offset, Number(logStarts.get(partitionKey(committed.topic, committed.partition)) ?? 0n));
  const resumeRecords = new Map<string, FetchedRecord>();
  for (const round of roundsByPartition(entries.map((entry) => ({ ...entry.committed, offset: resumeAt(entry.committed) })))) {
    const found = await firstVisibleRecords(
      source,
      round.flatMap((committed) => {
        const key = partitionKey(committed.topic, committed.partition);
        const at = sourcePositions.get(key);
        return at ? [{ ...at, offset: BigInt(committed.offset), end: sourceEnds.get(key) ?? 0n }] : [];
      }),
    );
    for (const committed of round) {
      const record = found.get(partitionKey(committed.topic, committed.partition));
      if (record) resumeRecords.set(`${partitionKey(committed.topic, committed.partition)}\u0000${committed.offset}`, record);
    }
  }
  const deadline = Date.now() + TRANSLATION_BUDGET_MS;
  const result: MirrorGroupPartition[] = [];
  for (const { group, committed } of entries) {
    inputs.signal?.throwIfAborted();
    const key = partitionKey(committed.topic, committed.partition);
    const logAppendTime = inputs.topics.get(committed.topic)?.configs['message.timestamp.type']?.value === 'LogAppendTime';
    const sha = (record: FetchedRecord) => recordFingerprint(logAppendTime ? { ...record, timestamp: 0n } : record).sha256;
    const checkpointed = inputs.checkpoints.get(`${group}\u0000${committed.topic}\u0000${committed.partition}`);
    const checkpoint = checkpointed && checkpointed.upstream === committed.offset ? checkpointed.downstream : null;
    const targetEnd = Number(targetEnds.get(key) ?? 0n);
    const from = resumeAt(committed);
    const record = resumeRecords.get(`${key}\u0000${from}`);
    const reset = from > committed.offset ? `committed ${committed.offset} lies before the source log start ${from}: a consumer resets there; ` : '';
    let exact: number | null = null;
    let copied = true;
    let note: string;
    if (!record) {
      exact = targetEnd;
      note = `${reset}the group had read everything on the source: it resumes at the target log end`;
    } else if (Number(record.offset) >= (copiedTo.get(key) ?? 0)) {
      exact = targetEnd;
      copied = false;
      note = `${reset}the record it resumes at (source offset ${record.offset}) was not copied before the cut-over (it counts in the RPO): it resumes at the target log end`;
    } else if (Date.now() >= deadline) {
      note = `${reset}not searched: the exact translation ran out of its ${TRANSLATION_BUDGET_MS / 1000} s`;
    } else {
      const position = targetPositions.get(key);
      const wanted = sha(record);
      const match = (start: number, until: number): Promise<FetchedRecord | undefined> =>
        position ? scanRecords(target, position, BigInt(start), BigInt(until), (candidate) => sha(candidate) === wanted || Date.now() >= deadline) : Promise.resolve(undefined);
      const hint = Math.min(checkpoint ?? 0, targetEnd);
      let found = await match(hint, targetEnd);
      if ((!found || sha(found) !== wanted) && hint > 0) found = await match(0, hint);
      if (found && sha(found) !== wanted) found = undefined;
      exact = found ? Number(found.offset) : null;
      note = found
        ? `${reset}the record at source offset ${record.offset} is at target offset ${found.offset} (same sha256 of key, value${logAppendTime ? '' : ', timestamp'})`
        : `${reset}the record at source offset ${record.offset} was not found on the target${Date.now() >= deadline ? ' within the search budget' : ''}`;
    }
    const chosen: number | null = inputs.mode === 'checkpoint' ? (checkpoint ?? exact) : (exact ?? checkpoint);
    result.push({
      group,
      topic: committed.topic,
      partition: committed.partition,
      committed: committed.offset,
      checkpoint,
      exact,
      sha256: record ? sha(record) : null,
      resumeCopied: copied,
      checkpointReplay: checkpoint !== null && exact !== null && copied ? exact - checkpoint : null,
      target: chosen,
      replay: chosen !== null && exact !== null && copied ? exact - chosen : null,
      note,
    });
  }
  return result;
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
