/**
 * The drill's time series: broker health, the KRaft quorum and the lag of restored groups,
 * sampled on a fixed cadence and at each phase boundary while a run goes on (issue 19). One
 * admin client of its own, a few batched requests per sample (Metadata, DescribeConfigs only
 * for topics it has not seen, DescribeQuorum, OffsetFetch for every group at once, ListOffsets
 * per leader), never a JVM. Its timer never keeps the process alive, and `stop` ends it cleanly
 * whatever the run's end (teardown calls it before the environment stops).
 */
import { describeQuorumV2, metadataV12, type Admin } from '@platformatic/kafka';
import { errorMessage } from '../errors.js';
import { createAdmin } from '../kafka/admin.js';
import { describeTopicAndBrokerConfigs } from '../kafka/configs.js';
import { kafkaErrorName } from '../kafka/errors.js';
import type { KafkaConnection } from '../kafka/connection.js';
import { fetchCommittedOffsets, type GroupCommittedOffset } from '../kafka/groups.js';
import { listLogOffsets, partitionKey, type OffsetsByPartition, type TopicPartition } from '../kafka/log-offsets.js';
import { brokerConnection, errorName, sendForResponse } from '../kafka/raw.js';
import type { GroupLagSample, HealthSample, ProbeRecord, QuorumSample, Sample, Samples } from '../model/result.js';
import type { SampleFeed } from '../probes/probe.js';
import type { DrillSpec } from '../drill-spec/schema.js';
import type { StartedEnvironment } from '../environment/types.js';
import type { Snapshot } from '../snapshot/schema.js';
import { compareText } from '../snapshot/canonical.js';

export const DEFAULT_SAMPLE_INTERVAL_MS = 2_000;
/**
 * A sample asks for every topic's metadata, every group's offsets and every partition's log end:
 * at 10,000 topics that is seconds of the broker's and the harness's time. The next interval
 * sample waits this many times as long as the last one took, so sampling is at most a tenth of a
 * run, unless a probe waits on the series.
 */
const SAMPLING_SHARE = 10;
const REQUEST_TIMEOUT_MS = 5_000;
const METADATA_TOPIC = '__cluster_metadata';
const MIN_ISR = 'min.insync.replicas';

export interface SamplerOptions {
  connection: KafkaConnection;
  intervalMs: number;
  /** Each group with the partitions it is expected to commit (the snapshot's), so lag shows before its offsets exist. */
  groups: ReadonlyMap<string, TopicPartition[]>;
  /** Date.now() when the run started: samples' atMs count from it. */
  runStartedAt: number;
  /** The phase under way, as the runner names it. */
  phase: () => string;
}

/**
 * The run's sampler, started once its environment is up (undefined before, or when the spec turns
 * sampling off). Its groups: every group of the snapshot with the partitions it committed, and
 * the groups success criteria name.
 */
export function startSampler(environment: StartedEnvironment | undefined, spec: DrillSpec, snapshot: Snapshot, runStartedAt: number, phase: () => string): Sampler | undefined {
  if (!environment || !spec.sampling.enabled) return undefined;
  const groups = new Map<string, TopicPartition[]>(snapshot.consumerGroups.map((group) => [group.groupId, group.offsets.map(({ topic, partition }) => ({ topic, partition }))]));
  for (const probe of spec.probes) if ((probe.type === 'consumer-lag' || probe.type === 'records-consumed') && !groups.has(probe.group)) groups.set(probe.group, []);
  const sampler = new Sampler({ connection: environment.admin, intervalMs: Math.round(spec.sampling.intervalSeconds * 1000), groups, runStartedAt, phase });
  sampler.start();
  return sampler;
}

export class Sampler implements SampleFeed {
  readonly intervalMs: number;
  private readonly admin: Admin;
  private readonly samples: Sample[] = [];
  private readonly minIsr = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  /** The sample being taken; the next one waits for it (never two at once). */
  private chain: Promise<void> = Promise.resolve();
  private pending = 0;
  private stopped = false;
  private waiters: ((sample: Sample | undefined) => void)[] = [];
  private last: { endedAt: number; tookMs: number } | undefined;

