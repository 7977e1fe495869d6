import type { StreamsRun } from '../kafka/java-streams.js';
import type { ProbeEvidence } from '../model/result.js';
import type { Snapshot } from '../snapshot/schema.js';

/**
 * What the snapshot says of the application's changelog: the records it held per partition (log
 * end − log start), or, when it is not in the snapshot although the application had state, why.
 */
export interface SnapshotChangelog {
  name: string;
  records?: Record<string, number>;
  leftOut?: string;
}

/**
 * The changelog `name` as the snapshot has it. Not in the snapshot: left out when the capture's
 * filters did not take it, or when the application's group had processed input (committed past the
 * log start), so its store had state; otherwise the application never had any.
 */
export function snapshotChangelogOf(snapshot: Pick<Snapshot, 'source' | 'topics' | 'consumerGroups'>, application: string, name: string): SnapshotChangelog {
  const topic = snapshot.topics.find((entry) => entry.name === name);
  if (topic) return { name, records: Object.fromEntries(topic.partitionOffsets.map((entry) => [String(entry.partition), entry.logEndOffset - entry.logStartOffset])) };
  const { include, exclude } = snapshot.source.filters;
  const excludedBy = exclude.find((pattern) => new RegExp(pattern).test(name));
  if (excludedBy !== undefined) return { name, leftOut: `the capture's --exclude ${excludedBy} left it out` };
  if (include.length > 0 && !include.some((pattern) => new RegExp(pattern).test(name))) return { name, leftOut: `the capture's --include ${include.join(', ')} did not take it` };
  const logStart = new Map(snapshot.topics.flatMap((entry) => entry.partitionOffsets.map((offsets) => [`${entry.name}:${offsets.partition}`, offsets.logStartOffset] as const)));
  const processed = (snapshot.consumerGroups.find((group) => group.groupId === application)?.offsets ?? []).reduce(
    (total, offset) => total + Math.max(0, offset.offset - (logStart.get(`${offset.topic}:${offset.partition}`) ?? offset.offset)),
    0,
  );
  return processed > 0 ? { name, leftOut: `not captured, though the group had committed ${processed} input records past the log start` } : { name };
}

/**
 * The checks of a streams probe, from what one run of the application saw. What they can prove with
 * synthetic data: Streams restored exactly the records the restored changelog holds (record
 * contents are not compared: synthetic records are not the source's counts), the store holds one
 * entry per distinct changelog key, and the first offset processed per input partition is the
 * restored committed offset. `changelog`: what the snapshot says the changelog held, so a
 * changelog missing from the restore (left out of the snapshot, or lost or emptied by the restore) fails.
 */
export function streamsEvidence(run: StreamsRun, application: string, changelog: SnapshotChangelog): ProbeEvidence[] {
  const evidence: ProbeEvidence[] = [];
  const resource = `application ${application}`;
  const started = run.ok && run.running === true;
  evidence.push({
    outcome: started ? 'passed' : 'failed',
    resource,
    expected: 'starts and runs with the restored ACLs',
    observed: started ? `RUNNING (kafka-streams ${run.clientVersion})` : `${run.running ? 'ran, then failed' : 'did not reach RUNNING'}: ${run.message ?? 'no error'}`,
    ...(run.kafkaError ? { kafkaError: run.kafkaError } : {}),
  });

  for (const [partition, first] of Object.entries(run.firstOffsets ?? {})) {
    const committed = run.committed?.[partition];
    const expected = committed ?? run.inputLogStart?.[partition];
    evidence.push({
      outcome: first === expected ? 'passed' : 'failed',
      resource: `${resource} input partition ${partition}`,
      expected: committed === undefined ? `no committed offset: starts at the log start ${expected}` : `resumes at the restored committed offset ${committed}`,
      observed: `first offset processed ${first}${expected === undefined ? '' : first > expected ? ` (skips ${first - expected})` : first < expected ? ` (re-reads ${expected - first})` : ''}`,
    });
  }
  if (started && run.processedAllPartitions === false) {
    evidence.push({ outcome: 'failed', resource, expected: 'processes a record on every input partition', observed: 'not every partition processed within the budget' });
  }

  if (!started) {
    evidence.push({ outcome: 'skipped', resource, expected: 'state rebuilt from the restored changelog', observed: 'not checked', detail: 'the application did not run' });
    return evidence;
  }
  const wantTotal = sum(changelog.records);
  const restoredTotal = sum(run.restored);
  if (!run.changelogExisted) {
    const rebuiltEmpty = `state rebuilt empty (${restoredTotal} records restored)`;
    evidence.push(
      changelog.leftOut !== undefined
        ? {
            outcome: 'failed',
            resource,
            expected: `state rebuilt from ${changelog.name}`,
            observed: `${changelog.name} is not in the snapshot (${changelog.leftOut}): ${rebuiltEmpty}`,
          }
        : {
            outcome: wantTotal > 0 ? 'failed' : 'passed',
            resource,
            expected: wantTotal > 0 ? `state rebuilt from ${changelog.name} (${wantTotal} records in the snapshot)` : `no ${changelog.name} in the snapshot: empty state`,
            observed: `${changelog.name} is not on the restored cluster: ${rebuiltEmpty}`,
          },
    );
    return evidence;
  }
  for (const [partition, onLog] of Object.entries(run.changelogRecords ?? {})) {
    const restored = run.restored?.[partition] ?? 0;
    evidence.push({
      outcome: restored === onLog ? 'passed' : 'failed',
      resource: `${resource} changelog partition ${partition}`,
      expected: `the store restores the ${onLog} records of the restored changelog`,
      observed: `${restored} restored`,
    });
  }
  if (wantTotal > 0) {
    const onLog = sum(run.changelogRecords);
    evidence.push({
      outcome: onLog > 0 ? 'passed' : 'failed',
      resource,
      expected: `state from the snapshot's changelog (${wantTotal} records between log start and end)`,
      observed: onLog > 0 ? `${onLog} records on the restored changelog` : `${changelog.name} is empty on the restored cluster: state rebuilt empty`,
    });
  }
  if (run.storeEntries !== undefined && run.changelogKeys !== undefined) {
    // Records processed since may add keys (the marker's, new input keys), never remove one.
    evidence.push({
      outcome: run.storeEntries >= run.changelogKeys ? 'passed' : 'failed',
      resource,
      expected: `at least one store entry per distinct changelog key (${run.changelogKeys})`,
      observed: `${run.storeEntries} entries`,
    });
  }
  return evidence;
}

function sum(values: Record<string, number> | undefined): number {
  return Object.values(values ?? {}).reduce((total, value) => total + value, 0);
}
