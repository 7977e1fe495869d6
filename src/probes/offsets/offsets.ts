import { withAdmin } from '../../kafka/admin.js';
import { fetchCommittedOffsets } from '../../kafka/groups.js';
import { listLogOffsets, partitionKey } from '../../kafka/log-offsets.js';
import { createProbeClient } from '../../kafka/probe-client.js';
import { retryTransient } from '../../kafka/retry.js';
import type { MirrorOutcome } from '../../restore/phase.js';
import { SOURCE_OFFSET_HEADER, type OffsetMap, type TargetPosition } from '../../restore/offset-map.js';
import { recordFingerprint } from '../../snapshot/fingerprint.js';
import type { CommittedOffset, ConsumerGroup } from '../../snapshot/schema.js';
import type { OffsetsProbeSpec } from '../../drill-spec/schema.js';
import { driverFor, type ClientDriver, type ClientFailure } from '../clients.js';
import { inGroups, runConsumerSession } from '../consumer-session.js';
import { mapWithLimit, verdictOf, type ProbeRunner, type ProbeContext, type ProbeRunContext, type ProbeVerdict } from '../probe.js';
import type { ClientClass } from '../../model/enums.js';
import type { ProbeEvidence } from '../../model/result.js';

/**
 * The offsets probe: do consumers resume where the snapshot says? For each selected group (up
 * to GROUP_CONCURRENCY at once), a kafkajs consumer (as the admin super user) joins the restored
 * group with auto-commit off and never commits; the first record it fetches on each partition
 * is compared with the snapshot's committed offset under the tolerance, in source offsets.
 *
 * With synthetic data the proof is by content: every synthetic record carries the source offset
 * it stands for (SOURCE_OFFSET_HEADER), so the first record names the source position the
 * consumer resumed at, whatever the target offsets are. With data none there is nothing to
 * read: every check is skipped, with that reason. Without restore data information (a cluster
 * holding the source's own records) offsets are compared as they are, fingerprints by content.
 *
 * Before consuming, every group's restored offsets and each partition's log start/end are read
 * once with the admin client, so that what the consumer will do is known and named: a committed
 * offset beyond the log end or before the log start makes the consumer reset (to earliest: this
 * probe's consumer uses auto.offset.reset=earliest) — a failure, unless the offset map put it
 * there because the source had it there too; an offset at the log end has nothing to fetch
 * ("caught up") and passes when it stands for the committed position.
 */
type Tolerance = OffsetsProbeSpec['tolerance'];

const CONSUME_TIMEOUT_MS = 30_000;
/** Groups whose consumers run at once: each session is a kafkajs client with its own connections. */
export const GROUP_CONCURRENCY = 10;
/**
 * Wall time budgeted per group, by client class. kafkajs: a session (connect, join, fetch, leave)
 * took up to ~0.8 s at 10 groups at once on 2 loaded cores. librdkafka: one kcat process per
 * group, 4 at once, ~0.9 s of wall time a group in CI (8 groups in 6.9 s); Java: one JVM, 4
 * consumers at once, ~1.5 s a group (8 groups in 11.9 s, JVM start included). Twice that, at least.
 */
const MS_PER_GROUP: Record<ClientClass, number> = { kafkajs: 200, librdkafka: 2_000, java: 3_000 };

/** One group's checks before any consumer runs, and the partitions a consumer must fetch from. */
interface GroupPlan {
  group: ConsumerGroup;
  topics: string[];
  evidence: Map<string, ProbeEvidence>;
  toFetch: Map<string, { committed: CommittedOffset; expectedSource: number; note: string; expectedSha256?: string }>;
  offsetMap: OffsetMap | undefined;
  /** data: mirror: expectedSource and the fetched offsets are target offsets. */
  mirrored?: boolean;
}

/** The first record a consumer fetched on each partition ("topic:partition"), in source offsets, and how it ended. */
interface Fetched {
  records: Map<string, { offset: number; source: number | undefined; sha256: string }>;
  failure?: ClientFailure | undefined;
}

/** What the probe reads once for every selected group: committed offsets and log bounds. */
interface RestoredState {
  committed: Map<string, Map<string, number>>;
  logs: Map<string, { start: number; end: number }>;
}

export class OffsetsProbe implements ProbeRunner {
  readonly type = 'offsets';
  readonly readsCommittedOffsets = true;

