import { describe, expect, it } from 'vitest';
import { askKafkaAuthorizer, type AuthorizerCase, type AuthorizerQuestion } from '../../../src/kafka/java-authorizer.js';
import { AclIndex, CLUSTER_NAME, describeAcl, PROBE_CLIENT_HOST, SNAPSHOT_RESOURCE_TYPE, type ResourceKind } from '../../../src/probes/authorization/acl-model.js';
import { clientActionFor, OPERATIONS_OF_ALL, type ActionOperation } from '../../../src/probes/authorization/authorization-actions.js';
import { planChecks, requestAnswer } from '../../../src/probes/authorization/authorization-plan.js';
import { planTransactionalChecks } from '../../../src/probes/authorization/transactional-producer.js';
import { aclKey, type Acl } from '../../../src/snapshot/schema.js';
import { integrationVersions } from '../../support/kafka.js';
import { generateSnapshot } from '../../../bench/generate.js';

/** A question to Kafka's authorizer, with the snapshot's operation and resource type names. */
type Question = AuthorizerQuestion & Pick<Acl, 'operation' | 'resourceType'>;

/**
 * Differential test of the ACL model against Kafka's own StandardAuthorizer (its Java classes
 * from the cached jars, one JVM per Kafka version for every decision of the test): random ACL
 * sets of every shape, from a seeded PRNG, so a failure reproduces. Three things are compared:
 * - AclIndex.isAuthorized and authorizeByResourceType with Kafka's authorize / authorizeByResourceType;
 * - requestAnswer (what the probe's request is answered with) with Kafka's request handlers
 *   written in terms of Kafka's decisions (REQUEST_RULES, transcribed from KafkaApis and
 *   ControllerApis: e.g. DeleteTopics of an absent topic needs DESCRIBE, or DELETE on the cluster);
 * - every check the planner derives and does not skip: its expectation is Kafka's answer.
 * A disagreement fails and prints a minimal binding set (shrunk by asking Kafka again) that shows it.
 */
const SEED = Number(process.env.KAFKA_DRILL_ACL_SEED ?? 20261206);
const MARKER = 'diff';

function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Operations Kafka accepts in a binding of each resource type (AclEntry.supportedOperations), and ALL. */
const BINDING_OPERATIONS: Record<Acl['resourceType'], Acl['operation'][]> = {
  TOPIC: ['ALL', 'READ', 'WRITE', 'CREATE', 'DESCRIBE', 'DELETE', 'ALTER', 'DESCRIBE_CONFIGS', 'ALTER_CONFIGS'],
  GROUP: ['ALL', 'READ', 'DESCRIBE', 'DELETE'],
  CLUSTER: ['ALL', 'CREATE', 'CLUSTER_ACTION', 'DESCRIBE_CONFIGS', 'ALTER_CONFIGS', 'IDEMPOTENT_WRITE', 'ALTER', 'DESCRIBE'],
  TRANSACTIONAL_ID: ['ALL', 'DESCRIBE', 'WRITE'],
  DELEGATION_TOKEN: ['ALL', 'DESCRIBE'],
  USER: ['ALL', 'CREATE_TOKENS', 'DESCRIBE_TOKENS'],
};
const KINDS: ResourceKind[] = ['topic', 'group', 'cluster', 'transactional-id'];
const PRINCIPALS = ['User:p0', 'User:p1', 'User:p2', 'User:p3', 'User:p4'];
/** Principals the questions come from: one no binding names. */
const ASKING = [...PRINCIPALS, 'User:nobody'];
const HOSTS = ['*', '*', '*', PROBE_CLIENT_HOST, '10.0.0.7', '::1'];

