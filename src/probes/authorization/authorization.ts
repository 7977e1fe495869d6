import { errorMessage } from '../../errors.js';
import { randomBytes } from 'node:crypto';
import { createAdmin } from '../../kafka/admin.js';
import { asUser, type KafkaConnection } from '../../kafka/connection.js';
import { kafkaErrorName } from '../../kafka/errors.js';
import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, createProbeClient, ResourcePatternTypes } from '../../kafka/probe-client.js';
import { connectionTo, errorName } from '../../kafka/raw.js';
import { TRANSIENT_ERRORS } from '../../kafka/retry.js';
import type { AuthorizationProbeSpec } from '../../drill-spec/schema.js';
import { createCertificateAuthority } from '../../environment/tls/certificates.js';
import { AclIndex, describeResource } from './acl-model.js';
import { clientActionFor, type ActionSession, type ClientAction } from './authorization-actions.js';
import { planChecks, type AuthorizationCheck } from './authorization-plan.js';
import { adminPrincipal, driverFor, KAFKAJS_VERSION, type AccessRequest, type ClientDriver } from '../clients.js';
import {
  judgeTransaction,
  planTransactionalChecks,
  runKafkajsTransaction,
  transactionNotExercised,
  transactionRequest,
  type TransactionalCheck,
  withTransactionalIds,
} from './transactional-producer.js';
import { principalLogin, type PrincipalLogin } from '../principal-login.js';
import { mapWithLimit, mechanismOf, plainEvidence, verdictOf, type ProbeRunner, type ProbeContext, type ProbeRunContext, type ProbeVerdict } from '../probe.js';
import type { ProbeEvidence } from '../../model/result.js';
import { parseDistinguishedName } from '../../kafka/distinguished-name.js';
import { securityProfile } from '../../model/enums.js';
import { StringPool } from '../../string-pool.js';

/**
 * The authorization probe: each check is one principal sending one concrete Kafka request
 * (see authorization-actions.ts for the operation → request table) for one concrete resource,
 * with an expected allow or deny, judged on Kafka's typed error code. The checks are planned by
 * authorization-plan.ts from the spec's `expect` list and, with `derive: true`, the snapshot's ACLs.
 *
 * Execution: one session (one authenticated broker connection) per principal, principals
 * concurrently within a bound, and one request for many resources wherever Kafka answers per
 * resource. Within the budget (`budgetMs`, else the probe timeout less a margin) checks run in
 * plan order — explicit expectations first, then every binding, then the denial controls — and
 * a check the budget did not reach is skipped with reason "budget", counted, never passed.
 * An explicit expectation that cannot be exercised (or was not reached) fails the probe.
 *
 * Controls: the admin super user must be allowed (proves a pass is possible), an unknown user
 * and a wrong password must fail SASL authentication (proves a deny is not a broken client).
 *
 * Restored consumer groups: a READ on one (a JoinGroup that Kafka answers before any member
 * joins) waits until the offsets probes are done with that group (`restoredReads`), so it never
 * touches a group an offsets probe is in; a transactional producer waits likewise for the groups
 * on the topic it commits to.
 */
const PRINCIPAL_CONCURRENCY = 8;
/** JoinGroup requests of one principal in flight at once. */
const SINGLE_REQUEST_CONCURRENCY = 8;
/** Kept between the budget and the probe's timeout: more than one request timeout, so requests in flight finish. */
const BUDGET_MARGIN_MS = 15_000;
const REQUEST_TIMEOUT_MS = 10_000;
/**
 * Transactional producers in flight at once. Each spends most of its 0.2–0.8 s waiting on the
 * coordinator; at 5,000 topics (1,000 producers) 4 at once took ~95 s of probes, 16 ~75–86 s,
 * 32 ~80 s (both cores busy: kafkajs fetches every topic's metadata at init).
 */
const TRANSACTIONS_AT_ONCE = 16;

export class AuthorizationProbe implements ProbeRunner {
  readonly type = 'authorization';
  // Its produce checks write to a partition that does not exist; its joins of restored groups and its transactions wait on restoredReads.
  readonly defersOwnWrites: boolean = true;
  readonly timeoutMs?: number;

  constructor(
    readonly id: string,
    readonly name: string,
    private readonly spec: Pick<AuthorizationProbeSpec, 'derive' | 'expect'> & { budgetMs?: number | undefined },
    readonly matrix?: ProbeRunner['matrix'],
  ) {
    if (spec.budgetMs !== undefined) this.timeoutMs = spec.budgetMs + BUDGET_MARGIN_MS;
    // Through another client class the probe writes whenever it runs: after the offsets probes.
    if (matrix && matrix.clientClass !== 'kafkajs') this.defersOwnWrites = false;
  }

  /** About one derived check per ACL, 3.5 ms a check at 1,000 topics on 2 loaded cores, plus planning. */
  workTimeoutMs(context: ProbeRunContext): number {
    return BUDGET_MARGIN_MS + 30_000 + 6 * context.snapshot.acls.length;
  }