  constructor(
    readonly id: string,
    readonly name: string,
    private readonly spec: Pick<OffsetsProbeSpec, 'groups' | 'tolerance' | 'byContent'>,
    readonly matrix?: ProbeRunner['matrix'],
  ) {}

  workTimeoutMs(context: ProbeRunContext): number {
    const groups = this.spec.groups === 'all' ? context.snapshot.consumerGroups.length : this.spec.groups.length;
    return 30_000 + MS_PER_GROUP[this.matrix?.clientClass ?? 'kafkajs'] * groups;
  }

  async check(context: ProbeContext): Promise<ProbeVerdict> {
    const named =
      this.spec.groups === 'all'
        ? context.snapshot.consumerGroups
        : this.spec.groups.map((groupId) => context.snapshot.consumerGroups.find((group) => group.groupId === groupId) ?? groupId);
    const evidence: ProbeEvidence[] = [];
    const groups: ConsumerGroup[] = [];
    for (const group of named) {
      if (typeof group !== 'string') groups.push(group);
      else
        evidence.push({
          outcome: 'failed',
          resource: `group ${group}`,
          expected: 'a group in the snapshot',
          observed: 'not in the snapshot',
          detail: 'the spec names a group the snapshot does not have',
        });
    }
    // Named before the first read, released group by group: a probe that disturbs a group or topic waits only for those.
    context.groupReader?.plan(groups.map((group) => ({ groupId: group.groupId, topics: [...new Set(group.offsets.map((committed) => committed.topic))] })));
    if (context.restoredData?.mode === 'none') {
      // Empty topics: no consumer can show where it resumes. Counted as skipped, never as passed.
      for (const group of groups) {
        for (const committed of group.offsets) {
          evidence.push({
            outcome: 'skipped',
            resource: `group ${group.groupId} ${committed.topic}:${committed.partition}`,
            expected: this.expectation(committed.offset),
            observed: 'not checked',
            detail: 'data: none: the restored topics hold no records, so resumption cannot be proven (use data: synthetic)',
          });
        }
      }
      return verdictOf(evidence);
    }
    const state = await readRestoredState(context, groups);
    const clientClass = this.matrix?.clientClass ?? 'kafkajs';
    if (clientClass !== 'kafkajs') {
      const driver = driverFor(clientClass, context);
      for (const item of await this.checkGroupsWith(driver, groups, state, context)) evidence.push(item);
      return { ...verdictOf(evidence), processes: driver.processes() };
    }
    for (const groupEvidence of await mapWithLimit(groups, GROUP_CONCURRENCY, async (group) => {
      try {
        return await this.checkGroup(group, state, context);
      } finally {
        context.groupReader?.release(group.groupId);
      }
    }))
      for (const item of groupEvidence) evidence.push(item);
    return verdictOf(evidence);
  }

  private async checkGroup(group: ConsumerGroup, state: RestoredState, context: ProbeContext): Promise<ProbeEvidence[]> {
    const plan = this.planGroup(group, state, context);
    if (Array.isArray(plan)) return plan;
    const fetched = plan.toFetch.size > 0 ? await this.fetchWithKafkajs(plan, context) : { records: new Map() };
    return this.judge(plan, fetched, context);
  }

  /** Every selected group through librdkafka or the Java client: one batch of consumers for all groups. */
  private async checkGroupsWith(driver: ClientDriver, groups: ConsumerGroup[], state: RestoredState, context: ProbeContext): Promise<ProbeEvidence[]> {
    const plans = groups.map((group) => this.planGroup(group, state, context));
    const fetching = plans.filter((plan): plan is GroupPlan => !Array.isArray(plan) && plan.toFetch.size > 0);
    const requests = fetching.map((plan) => ({ group: plan.group.groupId, topics: plan.topics, partitions: [...plan.toFetch.keys()] }));
    // Held against every other consumer session in these groups (kafkajs cells, other client classes) until all are read.
    const answers = await inGroups(
      requests.map((request) => request.group),
      () => driver.firstRecords(requests),
    );
    const fetched = new Map(
      fetching.map((plan, index) => {
        const answer = answers[index]!;
        const records = new Map(
          [...answer.records].map(([key, record]) => [key, { offset: record.offset, source: plan.offsetMap ? record.sourceHeader : record.offset, sha256: record.sha256 }]),
        );
        return [plan, { records, ...(answer.failure ? { failure: answer.failure } : {}) }] as const;
      }),
    );
    return plans.flatMap((plan) => (Array.isArray(plan) ? plan : this.judge(plan, fetched.get(plan) ?? { records: new Map() }, context)));
  }