/** Names over a small alphabet, so prefixes of one another are frequent (the authorizer's hardest case). */
function generator(random: () => number) {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const word = (max: number) => Array.from({ length: 1 + Math.floor(random() * max) }, () => pick(['a', 'b', '.', '-', 'd', 'h'])).join('');
  const binding = (): Acl => {
    const resourceType = pick<Acl['resourceType']>(['TOPIC', 'TOPIC', 'TOPIC', 'GROUP', 'GROUP', 'CLUSTER', 'TRANSACTIONAL_ID', 'DELEGATION_TOKEN', 'USER']);
    const roll = random();
    const [resourceName, patternType]: [string, Acl['patternType']] =
      resourceType === 'CLUSTER' ? [CLUSTER_NAME, 'LITERAL'] : roll < 0.1 ? ['*', 'LITERAL'] : roll < 0.55 ? [word(4), 'PREFIXED'] : [word(6), 'LITERAL'];
    return {
      resourceType,
      resourceName,
      patternType,
      principal: random() < 0.2 ? 'User:*' : pick(PRINCIPALS),
      host: pick(HOSTS),
      operation: pick(BINDING_OPERATIONS[resourceType]),
      permissionType: random() < 0.3 ? 'DENY' : 'ALLOW',
    };
  };
  /** A name to ask about: a binding's own, one extending it, one cut short, a fresh one, or Kafka's "hardcode". */
  const nameFor = (kind: ResourceKind, acls: readonly Acl[]): string => {
    if (kind === 'cluster') return CLUSTER_NAME;
    const ofKind = acls.filter((acl) => acl.resourceType === SNAPSHOT_RESOURCE_TYPE[kind] && acl.resourceName !== '*');
    const roll = random();
    if (ofKind.length === 0 || roll < 0.15) return roll < 0.03 ? 'hardcode' : word(6);
    const base = pick(ofKind).resourceName;
    if (roll < 0.5) return base;
    if (roll < 0.85) return base + word(3);
    return base.slice(0, Math.max(1, base.length - 1));
  };
  return { pick, binding, nameFor, word };
}

/** Kafka's decisions a request of the probe depends on, and how its handler combines them (true: past authorization). */
interface RequestRule {
  questions: Question[];
  answer(allowed: boolean[]): boolean;
}

const ask = (principal: string, operation: Acl['operation'], resourceType: Acl['resourceType'], name?: string): Question => ({
  principal,
  host: PROBE_CLIENT_HOST,
  operation,
  resourceType,
  ...(name === undefined ? {} : { name }),
});

/** Transcribed from Kafka's KafkaApis (broker) and ControllerApis (KRaft controller) for the requests in authorization-actions.ts. */
function requestRule(principal: string, operation: ActionOperation, kind: ResourceKind, name: string): RequestRule {
  const any = (questions: Question[]): RequestRule => ({ questions, answer: (allowed) => allowed.some(Boolean) });
  if (kind === 'topic' && operation === 'DELETE') return any([ask(principal, 'DELETE', 'CLUSTER', CLUSTER_NAME), ask(principal, 'DESCRIBE', 'TOPIC', name)]);
  if (kind === 'topic' && operation === 'CREATE') return any([ask(principal, 'CREATE', 'CLUSTER', CLUSTER_NAME), ask(principal, 'CREATE', 'TOPIC', name)]);
  if (kind === 'cluster' && operation === 'CREATE')
    return any([ask(principal, 'CREATE', 'CLUSTER', CLUSTER_NAME), ask(principal, 'CREATE', 'TOPIC', `kafka-drill-probe-${MARKER}`)]);
  if (kind === 'cluster' && operation === 'IDEMPOTENT_WRITE') return any([ask(principal, 'IDEMPOTENT_WRITE', 'CLUSTER', CLUSTER_NAME), ask(principal, 'WRITE', 'TOPIC')]);
  return any([ask(principal, operation, SNAPSHOT_RESOURCE_TYPE[kind], name)]);
}

/** One thing compared: Kafka's answer from its decisions, the model's from the bindings. */
interface Comparison {
  what: string;
  questions: Question[];
  kafka(allowed: boolean[]): boolean;
  model(index: AclIndex): boolean;
}

