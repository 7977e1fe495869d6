import { errorMessage } from '../../errors.js';
import { randomBytes } from 'node:crypto';
import type { Admin, Kafka } from 'kafkajs';
import { asUser, type KafkaConnection } from '../../kafka/connection.js';
import { kafkaErrorName } from '../../kafka/errors.js';
import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ConfigResourceTypes, createProbeClient, ResourcePatternTypes } from '../../kafka/probe-client.js';
import { throttleTap, type WireResponse } from '../../kafka/throttle-tap.js';
import type { QuotaProbeSpec } from '../../drill-spec/schema.js';
import { mechanismOf, userName, verdictOf, type ProbeRunner, type ProbeContext, type ProbeVerdict } from '../probe.js';
import { formatRate, planQuotaChecks, type ByteRateKey, type QuotaCheckPlan, type QuotaControlPlan } from './quota-plan.js';
import { DEFAULT_QUOTA_WINDOW, EXCEED_FACTOR, judgeThrottled, judgeUnthrottled, toResponses, type QuotaResponse, type QuotaWindow, type RateJudgement } from './quota-rate.js';
import type { ProbeEvidence } from '../../model/result.js';

/**
 * The quota probe: for each restored producer_byte_rate / consumer_byte_rate quota, a real
 * client (kafkajs, logged in as a user the quota governs, with a client id it governs) produces
 * to or fetches from a scratch topic faster than the quota, and must be throttled by the broker
 * at the quota's rate (quota-rate.ts explains the measure); per key, a control principal no such
 * quota governs moves more than any checked quota allows and must not be throttled.
 *
 * The scratch topic (one partition: quotas are enforced per broker) and the ACLs that let the
 * probe's users use it are created for the run and deleted after it. Checks run one at a time,
 * within the budget; a check the budget does not reach is skipped with reason "budget".
 */
const RECORD_BYTES = 1024;
/** Throttled responses to collect before judging (the median of their estimates is the enforced rate). */
const THROTTLES_TO_JUDGE = 3;
/** A check moves at most this many times its quota, well past the ~11× a quota allows before throttling. */
const MAX_FACTOR = 16;
/** Below this much budget left, a check is not started. */
const MIN_CHECK_MS = 3_000;
const SETUP_MARGIN_MS = 30_000;
const ACL_WAIT_MS = 10_000;

export class QuotaProbe implements ProbeRunner {
  readonly type = 'quota';
  readonly timeoutMs: number;

  constructor(
    readonly id: string,
    readonly name: string,
    private readonly spec: Pick<QuotaProbeSpec, 'entities' | 'tolerance' | 'budgetMs' | 'maxBytesPerSecond'>,
  ) {
    this.timeoutMs = spec.budgetMs + SETUP_MARGIN_MS;
  }

  async check(context: ProbeContext): Promise<ProbeVerdict> {
    const started = performance.now();
    const marker = randomBytes(4).toString('hex');
    const prefix = `kafka-drill-quota-${marker}`;
    // Restored users only: the drill's own admin has quotas of its own (environment/admin-quota.ts),
    // and on an external cluster whatever the cluster gives it; neither is the snapshot's.
    const admin = context.connection.sasl?.username;
    const restoredUsers = [...context.credentials.keys()]
      .map(userName)
      .filter((user) => user !== admin)
      .sort();
    const plan = planQuotaChecks({
      quotas: context.snapshot.quotas,
      users: restoredUsers,
      entities: this.spec.entities,
      freshClientId: (n) => `${prefix}-${n}`,
      maxBytesPerSecond: this.spec.maxBytesPerSecond,
    });
    const evidence: ProbeEvidence[] = plan.skipped.map((skip) => ({
      outcome: 'skipped',
      resource: `quota ${skip.entity} ${skip.key}`,
      expected: `${skip.key}=${skip.value} enforced`,
      observed: 'not checked',
      detail: skip.reason,
    }));
    for (const key of new Set(plan.checks.map((check) => check.key))) {
      if (!plan.controls.some((control) => control.key === key)) {
        evidence.push({
          outcome: 'skipped',
          resource: `control without ${key}`,
          expected: 'not throttled',
          observed: 'not checked',
          detail: `every user the probe can log in as falls under a ${key} quota`,
        });
      }
    }
    if (plan.checks.length === 0) return verdictOf(evidence);

    const connectionOf = (user: string): KafkaConnection =>
      user === admin
        ? context.connection
        : asUser(context.connection, {
            mechanism: mechanismOf(context.snapshot, user),
            username: user,
            password: context.credentials.get(user) ?? context.credentials.get(`User:${user}`)!,
          });
    const run = new QuotaRun(context, prefix, connectionOf, started + this.spec.budgetMs);
    try {
      await run.setUp([...plan.checks.map((check) => check.user), ...plan.controls.map((control) => control.user)].filter((user) => user !== admin));
      // Producer checks before the fetch seed: the seed's bytes would count against its writer's produce quota.
      for (const key of ['producer_byte_rate', 'consumer_byte_rate'] as const) {
        const checks = plan.checks.filter((check) => check.key === key);
        if (checks.length === 0) continue;
        if (key === 'consumer_byte_rate') await run.seed(checks, plan.controls, admin);
        for (const check of checks) evidence.push(await run.check(check, this.spec.tolerance));
        const control = plan.controls.find((candidate) => candidate.key === key);
        if (control) evidence.push(await run.control(control, Math.max(...checks.map((check) => check.bytesPerSecond))));
      }
    } finally {
      await run.tearDown();
    }
    return verdictOf(evidence);
  }
}