  /** What can be judged without a consumer, and which partitions a consumer must fetch from. */
  private planGroup(group: ConsumerGroup, state: RestoredState, context: ProbeContext): GroupPlan | ProbeEvidence[] {
    const topics = [...new Set(group.offsets.map((committed) => committed.topic))];
    if (topics.length === 0)
      return [{ outcome: 'skipped', resource: `group ${group.groupId}`, expected: 'committed offsets', observed: 'none in the snapshot', detail: 'nothing to resume' }];
    const offsetMap = context.restoredData?.mode === 'synthetic' ? context.restoredData.offsetMap : undefined;
    const mirror = context.restoredData?.mode === 'mirror' ? context.restoredData.mirror : undefined;
    if (mirror) return this.planMirroredGroup(group, topics, state, mirror);
    // The source offset a target offset stands for: through the map, or itself when the data is the source's own.
    const sourceOf = (topic: string, partition: number, target: number) => (offsetMap ? offsetMap.sourceOffset(topic, partition, target) : target);
    const restored = state.committed.get(group.groupId) ?? new Map<string, number>();

    const evidence = new Map<string, ProbeEvidence>();
    const toFetch = new Map<string, { committed: CommittedOffset; expectedSource: number; note: string }>();
    for (const committed of group.offsets) {
      const key = `${committed.topic}:${committed.partition}`;
      const base = { resource: `group ${group.groupId} ${key}`, expected: this.expectation(committed.offset) };
      const position: TargetPosition | undefined = offsetMap ? offsetMap.translate(committed.topic, committed.partition, committed.offset) : undefined;
      const expectedTarget = position?.offset ?? committed.offset;
      const restoredOffset = restored.get(key);
      const log = state.logs.get(key);
      const via = offsetMap && restoredOffset !== undefined && restoredOffset !== committed.offset ? ` (target offset ${restoredOffset})` : '';
      if (!log) {
        evidence.set(key, { ...base, outcome: 'failed', observed: 'partition missing', detail: `${key} does not exist on the restored cluster` });
      } else if (restoredOffset === undefined) {
        evidence.set(key, {
          ...base,
          outcome: 'failed',
          observed: 'no committed offset',
          detail: `the restored group has no committed offset for ${key}: a consumer would reset to earliest (${log.start})`,
        });
      } else if (restoredOffset > log.end || restoredOffset < log.start) {
        const beyond = restoredOffset > log.end;
        const asInSource = position?.exact && position.kind === (beyond ? 'beyond-log-end' : 'before-log-start') && restoredOffset === expectedTarget;
        const where = beyond ? `beyond log end ${log.end}` : `before log start ${log.start}`;
        evidence.set(
          key,
          asInSource
            ? {
                ...base,
                outcome: 'passed',
                observed: `resets (${beyond ? 'beyond the log end' : 'before the log start'}, as on the source)`,
                detail: `committed offset ${committed.offset} lies ${beyond ? 'beyond the source log end' : 'before the source log start'}; restored at ${restoredOffset}, ${where}: a consumer resets (auto.offset.reset), as it would on the source`,
              }
            : {
                ...base,
                outcome: 'failed',
                observed: `reset to ${log.start}`,
                detail: `committed offset ${restoredOffset} is ${where}: the consumer reset to earliest (${log.start})`,
              },
        );
      } else if (restoredOffset === log.end) {
        const resumedAt = sourceOf(committed.topic, committed.partition, restoredOffset);
        const ok = resumedAt !== undefined && this.within(committed.offset, resumedAt);
        evidence.set(key, {
          ...base,
          outcome: ok ? 'passed' : 'failed',
          observed: `resumes at ${resumedAt ?? '?'}${via}`,
          ...(resumedAt !== undefined ? { replay: replayOf(group.groupId, committed, committed.offset - resumedAt) } : {}),
          detail: `${ok ? '' : 'outside tolerance: '}caught up, nothing to fetch (committed ${restoredOffset} = log end${offsetMap ? `, which stands for source offset ${resumedAt}` : ''})`,
        });
      } else {
        // Where the map could not hold the exact position, the consumer should read the record the map put there instead.
        const expectedSource = position && !position.exact ? (sourceOf(committed.topic, committed.partition, position.offset) ?? committed.offset) : committed.offset;
        toFetch.set(key, { committed, expectedSource, note: position && !position.exact ? `${position.reason}; ` : '' });
      }
    }

    return { group, topics, evidence, toFetch, offsetMap };
  }