  async check(context: ProbeContext): Promise<ProbeVerdict> {
    const marker = randomBytes(4).toString('hex');
    const checks = this.plan(context, marker);
    const clientClass = this.matrix?.clientClass ?? 'kafkajs';
    if (clientClass !== 'kafkajs') {
      // The unknown-user control logs in with a random password: the driver knows it like any user's.
      const credentials = new Map(context.credentials).set(`kafka-drill-nobody-${marker}`, randomBytes(12).toString('hex'));
      return checkThroughClient(driverFor(clientClass, { ...context, credentials }), checks, context, marker);
    }
    const started = performance.now();
    const budgetMs = this.spec.budgetMs ?? Math.max(1_000, context.timeoutMs - BUDGET_MARGIN_MS);
    const controls = await controlChecks(context, marker);
    const run = new MatrixRun(context, principalLogin(context), marker, started + budgetMs, budgetMs);
    const [matrix, transactions] = await run.execute(checks, () => run.transactions(transactionalChecks(checks, context)));
    return verdictOf([...controls, ...matrix, ...transactions]);
  }

  private plan(context: ProbeContext, marker: string): AuthorizationCheck[] {
    const login = principalLogin(context);
    return planChecks(
      {
        acls: context.snapshot.acls,
        topics: context.snapshot.topics.map((topic) => topic.name),
        restoredGroups: context.snapshot.consumerGroups.map((group) => group.groupId),
        usersWithCredentials: login.usersWithCredentials(this.spec.expect.map((expectation) => expectation.principal)),
        marker,
      },
      this.spec,
    );
  }
}

function transactionalChecks(checks: AuthorizationCheck[], context: ProbeContext): TransactionalCheck[] {
  return planTransactionalChecks(
    checks,
    context.snapshot.acls,
    context.snapshot.topics.map((topic) => topic.name),
  );
}

/** Derived checks a client class other than kafkajs exercises, besides every explicit expectation: a bounded sample, in plan order. */
export const CLIENT_SAMPLE_SIZE = 12;

const DENIED_ERROR: Record<string, string> = { topic: 'TOPIC_AUTHORIZATION_FAILED', group: 'GROUP_AUTHORIZATION_FAILED', cluster: 'CLUSTER_AUTHORIZATION_FAILED' };
/** Answers Kafka gives only after the authorization check passed: the resource does not exist (probe names are synthesized). */
const ALLOWED_ERRORS: Record<string, string[]> = { topic: ['UNKNOWN_TOPIC_OR_PARTITION'], group: ['GROUP_ID_NOT_FOUND'], cluster: [] };

/**
 * The authorization probe through librdkafka or the Java client: a login control (the admin
 * describes a topic, or the cluster), an unknown-user control, every explicit expectation the
 * client can send a request for, and the first CLIENT_SAMPLE_SIZE derived checks it can. The
 * full derived matrix is the kafkajs cell's; what this client class leaves out is counted in the
 * control's detail, not as skipped checks. An explicit expectation the client class cannot send is
 * skipped here with that reason (the kafkajs cell judges it).
 */
