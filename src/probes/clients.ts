import { createRequire } from 'node:module';
import type { KafkaConnection } from '../kafka/connection.js';
import { javaUserOf, runJavaTasks, type JavaTask, type JavaTaskResult, type JavaUser } from '../kafka/java-client.js';
import { kcatError, kcatVersion, parseKcatRecords, runKcat, type KcatRun } from '../kafka/kcat.js';
import { SOURCE_OFFSET_HEADER } from '../restore/offset-map.js';
import { recordFingerprint } from '../snapshot/fingerprint.js';
import type { ExpectedFailure } from '../drill-spec/schema.js';
import type { ProbeClient } from '../model/result.js';
import { principalLogin } from './principal-login.js';
import { mapWithLimit, userName, type ProbeContext } from './probe.js';
import type { ClientClass } from '../model/enums.js';

/**
 * The client classes of the client matrix other than kafkajs (which the probes use directly):
 * librdkafka through Debian's kcat, and Kafka's Java client through the one-JVM probe runner.
 * A driver does one kind of work for a whole probe at once — kcat one process per check (it can
 * do no more), Java one JVM per probe — and answers with Kafka's error names.
 */
export interface ProduceConsumeAnswer {
  received: number;
  wrong: number;
  partitions: number;
  producedMs: number;
  durationMs: number;
  /** Set when the client failed before or while producing/consuming. */
  failure?: ClientFailure;
}

export interface ClientFailure {
  message: string;
  kafkaError?: string | undefined;
}

/** One operation on one resource, as one principal. */
export interface AccessRequest {
  principal: string;
  operation: string;
  resourceType: 'topic' | 'group' | 'cluster';
  name: string;
}

/** `undefined` kafkaError and no failure: the request went through. */
export interface AccessAnswer {
  kafkaError?: string | undefined;
  /** The client failed in a way that carries no Kafka error. */
  failure?: string;
  durationMs: number;
}

/** A real transactional producer as one principal: init, then (with a topic) a committed and an aborted transaction of one record each. */
export interface TransactionRequest {
  principal: string;
  transactionalId: string;
  topic?: string;
  /** The records' key prefix. */
  marker: string;
}

export type TransactionStep = 'init' | 'send' | 'commit' | 'abort';

export interface TransactionAnswer {
  /** Steps that went through, in order. */
  done: TransactionStep[];
  /** The step Kafka refused or the client failed at; absent when every step went through. */
  failedStep?: TransactionStep;
  kafkaError?: string;
  /** The client failed in a way that carries no Kafka error. */
  failure?: string;
  durationMs: number;
}

export interface FirstRecordsRequest {
  group: string;
  topics: string[];
  /** "topic:partition" keys whose first record is wanted. */
  partitions: string[];
}

export interface FirstRecord {
  offset: number;
  /** The SOURCE_OFFSET_HEADER value, if the record has one. */
  sourceHeader: number | undefined;
  sha256: string;
}

export interface FirstRecordsAnswer {
  records: Map<string, FirstRecord>;
  failure?: ClientFailure;
}

export interface ClientDriver {
  readonly clientClass: Exclude<ClientClass, 'kafkajs'>;
  /** Which (resource type, operation) pairs it can exercise as a real client request. */
  canExercise(resourceType: string, operation: string): boolean;
  produceConsume(topics: string[], records: number, markerOf: (topic: string) => string): Promise<ProduceConsumeAnswer[]>;
  access(requests: AccessRequest[], marker: string): Promise<AccessAnswer[]>;
  firstRecords(requests: FirstRecordsRequest[]): Promise<FirstRecordsAnswer[]>;
  /** Real transactional producers, all in one go; absent where the client class has no way to run one. */
  transactions?(requests: TransactionRequest[]): Promise<TransactionAnswer[]>;
  /** Why the client class runs no transactional producer, where `transactions` is absent. */
  readonly noTransactions?: string;
  /** Processes this driver started so far (kcat runs or JVMs), for the evidence. */
  processes(): number;
  /** Extra timing worth showing, e.g. the JVM's wall time. */
  note(): string;
}

