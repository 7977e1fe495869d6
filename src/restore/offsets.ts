import { fetchCommittedOffsets } from '../kafka/groups.js';
import { commitOffsetsUntilSettled, type OffsetToCommit } from '../kafka/offset-commit.js';
import { retryTransient } from '../kafka/retry.js';
import { listLogOffsets, partitionKey } from '../kafka/log-offsets.js';
import type { CommittedOffset } from '../snapshot/schema.js';
import { PhaseRecorder, type PhaseResult, type RestoreContext } from './phase.js';

/**
 * Consumer group offsets with their metadata: one OffsetFetch for every group, then one
 * OffsetCommit per group whose offsets differ (Kafka commits per group). With synthetic data
 * each offset is translated through the offset map (same position relative to the data, the
 * log start and the log end); with data none it is set as the source had it. Offsets outside
 * the restored log are still set and reported: a consumer would reset there.
 */
export async function restoreOffsets(context: RestoreContext, recorder = new PhaseRecorder('offsets')): Promise<PhaseResult> {
  const { admin, snapshot } = context;
  const groups = snapshot.consumerGroups.filter((group) => group.offsets.length > 0);
  if (groups.length === 0) return recorder.finish();

  // Several groups commit on one partition; Kafka refuses a ListOffsets naming a partition twice.
  const partitionKeys = new Set(groups.flatMap((g) => g.offsets.map((o) => partitionKey(o.topic, o.partition))));
  const partitions = [...partitionKeys].map((key) => {
    const [topic, partition] = key.split('\u0000');
    return { topic: topic!, partition: Number(partition) };
  });
  const existingTopics = new Set(await recorder.request(admin.listTopics()));
  const present = partitions.filter((p) => existingTopics.has(p.topic));
  const [current, ends, starts] = await Promise.all([
    recorder.request(
      retryTransient(
        () =>
          fetchCommittedOffsets(
            admin,
            groups.map((g) => g.groupId),
          ),
        context.transientDeadlineMs,
      ),
    ),
    recorder.request(retryTransient(() => listLogOffsets(admin, present, 'latest'), context.transientDeadlineMs)),
    recorder.request(retryTransient(() => listLogOffsets(admin, present, 'earliest'), context.transientDeadlineMs)),
  ]);

  const offsetMap = context.offsetMap;
  const translated = new Map<CommittedOffset, number>();
  const commits = new Map<string, OffsetToCommit[]>();
  const createdGroups = new Set<string>();
  for (const group of groups) {
    const committed = new Map((current.get(group.groupId) ?? []).map((o) => [partitionKey(o.topic, o.partition), o]));
    let missingTopic = false;
    const wanted = group.offsets.filter((o) => {
      const object = `group ${group.groupId} ${o.topic}-${o.partition}`;
      if (!existingTopics.has(o.topic)) {
        recorder.finding('offset-topic-missing', 'error', object, `topic ${o.topic} does not exist in the target; the offset cannot be committed`, 'UNKNOWN_TOPIC_OR_PARTITION');
        missingTopic = true;
        return false;
      }
      // Not copied by the mirror: the data phase reported it, and no position on the target stands for it.
      if (context.mirror && !context.mirror.evidence.topics.includes(o.topic)) return false;
      const end = Number(ends.get(partitionKey(o.topic, o.partition)) ?? 0n);
      const start = Number(starts.get(partitionKey(o.topic, o.partition)) ?? 0n);
      const position = context.mirror ? context.mirror.translate(group.groupId, o) : offsetMap?.translate(o.topic, o.partition, o.offset);
      const target = position?.offset ?? o.offset;
      const shown = target === o.offset ? `${o.offset}` : `${o.offset} (target ${target})`;
      const asInSource = position?.exact && (position.kind === 'before-log-start' || position.kind === 'beyond-log-end');
      if (asInSource) {
        const where =
          position.kind === 'before-log-start' ? ['before the source log start', 'before the restored log start'] : ['beyond the source log end', 'beyond the restored log end'];
        recorder.finding(
          'offset-reset-as-in-source',
          'info',
          object,
          `committed offset ${shown} is ${where[0]} and ${where[1]}: a consumer resets (auto.offset.reset), as it would on the source`,
        );
      } else if (target > end)
        recorder.finding('offset-beyond-log-end', 'warning', object, `committed offset ${shown} is beyond the restored log end ${end}: a consumer will reset (auto.offset.reset)`);
      else if (target < start)
        recorder.finding(
          'offset-before-log-start',
          'warning',
          object,
          `committed offset ${shown} is before the restored log start ${start}: a consumer will reset (auto.offset.reset)`,
        );
      if (position && !position.exact) recorder.finding('offset-approximated', 'warning', object, `committed offset ${shown}: ${position.reason}`);
      translated.set(o, target);
      const now = committed.get(partitionKey(o.topic, o.partition));
      return now?.offset !== BigInt(target) || (now.metadata ?? '') !== (o.metadata ?? '');
    });
    if (missingTopic) recorder.counts.failed++;
    if (wanted.length === 0) {
      if (!missingTopic) recorder.counts.unchanged++;
      continue;
    }
    if (committed.size === 0) createdGroups.add(group.groupId);
    commits.set(
      group.groupId,
      wanted.map((o) => ({ topic: o.topic, partition: o.partition, offset: translated.get(o)!, metadata: o.metadata })),
    );
  }
  if (commits.size > 0) {
    recorder.requests += 1 + commits.size;
    const errors = await commitOffsetsUntilSettled(admin, commits, context.transientDeadlineMs);
    for (const error of errors) {
      recorder.finding('offset-commit-failed', 'error', `group ${error.groupId} ${error.topic}-${error.partition}`, 'committing the offset failed', error.error);
    }
    const failedGroups = new Set(errors.map((e) => e.groupId));
    for (const groupId of commits.keys()) {
      if (failedGroups.has(groupId)) recorder.counts.failed++;
      else if (!recorder.findings.some((f) => f.severity === 'error' && f.object.startsWith(`group ${groupId} `)))
        recorder.counts[createdGroups.has(groupId) ? 'created' : 'updated']++;
    }
  }
  return recorder.finish();
}
