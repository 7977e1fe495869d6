import { errorMessage } from '../errors.js';
import { createProbeClient } from '../kafka/probe-client.js';
import { deleteRecordsV2 } from '@platformatic/kafka';
import { connectionsTo, errorName, withPerObjectErrors } from '../kafka/raw.js';
import { kafkaErrorName } from '../kafka/errors.js';
import { listLogOffsets, partitionKey } from '../kafka/log-offsets.js';
import { retryTransient } from '../kafka/retry.js';
import { planOffsetMap, SOURCE_OFFSET_HEADER, targetRecords } from './offset-map.js';
import { runMirror } from './mirror.js';
import { PhaseRecorder, type PhaseResult, type RestoreContext } from './phase.js';

/**
 * Records a produce request carries. kafkajs encodes a request into buffers it doubles as they
 * fill, allocated outside V8's heap and freed only when a collection finds them; the allocator
 * keeps the pages they took. At 5,000 topics the process's native heap grew 8 → 24–25 MB in
 * this phase with 5,000 records a request, 8 → 18–19 MB with 2,500 and 8 → 17–18 MB with 1,000.
 * Each request waits for every replica's ack, so fewer records a request cost time: a
 * 10,000-topic drill on two brokers took 24 s in this phase with 5,000, 25–31 s with 2,500 and
 * 40 s with 1,000.
 */
const BATCH = 2_500;
/** Client properties that hold secrets: passwords, JAAS configs (with their passwords), inline keys. */
const SECRET_PROPERTY = /password|jaas|secret|\.key$|credentials/i;
/** One synthetic batch's produce request may wait this long for acks=all from every replica. */
const PRODUCE_TIMEOUT_MS = 30_000;

/**
 * The record synthetic data writes for a source offset: keyed, with a key unique per offset (a
 * compacted topic keeps every one during the drill), and a header naming the source offset it
 * stands for, so a consumer's position can be proven by content. `null`: a filler record the
 * phase deletes again, to move the log start.
 */
export function syntheticRecord(topic: string, partition: number, sourceOffset: number | null) {
  const stands = sourceOffset === null ? 'filler' : String(sourceOffset);
  return {
    key: `kafka-drill:${topic}:${partition}:${stands}`,
    value: JSON.stringify({ synthetic: true, topic, partition, sourceOffset }),
    headers: { [SOURCE_OFFSET_HEADER]: stands },
  };
}

/**
 * Data: `none` leaves topics empty; `synthetic` produces, per partition, the records the offset
 * map plans (rebased windows around committed offsets and before the log end, each record
 * carrying the source offset it stands for), then DeleteRecords removes the filler record on
 * partitions where a committed offset lies before the source log start. Record content is not
 * the source's: fingerprints cannot match.
 */