const REQUEST_TIMEOUT_MS = 10_000;
const CONSUME_TIMEOUT_MS = 30_000;

export function driverFor(clientClass: Exclude<ClientClass, 'kafkajs'>, context: ProbeContext): ClientDriver {
  return clientClass === 'librdkafka' ? new KcatDriver(context) : new JavaDriver(context);
}

/** How the client classes log in as a principal: the drill's own connection for its admin, else the principal's password or (mtls) certificate. */
export function connectionAs(context: ProbeContext, principal: string): { connection: KafkaConnection } | { unavailable: string } {
  if (principal === adminPrincipal(context)) return { connection: context.connection };
  return principalLogin(context).connectionFor(principal);
}

/** The principal the drill's own connection is: its SCRAM admin, its admin certificate (mtls), else User:ANONYMOUS. */
export function adminPrincipal(context: ProbeContext): string {
  if (context.connection.sasl) return `User:${context.connection.sasl.username}`;
  return context.tls?.adminPrincipal ?? 'User:ANONYMOUS';
}

// ---- librdkafka (kcat) ------------------------------------------------------------------------

const KCAT_ACTIONS = new Set(['topic DESCRIBE', 'topic WRITE', 'topic READ']);

class KcatDriver implements ClientDriver {
  readonly clientClass = 'librdkafka' as const;
  // librdkafka has the transactional API; kcat exposes it only as -X transactional.id, committing when its input ends and aborting on a signal, with errors as text.
  readonly noTransactions =
    'kcat has no transaction commands: -X transactional.id commits when its input ends and aborts only when it is killed, and reports errors as text, not Kafka error codes';
  private runs = 0;

  constructor(private readonly context: ProbeContext) {}

  canExercise(resourceType: string, operation: string): boolean {
    return KCAT_ACTIONS.has(`${resourceType} ${operation}`);
  }

  processes(): number {
    return this.runs;
  }

  note(): string {
    return `${this.runs} kcat run(s)`;
  }

  private kcat(connection: KafkaConnection, args: string[], input?: string, timeoutMs = REQUEST_TIMEOUT_MS + 5_000): Promise<KcatRun> {
    this.runs++;
    return runKcat(connection, args, { timeoutMs, workDir: this.context.workDir, signal: this.context.signal, ...(input === undefined ? {} : { input }) });
  }

  private failureOf(run: KcatRun, what: string): ClientFailure | undefined {
    const { kafkaError, line } = kcatError(run);
    if (run.exitCode === 0 && !kafkaError) return undefined;
    const why = run.timedOut ? `kcat did not finish within ${REQUEST_TIMEOUT_MS + 5_000}ms` : `kcat exit ${run.exitCode}`;
    return { message: `${what}: ${line ?? why}`, kafkaError };
  }

  async produceConsume(topics: string[], records: number, markerOf: (topic: string) => string): Promise<ProduceConsumeAnswer[]> {
    return mapWithLimit(topics, 2, async (topic) => {
      const started = performance.now();
      const marker = markerOf(topic);
      const from = Date.now() - 1;
      const lines = Array.from({ length: records }, (_, index) => `${marker}:${index}\t${marker}:${index}\n`).join('');
      const produced = await this.kcat(this.context.connection, ['-P', '-t', topic, '-K', '\t', '-X', `message.timeout.ms=${REQUEST_TIMEOUT_MS}`, '-X', 'acks=all'], lines);
      const producedMs = Math.round(performance.now() - started);
      const produceFailure = this.failureOf(produced, 'produce');
      if (produceFailure) return { received: 0, wrong: 0, partitions: 0, producedMs, durationMs: producedMs, failure: produceFailure };
      // Every partition from the first offset at or after the time production started (ListOffsets by timestamp), to its end.
      const consumed = await this.kcat(
        this.context.connection,
        ['-C', '-t', topic, '-o', `s@${from}`, '-e', '-J', '-m', String(REQUEST_TIMEOUT_MS / 1000)],
        undefined,
        CONSUME_TIMEOUT_MS,
      );
      const mine = parseKcatRecords(consumed.stdout).filter((record) => record.key?.startsWith(`${marker}:`));
      const keys = new Set(mine.map((record) => record.key));
      const answer = {
        received: keys.size,
        wrong: mine.filter((record) => record.key !== record.payload).length,
        partitions: new Set(mine.map((record) => record.partition)).size,
        producedMs,
        durationMs: Math.round(performance.now() - started),
      };
      const consumeFailure = this.failureOf(consumed, 'consume');
      return consumeFailure ? { ...answer, failure: consumeFailure } : answer;
    });
  }

