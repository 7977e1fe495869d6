import type { Admin } from 'kafkajs';
import { createProbeClient } from '../kafka/probe-client.js';
import { recordFingerprint } from '../snapshot/fingerprint.js';
import type { CommittedOffset, ConsumerGroup } from '../snapshot/schema.js';
import type { OffsetsProbe as OffsetsProbeSpec } from '../spec/schema.js';
import { runConsumerSession } from './consumer-session.js';
import { verdictOf, type Probe, type ProbeContext, type ProbeEvidence, type ProbeVerdict } from './probe.js';

/**
 * The offsets probe: do consumers resume where the snapshot says? For each selected group, a
 * kafkajs consumer (as the admin super user) joins the restored group with auto-commit off and
 * never commits; the first record it fetches on each partition is compared with the snapshot's
 * committed offset under the tolerance, and by content when asked.
 *
 * Before consuming, the group's restored offsets and each partition's log start/end are read
 * with the admin client, so that what the consumer will do is known and named: a committed
 * offset beyond the log end makes the consumer reset (to earliest: that is what this probe's
 * consumer uses, auto.offset.reset=earliest), which is reported as a failed resumption; an
 * offset equal to the log end has nothing to fetch ("caught up") and passes when it matches.
 */
type Tolerance = OffsetsProbeSpec['tolerance'];

const CONSUME_TIMEOUT_MS = 30_000;

export class OffsetsProbe implements Probe {
  readonly type = 'offsets';
  readonly readsCommittedOffsets = true;

  constructor(
    readonly id: string,
    readonly name: string,
    private readonly spec: Pick<OffsetsProbeSpec, 'groups' | 'tolerance' | 'byContent'>,
  ) {}

  async check(context: ProbeContext): Promise<ProbeVerdict> {
    const groups = this.spec.groups === 'all' ? context.snapshot.consumerGroups : this.spec.groups.map((groupId) => context.snapshot.consumerGroups.find((group) => group.groupId === groupId) ?? groupId);
    const kafka = createProbeClient(context.connection, { clientId: 'kafka-drill-offsets-probe' });
    const admin = kafka.admin();
    await admin.connect();
    const evidence: ProbeEvidence[] = [];
    try {
      // Groups one after the other: each consumer session is short, and they share the admin connection.
      for (const group of groups) {
        if (typeof group === 'string') {
          evidence.push({ outcome: 'failed', resource: `group ${group}`, expected: 'a group in the snapshot', observed: 'not in the snapshot', detail: 'the spec names a group the snapshot does not have' });
          continue;
        }
        evidence.push(...(await this.checkGroup(group, admin, context)));
      }
    } finally {
      await admin.disconnect().catch(() => {});
    }
    return verdictOf(evidence);
  }

  private async checkGroup(group: ConsumerGroup, admin: Admin, context: ProbeContext): Promise<ProbeEvidence[]> {
    const topics = [...new Set(group.offsets.map((committed) => committed.topic))];
    if (topics.length === 0) return [{ outcome: 'skipped', resource: `group ${group.groupId}`, expected: 'committed offsets', observed: 'none in the snapshot', detail: 'nothing to resume' }];
    const restored = new Map<string, number>();
    for (const entry of await admin.fetchOffsets({ groupId: group.groupId, topics })) {
      for (const partition of entry.partitions) restored.set(`${entry.topic}:${partition.partition}`, Number(partition.offset));
    }
    const logs = new Map<string, { start: number; end: number }>();
    for (const topic of topics) {
      for (const partition of await admin.fetchTopicOffsets(topic)) logs.set(`${topic}:${partition.partition}`, { start: Number(partition.low), end: Number(partition.high) });
    }

    const evidence = new Map<string, ProbeEvidence>();
    const toFetch = new Map<string, CommittedOffset>();
    for (const committed of group.offsets) {
      const key = `${committed.topic}:${committed.partition}`;
      const base = { resource: `group ${group.groupId} ${key}`, expected: this.expectation(committed.offset) };
      const restoredOffset = restored.get(key) ?? -1;
      const log = logs.get(key);
      if (!log) {
        evidence.set(key, { ...base, outcome: 'failed', observed: 'partition missing', detail: `${key} does not exist on the restored cluster` });
      } else if (restoredOffset < 0) {
        evidence.set(key, { ...base, outcome: 'failed', observed: 'no committed offset', detail: `the restored group has no committed offset for ${key}: a consumer would reset to earliest (${log.start})` });
      } else if (restoredOffset > log.end) {
        evidence.set(key, { ...base, outcome: 'failed', observed: `reset to ${log.start}`,
          detail: `committed offset ${restoredOffset} is beyond log end ${log.end}: the consumer reset to earliest (${log.start})` });
      } else if (restoredOffset === log.end) {
        const ok = this.within(committed.offset, restoredOffset);
        evidence.set(key, { ...base, outcome: ok ? 'passed' : 'failed', observed: `resumes at ${restoredOffset}`,
          detail: `${ok ? '' : 'outside tolerance: '}caught up, nothing to fetch (committed ${restoredOffset} = log end)` });
      } else {
        if (restoredOffset < log.start) {
          evidence.set(key, { ...base, outcome: 'failed', observed: '', detail: `committed offset ${restoredOffset} is before log start ${log.start}: the consumer reset to earliest` });
        }
        toFetch.set(key, committed);
      }
    }

    if (toFetch.size > 0) {
      const firstRecords = new Map<string, { offset: number; sha256: string }>();
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
          firstRecords.set(key, { offset: Number(message.offset), sha256: recordFingerprint({ key: message.key ?? null, value: message.value ?? null, timestamp: BigInt(message.timestamp) }).sha256 });
          consumer.pause([{ topic, partitions: [partition] }]);
          return firstRecords.size === toFetch.size;
        },
      });
      for (const [key, committed] of toFetch) {
        const prior = evidence.get(key)?.detail;
        const base = { resource: `group ${group.groupId} ${key}`, expected: this.expectation(committed.offset) };
        const first = firstRecords.get(key);
        if (!first) {
          const why = end.kind === 'failed' ? `the consumer failed: ${end.message}` : `no record within ${Math.min(CONSUME_TIMEOUT_MS, context.timeoutMs)}ms`;
          evidence.set(key, { ...base, outcome: 'failed', observed: 'no record fetched', ...(end.kind === 'failed' && end.kafkaError ? { kafkaError: end.kafkaError } : {}), detail: why });
          continue;
        }
        const problems: string[] = [];
        if (!this.within(committed.offset, first.offset)) problems.push(`first fetched offset ${first.offset} vs committed ${committed.offset} is outside tolerance ${this.toleranceText()}`);
        let content = '';
        if (this.spec.byContent) {
          if (!committed.fingerprint) content = '; no fingerprint in the snapshot to compare';
          else if (committed.fingerprint.sha256 === first.sha256) content = '; same content (sha256 of key, value, timestamp)';
          else problems.push(`the record at ${first.offset} differs from the snapshot's (sha256 ${first.sha256.slice(0, 12)}… vs ${committed.fingerprint.sha256.slice(0, 12)}…)`);
        }
        const note = prior ? `${prior}; ` : '';
        evidence.set(key, { ...base, outcome: problems.length > 0 ? 'failed' : 'passed', observed: `first record at ${first.offset}`,
          detail: problems.length > 0 ? `${note}${problems.join('; ')}` : `${note}resumed at ${first.offset}${content}` });
      }
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
