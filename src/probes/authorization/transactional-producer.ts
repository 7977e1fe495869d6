import type { logCreator } from 'kafkajs';
import type { KafkaConnection } from '../../kafka/connection.js';
import { createProbeClient } from '../../kafka/probe-client.js';
import { errorMessage } from '../../errors.js';
import { kafkaErrorName } from '../../kafka/errors.js';
import type { Acl } from '../../snapshot/schema.js';
import type { ProbeEvidence } from '../../model/result.js';
import type { TransactionAnswer, TransactionRequest, TransactionStep } from '../clients.js';
import { AclIndex, describeResource } from './acl-model.js';
import type { AuthorizationCheck } from './authorization-plan.js';

/**
 * TRANSACTIONAL_ID ACLs exercised by a real transactional producer: for every WRITE check of a
 * transactional id in the plan (derived or explicit), the principal initializes a producer with
 * that id, then commits a transaction of one record and aborts another, on a restored topic it
 * may write. The raw InitProducerId check of the same id stays in the matrix beside it.
 *
 * What Kafka asks of a transactional producer (KafkaApis), and so what is expected:
 * - FindCoordinator of the id: DESCRIBE on the transactional id (a WRITE grant implies it);
 * - InitProducerId, AddPartitionsToTxn, transactional Produce, EndTxn: WRITE on the transactional
 *   id, and no IDEMPOTENT_WRITE on the cluster (a transactional id stands for it);
 * - AddPartitionsToTxn and Produce: WRITE on the topic, the client's Metadata DESCRIBE on it: the
 *   topic is chosen where the ACLs allow both, so a refusal there is a failure, never expected;
 * - sending consumer offsets (AddOffsetsToTxn, TxnOffsetCommit) needs READ on the group: not sent.
 * Both records carry the run's marker as key; the committed one stays in the restored topic.
 */
export interface TransactionalCheck {
  principal: string;
  transactionalId: string;
  /** A restored topic the principal may WRITE and DESCRIBE; none: only init is exercised. */
  topic?: string;
  expected: 'allow' | 'deny';
  because: string;
  explicit: boolean;
}

export const TRANSACTIONAL_OPERATION = 'WRITE (transactional producer)';
const DENIED = 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED';

/** One transactional check per principal and transactional id of the plan's WRITE checks that can be exercised. */
export function planTransactionalChecks(checks: readonly AuthorizationCheck[], acls: readonly Acl[], topics: readonly string[]): TransactionalCheck[] {
  const index = new AclIndex(acls);
  const sorted = [...topics].sort();
  const topicOf = new Map<string, string | undefined>();
  const seen = new Set<string>();
  const planned: TransactionalCheck[] = [];
  for (const check of checks) {
    if (check.kind !== 'transactional-id' || check.operation !== 'WRITE' || check.skipped) continue;
    const key = `${check.principal}\u0000${check.name}`;
    if (seen.has(key)) continue;
    seen.add(key);
    if (!topicOf.has(check.principal)) {
      const writable = (topic: string) =>
        index.isAuthorized(check.principal, 'WRITE', 'topic', topic) &&
        index.isAuthorized(check.principal, 'DESCRIBE', 'topic', topic) &&
        !index.hostRestricted(check.principal, 'topic', topic);
      topicOf.set(check.principal, sorted.find(writable));
    }
    const topic = topicOf.get(check.principal);
    // FindCoordinator comes first: a DENY DESCRIBE refuses the producer that WRITE alone would let through.
    const modelled =
      index.isAuthorized(check.principal, 'WRITE', 'transactional-id', check.name) && index.isAuthorized(check.principal, 'DESCRIBE', 'transactional-id', check.name);
    planned.push({
      principal: check.principal,
      transactionalId: check.name,
      ...(topic === undefined ? {} : { topic }),
      expected: check.explicit ? check.expected : modelled ? 'allow' : 'deny',
      because: check.because,
      explicit: check.explicit,
    });
  }
  return planned;
}

/** Per cluster and id: the last producer that holds the id alone, and the producers sharing it since. */
const idsInUse = new Map<string, { alone: Promise<void>; sharing: Promise<void>[]; holders: number }>();

/**
 * Runs `work` while no other producer of this process uses any of `transactionalIds` on the
 * cluster: two producers of one id fence each other (the second init bumps the epoch), and the
 * matrix's cells run at once (kafkajs beside Java). Ids are taken in order, so two callers holding
 * several never wait on each other in a circle.
 *
 * `shared`: for a producer Kafka is expected to refuse at init. A refused init creates no
 * producer epoch, so such producers share the id with each other (never with one expected to go
 * through); should one go through after all, it fails as expected-deny either way.
 */
