import { errorMessage } from '../errors.js';
import { randomBytes } from 'node:crypto';
import type { Admin, Kafka } from 'kafkajs';
import { setGroupStart } from '../kafka/offset-commit.js';
import { createProbeClient } from '../kafka/probe-client.js';
import type { ProduceConsumeProbeSpec } from '../drill-spec/schema.js';
import { adminPrincipal, driverFor, type ClientDriver } from './clients.js';
import { runConsumerSession } from './consumer-session.js';
import { checkTransactions } from './transactions.js';
import { mapWithLimit, verdictOf, type ProbeRunner, type ProbeContext, type ProbeVerdict } from './probe.js';
import type { ProbeEvidence } from '../model/result.js';

/**
 * The produce-consume probe: for each topic, the admin super user produces N records carrying
 * a unique run marker, spread over the partitions, then a fresh group whose offsets are set to
 * where the records landed consumes them back; count and content must match. The fresh group
 * is deleted afterwards, so the probe leaves only its records behind.
 */
const CONSUME_TIMEOUT_MS = 30_000;

export class ProduceConsumeProbe implements ProbeRunner {
  readonly type = 'produce-consume';

  constructor(
    readonly id: string,
    readonly name: string,
    private readonly spec: Pick<ProduceConsumeProbeSpec, 'topics' | 'records'> & Partial<Pick<ProduceConsumeProbeSpec, 'transactions' | 'transactionTimeoutMs'>>,
    readonly matrix?: ProbeRunner['matrix'],
  ) {}

  async check(context: ProbeContext): Promise<ProbeVerdict> {
    const clientClass = this.matrix?.clientClass ?? 'kafkajs';
    if (clientClass !== 'kafkajs') {
      const verdict = await this.checkWith(driverFor(clientClass, context), context);
      if (!this.spec.transactions) return verdict;
      const skipped = this.spec.topics.map((topic): ProbeEvidence => ({
        outcome: 'skipped',
        principal: adminPrincipal(context),
        operation: 'WRITE (transactional), READ (read_committed)',
        resource: `topic ${topic}`,
        expected: 'the transactions check',
        observed: 'not run',
        detail: `the transactions check runs with the kafkajs client class only, not ${clientClass}`,
      }));
      return { ...verdict, ...verdictOf([...verdict.evidence, ...skipped]) };
    }
    const kafka = createProbeClient(context.connection, { clientId: 'kafka-drill-produce-consume' });
    const admin = kafka.admin();
    await admin.connect();
    try {
      const evidence = await mapWithLimit(this.spec.topics, 2, (topic) => this.checkTopic(topic, kafka, admin, context));
      if (this.spec.transactions)
        for (const topic of this.spec.topics)
          evidence.push(
            await checkTransactions(kafka, admin, context, {
              id: this.id,
              topic,
              records: this.spec.records,
              principal: adminPrincipal(context),
              timeoutMs: CONSUME_TIMEOUT_MS,
              transactionTimeoutMs: this.spec.transactionTimeoutMs,
            }),
          );
      return verdictOf(evidence);
    } finally {
      await admin.disconnect().catch(() => {});
    }
  }

  /** The same check through another client class: it produces, then reads back from where production started. */
  private async checkWith(driver: ClientDriver, context: ProbeContext): Promise<ProbeVerdict> {
    const count = this.spec.records;
    const markers = new Map(this.spec.topics.map((topic) => [topic, `kafka-drill:${this.id}:${randomBytes(6).toString('hex')}`]));
    const answers = await driver.produceConsume(this.spec.topics, count, (topic) => markers.get(topic)!);
    const evidence = answers.map((answer, index): ProbeEvidence => {
      const topic = this.spec.topics[index]!;
      const base = { principal: adminPrincipal(context), operation: 'WRITE, READ', resource: `topic ${topic}`, expected: `${count} records back` };
      const timing = `produced in ${answer.producedMs}ms, consumed in ${answer.durationMs - answer.producedMs}ms (${driver.note()})`;
      if (!answer.failure && answer.received === count && answer.wrong === 0)
        return { ...base, outcome: 'passed', observed: `${count} records back`, detail: `${count} records over ${answer.partitions} partition(s); ${timing}` };
      return {
        ...base,
        outcome: 'failed',
        observed:
          answer.failure && answer.received === 0
            ? `error: ${answer.failure.message}`
            : `${answer.received} records back${answer.wrong ? `, ${answer.wrong} with other content` : ''}`,
        ...(answer.failure?.kafkaError ? { kafkaError: answer.failure.kafkaError } : {}),
        detail: `expected ${count} records with marker ${markers.get(topic)}${answer.failure ? `; ${answer.failure.message}` : ''}; ${timing}`,
      };
    });
    return { ...verdictOf(evidence), processes: driver.processes() };
  }

