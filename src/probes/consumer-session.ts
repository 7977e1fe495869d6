import type { Consumer, EachMessagePayload, Kafka } from 'kafkajs';
import { kafkaErrorName } from '../kafka/errors.js';
import { errorMessage } from '../errors.js';

/**
 * A kafkajs consumer in a group, run only until the probe has seen what it needs: the group
 * joined, a fetch answered, or every wanted record. It never commits (autoCommit off, no
 * commit calls) and never restarts after a crash, so a refusal surfaces once, as Kafka's error.
 */
export type ConsumerSessionEnd =
  { kind: 'joined' } | { kind: 'fetched' } | { kind: 'done' } | { kind: 'failed'; message: string; kafkaError: string | undefined } | { kind: 'timeout' };

export interface ConsumerSessionOptions {
  groupId: string;
  topics: string[];
  /** auto.offset.reset: earliest when true, latest when false. */
  fromBeginning: boolean;
  /** What ends the session successfully. `messages`: `onMessage` returned true. */
  until: 'joined' | 'fetched' | 'messages';
  onMessage?: (payload: EachMessagePayload, consumer: Consumer) => boolean;
  timeoutMs: number;
  signal: AbortSignal;
}

/**
 * Sessions in one group run one after another: two members with different subscriptions split
 * the group's partitions, and a member left without partitions of its topic proves nothing.
 * Keyed by group id alone; group names of throwaway groups carry a per-run marker.
 */
const groupQueues = new Map<string, Promise<unknown>>();

export function runConsumerSession(kafka: Kafka, options: ConsumerSessionOptions): Promise<ConsumerSessionEnd> {
  return inGroups([options.groupId], () => runAlone(kafka, options));
}

/**
 * Runs `session` once every earlier session in any of these groups has ended, and holds the
 * groups until it ends: consumers of other client classes (kcat, the Java runner) join restored
 * groups too, and must never share one with a kafkajs consumer or with each other.
 */
export function inGroups<T>(groupIds: readonly string[], session: () => Promise<T>): Promise<T> {
  const previous = Promise.all(groupIds.map((groupId) => groupQueues.get(groupId) ?? Promise.resolve()));
  const running = previous.then(session);
  const settled = running.catch(() => {});
  for (const groupId of groupIds) groupQueues.set(groupId, settled);
  void settled.then(() => {
    for (const groupId of groupIds) if (groupQueues.get(groupId) === settled) groupQueues.delete(groupId);
  });
  return running;
}

/** A probe's kafkajs consumer in a group: quick to join and fetch, never restarted after a crash. */
export function probeConsumer(kafka: Kafka, groupId: string): Consumer {
  return kafka.consumer({
    groupId,
    allowAutoTopicCreation: false,
    sessionTimeout: 10_000,
    rebalanceTimeout: 10_000,
    heartbeatInterval: 1_000,
    maxWaitTimeInMs: 250,
    // Retries ride out rebalances; authorization errors are not retriable in kafkajs, so they still end the session at once.
    retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 1_000, restartOnFailure: async () => false },
  });
}

async function runAlone(kafka: Kafka, options: ConsumerSessionOptions): Promise<ConsumerSessionEnd> {
  const consumer = probeConsumer(kafka, options.groupId);
  let finish!: (end: ConsumerSessionEnd) => void;
  const ended = new Promise<ConsumerSessionEnd>((resolve) => (finish = resolve));
  const timer = setTimeout(() => finish({ kind: 'timeout' }), options.timeoutMs);
  const onAbort = () => finish({ kind: 'failed', message: errorMessage(options.signal.reason), kafkaError: undefined });
  options.signal.addEventListener('abort', onAbort, { once: true });
  const fail = (error: unknown) => finish({ kind: 'failed', message: errorMessage(error), kafkaError: kafkaErrorName(error) });

  consumer.on(consumer.events.CRASH, (event) => fail(event.payload.error));
  if (options.until === 'joined') consumer.on(consumer.events.GROUP_JOIN, () => finish({ kind: 'joined' }));
  // A fetch proves READ only once this member holds partitions of the topic: in a group shared with
  // another session, a member can be left without partitions and still fetch (nothing).
  let assigned = false;
  consumer.on(consumer.events.GROUP_JOIN, (event) => {
    const assignment = event.payload.memberAssignment as Record<string, number[]>;
    assigned = options.topics.some((topic) => (assignment[topic]?.length ?? 0) > 0);
  });
  if (options.until === 'fetched') consumer.on(consumer.events.FETCH, () => assigned && finish({ kind: 'fetched' }));

  try {
    await consumer.connect();
    await consumer.subscribe({ topics: options.topics, fromBeginning: options.fromBeginning });
    await consumer.run({
      autoCommit: false,
      eachMessage: async (payload) => {
        if (options.until === 'fetched') finish({ kind: 'fetched' });
        if (options.onMessage?.(payload, consumer)) finish({ kind: 'done' });
      },
    });
  } catch (error) {
    fail(error);
  }
  const end = await ended;
  clearTimeout(timer);
  options.signal.removeEventListener('abort', onAbort);
  await consumer.disconnect().catch(() => {});
  return end;
}