async function checkThroughClient(driver: ClientDriver, checks: AuthorizationCheck[], context: ProbeContext, marker: string): Promise<ProbeVerdict> {
  // A real producer or consumer waits for a topic the target lacks until it times out: WRITE and READ only on restored topics.
  const restored = new Set(context.snapshot.topics.map((topic) => topic.name));
  const exercisable = (check: AuthorizationCheck) =>
    !check.skipped &&
    check.kind !== 'other' &&
    check.kind !== 'transactional-id' &&
    driver.canExercise(check.kind, check.operation) &&
    !(check.kind === 'topic' && (check.operation === 'WRITE' || check.operation === 'READ') && !restored.has(check.name));
  const login = principalLogin(context);
  const hasLogin = (check: { principal: string }) => 'connection' in login.connectionFor(check.principal);
  // mtls: any principal logs in with a certificate of the drill's CA, so the unknown one is refused by the authorizer, not at login.
  const byCertificate = securityProfile(context.environment.security).clientCertificates;
  const explicit = checks.filter((check) => check.explicit);
  const derived = checks.filter((check) => !check.explicit && exercisable(check) && hasLogin(check));
  const sample = derived.slice(0, CLIENT_SAMPLE_SIZE);
  const chosen = [...explicit.filter((check) => exercisable(check) && hasLogin(check)), ...sample];
  const topic = context.snapshot.topics[0]?.name;
  const loginControl: AccessRequest = topic
    ? { principal: adminPrincipal(context), operation: 'DESCRIBE', resourceType: 'topic', name: topic }
    : { principal: adminPrincipal(context), operation: 'DESCRIBE', resourceType: 'cluster', name: 'kafka-cluster' };
  const nobody = `kafka-drill-nobody-${marker}`;
  // mtls: the first name the mapping rules can give a certificate of the drill's CA.
  const impostor = byCertificate
    ? ([`User:${nobody}`, `User:CN=${nobody}`, `User:CN=${nobody},OU=kafka-drill`].find((principal) => 'connection' in login.connectionFor(principal)) ?? `User:${nobody}`)
    : `User:${nobody}`;
  const requests: AccessRequest[] = [
    loginControl,
    ...chosen.map((check) => ({ principal: check.principal, operation: check.operation, resourceType: check.kind as AccessRequest['resourceType'], name: check.name })),
  ];
  // mtls: a topic of the impostor's own name, which no ACL of the snapshot grants (as audit.log may be to User:*).
  const impostorRequest: AccessRequest = byCertificate
    ? { principal: impostor, operation: 'DESCRIBE', resourceType: 'topic', name: nobody }
    : { ...loginControl, principal: impostor };
  const answers = await driver.access([...requests.slice(0, 1), impostorRequest, ...requests.slice(1)], marker);
  const impostorAnswer = answers.splice(1, 1)[0]!;
  const evidence: ProbeEvidence[] = [];
  const control = answers[0]!;
  const sampled = `${sample.length} of ${derived.length} derived checks this client class can send (the full matrix is the kafkajs cell's); ${explicit.length} explicit`;
  evidence.push(
    control.kafkaError || control.failure
      ? {
          outcome: 'failed',
          principal: loginControl.principal,
          operation: 'DESCRIBE',
          resource: describeResource(loginControl.resourceType, loginControl.name),
          expected: 'allow',
          observed: `error${control.kafkaError ? ` (${control.kafkaError})` : ''}: ${control.failure ?? control.kafkaError}`,
          ...(control.kafkaError ? { kafkaError: control.kafkaError } : {}),
          detail: `positive control: the super user could not log in and describe through this client class, so no check below can pass; ${sampled}`,
        }
      : {
          outcome: 'passed',
          principal: loginControl.principal,
          operation: 'DESCRIBE',
          resource: describeResource(loginControl.resourceType, loginControl.name),
          expected: 'allow',
          observed: 'allowed',
          detail: `positive control: the super user logs in and describes; ${sampled}; ${driver.note()} so far`,
        },
  );
  const refusal = byCertificate ? DENIED_ERROR.topic! : 'SASL_AUTHENTICATION_FAILED';
  const refused = impostorAnswer.kafkaError === refusal;
  // A wildcard ACL (User:* on topic * or a prefix) may grant every principal this: then the control proves nothing.
  const grantedToAll = byCertificate && new AclIndex(context.snapshot.acls).isAuthorized(impostor, 'DESCRIBE', 'topic', nobody);
  evidence.push({
    outcome: grantedToAll ? 'skipped' : refused ? 'passed' : 'failed',
    principal: impostor,
    operation: byCertificate ? 'DESCRIBE' : 'AUTHENTICATE',
    resource: byCertificate ? describeResource('topic', nobody) : 'SASL',
    expected: 'deny',
    observed: refused
      ? `denied (${refusal})`
      : impostorAnswer.kafkaError
        ? `error (${impostorAnswer.kafkaError})`
        : (impostorAnswer.failure ?? (byCertificate ? 'allowed' : 'authenticated')),
    ...(impostorAnswer.kafkaError ? { kafkaError: impostorAnswer.kafkaError } : {}),
    detail: grantedToAll
      ? `negative control not judged: the snapshot's ACLs let every principal describe topic ${nobody}`
      : `${refused ? '' : `expected ${refusal}: `}negative control: ${byCertificate ? "a certificate of the drill's CA for a principal no ACL names" : 'an unknown user'}`,
  });
  chosen.forEach((check, index) => {
    const answer = answers[index + 1]!;
    const denied = DENIED_ERROR[check.kind]!;
    const how = `${check.operation} through ${driver.clientClass}; because ${check.because}`;
    if (answer.failure && !answer.kafkaError) {
      evidence.push({ ...base(check), outcome: 'failed', observed: `error: ${answer.failure}`, detail: `the request failed: ${how}` });
    } else if (!answer.kafkaError || ALLOWED_ERRORS[check.kind]!.includes(answer.kafkaError)) {
      const ok = check.expected === 'allow';
      evidence.push({
        ...base(check),
        outcome: ok ? 'passed' : 'failed',
        observed: answer.kafkaError ? `allowed (${answer.kafkaError} after the authorization check)` : 'allowed',
        ...(answer.kafkaError ? { kafkaError: answer.kafkaError } : {}),
        detail: `${ok ? '' : `expected ${denied}, the request went through: `}${how}`,
      });
    } else if (answer.kafkaError === denied) {
      const ok = check.expected === 'deny';
      evidence.push({
        ...base(check),
        outcome: ok ? 'passed' : 'failed',
        observed: `denied (${denied})`,
        kafkaError: denied,
        detail: `${ok ? '' : 'expected the request to go through: '}${how}`,
      });
    } else {
      evidence.push({
        ...base(check),
        outcome: 'failed',
        observed: `error (${answer.kafkaError})`,
        kafkaError: answer.kafkaError,
        detail: `expected ${check.expected === 'allow' ? 'the request to go through' : denied}, Kafka answered ${answer.kafkaError}: ${how}`,
      });
    }
  });
  for (const check of explicit.filter((check) => !exercisable(check) || !hasLogin(check)))
    evidence.push({
      ...base(check),
      outcome: 'skipped',
      observed: 'not exercised',
      detail: `${
        check.skipped ??
        (exercisable(check)
          ? (login.connectionFor(check.principal) as { unavailable: string }).unavailable
          : `${driver.clientClass} sends no request for ${check.operation} on this ${check.kind} (an operation it has no request for, or a topic the target lacks)`)
      }; the kafkajs cell judges it; because ${check.because}`,
    });
  const transactional = await transactionsThroughClient(driver, transactionalChecks(checks, context), hasLogin, context, marker);
  evidence.push(...transactional.evidence);
  const verdict = verdictOf(evidence);
  // The controls prove a login works, not an ACL: a cell that exercised no ACL proved nothing about them.
  if (chosen.length === 0 && transactional.exercised === 0 && verdict.status === 'passed') verdict.status = 'skipped';
  return { ...verdict, processes: driver.processes() };
}

