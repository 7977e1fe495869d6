import type { StreamsRun } from '../kafka/java-streams.js';
import type { ProbeEvidence } from '../model/result.js';

/**
 * The checks of a streams probe, from what one run of the application saw. What they can prove with
 * synthetic data: Streams restored exactly the records the restored changelog holds (record
 * contents are not compared: synthetic records are not the source's counts), the store holds one
 * entry per distinct changelog key, and the first offset processed per input partition is the
 * restored committed offset. `snapshotChangelogRecords`: what the snapshot says the changelog held
 * (log end − log start per partition), so a changelog missing or emptied by the restore fails.
 */
export function streamsEvidence(run: StreamsRun, application: string, snapshotChangelogRecords: Record<string, number> | undefined): ProbeEvidence[] {
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
  const wantTotal = sum(snapshotChangelogRecords);
  const restoredTotal = sum(run.restored);
  if (!run.changelogExisted) {
    evidence.push({
      outcome: wantTotal > 0 ? 'failed' : 'passed',
      resource,
      expected: wantTotal > 0 ? `state rebuilt from the restored changelog (${wantTotal} records in the snapshot)` : 'no changelog in the snapshot: empty state',
      observed: `no changelog on the restored cluster: state rebuilt empty (${restoredTotal} records restored)`,
    });
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
      observed: onLog > 0 ? `${onLog} records on the restored changelog` : 'the restored changelog is empty: state rebuilt empty',
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