function decisionComparison(question: Question, kind: ResourceKind): Comparison {
  const { principal, operation, name } = question;
  return {
    what: name === undefined ? `authorizeByResourceType(${principal}, ${operation}, ${kind})` : `authorize(${principal}, ${operation}, ${kind} ${name})`,
    questions: [question],
    kafka: ([allowed]) => allowed!,
    model: (index) => (name === undefined ? index.authorizeByResourceType(principal, operation, kind) : index.isAuthorized(principal, operation, kind, name)),
  };
}

function requestComparison(principal: string, operation: ActionOperation, kind: ResourceKind, name: string): Comparison {
  const rule = requestRule(principal, operation, kind, name);
  return {
    what: `the answer to ${principal}'s ${clientActionFor(kind, operation)!.description} (${operation} on ${kind} ${name})`,
    questions: rule.questions,
    kafka: rule.answer,
    model: (index) => requestAnswer(index, principal, operation, kind, name, MARKER) === 'allow',
  };
}

/** Every decision a transactional producer's requests take on one resource (FindCoordinator DESCRIBE, then WRITE; Metadata DESCRIBE, then WRITE). */
function allOfComparison(what: string, principal: string, resourceType: Acl['resourceType'], kind: ResourceKind, name: string): Comparison {
  return {
    what,
    questions: [ask(principal, 'WRITE', resourceType, name), ask(principal, 'DESCRIBE', resourceType, name)],
    kafka: (allowed) => allowed.every(Boolean),
    model: (index) => index.isAuthorized(principal, 'WRITE', kind, name) && index.isAuthorized(principal, 'DESCRIBE', kind, name),
  };
}

interface Case {
  acls: Acl[];
  comparisons: Comparison[];
  /** Plan checks are compared too, by the comparison of their request (index into comparisons) and their expectation. */
  planned: { check: string; expected: 'allow' | 'deny'; comparison: number }[];
}

function generateCase(random: () => number, size: number, questions: number): Case {
  const { pick, binding, nameFor, word } = generator(random);
  // Kafka holds each binding once (as a snapshot does).
  const acls = [...new Map(Array.from({ length: size }, binding).map((acl) => [aclKey(acl), acl])).values()];
  const comparisons: Comparison[] = [];
  for (let index = 0; index < questions; index++) {
    const kind = pick(KINDS);
    const principal = pick(ASKING);
    const operation = pick(OPERATIONS_OF_ALL[kind]);
    const name = nameFor(kind, acls);
    comparisons.push(decisionComparison(ask(principal, operation, SNAPSHOT_RESOURCE_TYPE[kind], name), kind));
    if (clientActionFor(kind, operation)) comparisons.push(requestComparison(principal, operation, kind, name));
  }
  for (const principal of ASKING) {
    for (const kind of KINDS) comparisons.push(decisionComparison(ask(principal, pick(OPERATIONS_OF_ALL[kind]), SNAPSHOT_RESOURCE_TYPE[kind]), kind));
    comparisons.push(decisionComparison(ask(principal, 'WRITE', 'TOPIC'), 'topic'));
  }
  // The planner on the same bindings: restored topics and groups named like the bindings.
  const topics = [...new Set(acls.filter((acl) => acl.resourceType === 'TOPIC' && acl.resourceName !== '*').map((acl) => acl.resourceName + (random() < 0.5 ? '' : word(2))))];
  const groups = acls.filter((acl) => acl.resourceType === 'GROUP' && random() < 0.3).map((acl) => acl.resourceName);
  const checks = planChecks({ acls, topics, restoredGroups: groups, usersWithCredentials: ['p0', 'p1', 'p2', 'p3', 'p4'], marker: MARKER }, { derive: true, expect: [] });
  const planned: Case['planned'] = [];
  for (const check of checks) {
    if (check.skipped || check.kind === 'other') continue;
    planned.push({
      check: `${check.principal} ${check.operation} ${check.kind} ${check.name} (because ${check.because})`,
      expected: check.expected,
      comparison: comparisons.length,
    });
    comparisons.push(requestComparison(check.principal, check.operation, check.kind, check.name));
  }
  // The transactional producers: init as Kafka decides it, and a topic to send to that Kafka lets them write.
  for (const tx of planTransactionalChecks(checks, acls, topics)) {
    const producer = `${tx.principal}'s transactional producer ${tx.transactionalId}`;
    planned.push({ check: `${producer} (because ${tx.because})`, expected: tx.expected, comparison: comparisons.length });
    comparisons.push(allOfComparison(`${producer}: init`, tx.principal, 'TRANSACTIONAL_ID', 'transactional-id', tx.transactionalId));
    if (tx.topic === undefined) continue;
    planned.push({ check: `${producer} sends to ${tx.topic}`, expected: 'allow', comparison: comparisons.length });
    comparisons.push(allOfComparison(`${producer}: send to ${tx.topic}`, tx.principal, 'TOPIC', 'topic', tx.topic));
  }
  return { acls, comparisons, planned };
}