  /**
   * data: mirror. Target offsets are compared with the target offset of the record the group
   * committed at on the source (the exact translation, found by fingerprint): the first record a
   * consumer reads names how many records it re-reads (replay) or never sees (skip).
   */
  private planMirroredGroup(group: ConsumerGroup, topics: string[], state: RestoredState, mirror: MirrorOutcome): GroupPlan | ProbeEvidence[] {
    const restored = state.committed.get(group.groupId) ?? new Map<string, number>();
    const evidence = new Map<string, ProbeEvidence>();
    const toFetch: GroupPlan['toFetch'] = new Map();
    for (const committed of group.offsets) {
      const key = `${committed.topic}:${committed.partition}`;
      const base = { resource: `group ${group.groupId} ${key}`, expected: this.expectation(committed.offset) };
      const entry = mirror.entry(group.groupId, committed);
      const restoredOffset = restored.get(key);
      const log = state.logs.get(key);
      if (!entry) {
        evidence.set(key, {
          ...base,
          outcome: 'failed',
          observed: 'not mirrored',
          detail: `${committed.topic} is not among the topics the mirror copied: the group cannot resume on the target`,
        });
      } else if (!entry.resumeCopied) {
        // Not a resume problem: those records are the data the failover lost, which the RPO measures.
        evidence.set(key, { ...base, outcome: 'skipped', observed: 'not copied before the cut-over', detail: entry.note });
      } else if (entry.exact === null) {
        evidence.set(key, { ...base, outcome: 'failed', observed: 'record not on the target', detail: entry.note });
      } else if (!log || restoredOffset === undefined) {
        evidence.set(key, {
          ...base,
          outcome: 'failed',
          observed: 'no committed offset',
          detail: `the restored group has no committed offset for ${key}: a consumer would start where auto.offset.reset says`,
        });
      } else if (restoredOffset >= log.end || restoredOffset < log.start) {
        // Nothing to fetch (at the log end), or a reset: judged without a consumer.
        const resumedAt = restoredOffset < log.start ? log.start : Math.min(restoredOffset, log.end);
        const ok = this.within(entry.exact, resumedAt);
        evidence.set(key, {
          ...base,
          outcome: ok ? 'passed' : 'failed',
          observed: this.mirrorObserved(entry.exact, resumedAt),
          replay: replayOf(group.groupId, committed, entry.exact - resumedAt),
          detail: `${ok ? '' : `outside tolerance ${this.toleranceText()}: `}committed target offset ${restoredOffset}, log ${log.start}..${log.end}; ${entry.note}`,
        });
      } else {
        // The record to resume at as the mirror read it (read_committed), not the capture's, which may be an aborted one.
        toFetch.set(key, { committed, expectedSource: entry.exact, note: '', ...(entry.sha256 ? { expectedSha256: entry.sha256 } : {}) });
      }
    }
    return { group, topics, evidence, toFetch, offsetMap: undefined, mirrored: true };
  }

  private mirrorObserved(exact: number, resumedAt: number): string {
    if (resumedAt === exact) return 'resumes at the record it committed at';
    return resumedAt < exact ? `replays ${exact - resumedAt} record(s)` : `skips ${resumedAt - exact} record(s)`;
  }