  private async checkTopic(topic: string, kafka: Kafka, admin: Admin, context: ProbeContext): Promise<ProbeEvidence> {
    const marker = `kafka-drill:${this.id}:${randomBytes(6).toString('hex')}`;
    const count = this.spec.records;
    const base = { principal: `User:${context.connection.sasl?.username ?? 'ANONYMOUS'}`, operation: 'WRITE, READ', resource: `topic ${topic}`, expected: `${count} records back` };
    const started = performance.now();
    let producedMs = 0;
    const groupId = `kafka-drill-produce-consume-${randomBytes(6).toString('hex')}`;
    try {
      const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
      const partitions = metadata.topics[0]?.partitions.map((partition) => partition.partitionId).sort((a, b) => a - b) ?? [0];
      const producer = kafka.producer({ allowAutoTopicCreation: false });
      await producer.connect();
      let sent;
      try {
        const messages = Array.from({ length: count }, (_, index) => ({
          partition: partitions[index % partitions.length]!,
          key: `${marker}:${index}`,
          value: `${marker}:${index}`,
        }));
        sent = await producer.send({ topic, acks: -1, messages });
      } finally {
        await producer.disconnect().catch(() => {});
      }
      producedMs = Math.round(performance.now() - started);
      // baseOffset of each partition's batch: the fresh group starts exactly there.
      await setGroupStart(
        context.connection,
        groupId,
        topic,
        new Map(sent.map((meta) => [meta.partition, Number(meta.baseOffset)])),
        Math.min(CONSUME_TIMEOUT_MS, context.timeoutMs),
      );

      const received = new Map<string, string>();
      const end = await runConsumerSession(kafka, {
        groupId,
        topics: [topic],
        fromBeginning: true,
        until: 'messages',
        timeoutMs: Math.min(CONSUME_TIMEOUT_MS, context.timeoutMs),
        signal: context.signal,
        onMessage: ({ message }) => {
          const key = message.key?.toString() ?? '';
          if (key.startsWith(`${marker}:`)) received.set(key, message.value?.toString() ?? '');
          return received.size >= count;
        },
      });
      const wrong = [...received].filter(([key, value]) => key !== value).length;
      const timing = `produced in ${producedMs}ms, consumed in ${Math.round(performance.now() - started) - producedMs}ms`;
      if (received.size === count && wrong === 0)
        return { ...base, outcome: 'passed', observed: `${count} records back`, detail: `${count} records over ${partitions.length} partitions; ${timing}` };
      const why = end.kind === 'failed' ? `; the consumer failed: ${end.message}` : end.kind === 'timeout' ? '; timed out' : '';
      return {
        ...base,
        outcome: 'failed',
        observed: `${received.size} records back${wrong ? `, ${wrong} with other content` : ''}`,
        ...(end.kind === 'failed' && end.kafkaError ? { kafkaError: end.kafkaError } : {}),
        detail: `expected ${count} records with marker ${marker}${why}; ${timing}`,
      };
    } catch (error) {
      return { ...base, outcome: 'failed', observed: `error: ${errorMessage(error)}`, detail: errorMessage(error) };
    } finally {
      await admin.deleteGroups([groupId]).catch(() => {});
    }
  }
}