  async access(requests: AccessRequest[], marker: string): Promise<AccessAnswer[]> {
    return mapWithLimit(requests, 4, async (request) => {
      const started = performance.now();
      const login = connectionAs(this.context, request.principal);
      if ('unavailable' in login) return { failure: login.unavailable, durationMs: 0 };
      const { connection } = login;
      const args =
        request.operation === 'DESCRIBE'
          ? ['-L', '-J', '-t', request.name, '-m', String(REQUEST_TIMEOUT_MS / 1000)]
          : request.operation === 'WRITE'
            ? ['-P', '-t', request.name, '-p', '0', '-K', '\t', '-X', `message.timeout.ms=${REQUEST_TIMEOUT_MS}`]
            : ['-C', '-t', request.name, '-p', '0', '-o', 'end', '-e', '-m', String(REQUEST_TIMEOUT_MS / 1000)];
      const run = await this.kcat(connection, args, request.operation === 'WRITE' ? `${marker}:access\t${marker}:access\n` : undefined);
      const durationMs = Math.round(performance.now() - started);
      // -L exits 0 with the topic's error inside its JSON answer.
      const topicError = request.operation === 'DESCRIBE' ? /"error":"([^"]+)"/.exec(run.stdout)?.[1] : undefined;
      const { kafkaError, line } = kcatError(topicError ? { stdout: topicError, stderr: '', exitCode: run.exitCode } : run);
      if (kafkaError) return { kafkaError, durationMs };
      if (run.exitCode !== 0 || topicError) return { failure: line ?? topicError ?? (run.timedOut ? 'kcat timed out' : `kcat exit ${run.exitCode}`), durationMs };
      return { durationMs };
    });
  }

  async firstRecords(requests: FirstRecordsRequest[]): Promise<FirstRecordsAnswer[]> {
    return mapWithLimit(requests, 4, async (request) => {
      // A balanced consumer in the restored group: it resumes at the committed offsets and must commit nothing. kcat -G
      // commits explicitly when it exits, even with enable.auto.commit=false; with no offset ever stored there is nothing to commit.
      const run = await this.kcat(
        this.context.connection,
        ['-G', request.group, '-X', 'enable.auto.commit=false', '-X', 'enable.auto.offset.store=false', '-X', 'auto.offset.reset=earliest', '-J', '-e', ...request.topics],
        undefined,
        CONSUME_TIMEOUT_MS,
      );
      const wanted = new Set(request.partitions);
      const records = new Map<string, FirstRecord>();
      for (const record of parseKcatRecords(run.stdout)) {
        const key = `${record.topic}:${record.partition}`;
        if (!wanted.has(key) || records.has(key)) continue;
        const headers = record.headers ?? [];
        const index = headers.findIndex((name, position) => position % 2 === 0 && name === SOURCE_OFFSET_HEADER);
        records.set(key, {
          offset: record.offset,
          sourceHeader: index >= 0 ? Number(headers[index + 1]) : undefined,
          // kcat prints key and value as text: the fingerprint holds for UTF-8 records only.
          sha256: recordFingerprint({
            key: record.key == null ? null : Buffer.from(record.key),
            value: record.payload == null ? null : Buffer.from(record.payload),
            timestamp: BigInt(record.ts),
          }).sha256,
        });
      }
      const failure = this.failureOf(run, `consumer in group ${request.group}`);
      return failure ? { records, failure } : { records };
    });
  }
}