/**
 * The transactional producer checks through librdkafka or Java: every explicit one and the first
 * CLIENT_SAMPLE_SIZE derived ones of principals the drill can log in as, all in one go (Java: one
 * JVM); a client class with no transactional producer counts them as skipped with its reason.
 */
export async function transactionsThroughClient(
  driver: ClientDriver,
  planned: TransactionalCheck[],
  hasLogin: (check: { principal: string }) => boolean,
  context: ProbeContext,
  marker: string,
): Promise<{ evidence: ProbeEvidence[]; exercised: number }> {
  const client = driver.clientClass === 'java' ? `kafka-clients ${context.environment.kafkaVersion}` : 'librdkafka (kcat)';
  const chosen = [...planned.filter((check) => check.explicit && hasLogin(check)), ...planned.filter((check) => !check.explicit && hasLogin(check)).slice(0, CLIENT_SAMPLE_SIZE)];
  if (!driver.transactions) {
    return {
      evidence: chosen.map((check) => transactionNotExercised(check, `${driver.noTransactions ?? 'no transactional producer'}; the kafkajs cell judges it`, client, true)),
      exercised: 0,
    };
  }
  const cluster = context.connection.bootstrap.join(',');
  const answers =
    chosen.length > 0
      ? await withTransactionalIds(
          cluster,
          chosen.map((check) => check.transactionalId),
          () => driver.transactions!(chosen.map((check) => transactionRequest(check, marker))),
        )
      : [];
  return { evidence: chosen.map((check, index) => judgeTransaction(check, answers[index]!, client)), exercised: chosen.length };
}

type Outcome = { check: AuthorizationCheck; evidence: ProbeEvidence };

function actionOf(check: AuthorizationCheck): ClientAction | undefined {
  return check.kind === 'other' ? undefined : clientActionFor(check.kind, check.operation);
}

/** Executes planned checks, principal by principal, and keeps the budget's accounts. */
class MatrixRun {
  private readonly partitions: Map<string, number>;
  /** Checks the budget did not reach. */
  private readonly unreached: AuthorizationCheck[] = [];

  constructor(
    private readonly context: ProbeContext,
    private readonly login: PrincipalLogin,
    private readonly marker: string,
    private readonly deadline: number,
    private readonly budgetMs: number,
  ) {
    this.partitions = new Map(context.snapshot.topics.map((topic) => [topic.name, topic.partitions]));
  }