export async function restoreData(context: RestoreContext, recorder = new PhaseRecorder('data')): Promise<PhaseResult> {
  const { admin, snapshot, options } = context;
  const partitions = snapshot.topics.flatMap((topic) => topic.partitionOffsets.map((p) => ({ topic: topic.name, ...p })));
  if ((options.data ?? 'none') === 'none') {
    const withData = partitions.filter((p) => p.logEndOffset > 0).length;
    if (withData > 0) recorder.finding('data-not-restored', 'info', 'data', `data mode none: ${withData} partition(s) that held records in the snapshot stay empty`);
    recorder.counts.unchanged = snapshot.topics.length;
    return recorder.finish();
  }
  if (options.data === 'mirror') {
    if (!options.mirror || !options.connect) throw new Error('data: mirror needs the source and a Kafka Connect worker');
    // The source's credentials ride in the connectors' configs: masked wherever a Connect error might echo them.
    if (options.mirror.source.sasl) options.secrets?.add(options.mirror.source.sasl.password);
    for (const [key, value] of Object.entries(options.mirror.sourceProperties)) if (SECRET_PROPERTY.test(key) && value) options.secrets?.add(value);
    context.mirror = await runMirror(context, options.connect, options.mirror, recorder);
    recorder.counts.created = context.mirror.evidence.topics.length;
    return recorder.finish();
  }
  const offsetMap = context.offsetMap ?? planOffsetMap(snapshot, { maxRecordsPerPartition: options.maxRecordsPerPartition });
  const plans = [...offsetMap.partitions()];

  const [ends, starts] = await Promise.all([
    recorder.request(retryTransient(() => listLogOffsets(admin, partitions, 'latest'), context.transientDeadlineMs)),
    recorder.request(retryTransient(() => listLogOffsets(admin, partitions, 'earliest'), context.transientDeadlineMs)),
  ]);
  const toProduce = plans.map((plan) => ({ plan, from: Number(ends.get(partitionKey(plan.topic, plan.partition)) ?? 0n) })).filter(({ plan, from }) => from < plan.target.logEnd);
  const touched = new Set<string>();
  if (toProduce.length > 0) {
    // kafkajs, not the admin library's Producer: against a 3-broker cluster the latter resolved
    // sends that never reached the log (verify caught it); kafkajs writes what it acknowledges.
    // Idempotent: a send retried after a timeout (a loaded machine, acks from three replicas) cannot
    // write its records twice and shift every target offset after them.
    const producer = createProbeClient(context.connection, { clientId: 'kafka-drill-restore', retries: 5, requestTimeoutMs: PRODUCE_TIMEOUT_MS }).producer({
      allowAutoTopicCreation: false,
      idempotent: true,
      maxInFlightRequests: 1,
    });
    try {
      await producer.connect();
      let batch = new Map<string, { partition: number; key: string; value: string; headers: Record<string, string> }[]>();
      let size = 0;
      const flush = async () => {
        if (size === 0) return;
        options.signal?.throwIfAborted();
        const topicMessages = [...batch].filter(([, messages]) => messages.length > 0).map(([topic, messages]) => ({ topic, messages }));
        batch = new Map();
        size = 0;
        await recorder.request(producer.sendBatch({ acks: -1, topicMessages }));
      };
      for (const { plan, from } of toProduce) {
        let messages = batch.get(plan.topic) ?? [];
        batch.set(plan.topic, messages);
        for (const record of targetRecords(plan, from)) {
          messages.push({ partition: plan.partition, ...syntheticRecord(plan.topic, plan.partition, record.source) });
          if (++size >= BATCH) {
            await flush();
            messages = [];
            batch.set(plan.topic, messages);
          }
        }
        touched.add(plan.topic);
      }
      await flush();
    } catch (error) {
      recorder.finding('data-produce-failed', 'error', 'data', `producing synthetic records failed: ${errorMessage(error)}`, kafkaErrorName(error));
    } finally {
      await producer.disconnect().catch(() => {});
    }
  }

  const produced = toProduce.map(({ plan }) => ({ topic: plan.topic, partition: plan.partition, logEndOffset: plan.target.logEnd }));
  if (produced.length > 0 && !recorder.findings.some((f) => f.severity === 'error')) await awaitLogEnds(context, recorder, produced);

  const toTrim = plans
    .filter((plan) => plan.target.logStart > Number(starts.get(partitionKey(plan.topic, plan.partition)) ?? 0n))
    .map((plan) => ({ topic: plan.topic, partition: plan.partition, logStartOffset: plan.target.logStart }));
  if (toTrim.length > 0 && !recorder.findings.some((f) => f.severity === 'error')) {
    for (const trimmed of await trimLogStarts(context, recorder, toTrim)) touched.add(trimmed);
  }
  const truncated = plans.filter((plan) => plan.omitted > 0);
  if (truncated.length > 0) {
    const omitted = truncated.reduce((sum, plan) => sum + plan.omitted, 0);
    recorder.finding(
      'data-lag-truncated',
      'info',
      'data',
      `${truncated.length} partition(s) lag more than ${offsetMap.maxRecordsPerPartition} records behind a committed offset: ${omitted} source record(s) before their log ends are not reproduced (restore.synthetic.maxRecordsPerPartition); committed offsets and log ends still translate exactly`,
    );
  }
  if (!recorder.findings.some((f) => f.severity === 'error')) {
    recorder.counts.updated = touched.size;
    recorder.counts.unchanged = snapshot.topics.length - touched.size;
  } else if (recorder.counts.failed === 0) {
    recorder.counts.failed = toProduce.length;
  }
  return recorder.finish();
}