const toCase = (acls: readonly Acl[], comparisons: readonly Comparison[]): AuthorizerCase => ({ acls, questions: comparisons.flatMap((comparison) => comparison.questions) });

/** Per comparison, Kafka's answer, from one case's flat list of decisions. */
function kafkaAnswers(comparisons: readonly Comparison[], allowed: boolean[]): boolean[] {
  let at = 0;
  return comparisons.map((comparison) => {
    const mine = allowed.slice(at, at + comparison.questions.length);
    at += comparison.questions.length;
    return comparison.kafka(mine);
  });
}

/** Removes bindings while the model and Kafka still disagree: chunks first, then one at a time; each round one JVM. */
async function shrink(version: string, acls: readonly Acl[], comparison: Comparison): Promise<Acl[]> {
  let current = [...acls];
  let chunk = Math.ceil(current.length / 2);
  for (let round = 0; round < 60 && current.length > 1 && chunk >= 1; round++) {
    const candidates: Acl[][] = [];
    for (let start = 0; start < current.length; start += chunk) candidates.push([...current.slice(0, start), ...current.slice(start + chunk)]);
    const answers = await askKafkaAuthorizer(
      version,
      candidates.map((candidate) => toCase(candidate, [comparison])),
    );
    const still = candidates.findIndex((candidate, index) => comparison.kafka(answers.cases[index]!) !== comparison.model(new AclIndex(candidate)));
    if (still >= 0) current = candidates[still]!;
    else chunk = chunk === 1 ? 0 : Math.ceil(chunk / 2);
  }
  return current;
}