/** One probe run: its scratch topic and ACLs, and the checks measured against them. */
class QuotaRun {
  private readonly topic: string;
  private window: QuotaWindow = DEFAULT_QUOTA_WINDOW;
  private admin: Admin | undefined;
  private aclUsers: string[] = [];
  private groups = 0;
  private seeded = 0;

  constructor(
    private readonly context: ProbeContext,
    private readonly prefix: string,
    private readonly connectionOf: (user: string) => KafkaConnection,
    private readonly deadline: number,
  ) {
    this.topic = prefix;
  }

  async setUp(users: string[]): Promise<void> {
    this.admin = createProbeClient(this.context.connection, { clientId: `${this.prefix}-admin` }).admin();
    await this.admin.connect();
    await this.admin.createTopics({ topics: [{ topic: this.topic, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true });
    const leader = (await this.admin.fetchTopicMetadata({ topics: [this.topic] })).topics[0]?.partitions[0]?.leader;
    if (leader !== undefined) this.window = await quotaWindowOf(this.admin, leader);
    this.aclUsers = [...new Set(users)];
    if (this.aclUsers.length === 0) return;
    await this.admin.createAcls({ acl: this.aclUsers.flatMap((user) => this.aclsFor(user)) });
    // The broker's authorizer learns of new ACLs from the metadata log; wait until it answers with them.
    const until = Date.now() + ACL_WAIT_MS;
    while (Date.now() < until) {
      const described = await this.admin.describeAcls({ ...this.aclsFor(this.aclUsers[0]!)[0]!, operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY });
      if (described.resources.some((resource) => resource.acls.length > 0)) break;
      await sleep(200);
    }
  }

  async tearDown(): Promise<void> {
    if (!this.admin) return;
    if (this.aclUsers.length > 0) await this.admin.deleteAcls({ filters: this.aclUsers.flatMap((user) => this.aclsFor(user)) }).catch(() => {});
    await this.admin.deleteTopics({ topics: [this.topic] }).catch(() => {});
    await this.admin.disconnect().catch(() => {});
  }

  private aclsFor(user: string) {
    const principal = `User:${user}`;
    const entry = (resourceType: number, resourceName: string, resourcePatternType: number, operation: number) => ({
      resourceType,
      resourceName,
      resourcePatternType,
      principal,
      host: '*',
      operation,
      permissionType: AclPermissionTypes.ALLOW,
    });
    return [
      ...[AclOperationTypes.WRITE, AclOperationTypes.READ, AclOperationTypes.DESCRIBE].map((operation) =>
        entry(AclResourceTypes.TOPIC, this.topic, ResourcePatternTypes.LITERAL, operation),
      ),
      entry(AclResourceTypes.GROUP, this.prefix, ResourcePatternTypes.PREFIXED, AclOperationTypes.READ),
    ];
  }

  /** Fills the topic for the fetch checks, in batches no larger than a fetch of the smallest quota. */
  async seed(checks: QuotaCheckPlan[], controls: QuotaControlPlan[], admin: string | undefined): Promise<void> {
    const highest = Math.max(...checks.map((check) => check.bytesPerSecond));
    const writer = controls.find((control) => control.key === 'producer_byte_rate')?.user ?? admin ?? checks[0]!.user;
    const batchBytes = Math.max(RECORD_BYTES, Math.min(...checks.map((check) => fetchBytesFor(check.bytesPerSecond))) / 2);
    const kafka = createProbeClient(this.connectionOf(writer), { clientId: `${this.prefix}-seed` });
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    try {
      while (this.seeded < MAX_FACTOR * highest && performance.now() < this.deadline) {
        await producer.send({ topic: this.topic, acks: 1, messages: records(batchBytes) });
        this.seeded += batchBytes;
      }
    } finally {
      await producer.disconnect().catch(() => {});
    }
  }

  async check(check: QuotaCheckPlan, tolerance: number): Promise<ProbeEvidence> {
    const base = {
      principal: `User:${check.user}`,
      operation: check.key === 'producer_byte_rate' ? 'produce' : 'fetch',
      resource: `quota ${check.entity} ${check.key}`,
      expected: `throttled to ${formatRate(check.bytesPerSecond)} ±${Math.round(tolerance * 100)}%`,
    };
    const limits = {
      bytesPerSecond: check.bytesPerSecond,
      maxBytes: MAX_FACTOR * check.bytesPerSecond,
      enough: (responses: QuotaResponse[]) => responses.filter((response) => response.throttleMs > 0).length >= THROTTLES_TO_JUDGE,
    };
    let measured = await this.measure(check.key, check.user, check.clientId, limits);
    let who = `client-id ${check.clientId}`;
    // Throttled on its first response: the quota's window still held earlier traffic of this principal
    // (bytes the probe cannot count). Once the window has passed, it holds only the probe's own.
    if (!('error' in measured) && (measured.responses[0]?.throttleMs ?? 0) > 0) {
      const waitMs = this.window.samples * this.window.sampleMs;
      who += `; throttled ${measured.responses[0]!.throttleMs} ms on its first response (earlier traffic in the quota window), measured again after ${waitMs} ms`;
      await abortableSleep(waitMs, this.context.signal);
      measured = await this.measure(check.key, check.user, check.clientId, limits);
    }
    if ('error' in measured) return { ...base, ...measured.error };
    const judgement = judgeThrottled(check.bytesPerSecond, measured.responses, this.window, tolerance);
    return { ...base, ...describe(judgement, measured, who) };
  }

  async control(control: QuotaControlPlan, highest: number): Promise<ProbeEvidence> {
    const needed = EXCEED_FACTOR * highest;
    const base = {
      principal: `User:${control.user}`,
      operation: control.key === 'producer_byte_rate' ? 'produce' : 'fetch',
      resource: `control without ${control.key}`,
      expected: 'not throttled',
    };
    const measured = await this.measure(control.key, control.user, control.clientId, {
      bytesPerSecond: highest,
      maxBytes: needed,
      enough: (responses) => responses.some((response) => response.throttleMs > 0),
    });
    if ('error' in measured) return { ...base, ...measured.error };
    const governed = control.governedBy ? `; governed by ${control.governedBy.entity} at ${formatRate(control.governedBy.bytesPerSecond)}` : '; no quota governs it';
    return { ...base, ...describe(judgeUnthrottled(measured.responses, needed), measured, `client-id ${control.clientId}${governed}`) };
  }

  /**
   * Produces (or fetches) as `user` with `clientId` as fast as the broker lets it, until
   * `enough`, `maxBytes`, the end of the quota window's first pass, or the budget.
   */
  private async measure(
    key: ByteRateKey,
    user: string,
    clientId: string,
    limits: { bytesPerSecond: number; maxBytes: number; enough: (responses: QuotaResponse[]) => boolean },
  ): Promise<{ responses: QuotaResponse[]; durationMs: number; budgetCut: boolean } | { error: Pick<ProbeEvidence, 'outcome' | 'observed' | 'detail' | 'kafkaError'> }> {
    if (performance.now() + MIN_CHECK_MS > this.deadline) {
      return { error: { outcome: 'skipped', observed: 'not checked', detail: 'budget: the probe ran out of time before this check' } };
    }
    const started = performance.now();
    const wire: WireResponse[] = [];
    const kafka = createProbeClient(this.connectionOf(user), { clientId, logCreator: throttleTap((response) => wire.push(response)) });
    const responses = () => toResponses(wire, key === 'producer_byte_rate' ? 'Produce' : 'Fetch', key === 'consumer_byte_rate' ? fetchBytesFor(limits.bytesPerSecond) : 0);
    const windowEnd = (this.window.samples - 1) * this.window.sampleMs - 500;
    let budgetCut = false;
    const done = () => {
      const seen = responses();
      if (performance.now() > this.deadline) budgetCut = true;
      return budgetCut || this.context.signal.aborted || limits.enough(seen) || (seen.at(-1)?.recordedBytes ?? 0) >= limits.maxBytes || (seen.at(-1)?.atMs ?? 0) >= windowEnd;
    };
    try {
      if (key === 'producer_byte_rate') await produceUntil(kafka, this.topic, batchBytesFor(limits.bytesPerSecond), done);
      else await fetchUntil(kafka, `${this.prefix}-${++this.groups}`, this.topic, fetchBytesFor(limits.bytesPerSecond), done, this.window.samples * this.window.sampleMs + 10_000);
    } catch (error) {
      return { error: { outcome: 'failed', observed: `error: ${errorMessage(error)}`, detail: `as ${user} with client-id ${clientId}`, ...withKafkaError(error) } };
    }
    return { responses: responses(), durationMs: Math.round(performance.now() - started), budgetCut };
  }
}

function describe(judgement: RateJudgement, measured: { durationMs: number; budgetCut: boolean }, who: string): Pick<ProbeEvidence, 'outcome' | 'observed' | 'detail'> {
  const budget = measured.budgetCut && judgement.outcome === 'skipped' ? 'budget: ' : '';
  return { outcome: judgement.outcome, observed: judgement.observed, detail: `${budget}${who}; ${judgement.detail}; check took ${measured.durationMs} ms` };
}

function withKafkaError(error: unknown): { kafkaError?: string } {
  const name = kafkaErrorName(error);
  return name ? { kafkaError: name } : {};
}

/** Produce request size: a quarter of the quota, so throttles come in steps of about 250 ms. */
function batchBytesFor(bytesPerSecond: number): number {
  return Math.min(256 * 1024, Math.max(RECORD_BYTES, Math.round(bytesPerSecond / 4 / RECORD_BYTES) * RECORD_BYTES));
}

/** Fetch size: half the quota, so a throttled fetch's bytes (taken back by the broker) weigh a few percent at most. */
function fetchBytesFor(bytesPerSecond: number): number {
  return Math.max(2 * RECORD_BYTES, Math.round(bytesPerSecond / 2));
}

function records(bytes: number) {
  return Array.from({ length: Math.max(1, Math.round(bytes / RECORD_BYTES)) }, () => ({ value: randomBytes(RECORD_BYTES) }));
}

async function produceUntil(kafka: Kafka, topic: string, batchBytes: number, done: () => boolean): Promise<void> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    // One request at a time: each response's throttle belongs to the bytes sent so far.
    while (!done()) await producer.send({ topic, acks: 1, messages: records(batchBytes) });
  } finally {
    await producer.disconnect().catch(() => {});
  }
}