// ---- Java client (one JVM per probe) ----------------------------------------------------------

const JAVA_ACTIONS = new Set(['topic DESCRIBE', 'topic WRITE', 'topic READ', 'group DESCRIBE', 'cluster DESCRIBE']);

class JavaDriver implements ClientDriver {
  readonly clientClass = 'java' as const;
  private jvms = 0;
  private jvmMs = 0;
  private compileMs = 0;

  constructor(private readonly context: ProbeContext) {}

  canExercise(resourceType: string, operation: string): boolean {
    return JAVA_ACTIONS.has(`${resourceType} ${operation}`);
  }

  processes(): number {
    return this.jvms;
  }

  note(): string {
    return `${this.jvms} JVM(s), ${this.jvmMs}ms${this.compileMs ? `, runner compiled in ${this.compileMs}ms` : ''}`;
  }

  private users(principals: string[]): JavaUser[] {
    const users = new Map<string, JavaUser>();
    for (const principal of principals) {
      const login = connectionAs(this.context, principal);
      if ('unavailable' in login) continue;
      const name = userName(principal);
      users.set(name, javaUserOf(name, login.connection));
    }
    return [...users.values()];
  }

  private async run(tasks: JavaTask[], principals: string[]) {
    this.jvms++;
    const batch = await runJavaTasks(this.context.environment.kafkaVersion, this.context.connection, this.users(principals), tasks, {
      timeoutMs: Math.max(30_000, this.context.timeoutMs - 5_000),
      consumeTimeoutMs: CONSUME_TIMEOUT_MS,
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
      sourceOffsetHeader: SOURCE_OFFSET_HEADER,
      workDir: this.context.workDir,
      signal: this.context.signal,
    });
    this.jvmMs += batch.jvmMs;
    this.compileMs += batch.compileMs;
    return batch.results;
  }

  private admin(): string {
    return userName(adminPrincipal(this.context));
  }

  async produceConsume(topics: string[], records: number, markerOf: (topic: string) => string): Promise<ProduceConsumeAnswer[]> {
    const results = await this.run(
      topics.map((topic) => ({ kind: 'produce-consume', user: this.admin(), topic, records, marker: markerOf(topic) })),
      [adminPrincipal(this.context)],
    );
    return results.map((result) => ({
      received: result.received ?? 0,
      wrong: result.wrong ?? 0,
      partitions: result.partitions ?? 0,
      producedMs: result.producedMs ?? 0,
      durationMs: result.durationMs,
      ...(result.ok ? {} : { failure: { message: result.message ?? 'failed', kafkaError: result.kafkaError } }),
    }));
  }

  /**
   * The task of every request whose principal the driver can log in as (or that `alsoRuns` names), in one JVM;
   * for each request its result, or why it did not run.
   */
  private async runEach<R extends { principal: string }>(
    requests: R[],
    taskOf: (request: R) => JavaTask,
    alsoRuns: (user: string) => boolean = () => false,
  ): Promise<({ result: JavaTaskResult } | { unavailable: string })[]> {
    const known = new Set(this.users(requests.map((request) => request.principal)).map((user) => user.name));
    const runnable = requests.filter((request) => known.has(userName(request.principal)) || alsoRuns(userName(request.principal)));
    const results = runnable.length
      ? await this.run(
          runnable.map(taskOf),
          runnable.map((request) => request.principal),
        )
      : [];
    const byRequest = new Map(runnable.map((request, index) => [request, results[index]!]));
    return requests.map((request) => {
      const result = byRequest.get(request);
      if (result) return { result };
      const login = connectionAs(this.context, request.principal);
      return { unavailable: 'unavailable' in login ? login.unavailable : `no login for ${userName(request.principal)}` };
    });
  }