  /**
   * Sends every check a principal has, on one session per principal. Joins of restored groups
   * are sent on that session as soon as the offsets probes are done with the group; `alongside`
   * starts once every other check is answered (the transactional producers: they init the ids
   * the matrix inits raw) and runs beside those joins.
   */
  async execute<T>(checks: AuthorizationCheck[], alongside: () => Promise<T>): Promise<[ProbeEvidence[], T]> {
    const results = new Map<AuthorizationCheck, ProbeEvidence>();
    // Held until every check is answered: kept plain (one hidden class for all, shared strings; see plainEvidence), not as built.
    const strings = new StringPool();
    const keep = (check: AuthorizationCheck, evidence: ProbeEvidence) => results.set(check, plainEvidence(evidence, strings));
    const runnable = new Map<string, AuthorizationCheck[]>();
    for (const check of checks) {
      const login = check.skipped || !actionOf(check) ? undefined : this.login.connectionFor(check.principal);
      if (!login) keep(check, notExercised(check, check.skipped ?? 'no client request exercises it'));
      else if ('unavailable' in login) keep(check, notExercised(check, login.unavailable));
      else {
        const list = runnable.get(check.principal);
        if (list) list.push(check);
        else runnable.set(check.principal, [check]);
      }
    }
    const record = (outcomes: Outcome[]) => {
      for (const { check, evidence } of outcomes) keep(check, evidence);
    };
    const joins: Promise<void>[] = [];
    await mapWithLimit([...runnable], PRINCIPAL_CONCURRENCY, async ([principal, mine]) => {
      const later = mine.filter((check) => check.joinsRestoredGroup);
      const principalRun = await this.runPrincipal(
        principal,
        mine.filter((check) => !check.joinsRestoredGroup),
        later,
      );
      record(principalRun.outcomes);
      // The session stays open for the principal's joins of restored groups; this principal's slot does not wait for them.
      const joined = principalRun.joins.then(record);
      joined.catch(() => {}); // awaited below, after the other principals: not an unhandled rejection meanwhile
      joins.push(joined);
    });
    const [, besides] = await Promise.all([Promise.all(joins), alongside()]);
    if (this.unreached.length > 0) {
      const reached = checks.length - this.unreached.length;
      const note = `budget: the probe's budget of ${this.budgetMs} ms ran out; ${reached} of ${checks.length} checks were reached, ${this.unreached.length} were not`;
      for (const check of this.unreached) keep(check, notExercised(check, note));
    }
    return [checks.map((check) => results.get(check)!), besides];
  }

  /**
   * One kafkajs transactional producer per transactional check, a few at once. They commit a
   * record to a restored topic: only after the offsets probes have read the committed offsets.
   */
  async transactions(planned: TransactionalCheck[]): Promise<ProbeEvidence[]> {
    if (planned.length === 0) return [];
    const client = `kafkajs ${KAFKAJS_VERSION}`;
    // Two producers of one transactional id fence each other: allowed ones sharing an id (a User:* binding) run one after the other.
    const byId = new Map<string, TransactionalCheck[]>();
    for (const check of planned) {
      const key = check.expected === 'allow' ? check.transactionalId : `${check.principal}\u0000${check.transactionalId}`;
      byId.set(key, [...(byId.get(key) ?? []), check]);
    }
    const results = new Map<TransactionalCheck, ProbeEvidence>();
    // A producer waits for its topic before it takes one of the places, so one still waiting holds none.
    let free = TRANSACTIONS_AT_ONCE;
    const queue: (() => void)[] = [];
    const take = async () => {
      while (free === 0) await new Promise<void>((resolve) => queue.push(resolve));
      free--;
    };
    const give = () => {
      free++;
      queue.shift()?.();
    };
    await Promise.all(
      [...byId.values()].map(async (sharing) => {
        for (const check of sharing) {
          // Its committed record goes to a restored topic: only once the offsets probes have read every group on it.
          if (check.topic !== undefined) await this.restoredRead({ topics: [check.topic] });
          await take();
          try {
            results.set(check, await this.transaction(check, client));
          } finally {
            give();
          }
        }
      }),
    );
    return planned.map((check) => results.get(check)!);
  }

  private async transaction(check: TransactionalCheck, client: string): Promise<ProbeEvidence> {
    if (this.context.signal.aborted) return transactionNotExercised(check, 'the drill was interrupted', client);
    if (performance.now() >= this.deadline)
      return transactionNotExercised(check, `budget: the probe's budget of ${this.budgetMs} ms ran out before the transactional producers`, client);
    const login = this.login.connectionFor(check.principal);
    if ('unavailable' in login) return transactionNotExercised(check, login.unavailable, client);
    const cluster = this.context.connection.bootstrap.join(',');
    const answer = await withTransactionalIds(
      cluster,
      [check.transactionalId],
      () => runKafkajsTransaction(login.connection, transactionRequest(check, this.marker), REQUEST_TIMEOUT_MS),
      check.expected === 'deny' ? 'shared' : 'alone',
    );
    const evidence = judgeTransaction(check, answer, client);
    return login.via ? { ...evidence, detail: `${evidence.detail}; as ${login.via}` } : evidence;
  }

  /** Why no further request is sent, if so; checks not reached for the budget are remembered. */
  private stop(checks: AuthorizationCheck[]): Outcome[] | undefined {
    if (this.context.signal.aborted) return checks.map((check) => ({ check, evidence: notExercised(check, 'the drill was interrupted') }));
    if (performance.now() < this.deadline) return undefined;
    for (const check of checks) this.unreached.push(check);
    return [];
  }

  /** Settles once the offsets probes are done with these groups or topics (all of them, without a per-group account). */
  private restoredRead(touched: { groups?: string[]; topics?: string[] }): Promise<void> {
    const reads = this.context.restoredReads;
    if (!reads) return this.context.committedOffsetsRead;
    return touched.groups ? reads.groupsRead(touched.groups) : reads.topicsRead(touched.topics ?? []);
  }