  /** A kafkajs consumer in the restored group: the first record on each partition to fetch. */
  private async fetchWithKafkajs(plan: GroupPlan, context: ProbeContext): Promise<Fetched> {
    const { group, topics, toFetch, offsetMap } = plan;
    const firstRecords = new Map<string, { offset: number; source: number | undefined; sha256: string }>();
    const end = await runConsumerSession(createProbeClient(context.connection, { clientId: 'kafka-drill-offsets-probe' }), {
      groupId: group.groupId,
      topics,
      fromBeginning: true,
      until: 'messages',
      timeoutMs: Math.min(CONSUME_TIMEOUT_MS, context.timeoutMs),
      signal: context.signal,
      onMessage: ({ topic, partition, message }, consumer) => {
        const key = `${topic}:${partition}`;
        if (!toFetch.has(key) || firstRecords.has(key)) return false;
        const header = message.headers?.[SOURCE_OFFSET_HEADER];
        const source = offsetMap ? (header === undefined ? undefined : Number(String(header))) : Number(message.offset);
        firstRecords.set(key, {
          offset: Number(message.offset),
          source,
          sha256: recordFingerprint({ key: message.key ?? null, value: message.value ?? null, timestamp: BigInt(message.timestamp) }).sha256,
        });
        consumer.pause([{ topic, partitions: [partition] }]);
        return firstRecords.size === toFetch.size;
      },
    });
    return { records: firstRecords, ...(end.kind === 'failed' ? { failure: { message: end.message, kafkaError: end.kafkaError } } : {}) };
  }

  private judge(plan: GroupPlan, fetched: Fetched, context: ProbeContext): ProbeEvidence[] {
    const { group, evidence, toFetch, offsetMap, mirrored } = plan;
    const firstRecords = fetched.records;
    const failure = fetched.failure;
    for (const [key, { committed, expectedSource, note, expectedSha256 }] of toFetch) {
      const base = { resource: `group ${group.groupId} ${key}`, expected: this.expectation(committed.offset) };
      const first = firstRecords.get(key);
      if (!first) {
        const why = failure ? `the consumer failed: ${failure.message}` : `no record within ${Math.min(CONSUME_TIMEOUT_MS, context.timeoutMs)}ms`;
        evidence.set(key, {
          ...base,
          outcome: 'failed',
          observed: 'no record fetched',
          ...(failure?.kafkaError ? { kafkaError: failure.kafkaError } : {}),
          detail: why,
        });
        continue;
      }
      if (mirrored) {
        const ok = this.within(expectedSource, first.offset);
        const sameRecord = !this.spec.byContent || first.offset !== expectedSource || expectedSha256 === undefined || expectedSha256 === first.sha256;
        evidence.set(key, {
          ...base,
          outcome: ok && sameRecord ? 'passed' : 'failed',
          observed: this.mirrorObserved(expectedSource, first.offset),
          replay: replayOf(group.groupId, committed, expectedSource - first.offset),
          detail: `first record at target offset ${first.offset}; the record committed at on the source is at target offset ${expectedSource}${ok ? '' : `: outside tolerance ${this.toleranceText()}`}${sameRecord ? '' : '; its content differs from the snapshot fingerprint'}`,
        });
        continue;
      }
      const problems: string[] = [];
      let content = '';
      if (first.source === undefined || !Number.isSafeInteger(first.source)) {
        problems.push(`the record at target offset ${first.offset} has no ${SOURCE_OFFSET_HEADER} header: it is not a record the restore produced`);
      } else if (!this.within(expectedSource, first.source)) {
        problems.push(
          offsetMap
            ? `the first record (target offset ${first.offset}) stands for source offset ${first.source}, committed ${committed.offset}: outside tolerance ${this.toleranceText()}`
            : `first fetched offset ${first.offset} vs committed ${committed.offset} is outside tolerance ${this.toleranceText()}`,
        );
      } else if (offsetMap) {
        content = ` (target offset ${first.offset}; its ${SOURCE_OFFSET_HEADER} header says ${first.source})`;
      }
      if (this.spec.byContent && !offsetMap) {
        if (!committed.fingerprint) content = '; no fingerprint in the snapshot to compare';
        else if (committed.fingerprint.sha256 === first.sha256) content = '; same content (sha256 of key, value, timestamp)';
        else problems.push(`the record at ${first.offset} differs from the snapshot's (sha256 ${first.sha256.slice(0, 12)}… vs ${committed.fingerprint.sha256.slice(0, 12)}…)`);
      } else if (this.spec.byContent && committed.fingerprint) {
        content += "; fingerprints not compared: synthetic records are not the source's";
      }
      const observed = offsetMap ? `first record stands for ${first.source ?? '?'}` : `first record at ${first.offset}`;
      evidence.set(key, {
        ...base,
        outcome: problems.length > 0 ? 'failed' : 'passed',
        observed,
        ...(first.source !== undefined && Number.isSafeInteger(first.source) ? { replay: replayOf(group.groupId, committed, expectedSource - first.source) } : {}),
        detail: problems.length > 0 ? `${note}${problems.join('; ')}` : `${note}resumed at ${first.source}${content}`,
      });
    }
    return group.offsets.map((committed) => evidence.get(`${committed.topic}:${committed.partition}`)!);
  }