  constructor(private readonly options: SamplerOptions) {
    this.intervalMs = options.intervalMs;
    this.admin = createAdmin(options.connection, { timeoutMs: REQUEST_TIMEOUT_MS, requestTimeoutMs: REQUEST_TIMEOUT_MS, retries: 0 });
  }

  /** Samples every interval from now on (the runner marks each phase boundary itself). */
  start(): void {
    this.timer = setInterval(() => {
      // A slow cluster must not pile up samples: a tick while one is still queued is skipped.
      // A probe judging on the series (consumer-lag) gets the cadence asked for, however long samples take.
      if (this.pending === 0 && (this.waiters.length > 0 || intervalSampleDue(Date.now(), this.last))) this.mark('interval');
    }, this.intervalMs);
    this.timer.unref();
  }

  /** Queues a sample (a phase boundary); the drill does not wait for it. */
  mark(trigger: string): void {
    if (this.stopped) return;
    this.pending++;
    // The phase as it was when the sample was asked for: the drill goes on while it is taken.
    const phase = this.options.phase();
    this.chain = this.chain
      .then(async () => {
        const started = Date.now();
        try {
          if (!this.stopped) this.record(await this.take(trigger, phase));
        } finally {
          this.last = { endedAt: Date.now(), tookMs: Date.now() - started };
          this.pending--;
        }
      })
      .catch(() => {}); // a sample that broke is a missing sample, never a broken drill
  }