export async function withTransactionalIds<T>(cluster: string, transactionalIds: readonly string[], work: () => Promise<T>, mode: 'alone' | 'shared' = 'alone'): Promise<T> {
  const releases: (() => void)[] = [];
  try {
    for (const key of [...new Set(transactionalIds)].sort().map((id) => `${cluster}\u0000${id}`)) {
      const lock = idsInUse.get(key) ?? { alone: Promise.resolve(), sharing: [], holders: 0 };
      idsInUse.set(key, lock);
      const before = mode === 'shared' ? lock.alone : Promise.all([lock.alone, ...lock.sharing]).then(() => {});
      let release!: () => void;
      const mine = before.then(() => new Promise<void>((resolve) => (release = resolve)));
      if (mode === 'shared') lock.sharing.push(mine);
      else {
        lock.alone = mine;
        lock.sharing = [];
      }
      lock.holders++;
      await before;
      await Promise.resolve();
      releases.push(() => {
        release();
        if (--lock.holders === 0 && idsInUse.get(key) === lock) idsInUse.delete(key);
      });
    }
    return await work();
  } finally {
    for (const release of releases) release();
  }
}

export function transactionRequest(check: TransactionalCheck, marker: string): TransactionRequest {
  return { principal: check.principal, transactionalId: check.transactionalId, ...(check.topic === undefined ? {} : { topic: check.topic }), marker: `kafka-drill:${marker}:tx` };
}

/**
 * kafkajs's transactional producer. `idempotent` stays off: kafkajs would send a plain
 * InitProducerId on connect for it (needing IDEMPOTENT_WRITE or a topic WRITE), which no Java or
 * librdkafka transactional producer sends; its transactions are idempotent regardless.
 *
 * kafkajs 2.2 drops FindCoordinator's error (TRANSACTIONAL_ID_AUTHORIZATION_FAILED for an id the
 * principal may not DESCRIBE) and throws "Failed to find group coordinator" instead; the typed
 * error is in its debug log entry for that request, which `coordinatorErrors` keeps.
 */
export async function runKafkajsTransaction(connection: KafkaConnection, request: TransactionRequest, requestTimeoutMs: number): Promise<TransactionAnswer> {
  const started = performance.now();
  const done: TransactionStep[] = [];
  let step: TransactionStep = 'init';
  let coordinatorError: string | undefined;
  const kafka = createProbeClient(connection, {
    clientId: 'kafka-drill-authorization-tx',
    requestTimeoutMs,
    logCreator: coordinatorErrors(request.transactionalId, (name) => (coordinatorError ??= name)),
  });
  if (request.topic !== undefined) askOnlyFor(kafka, request.topic);
  const producer = kafka.producer({
    transactionalId: request.transactionalId,
    idempotent: false,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    // CONCURRENT_TRANSACTIONS answers the next transaction's first send while the coordinator still writes the last one's markers:
    // retried after 20 ms as Java retries it (ADD_PARTITIONS_RETRY_BACKOFF_MS), backing off to 1 s, over about 5 s in all.
    retry: { retries: 10, initialRetryTime: 20, maxRetryTime: 1_000 },
  });
  try {
    await producer.connect();
    const topic = request.topic;
    if (topic === undefined) {
      // Init only: kafkajs initializes the producer id with its first transaction, which ends without a record.
      await (await producer.transaction()).abort();
      done.push('init');
    } else {
      for (const end of ['commit', 'abort'] as const) {
        // The first transaction initializes the producer id (FindCoordinator, InitProducerId).
        const transaction = await producer.transaction();
        if (step === 'init') done.push('init');
        step = 'send';
        await transaction.send({ topic, acks: -1, messages: [{ key: `${request.marker}:${end}`, value: `${request.marker}:${end}` }] });
        done.push('send');
        step = end;
        await (end === 'commit' ? transaction.commit() : transaction.abort());
        done.push(end);
        step = 'send';
      }
    }
    return { done, durationMs: Math.round(performance.now() - started) };
  } catch (error) {
    const kafkaError = kafkaErrorName(error) ?? (step === 'init' ? coordinatorError : undefined);
    return { done, failedStep: step, ...(kafkaError ? { kafkaError } : { failure: errorMessage(error) }), durationMs: Math.round(performance.now() - started) };
  } finally {
    await producer.disconnect().catch(() => {});
  }
}

/**
 * kafkajs 2.2 starts a transactional producer with a Metadata request for every topic of the
 * cluster (it encodes its empty topic list as null, which Kafka reads as "all"): at 5,000 topics
 * that was most of each producer's time, and the probe runs one per transactional check (1,000
 * producers: 85.9 s of probes, 57.1 s without). Java's and librdkafka's producers ask only for the
 * topics they send to. So the cluster kafkajs creates for this producer first asks for its topic
 * alone; only if Kafka refuses that (no DESCRIBE on the topic, or no such topic) does it ask for
 * every topic as kafkajs would, so that a refusal comes at the send, where kafkajs meets it, and
 * never before the transactional id is checked. The topic is not made a target of the producer:
 * what it asks at the send is unchanged. kafkajs has no option for this, hence its internal hook,
 * found by its symbol's name; without the hook (another kafkajs) the producer asks for every topic.
 */