/**
 * DeleteRecords goes to each partition's leader: one request per leader broker. Kafka refuses it
 * on compacted topics (POLICY_VIOLATION); that log start offset is unrestorable, not an error.
 */
async function trimLogStarts(context: RestoreContext, recorder: PhaseRecorder, toTrim: { topic: string; partition: number; logStartOffset: number }[]) {
  const { admin } = context;
  const metadata = await recorder.request(admin.metadata({ topics: [...new Set(toTrim.map((p) => p.topic))] }));
  const byLeader = new Map<number, Map<string, { partitionIndex: number; offset: bigint }[]>>();
  for (const p of toTrim) {
    const leader = metadata.topics.get(p.topic)?.partitions[p.partition]?.leader ?? context.brokerIds[0]!;
    const topics = byLeader.get(leader) ?? new Map();
    topics.set(p.topic, [...(topics.get(p.topic) ?? []), { partitionIndex: p.partition, offset: BigInt(p.logStartOffset) }]);
    byLeader.set(leader, topics);
  }
  const connections = await connectionsTo(admin, [...byLeader.keys()]);
  const trimmed = new Set<string>();
  await Promise.all(
    [...byLeader].map(async ([leader, topics]) => {
      const request = [...topics].map(([name, partitions]) => ({ name, partitions }));
      const response = await recorder.request(withPerObjectErrors(deleteRecordsV2.api.async(connections.get(leader)!, request, 30_000)));
      for (const topic of response.topics) {
        for (const partition of topic.partitions) {
          const object = `topic ${topic.name} partition ${partition.partitionIndex}`;
          const error = errorName(partition.errorCode);
          if (partition.errorCode === 0) trimmed.add(topic.name);
          else if (error === 'POLICY_VIOLATION')
            recorder.finding('log-start-not-restored', 'warning', object, 'log start offset not restored: Kafka refuses DeleteRecords on a compacted topic', error);
          else recorder.finding('log-start-refused', 'error', object, 'moving the log start offset failed', error);
        }
      }
    }),
  );
  return trimmed;
}

/**
 * An acknowledged send is not yet a readable record: consumers and ListOffsets see the high
 * watermark, which on a fresh multi-broker cluster can lag until followers fetch. The phase
 * waits until every partition's end offset is the snapshot's, and says so if it never gets there.
 */
async function awaitLogEnds(context: RestoreContext, recorder: PhaseRecorder, produced: { topic: string; partition: number; logEndOffset: number }[], timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  let short = produced;
  for (;;) {
    context.options.signal?.throwIfAborted();
    const ends = await recorder.request(retryTransient(() => listLogOffsets(context.admin, short, 'latest'), context.transientDeadlineMs));
    short = short.filter((p) => Number(ends.get(partitionKey(p.topic, p.partition)) ?? 0n) < p.logEndOffset);
    if (short.length === 0) return;
    if (Date.now() > deadline) {
      for (const p of short.slice(0, 10)) {
        recorder.finding(
          'data-log-end-not-reached',
          'error',
          `topic ${p.topic} partition ${p.partition}`,
          `end offset ${ends.get(partitionKey(p.topic, p.partition)) ?? 0n} did not reach ${p.logEndOffset} within ${timeoutMs / 1000}s of producing`,
        );
      }
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