  next(signal: AbortSignal): Promise<Sample | undefined> {
    if (this.stopped) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const waiter = (sample: Sample | undefined) => {
        signal.removeEventListener('abort', onAbort);
        resolve(sample);
      };
      const onAbort = () => {
        this.waiters = this.waiters.filter((other) => other !== waiter);
        resolve(undefined);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  /** Takes a last sample (unless `final` is false), stops the timer and closes the client. Idempotent. */
  async stop(final = true): Promise<void> {
    if (this.stopped) return;
    clearInterval(this.timer);
    if (final) this.mark('end');
    const last = this.chain;
    // The last sample waits no longer than a request may take: a broker that is gone does not hold up teardown.
    await Promise.race([last, new Promise((resolve) => setTimeout(resolve, REQUEST_TIMEOUT_MS + 1_000).unref())]);
    this.stopped = true;
    for (const waiter of this.waiters.splice(0)) waiter(undefined);
    await this.admin.close().catch(() => {});
  }

  /** The series so far, with the errors the probes met. */
  series(probes: readonly ProbeRecord[] = []): Samples {
    return { intervalMs: this.intervalMs, groups: [...this.options.groups.keys()], samples: [...this.samples], probeErrors: probeErrorCounts(probes) };
  }

  private record(sample: Sample): void {
    this.samples.push(sample);
    for (const waiter of this.waiters.splice(0)) waiter(sample);
  }

  private async take(trigger: string, phase: string): Promise<Sample> {
    const now = Date.now();
    const errors: Sample['errors'] = [];
    const attempt: Attempt = async (request, call) => {
      try {
        return await call();
      } catch (error) {
        errors.push({ request, error: kafkaErrorName(error) ?? errorMessage(error).split('\n')[0]!.slice(0, 300) });
        return undefined;
      }
    };
    const cluster = await this.cluster(trigger, attempt);
    const [quorum, groups] = await Promise.all([
      attempt('describe-quorum', () => this.quorum()),
      attempt('consumer-lag', () => this.groupLag(cluster?.partitionCounts, trigger !== 'interval')),
    ]);
    // Log ends were asked through the client, which keeps the metadata of every partition it
    // looked up (thousands at 5,000 topics). Dropped, it costs the next sample two small Metadata
    // requests (the brokers, the groups' topics), and the sample sees a new controller at once.
    this.admin.clearMetadata();
    const health = cluster?.health;
    return {
      at: new Date(now).toISOString(),
      atMs: Math.max(0, now - this.options.runStartedAt),
      trigger,
      phase,
      ...(health ? { health } : {}),
      ...(quorum ? { quorum } : {}),
      groups: groups ?? [],
      errors,
    };
  }

  /**
   * Health and each topic's partition count from one Metadata answer of every topic, internal ones
   * included (the Admin class's metadata leaves those out), in one request. Only these leave this
   * method: the answer itself (15,000 partitions, ~9 MB at 5,000 topics) is not held while the
   * lag is asked for.
   */
  private async cluster(trigger: string, attempt: Attempt): Promise<{ health?: HealthSample; partitionCounts: Map<string, number> } | undefined> {
    const metadata = await attempt('metadata', async () => sendForResponse(await brokerConnection(this.admin), metadataV12, null, false, false));
    if (!metadata) return undefined;
    const unknown = metadata.topics.map((topic) => topic.name ?? '').filter((topic) => topic && (!this.minIsr.has(topic) || trigger !== 'interval'));
    const configs =
      unknown.length && metadata.brokers[0]
        ? await attempt('describe-configs', () =>
            describeTopicAndBrokerConfigs(this.admin, unknown, [metadata.brokers[0]!.nodeId], { keys: [MIN_ISR], topicsPerRequest: Infinity }),
          )
        : undefined;
    for (const [topic, described] of configs?.topics ?? []) {
      const value = Number(described.find((config) => config.name === MIN_ISR)?.value ?? '1');
      this.minIsr.set(topic, Number.isFinite(value) ? value : 1);
    }
    const health = await attempt('health', async () => healthOf(metadata, this.minIsr));
    // A partition that does not exist yet (before the topics phase) has no log end to ask for.
    const partitionCounts = new Map(metadata.topics.map((topic) => [topic.name ?? '', topic.errorCode === 0 ? topic.partitions.length : 0]));
    return { ...(health ? { health } : {}), partitionCounts };
  }

  private async quorum(): Promise<QuorumSample> {
    const connection = await brokerConnection(this.admin);
    const response = await sendForResponse(connection, describeQuorumV2, [{ topicName: METADATA_TOPIC, partitions: [{ partitionIndex: 0 }] }]);
    if (response.errorCode !== 0) throw new Error(errorName(response.errorCode));
    const partition = response.topics[0]?.partitions[0];
    if (!partition) throw new Error('DescribeQuorum answered without the metadata partition');
    if (partition.errorCode !== 0) throw new Error(errorName(partition.errorCode));
    return quorumOf(partition);
  }

  /** Each group's lag; only on partitions `partitionCounts` (from the sample's Metadata answer) says exist, none without it. */
  private async groupLag(partitionCounts: ReadonlyMap<string, number> | undefined, perPartition: boolean): Promise<GroupLagSample[]> {
    const groups = this.options.groups;
    if (groups.size === 0) return [];
    const exists = (tp: TopicPartition) => (partitionCounts?.get(tp.topic) ?? 0) > tp.partition;
    const committed = await fetchCommittedOffsets(this.admin, [...groups.keys()]);
    const partitions = uniquePartitions([...[...groups.values()].flat(), ...[...committed.values()].flat().map(({ topic, partition }) => ({ topic, partition }))].filter(exists));
    const logEnds = await listLogOffsets(this.admin, partitions, 'latest');
    return [...groups].map(([group, expected]) => groupLagOf(group, expected.filter(exists), committed.get(group) ?? [], logEnds, perPartition));
  }
}

function uniquePartitions(partitions: TopicPartition[]): TopicPartition[] {
  const seen = new Map<string, TopicPartition>();
  for (const tp of partitions) seen.set(partitionKey(tp.topic, tp.partition), tp);
  return [...seen.values()];
}

type Metadata = metadataV12.MetadataResponse;
/** Runs one request of a sample: its answer, or undefined with the error recorded in the sample. */
type Attempt = <T>(request: string, call: () => Promise<T>) => Promise<T | undefined>;

/** Health from one Metadata answer: brokers it lists, and partitions short of replicas, without a leader, or under their topic's min ISR. */
export function healthOf(metadata: Pick<Metadata, 'brokers' | 'topics' | 'controllerId'>, minIsr: ReadonlyMap<string, number>): HealthSample {
  let partitions = 0;
  let underReplicated = 0;
  let offline = 0;
  let underMinIsr = 0;
  for (const topic of metadata.topics) {
    for (const partition of topic.partitions) {
      partitions++;
      if (partition.isrNodes.length < partition.replicaNodes.length) underReplicated++;
      if (partition.leaderId < 0) offline++;
      if (partition.isrNodes.length < (minIsr.get(topic.name ?? '') ?? 1)) underMinIsr++;
    }
  }
  return { liveBrokers: metadata.brokers.length, partitions, underReplicated, offline, underMinIsr, controllerId: metadata.controllerId };
}

/** The quorum's leader, and each other voter's and observer's distance from the leader's log end. */
export function quorumOf(partition: describeQuorumV2.DescribeQuorumResponsePartition): QuorumSample {
  const leader = partition.currentVoters.find((voter) => voter.replicaId === partition.leaderId);
  const leaderEnd = leader?.logEndOffset ?? partition.highWatermark;
  const lagOf = (end: bigint) => Number(leaderEnd > end ? leaderEnd - end : 0n);
  return {
    leaderId: partition.leaderId,
    leaderEpoch: partition.leaderEpoch,
    highWatermark: Number(partition.highWatermark < 0n ? 0n : partition.highWatermark),
    followers: [
      ...partition.currentVoters
        .filter((voter) => voter.replicaId !== partition.leaderId)
        .map((voter) => ({ nodeId: voter.replicaId, kind: 'voter' as const, lagOffsets: lagOf(voter.logEndOffset) })),
      ...partition.observers.map((observer) => ({ nodeId: observer.replicaId, kind: 'observer' as const, lagOffsets: lagOf(observer.logEndOffset) })),
    ],
  };
}

/** Whether the next interval sample is due: the last one ended long enough ago for its own length. */
export function intervalSampleDue(now: number, last: { endedAt: number; tookMs: number } | undefined): boolean {
  return last === undefined || now - last.endedAt >= (SAMPLING_SHARE - 1) * last.tookMs;
}

/** A group's lag: log end minus committed offset, per partition it is expected to commit (unless `perPartition` is false), and their sum. */
export function groupLagOf(
  group: string,
  expected: readonly TopicPartition[],
  committed: readonly GroupCommittedOffset[],
  logEnds: OffsetsByPartition,
  perPartition = true,
): GroupLagSample {
  const offsets = new Map(committed.map((entry) => [partitionKey(entry.topic, entry.partition), entry.offset]));
  // The expected partitions last: their topic names (the snapshot's) are what the samples keep, not a fresh copy from each answer.
  const wanted = uniquePartitions([...committed.map(({ topic, partition }) => ({ topic, partition })), ...expected]).filter((tp) =>
    logEnds.has(partitionKey(tp.topic, tp.partition)),
  );
  const partitions = wanted
    .map(({ topic, partition }) => {
      const logEnd = logEnds.get(partitionKey(topic, partition))!;
      const offset = offsets.get(partitionKey(topic, partition));
      return {
        topic,
        partition,
        logEnd: Number(logEnd),
        committed: offset === undefined ? null : Number(offset),
        lag: offset === undefined ? null : Number(logEnd > offset ? logEnd - offset : 0n),
      };
    })
    .sort((a, b) => compareText(a.topic, b.topic) || a.partition - b.partition);
  const counted = partitions.filter((partition) => partition.lag !== null);
  return { group, total: counted.length ? counted.reduce((sum, partition) => sum + partition.lag!, 0) : null, ...(perPartition ? { partitions } : {}) };
}

/** Kafka errors in the probes' evidence, counted per probe and error name. */
export function probeErrorCounts(probes: readonly ProbeRecord[]): Samples['probeErrors'] {
  const counts = new Map<string, { probe: string; kafkaError: string; count: number }>();
  for (const probe of probes) {
    for (const evidence of probe.evidence) {
      if (!evidence.kafkaError) continue;
      const key = `${probe.id}\u0000${evidence.kafkaError}`;
      const entry = counts.get(key) ?? { probe: probe.id, kafkaError: evidence.kafkaError, count: 0 };
      entry.count++;
      counts.set(key, entry);
    }
  }
  return [...counts.values()];
}