async function fetchUntil(kafka: Kafka, groupId: string, topic: string, fetchBytes: number, done: () => boolean, timeoutMs: number): Promise<void> {
  const consumer = kafka.consumer({
    groupId,
    allowAutoTopicCreation: false,
    maxBytes: fetchBytes,
    maxBytesPerPartition: fetchBytes,
    minBytes: 1,
    maxWaitTimeInMs: 200,
    sessionTimeout: 10_000,
    retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1_000, restartOnFailure: async () => false },
  });
  let crashed: unknown;
  consumer.on(consumer.events.CRASH, (event) => (crashed = event.payload.error));
  const until = performance.now() + timeoutMs;
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({ autoCommit: false, eachBatchAutoResolve: true, eachBatch: async () => {} });
    while (!done() && crashed === undefined && performance.now() < until) await sleep(50);
    if (crashed !== undefined) throw crashed;
  } finally {
    await consumer.disconnect().catch(() => {});
  }
}

/** quota.window.num and quota.window.size.seconds of the broker leading the scratch topic. */
async function quotaWindowOf(admin: Admin, brokerId: number): Promise<QuotaWindow> {
  const described = await admin.describeConfigs({
    resources: [{ type: ConfigResourceTypes.BROKER, name: String(brokerId), configNames: ['quota.window.num', 'quota.window.size.seconds'] }],
    includeSynonyms: false,
  });
  const entries = described.resources[0]?.configEntries ?? [];
  const value = (name: string) => Number(entries.find((entry) => entry.configName === name)?.configValue);
  const samples = value('quota.window.num');
  const seconds = value('quota.window.size.seconds');
  return Number.isFinite(samples) && samples > 1 && Number.isFinite(seconds) && seconds > 0 ? { samples, sampleMs: seconds * 1000 } : DEFAULT_QUOTA_WINDOW;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
