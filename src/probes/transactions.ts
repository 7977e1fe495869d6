import { randomBytes } from 'node:crypto';
import type { Admin, Kafka, RecordMetadata } from 'kafkajs';
import { errorMessage } from '../errors.js';
import { kafkaErrorName } from '../kafka/errors.js';
import { setGroupStart } from '../kafka/offset-commit.js';
import type { ProbeEvidence } from '../model/result.js';
import { runConsumerSession } from './consumer-session.js';
import type { ProbeContext } from './probe.js';

/**
 * produce-consume's transactions check on one topic, with a real transactional producer: commits
 * N records (A), aborts N (B), commits N (C). A read_committed consumer from A's first offsets must
 * get A and C and nothing of B; a group committed right after A — at A's commit marker, where a
 * consumer that read A commits — must resume at C's first record, past the aborted records and
 * both markers. Two throwaway groups, deleted afterwards, placed by the admin of
 * `context.connection` (the principal `admin` connects as, in every caller).
 */
export async function checkTransactions(
  kafka: Kafka,
  admin: Admin,
  context: Pick<ProbeContext, 'timeoutMs' | 'signal' | 'connection'>,
  probe: { id: string; topic: string; records: number; principal: string; timeoutMs: number; transactionTimeoutMs?: number | undefined },
): Promise<ProbeEvidence> {
  const { topic, records: count } = probe;
  const marker = `kafka-drill:${probe.id}:tx:${randomBytes(6).toString('hex')}`;
  const base = {
    principal: probe.principal,
    operation: 'WRITE (transactional), READ (read_committed)',
    resource: `topic ${topic}`,
    expected: `${2 * count} committed records, none of ${count} aborted; a group committed at a commit marker resumes at the next committed record`,
  };
  const groups = { all: `kafka-drill-transactions-${randomBytes(6).toString('hex')}`, resume: `kafka-drill-transactions-${randomBytes(6).toString('hex')}` };
  try {
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
    const partitions = metadata.topics[0]?.partitions.map((partition) => partition.partitionId).sort((a, b) => a - b) ?? [0];
    const messages = (batch: 'A' | 'B' | 'C') =>
      Array.from({ length: count }, (_, index) => ({
        partition: partitions[index % partitions.length]!,
        key: `${marker}:${batch}:${index}`,
        value: `${marker}:${batch}:${index}`,
      }));
    const producer = kafka.producer({
      transactionalId: marker,
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      ...(probe.transactionTimeoutMs ? { transactionTimeout: probe.transactionTimeoutMs } : {}),
    });
    await producer.connect();
    const sent: Record<'A' | 'C', RecordMetadata[]> = { A: [], C: [] };
    try {
      for (const batch of ['A', 'B', 'C'] as const) {
        const transaction = await producer.transaction();
        const metadata = await transaction.send({ topic, acks: -1, messages: messages(batch) });
        if (batch === 'B') await transaction.abort();
        else {
          await transaction.commit();
          sent[batch] = metadata;
        }
      }
    } finally {
      await producer.disconnect().catch(() => {});
    }
    const perPartition = (batch: 'A' | 'C', partition: number) => messages(batch).filter((message) => message.partition === partition).length;
    const startOf = (batch: 'A' | 'C') => new Map(sent[batch].map((meta) => [meta.partition, Number(meta.baseOffset)]));
    const aStart = startOf('A');
    const cStart = startOf('C');

    // Every committed record back, none aborted.
    const timeoutMs = Math.min(probe.timeoutMs, context.timeoutMs);
    await setGroupStart(context.connection, groups.all, topic, aStart, timeoutMs);
    const committed = new Set<string>();
    let aborted = 0;
    const readAll = await runConsumerSession(kafka, {
      groupId: groups.all,
      topics: [topic],
      fromBeginning: true,
      until: 'messages',
      timeoutMs,
      signal: context.signal,
      onMessage: ({ message }) => {
        const key = message.key?.toString() ?? '';
        if (key.startsWith(`${marker}:B:`)) aborted++;
        else if (key.startsWith(`${marker}:`)) committed.add(key);
        return committed.size >= 2 * count;
      },
    });

    // A group at A's commit marker (A's last record + 1) resumes at C's first record in every partition holding both.
    const resumed = [...aStart].filter(([partition]) => cStart.has(partition) && perPartition('A', partition) > 0 && perPartition('C', partition) > 0);
    await setGroupStart(context.connection, groups.resume, topic, new Map(resumed.map(([partition, offset]) => [partition, offset + perPartition('A', partition)])), timeoutMs);
    const firstAt = new Map<number, number>();
    const resume = await runConsumerSession(kafka, {
      groupId: groups.resume,
      topics: [topic],
      fromBeginning: true,
      until: 'messages',
      timeoutMs,
      signal: context.signal,
      onMessage: ({ partition, message }) => {
        if (!firstAt.has(partition)) firstAt.set(partition, Number(message.offset));
        return resumed.every(([p]) => firstAt.has(p));
      },
    });
    const wrongResume = resumed.filter(([partition]) => firstAt.get(partition) !== cStart.get(partition));

    const problems = [
      committed.size < 2 * count ? `${committed.size} of ${2 * count} committed records back` : '',
      aborted > 0 ? `${aborted} aborted record(s) delivered to a read_committed consumer` : '',
      ...wrongResume.map(([partition]) => `partition ${partition} resumed at ${firstAt.get(partition) ?? 'nothing'}, not at ${cStart.get(partition)}`),
    ].filter(Boolean);
    const ended = [readAll, resume].find((end) => end.kind === 'failed' || end.kind === 'timeout');
    const observed = `${committed.size} committed records back, ${aborted} aborted; ${resumed.length - wrongResume.length} of ${resumed.length} partition(s) resumed at the next committed record`;
    const detail = `transactions of ${count} records: committed, aborted, committed, over ${partitions.length} partition(s)${probe.transactionTimeoutMs ? `, transaction.timeout.ms ${probe.transactionTimeoutMs}` : ''}`;
    if (problems.length === 0) return { ...base, outcome: 'passed', observed, detail };
    return {
      ...base,
      outcome: 'failed',
      observed,
      ...(ended?.kind === 'failed' && ended.kafkaError ? { kafkaError: ended.kafkaError } : {}),
      detail: `${detail}: ${problems.join('; ')}${ended ? `; the consumer ${ended.kind === 'failed' ? `failed: ${ended.message}` : 'timed out'}` : ''}`,
    };
  } catch (error) {
    const kafkaError = kafkaErrorName(error);
    return { ...base, outcome: 'failed', observed: `error: ${errorMessage(error)}`, ...(kafkaError ? { kafkaError } : {}), detail: errorMessage(error) };
  } finally {
    await admin.deleteGroups([groups.all, groups.resume]).catch(() => {});
  }
}