export function askOnlyFor(kafka: object, topic: string): void {
  const symbol = Object.getOwnPropertySymbols(kafka).find((key) => key.description === 'private:Kafka:createCluster');
  const record = kafka as Record<symbol, unknown>;
  const createCluster = symbol === undefined ? undefined : record[symbol];
  if (symbol === undefined || typeof createCluster !== 'function') return;
  record[symbol] = (options: unknown) => {
    const cluster = createCluster.call(kafka, options) as KafkajsCluster;
    const everyTopic = cluster.refreshMetadataIfNecessary;
    const brokerPool = cluster.brokerPool;
    if (typeof everyTopic !== 'function' || typeof brokerPool?.refreshMetadataIfNecessary !== 'function' || !(cluster.targetTopics instanceof Set)) return cluster;
    let first = true;
    cluster.refreshMetadataIfNecessary = async function (this: KafkajsCluster, ...args: unknown[]) {
      if (first && cluster.targetTopics!.size === 0) {
        first = false;
        try {
          return await brokerPool.refreshMetadataIfNecessary!([topic]);
        } catch {
          // Refused or unknown: as kafkajs does it, so the answer comes where kafkajs meets it.
        }
      }
      return everyTopic.apply(this, args);
    };
    return cluster;
  };
}

/** The parts of kafkajs 2.2's (internal) Cluster that askOnlyFor touches. */
interface KafkajsCluster {
  targetTopics?: Set<string>;
  brokerPool?: { refreshMetadataIfNecessary?: (topics: string[]) => Promise<unknown> };
  refreshMetadataIfNecessary?: (...args: unknown[]) => Promise<unknown>;
}

/** The error names of kafkajs's FindCoordinator answers for one key, from its debug log entries' typed `error`. */
function coordinatorErrors(key: string, onError: (name: string) => void): logCreator {
  return () =>
    ({ log }) => {
      const entry = log as { groupId?: unknown; error?: { type?: unknown } };
      if (entry.groupId === key && typeof entry.error?.type === 'string') onError(entry.error.type);
    };
}

/** What every piece of a transactional check's evidence names: who, what, on which id, expected how, through which client. */
function evidenceBase(check: TransactionalCheck, client: string) {
  return {
    principal: check.principal,
    operation: TRANSACTIONAL_OPERATION,
    resource: describeResource('transactional-id', check.transactionalId),
    expected: check.expected,
    client,
  };
}

/** Judged on the Kafka error code and the step it came at, never on a message. */
export function judgeTransaction(check: TransactionalCheck, answer: TransactionAnswer, client: string): ProbeEvidence {
  const base = evidenceBase(check, client);
  const what = check.topic ? `init, then one record to ${check.topic} committed and one aborted` : 'init only (no restored topic the principal may write: no commit or abort)';
  const how = `a ${client} transactional producer (${what}); ${answer.durationMs}ms; because ${check.because}`;
  const withError = answer.kafkaError ? { kafkaError: answer.kafkaError } : {};
  if (!answer.failedStep) {
    const ok = check.expected === 'allow';
    return {
      ...base,
      outcome: ok ? 'passed' : 'failed',
      observed: `allowed (${answer.done.join(', ')})`,
      detail: `${ok ? '' : `expected ${DENIED} at init, the producer went through: `}${how}`,
    };
  }
  if (answer.failedStep === 'init' && answer.kafkaError === DENIED) {
    const ok = check.expected === 'deny';
    return {
      ...base,
      outcome: ok ? 'passed' : 'failed',
      observed: `denied (${DENIED}) at init`,
      ...withError,
      detail: `${ok ? '' : 'expected the producer to go through: '}${how}`,
    };
  }
  const at = `at ${answer.failedStep}${answer.done.length ? ` after ${answer.done.join(', ')}` : ''}`;
  return {
    ...base,
    outcome: 'failed',
    observed: answer.kafkaError ? `error (${answer.kafkaError}) ${at}` : `error ${at}: ${answer.failure ?? 'unknown'}`,
    ...withError,
    detail: `expected ${check.expected === 'allow' ? 'every step to go through' : `${DENIED} at init`}: ${how}`,
  };
}

/** Not exercised: skipped with the reason, or failed when the spec asked for it explicitly (unless another client class's cell judges it). */
export function transactionNotExercised(check: TransactionalCheck, reason: string, client: string, judgedElsewhere = false): ProbeEvidence {
  const base = evidenceBase(check, client);
  if (check.explicit && !judgedElsewhere)
    return { ...base, outcome: 'failed', observed: 'not exercised', detail: `explicit expectation could not be exercised: ${reason}; because ${check.because}` };
  return { ...base, outcome: 'skipped', observed: 'not exercised', detail: `${reason}; because ${check.because}` };
}