  private within(committedOffset: number, resumedAt: number): boolean {
    const tolerance: Tolerance = this.spec.tolerance;
    if (tolerance === 'exact') return resumedAt === committedOffset;
    if ('replay' in tolerance) return resumedAt <= committedOffset && committedOffset - resumedAt <= tolerance.replay;
    return resumedAt >= committedOffset && resumedAt - committedOffset <= tolerance.skip;
  }

  private toleranceText(): string {
    const tolerance = this.spec.tolerance;
    return tolerance === 'exact' ? 'exact' : 'replay' in tolerance ? `replay ≤ ${tolerance.replay}` : `skip ≤ ${tolerance.skip}`;
  }

  private expectation(offset: number): string {
    return `resume at ${offset} (${this.toleranceText()})`;
  }
}

/**
 * Committed offsets of every selected group (one OffsetFetch per coordinator, each group's
 * offsets as its coordinator holds them — not filtered through a client's topic metadata) and
 * the log start and end of every partition they name (one ListOffsets per leader and kind).
 */
async function readRestoredState(context: ProbeContext, groups: ConsumerGroup[]): Promise<RestoredState> {
  const keys = new Set(groups.flatMap((group) => group.offsets.map((o) => partitionKey(o.topic, o.partition))));
  return withAdmin(context.connection, async (admin) => {
    const existing = new Set(await retryTransient(() => admin.listTopics()));
    const partitions = [...keys]
      .map((key) => {
        const [topic, partition] = key.split('\u0000');
        return { topic: topic!, partition: Number(partition) };
      })
      .filter((p) => existing.has(p.topic));
    const [committed, ends, starts] = await Promise.all([
      retryTransient(() =>
        fetchCommittedOffsets(
          admin,
          groups.map((group) => group.groupId),
        ),
      ),
      readLogEnds(context, partitions),
      retryTransient(() => listLogOffsets(admin, partitions, 'earliest')),
    ]);
    const logs = new Map<string, { start: number; end: number }>();
    for (const p of partitions) {
      const end = ends.get(partitionKey(p.topic, p.partition));
      if (end !== undefined) logs.set(`${p.topic}:${p.partition}`, { start: Number(starts.get(partitionKey(p.topic, p.partition)) ?? 0n), end: Number(end) });
    }
    return {
      committed: new Map([...committed].map(([groupId, offsets]) => [groupId, new Map(offsets.map((o) => [`${o.topic}:${o.partition}`, Number(o.offset)]))])),
      logs,
    };
  });
}

const LOG_END_READS = 5;

/**
 * Log end offsets, read again (by a fresh client, so with fresh leaders) while any partition
 * reads fewer records than the restore wrote into it: under load a CI run once read 0 for every
 * partition of two topics that verify had just seen full. A read that stays short after that is
 * judged as read.
 */
async function readLogEnds(context: ProbeContext, partitions: { topic: string; partition: number }[]) {
  const offsetMap = context.restoredData?.mode === 'synthetic' ? context.restoredData.offsetMap : undefined;
  for (let read = 1; ; read++) {
    const ends = await withAdmin(context.connection, (admin) => retryTransient(() => listLogOffsets(admin, partitions, 'latest')));
    const short = offsetMap && partitions.some((p) => Number(ends.get(partitionKey(p.topic, p.partition)) ?? 0n) < (offsetMap.get(p.topic, p.partition)?.target.logEnd ?? 0));
    if (!short || read === LOG_END_READS || context.signal.aborted) return ends;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}

/** The typed replay of one partition: records re-read (negative: skipped) from where the consumer resumed. */
function replayOf(group: string, committed: Pick<CommittedOffset, 'topic' | 'partition'>, records: number): NonNullable<ProbeEvidence['replay']> {
  return { group, topic: committed.topic, partition: committed.partition, records };
}