  /**
   * One session for one principal: every request it sends, grouped by action and batched, the
   * actions at once (the session's connection pipelines them). `later` (joins of restored
   * groups) go on the same session, each once the offsets probes are done with its group; the
   * session closes after them.
   */
  private async runPrincipal(principal: string, now: AuthorizationCheck[], later: AuthorizationCheck[]): Promise<{ outcomes: Outcome[]; joins: Promise<Outcome[]> }> {
    const done = (outcomes: Outcome[]) => ({ outcomes, joins: Promise.resolve<Outcome[]>([]) });
    if (now.length + later.length === 0) return done([]);
    const early = this.stop([...now, ...later]);
    if (early) return done(early);
    const login = this.login.connectionFor(principal) as { connection: KafkaConnection; via?: string };
    const annotate = (outcomes: Outcome[]) =>
      login.via ? outcomes.map(({ check, evidence }) => ({ check, evidence: { ...evidence, detail: `${evidence.detail}; as ${login.via}` } })) : outcomes;
    const admin = createAdmin(login.connection, { timeoutMs: REQUEST_TIMEOUT_MS });
    const close = () => admin.close().catch(() => {});
    let session: ActionSession;
    try {
      const metadata = await admin.metadata({ topics: [] });
      const brokerId = [...metadata.brokers.keys()].sort((a, b) => a - b)[0]!;
      const connection = await connectionTo(admin, brokerId);
      session = { connection, timeoutMs: REQUEST_TIMEOUT_MS, marker: this.marker, partitionsOf: (topic) => this.partitions.get(topic), brokerId };
    } catch (error) {
      await close();
      return done([...now, ...later].map((check) => ({ check, evidence: failedRequest(check, actionOf(check), error, 'could not open a session') })));
    }
    let outcomes: Outcome[];
    try {
      outcomes = annotate(await this.runActions(session, now));
    } catch (error) {
      await close();
      throw error;
    }
    if (later.length === 0) {
      await close();
      return done(outcomes);
    }
    const joins = this.runActions(session, later, (check) => this.restoredRead({ groups: [check.name] }))
      .then(annotate)
      .finally(close);
    return { outcomes, joins };
  }

  /** Every action's checks on one session, the actions at once; `before` is awaited before a check's request is sent. */
  private async runActions(session: ActionSession, checks: AuthorizationCheck[], before?: (check: AuthorizationCheck) => Promise<void>): Promise<Outcome[]> {
    const byAction = new Map<ClientAction, AuthorizationCheck[]>();
    for (const check of checks) {
      const action = actionOf(check)!;
      const list = byAction.get(action);
      if (list) list.push(check);
      else byAction.set(action, [check]);
    }
    const answered = await Promise.all(
      [...byAction].map(async ([action, mine]) => {
        const chunks: AuthorizationCheck[][] = [];
        for (let index = 0; index < mine.length; index += action.batchSize) chunks.push(mine.slice(index, index + action.batchSize));
        const outcomes = await mapWithLimit(chunks, action.batchSize === 1 ? SINGLE_REQUEST_CONCURRENCY : 1, async (chunk) => {
          if (before) await Promise.all(chunk.map(before));
          return this.stop(chunk) ?? this.runChunk(session, action, chunk);
        });
        return outcomes.flat();
      }),
    );
    return answered.flat();
  }

  private async runChunk(session: ActionSession, action: ClientAction, chunk: AuthorizationCheck[]): Promise<Outcome[]> {
    const names = [...new Set(chunk.map((check) => check.name))];
    const codes = new Map<string, number>();
    try {
      // A coordinator or leader still loading answers before it authorizes: ask again for those
      // names only, a few times, before judging (a just-restored cluster is often still settling).
      let pending = names;
      for (let attempt = 1; pending.length > 0; attempt++) {
        const answered = await action.run(session, pending);
        for (const [name, code] of answered) codes.set(name, code);
        pending = pending.filter((name) => isStillSettling(action, codes.get(name)));
        if (attempt >= SETTLING_ATTEMPTS) break;
        if (pending.length > 0) await delay(SETTLING_PAUSE_MS * attempt);
      }
    } catch (error) {
      return chunk.map((check) => ({ check, evidence: failedRequest(check, action, error, 'the request failed') }));
    }
    const batch = names.length > 1 ? `, one request for ${names.length} ${action.kind}s` : '';
    return chunk.map((check) => {
      const code = codes.get(check.name);
      if (code === undefined) return { check, evidence: failedRequest(check, action, new Error(`Kafka's answer has no entry for ${check.name}`), 'no answer') };
      return { check, evidence: judge(check, action, code, batch) };
    });
  }
}

const SETTLING_ATTEMPTS = 5;
const SETTLING_PAUSE_MS = 500;