describe.each(integrationVersions())("the ACL model agrees with Kafka %s's StandardAuthorizer", (version) => {
  it(`on random ACL sets (seed ${SEED}): decisions, the probe's request answers, and every planned check`, async () => {
    const random = prng(SEED);
    // Many small sets (interactions between a few bindings) and a few of thousands (indexing at scale).
    const cases = [
      ...Array.from({ length: 300 }, () => generateCase(random, 2 + Math.floor(random() * 30), 60)),
      ...Array.from({ length: 3 }, () => generateCase(random, 3_000, 3_000)),
    ];
    const answers = await askKafkaAuthorizer(
      version,
      cases.map((kase) => toCase(kase.acls, kase.comparisons)),
      { timeoutMs: 300_000 },
    );
    expect(answers.kafkaVersion).toBe(version);
    let decisions = 0;
    let compared = 0;
    let plannedChecks = 0;
    let transactional = 0;
    let allowed = 0;
    const disagreements: { kase: Case; comparison: Comparison; kafka: boolean }[] = [];
    const planMismatches: string[] = [];
    cases.forEach((kase, caseIndex) => {
      decisions += answers.cases[caseIndex]!.length;
      const kafka = kafkaAnswers(kase.comparisons, answers.cases[caseIndex]!);
      const index = new AclIndex(kase.acls);
      kase.comparisons.forEach((comparison, at) => {
        compared++;
        if (kafka[at]) allowed++;
        const model = comparison.model(index);
        if (model !== kafka[at]) disagreements.push({ kase, comparison, kafka: kafka[at]! });
      });
      for (const plan of kase.planned) {
        plannedChecks++;
        if (plan.check.includes('transactional producer')) transactional++;
        const answer = kafka[plan.comparison] ? 'allow' : 'deny';
        if (answer !== plan.expected) planMismatches.push(`${plan.check}: planned ${plan.expected}, Kafka answers ${answer}`);
      }
    });
    console.log(
      `Kafka ${version}: ${cases.length} ACL sets (${cases.reduce((sum, kase) => sum + kase.acls.length, 0)} bindings), ${decisions} decisions in one JVM (${answers.jvmMs} ms), ${compared} comparisons (${allowed} allowed), ${plannedChecks} planned checks (${transactional} of transactional producers); ${disagreements.length} disagreements, ${planMismatches.length} plan mismatches`,
    );
    const reports: string[] = [];
    for (const { kase, comparison, kafka } of disagreements.slice(0, 3)) {
      const minimal = await shrink(version, kase.acls, comparison);
      reports.push(
        `${comparison.what}: Kafka ${kafka ? 'allows' : 'denies'}, the model ${kafka ? 'denies' : 'allows'}; minimal bindings:\n  ${minimal.map(describeAcl).join('\n  ')}`,
      );
    }
    if (reports.length > 0) console.log(reports.join('\n'));
    expect(reports).toEqual([]);
    expect(planMismatches.slice(0, 20)).toEqual([]);
    // The generator reaches both answers and the plan was exercised.
    expect(allowed).toBeGreaterThan(compared / 10);
    expect(compared - allowed).toBeGreaterThan(compared / 10);
    expect(plannedChecks).toBeGreaterThan(1_000);
    expect(transactional).toBeGreaterThan(100);
  }, 600_000);

  it("on the benchmark's snapshots of 1,000 and 5,000 topics: every planned check is Kafka's answer", async () => {
    const snapshots = [1_000, 5_000].map((topics) => generateSnapshot(topics));
    const cases = snapshots.map((snapshot) => {
      const checks = planChecks(
        {
          acls: snapshot.acls,
          topics: snapshot.topics.map((topic) => topic.name),
          restoredGroups: snapshot.consumerGroups.map((group) => group.groupId),
          usersWithCredentials: snapshot.scramUsers.map((user) => user.name),
          marker: MARKER,
        },
        { derive: true, expect: [] },
      ).filter((check) => !check.skipped && check.kind !== 'other');
      return { acls: snapshot.acls, checks, comparisons: checks.map((check) => requestComparison(check.principal, check.operation, check.kind as ResourceKind, check.name)) };
    });
    const answers = await askKafkaAuthorizer(
      version,
      cases.map((kase) => toCase(kase.acls, kase.comparisons)),
      { timeoutMs: 300_000 },
    );
    cases.forEach((kase, caseIndex) => {
      const kafka = kafkaAnswers(kase.comparisons, answers.cases[caseIndex]!);
      const mismatches = kase.checks
        .filter((check, at) => (kafka[at] ? 'allow' : 'deny') !== check.expected)
        .map((check) => `${check.principal} ${check.operation} ${check.kind} ${check.name}: planned ${check.expected} because ${check.because}`);
      const denied = kafka.filter((allowed) => !allowed).length;
      console.log(
        `Kafka ${version}, bench snapshot of ${snapshots[caseIndex]!.topics.length} topics: ${kase.checks.length} planned checks (${denied} denied by Kafka), ${mismatches.length} mismatches; both snapshots asked in one JVM (${answers.jvmMs} ms)`,
      );
      expect(mismatches.slice(0, 20)).toEqual([]);
      expect(denied).toBeGreaterThan(kase.checks.length / 10);
    });
  }, 600_000);
});