  async access(requests: AccessRequest[], marker: string): Promise<AccessAnswer[]> {
    const answers = await this.runEach(
      requests,
      (request) => ({ kind: 'access', user: userName(request.principal), operation: request.operation, resourceType: request.resourceType, name: request.name, marker }),
      (user) => user === this.admin(),
    );
    return answers.map((answer) => {
      if ('unavailable' in answer) return { failure: answer.unavailable, durationMs: 0 };
      const { result } = answer;
      if (result.ok) return { durationMs: result.durationMs };
      return result.kafkaError ? { kafkaError: result.kafkaError, durationMs: result.durationMs } : { failure: result.message ?? 'failed', durationMs: result.durationMs };
    });
  }

  /** Every transactional producer of the probe in one JVM (Java's producer, each with its own id). */
  async transactions(requests: TransactionRequest[]): Promise<TransactionAnswer[]> {
    const answers = await this.runEach(requests, (request) => ({
      kind: 'transaction',
      user: userName(request.principal),
      transactionalId: request.transactionalId,
      ...(request.topic === undefined ? {} : { topic: request.topic }),
      marker: request.marker,
    }));
    return answers.map((answer) => {
      if ('unavailable' in answer) return { done: [], failedStep: 'init', failure: answer.unavailable, durationMs: 0 };
      const { result } = answer;
      const done = (result.done ?? []) as TransactionStep[];
      if (result.ok) return { done, durationMs: result.durationMs };
      return {
        done,
        failedStep: (result.step ?? 'init') as TransactionStep,
        ...(result.kafkaError ? { kafkaError: result.kafkaError } : { failure: result.message ?? 'failed' }),
        durationMs: result.durationMs,
      };
    });
  }

  async firstRecords(requests: FirstRecordsRequest[]): Promise<FirstRecordsAnswer[]> {
    const results = await this.run(
      requests.map((request) => ({ kind: 'first-records', user: this.admin(), group: request.group, topics: request.topics, partitions: request.partitions })),
      [adminPrincipal(this.context)],
    );
    return results.map((result) => {
      const records = new Map<string, FirstRecord>();
      for (const record of result.records ?? []) {
        records.set(`${record.topic}:${record.partition}`, {
          offset: record.offset,
          sourceHeader: record.sourceOffset === undefined ? undefined : Number(record.sourceOffset),
          sha256: recordFingerprint({
            key: record.key === undefined ? null : Buffer.from(record.key, 'base64'),
            value: record.value === undefined ? null : Buffer.from(record.value, 'base64'),
            timestamp: BigInt(record.timestamp),
          }).sha256,
        });
      }
      return result.ok ? { records } : { records, failure: { message: result.message ?? 'failed', kafkaError: result.kafkaError } };
    });
  }
}

// ---- the matrix -------------------------------------------------------------------------------

/** The declared known failure for this probe, client class and Kafka version, if any. */
export function expectedFailureFor(declared: readonly ExpectedFailure[], probeId: string, clientClass: ClientClass, kafkaVersion: string): ExpectedFailure | undefined {
  return declared.find(
    (entry) => entry.client === clientClass && (!entry.kafkaVersions || entry.kafkaVersions.includes(kafkaVersion)) && (!entry.probes || entry.probes.includes(probeId)),
  );
}

export const KAFKAJS_VERSION = (createRequire(import.meta.url)('kafkajs/package.json') as { version: string }).version;

/** The library a client class runs as, for a probe's result; kcat's missing installation is said so. */
export async function describeClientClass(clientClass: ClientClass, context: Pick<ProbeContext, 'environment'>): Promise<Omit<ProbeClient, 'probe'>> {
  if (clientClass === 'kafkajs') return { class: 'kafkajs', library: `kafkajs ${KAFKAJS_VERSION}`, version: KAFKAJS_VERSION };
  if (clientClass === 'java') return { class: 'java', library: `kafka-clients ${context.environment.kafkaVersion}`, version: context.environment.kafkaVersion };
  const version = await kcatVersion().catch(() => undefined);
  return version
    ? { class: 'librdkafka', library: `kcat ${version.kcat} / librdkafka ${version.librdkafka}`, version: version.librdkafka }
    : { class: 'librdkafka', library: 'kcat (not installed)', version: 'unknown' };
}