/** A transient answer (coordinator loading, leader moving) that says nothing about authorization yet. */
function isStillSettling(action: ClientAction, code: number | undefined): boolean {
  if (code === undefined || code === 0) return false;
  const name = errorName(code);
  return name !== undefined && TRANSIENT_ERRORS.has(name) && !action.allowedErrors.includes(name) && name !== action.deniedError;
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function base(check: AuthorizationCheck): Omit<ProbeEvidence, 'outcome' | 'observed'> {
  return {
    principal: check.principal,
    operation: check.operation,
    resource: check.kind === 'other' ? check.name : describeResource(check.kind, check.name),
    expected: check.expected,
  };
}

/** A check that was not exercised: skipped with its reason, or failed when the spec asked for it explicitly. */
function notExercised(check: AuthorizationCheck, reason: string): ProbeEvidence {
  if (check.explicit) {
    return { ...base(check), outcome: 'failed', observed: 'not exercised', detail: `explicit expectation could not be exercised: ${reason}; because ${check.because}` };
  }
  return { ...base(check), outcome: 'skipped', observed: 'not exercised', detail: `${reason}; because ${check.because}` };
}

function failedRequest(check: AuthorizationCheck, action: ClientAction | undefined, error: unknown, what: string): ProbeEvidence {
  const kafkaError = kafkaErrorName(error);
  return {
    ...base(check),
    outcome: 'failed',
    observed: `error${kafkaError ? ` (${kafkaError})` : ''}: ${errorMessage(error)}`,
    ...(kafkaError ? { kafkaError } : {}),
    detail: `${what}: ${action?.description ?? check.operation}; because ${check.because}`,
  };
}

/** Judged on Kafka's error code for this resource, never on a message. */
function judge(check: AuthorizationCheck, action: ClientAction, code: number, batch: string): ProbeEvidence {
  const how = `${action.description}${batch}; because ${check.because}`;
  const kafkaError = code === 0 ? undefined : errorName(code);
  const withError = kafkaError ? { kafkaError } : {};
  if (kafkaError === undefined || action.allowedErrors.includes(kafkaError)) {
    const ok = check.expected === 'allow';
    return {
      ...base(check),
      outcome: ok ? 'passed' : 'failed',
      observed: kafkaError ? `allowed (${kafkaError} after the authorization check)` : 'allowed',
      ...withError,
      detail: `${ok ? '' : `expected ${action.deniedError}, the request went through: `}${how}`,
    };
  }
  if (kafkaError === action.deniedError) {
    const ok = check.expected === 'deny';
    return {
      ...base(check),
      outcome: ok ? 'passed' : 'failed',
      observed: `denied (${kafkaError})`,
      kafkaError,
      detail: `${ok ? '' : 'expected the request to go through: '}${how}`,
    };
  }
  return {
    ...base(check),
    outcome: 'failed',
    observed: `error (${kafkaError})`,
    kafkaError,
    detail: `expected ${check.expected === 'allow' ? 'the request to go through' : action.deniedError}, Kafka answered ${kafkaError}: ${how}`,
  };
}

/** The Kafka error name of a client failure, including kafkajs's per-partition error lists. */
function failureName(error: unknown): string | undefined {
  const partitions = (error as { partitions?: { error?: unknown }[] } | undefined)?.partitions;
  if (Array.isArray(partitions))
    for (const partition of partitions) {
      const name = kafkaErrorName(partition.error);
      if (name) return name;
    }
  return kafkaErrorName(error);
}

/** The admin super user must be allowed; an unknown user and a wrong password must not authenticate. */
async function controlChecks(context: ProbeContext, marker: string): Promise<ProbeEvidence[]> {
  const admin = context.connection.sasl;
  const superPrincipal = context.tls?.adminPrincipal ?? `User:${admin?.username ?? 'ANONYMOUS'}`;
  const evidence: ProbeEvidence[] = [];
  const superUser = createProbeClient(context.connection, { retries: 0, clientId: 'kafka-drill-authorization-control' }).admin({ retry: { retries: 0 } });
  const topic = context.snapshot.topics[0]?.name;
  try {
    await superUser.connect();
    await superUser.describeAcls({
      resourceType: AclResourceTypes.ANY,
      resourcePatternType: ResourcePatternTypes.ANY,
      operation: AclOperationTypes.ANY,
      permissionType: AclPermissionTypes.ANY,
    });
    if (topic) await superUser.fetchTopicMetadata({ topics: [topic] });
    evidence.push({
      outcome: 'passed',
      principal: superPrincipal,
      operation: 'DESCRIBE',
      resource: topic ? `cluster, topic ${topic}` : 'cluster',
      expected: 'allow',
      observed: 'allowed',
      detail: 'positive control: the super user describes ACLs and topic metadata',
    });
  } catch (error) {
    const kafkaError = failureName(error);
    evidence.push({
      outcome: 'failed',
      principal: superPrincipal,
      operation: 'DESCRIBE',
      resource: 'cluster',
      expected: 'allow',
      observed: `error: ${errorMessage(error)}`,
      ...(kafkaError ? { kafkaError } : {}),
      detail: 'positive control: the super user could not describe ACLs, so no check below can be trusted',
    });
  } finally {
    await superUser.disconnect().catch(() => {});
  }
  if (securityProfile(context.environment.security).clientCertificates && context.tls?.adminPrincipal) return [...evidence, ...(await certificateControls(context))];
  if (!admin) return evidence;

  const knownUser = [...context.credentials.keys()][0];
  const impostors = [
    { username: `kafka-drill-nobody-${marker}`, password: randomBytes(12).toString('hex'), what: 'an unknown user' },
    { username: knownUser ?? admin.username, password: `wrong-${randomBytes(8).toString('hex')}`, what: `${knownUser ?? admin.username} with a wrong password` },
  ];
  for (const impostor of impostors) {
    const client = createProbeClient(
      asUser(context.connection, {
        mechanism: knownUser ? mechanismOf(context.snapshot, impostor.username) : admin.mechanism,
        username: impostor.username,
        password: impostor.password,
      }),
      { retries: 0 },
    );
    const admins = client.admin({ retry: { retries: 0 } });
    const base = { principal: `User:${impostor.username}`, operation: 'AUTHENTICATE', resource: 'SASL', expected: 'deny' };
    try {
      await admins.connect();
      await admins.describeCluster();
      evidence.push({ ...base, outcome: 'failed', observed: 'authenticated', detail: `negative control: ${impostor.what} authenticated` });
    } catch (error) {
      const kafkaError = failureName(error);
      const ok = kafkaError === 'SASL_AUTHENTICATION_FAILED';
      evidence.push({
        ...base,
        outcome: ok ? 'passed' : 'failed',
        observed: ok ? 'denied (SASL_AUTHENTICATION_FAILED)' : `error: ${errorMessage(error)}`,
        ...(kafkaError ? { kafkaError } : {}),
        detail: `${ok ? '' : 'expected SASL_AUTHENTICATION_FAILED: '}negative control: ${impostor.what}`,
      });
    } finally {
      await admins.disconnect().catch(() => {});
    }
  }
  return evidence;
}

/**
 * mtls negative controls: a client without a certificate, and one presenting the admin's subject
 * in a certificate from a CA the brokers do not trust, must both be refused in the TLS handshake
 * (judged on Node's typed TLS alert code): so a denial in the matrix is not a client that could
 * not have connected as anyone.
 */
async function certificateControls(context: ProbeContext): Promise<ProbeEvidence[]> {
  const ca = context.connection.tls?.ca;
  const foreign = createCertificateAuthority([{ type: 'CN', value: 'kafka-drill untrusted CA' }]).issue({
    subject: parseDistinguishedName(context.tls!.adminSubject ?? '') ?? [{ type: 'CN', value: 'kafka-drill-admin' }],
    usage: 'client',
  });
  const impostors = [
    { tls: { ...(ca ? { ca } : {}) }, principal: 'no client certificate', what: 'a client without a certificate' },
    {
      tls: { ...(ca ? { ca } : {}), cert: foreign.certificatePem, key: foreign.keyPem },
      principal: context.tls!.adminPrincipal!,
      what: "the admin's subject in a certificate from an untrusted CA",
    },
  ];
  const evidence: ProbeEvidence[] = [];
  for (const impostor of impostors) {
    const client = createProbeClient({ ...context.connection, sasl: undefined, tls: impostor.tls }, { retries: 0 }).admin({ retry: { retries: 0 } });
    const base = { principal: impostor.principal, operation: 'AUTHENTICATE', resource: 'TLS client certificate', expected: 'deny' };
    try {
      await client.connect();
      await client.describeCluster();
      evidence.push({ ...base, outcome: 'failed', observed: 'connected', detail: `negative control: ${impostor.what} was let in` });
    } catch (error) {
      const alert = tlsAlertCode(error);
      evidence.push({
        ...base,
        outcome: alert ? 'passed' : 'failed',
        observed: alert ? `refused in the TLS handshake (${alert})` : `error: ${errorMessage(error)}`,
        detail: `${alert ? '' : 'expected a TLS alert from the broker: '}negative control: ${impostor.what}`,
      });
    } finally {
      await client.disconnect().catch(() => {});
    }
  }
  return evidence;
}

/** Node's code for a TLS alert the peer sent (ERR_SSL_…_ALERT_…), anywhere in a client error's causes. */
function tlsAlertCode(error: unknown): string | undefined {
  for (let current = error as { code?: unknown; cause?: unknown; originalError?: unknown } | undefined, depth = 0; current && depth < 5; depth++) {
    if (typeof current.code === 'string' && /^ERR_SSL_.*ALERT/.test(current.code)) return current.code;
    current = (current.cause ?? current.originalError) as typeof current;
  }
  return undefined;
}
