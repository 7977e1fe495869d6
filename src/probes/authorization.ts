import { randomBytes } from 'node:crypto';
import type { Admin, Kafka } from 'kafkajs';
import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes } from '../kafka/probe-client.js';
import { asUser, type KafkaConnection } from '../kafka/connection.js';
import { kafkaErrorName } from '../kafka/errors.js';
import { createProbeClient } from '../kafka/probe-client.js';
import type { Acl, Snapshot } from '../snapshot/schema.js';
import type { AuthorizationProbe as AuthorizationProbeSpec } from '../spec/schema.js';
import { CLUSTER_NAME, describeAcl, describeResource, isAuthorized, mayInitProducerId, resourceMatches, SNAPSHOT_RESOURCE_TYPE, type ResourceKind } from './acl-model.js';
import { clientActionFor, OPERATIONS_OF_ALL, unprobedReason, type ActionOperation, type ActionResult, type ClientAction } from './authorization-actions.js';
import { errorMessage, mapWithLimit, mechanismOf, userName, verdictOf, type Probe, type ProbeContext, type ProbeEvidence, type ProbeVerdict } from './probe.js';

/**
 * The authorization probe: each check is one principal doing one concrete client action
 * (see authorization-actions.ts for the operation → action table) on one concrete resource,
 * with an expected allow or deny. Checks come from the spec's `expect` list and, with
 * `derive: true`, from the snapshot's ACLs: every binding is exercised by its principal (for
 * User:* bindings, by every principal with a known password), and for each resource a
 * principal was checked on, the basic operations it was not granted are checked as denials.
 * Prefixed and wildcard bindings are probed on a concrete name they cover: a snapshot topic
 * when the action needs one to exist, else a synthesized `<prefix>kafka-drill-probe-<run>`.
 *
 * Controls: the admin super user must be allowed (proves a pass is possible), an unknown user
 * and a wrong password must fail SASL authentication (proves a deny is not a broken client).
 *
 * Restored consumer groups: checks never commit. A check that must join a restored group
 * (a READ on it, or consuming a topic when that is the only group the principal may READ)
 * waits for `committedOffsetsRead`, so it never shares the group with an offsets probe's
 * consumer; throwaway groups under prefixed or wildcard ACLs are preferred and need no wait.
 */
const CHECK_CONCURRENCY = 4;

export interface AuthorizationCheck {
  principal: string;
  operation: ActionOperation;
  kind: ResourceKind;
  /** The concrete resource name exercised. */
  name: string;
  companion?: string;
  expected: 'allow' | 'deny';
  /** Where the expectation comes from: an ACL, the spec, or the absence of a grant. */
  because: string;
  /** Set when the check cannot run; reported, never counted as passed silently. */
  skipped?: string;
  /** Joins a restored consumer group: run only after the offsets probes are done. */
  joinsRestoredGroup?: boolean;
}

export class AuthorizationProbe implements Probe {
  readonly type = 'authorization';

  constructor(
    readonly id: string,
    readonly name: string,
    private readonly spec: Pick<AuthorizationProbeSpec, 'derive' | 'expect'>,
  ) {}

  async check(context: ProbeContext): Promise<ProbeVerdict> {
    const marker = randomBytes(4).toString('hex');
    const plan = new CheckPlanner(context.snapshot, marker);
    const checks = [...this.spec.expect.map((expectation, index) => plan.fromExpectation(expectation, index))];
    if (this.spec.derive) checks.push(...plan.derived(context.credentials));
    const unique = dedupe(checks);

    const controls = await controlChecks(context, marker);
    const immediate = unique.filter((check) => !check.joinsRestoredGroup);
    const deferred = unique.filter((check) => check.joinsRestoredGroup);
    const evidence = [...controls];
    evidence.push(...(await mapWithLimit(immediate, CHECK_CONCURRENCY, (check) => runCheck(check, context, marker))));
    if (deferred.length > 0) {
      await context.committedOffsetsRead;
      evidence.push(...(await mapWithLimit(deferred, CHECK_CONCURRENCY, (check) => runCheck(check, context, marker))));
    }
    return verdictOf(evidence);
  }
}

function dedupe(checks: AuthorizationCheck[]): AuthorizationCheck[] {
  const seen = new Set<string>();
  return checks.filter((check) => {
    const key = [check.principal, check.operation, check.kind, check.name].join('\u0000');
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Turns ACL bindings and spec expectations into concrete checks. */
class CheckPlanner {
  private readonly acls: readonly Acl[];
  private readonly topics: string[];
  private readonly restoredGroups: Set<string>;

  constructor(private readonly snapshot: Snapshot, private readonly marker: string) {
    this.acls = snapshot.acls;
    this.topics = snapshot.topics.map((topic) => topic.name).sort();
    this.restoredGroups = new Set(snapshot.consumerGroups.map((group) => group.groupId));
  }

  fromExpectation(expectation: AuthorizationProbeSpec['expect'][number], index: number): AuthorizationCheck {
    const { principal, resource } = expectation;
    const pattern = resource.patternType === 'prefixed' ? 'PREFIXED' : 'LITERAL';
    const because = `expect[${index}]`;
    const operations = expectation.operation === 'ALL' ? OPERATIONS_OF_ALL[resource.type] : [expectation.operation];
    // ALL in an expectation means every operation; the first is checked here, the rest are listed in the table.
    const operation = operations[0]!;
    return this.concrete(principal, operation, resource.type, resource.name, pattern, expectation.result, because);
  }

  derived(credentials: ReadonlyMap<string, string>): AuthorizationCheck[] {
    const knownPrincipals = [...new Set(this.acls.map((acl) => acl.principal).filter((principal) => principal !== 'User:*'))];
    for (const user of credentials.keys()) if (!knownPrincipals.includes(`User:${user}`)) knownPrincipals.push(`User:${user}`);
    const checks: AuthorizationCheck[] = [];
    for (const acl of this.acls) {
      const kind = kindOf(acl);
      const principals = acl.principal === 'User:*' ? knownPrincipals.filter((principal) => credentials.has(userName(principal))) : [acl.principal];
      if (kind === undefined) {
        checks.push({ principal: acl.principal, operation: 'DESCRIBE', kind: 'cluster', name: acl.resourceName, expected: 'allow', because: describeAcl(acl),
          skipped: `${acl.resourceType} resources are not probed` });
        continue;
      }
      const operations = acl.operation === 'ALL' ? OPERATIONS_OF_ALL[kind] : [acl.operation];
      for (const principal of principals) {
        for (const operation of operations) {
          const expected = acl.permissionType === 'ALLOW' ? 'allow' : 'deny';
          checks.push(this.concrete(principal, operation, kind, acl.resourceName, acl.patternType, expected, describeAcl(acl), true));
        }
      }
    }
    // Denials: the basic operations a principal lacks on what it was checked on, and a topic it has nothing on.
    const checked = [...checks];
    for (const principal of knownPrincipals) {
      const mine = checked.filter((check) => check.principal === principal && !check.skipped);
      for (const topic of new Set(mine.filter((check) => check.kind === 'topic' && this.topics.includes(check.name)).map((check) => check.name))) {
        for (const operation of ['WRITE', 'READ', 'DESCRIBE'] as const) checks.push(this.modelled(principal, operation, 'topic', topic));
      }
      for (const group of new Set(mine.filter((check) => check.kind === 'group').map((check) => check.name))) checks.push(this.modelled(principal, 'READ', 'group', group));
      const untouched = this.topics.find((topic) => !this.acls.some((acl) => (acl.principal === principal || acl.principal === 'User:*') && resourceMatches(acl, 'topic', topic)));
      if (untouched !== undefined) checks.push(this.modelled(principal, 'DESCRIBE', 'topic', untouched));
    }
    return checks;
  }

  /** A check whose expectation is what the ACLs decide for this exact name. */
  private modelled(principal: string, operation: ActionOperation, kind: ResourceKind, name: string): AuthorizationCheck {
    return this.concrete(principal, operation, kind, name, 'LITERAL', 'deny', 'no ACL grants it', true);
  }

  private concrete(
    principal: string, operation: ActionOperation, kind: ResourceKind, aclName: string, pattern: Acl['patternType'],
    expected: 'allow' | 'deny', because: string, modelExpectation = false,
  ): AuthorizationCheck {
    const action = clientActionFor(kind, operation);
    const base = { principal, operation, kind, because };
    if (!action) return { ...base, name: aclName, expected, skipped: unprobedReason(kind, operation) };
    const named = this.nameFor(action, aclName, pattern);
    if ('skipped' in named) return { ...base, name: aclName, expected, skipped: named.skipped };
    const check: AuthorizationCheck = { ...base, name: named.name, expected };
    if (modelExpectation) {
      const decided = this.decide(principal, operation, kind, named.name);
      if (decided !== expected) {
        check.expected = decided;
        check.because = decided === 'allow' ? `${because}; another ACL grants ${named.name}` : `${because}; a DENY or missing grant covers ${named.name}`;
      }
      if (because === 'no ACL grants it' && decided === 'allow') check.because = 'granted by the ACLs';
    }
    if (kind === 'cluster' && operation === 'CREATE') check.companion = `kafka-drill-probe-${this.marker}`;
    if (action.needsCompanion === 'group') {
      const group = this.groupFor(principal);
      if (!group) return { ...check, skipped: `no consumer group ${principal} may READ: a kafkajs consumer needs one to fetch` };
      check.companion = group;
      if (this.restoredGroups.has(group)) check.joinsRestoredGroup = true;
    }
    if (action.needsCompanion === 'topic') {
      const topic = this.topics.find((name) => isAuthorized(this.acls, principal, 'READ', 'topic', name)) ??
        this.topics.find((name) => isAuthorized(this.acls, principal, 'DESCRIBE', 'topic', name));
      if (!topic) return { ...check, skipped: `no topic ${principal} may DESCRIBE: a kafkajs consumer must subscribe to one to join a group` };
      check.companion = topic;
    }
    if (kind === 'group' && this.restoredGroups.has(check.name) && operation === 'READ') check.joinsRestoredGroup = true;
    // DeleteTopics answers UNKNOWN_TOPIC_OR_PARTITION for an absent topic the principal may DESCRIBE,
    // before it looks at DELETE: a denied DELETE is only observable on a topic that exists.
    if (kind === 'topic' && operation === 'DELETE' && check.expected === 'deny' && isAuthorized(this.acls, principal, 'DESCRIBE', 'topic', check.name)) {
      return { ...check, skipped: `${principal} may DESCRIBE ${check.name}, so Kafka answers UNKNOWN_TOPIC_OR_PARTITION before checking DELETE; probing it would need deleting a restored topic` };
    }
    return check;
  }

  private decide(principal: string, operation: ActionOperation, kind: ResourceKind, name: string): 'allow' | 'deny' {
    let allowed: boolean;
    if (kind === 'cluster' && operation === 'IDEMPOTENT_WRITE') allowed = mayInitProducerId(this.acls, principal);
    else if (kind === 'cluster' && operation === 'CREATE') {
      allowed = isAuthorized(this.acls, principal, 'CREATE', 'cluster', CLUSTER_NAME) || isAuthorized(this.acls, principal, 'CREATE', 'topic', `kafka-drill-probe-${this.marker}`);
    } else if (kind === 'topic' && operation === 'CREATE') {
      allowed = isAuthorized(this.acls, principal, 'CREATE', 'cluster', CLUSTER_NAME) || isAuthorized(this.acls, principal, 'CREATE', 'topic', name);
    } else allowed = isAuthorized(this.acls, principal, operation, kind, name);
    return allowed ? 'allow' : 'deny';
  }

  /** A concrete name covered by the binding, existing or absent as the action needs. */
  private nameFor(action: ClientAction, aclName: string, pattern: Acl['patternType']): { name: string } | { skipped: string } {
    if (action.kind === 'cluster') return { name: CLUSTER_NAME };
    const wildcard = pattern === 'LITERAL' && aclName === '*';
    const synthesized = `${wildcard ? '' : aclName}kafka-drill-probe-${this.marker}`;
    if (pattern === 'LITERAL' && !wildcard) {
      const exists = action.kind !== 'topic' || this.topics.includes(aclName);
      if (action.needsExisting && !exists) return { skipped: `topic ${aclName} is not in the snapshot` };
      if (action.needsAbsent && (action.kind === 'topic' ? exists : this.restoredGroups.has(aclName))) {
        return { skipped: `${action.operation} on an existing ${action.kind} would destroy restored state` };
      }
      return { name: aclName };
    }
    if (action.kind === 'topic' && action.needsExisting) {
      const covered = this.topics.find((topic) => wildcard || topic.startsWith(aclName));
      return covered === undefined ? { skipped: `no topic in the snapshot is covered by ${pattern} ${aclName}` } : { name: covered };
    }
    return { name: synthesized };
  }

  /** A group the principal may READ: a throwaway name first, a restored group last. */
  private groupFor(principal: string): string | undefined {
    const grants = this.acls.filter(
      (acl) => acl.resourceType === 'GROUP' && acl.permissionType === 'ALLOW' && (acl.operation === 'READ' || acl.operation === 'ALL') &&
        (acl.principal === principal || acl.principal === 'User:*'),
    );
    const candidates = [
      ...grants.filter((acl) => acl.patternType === 'PREFIXED' || acl.resourceName === '*')
        .map((acl) => `${acl.resourceName === '*' ? '' : acl.resourceName}kafka-drill-probe-${this.marker}`),
      ...grants.filter((acl) => acl.patternType === 'LITERAL' && acl.resourceName !== '*').map((acl) => acl.resourceName)
        .sort((a, b) => Number(this.restoredGroups.has(a)) - Number(this.restoredGroups.has(b))),
    ];
    return candidates.find((group) => isAuthorized(this.acls, principal, 'READ', 'group', group));
  }
}

function kindOf(acl: Acl): ResourceKind | undefined {
  return (Object.keys(SNAPSHOT_RESOURCE_TYPE) as ResourceKind[]).find((kind) => SNAPSHOT_RESOURCE_TYPE[kind] === acl.resourceType);
}

/** The Kafka error name of a client failure, including kafkajs's per-partition error lists. */
function failureName(error: unknown): string | undefined {
  const partitions = (error as { partitions?: { error?: unknown }[] } | undefined)?.partitions;
  if (Array.isArray(partitions)) for (const partition of partitions) { const name = kafkaErrorName(partition.error); if (name) return name; }
  return kafkaErrorName(error);
}

/** The clients of one principal; the admin client is created on first use. */
function clientsFor(context: ProbeContext, user: string, password: string): { kafka: Kafka; connection: KafkaConnection; admin: () => Promise<Admin>; close: () => Promise<void> } {
  const connection = asUser(context.connection, { mechanism: mechanismOf(context.snapshot, user), username: user, password });
  const kafka = createProbeClient(connection, { retries: 2, clientId: `kafka-drill-authorization-${user}` });
  let admin: Promise<Admin> | undefined;
  return {
    kafka,
    connection,
    admin: () => (admin ??= (async () => { const client = kafka.admin(); await client.connect(); return client; })()),
    close: async () => { if (admin) await (await admin.catch(() => undefined))?.disconnect().catch(() => {}); },
  };
}

async function runCheck(check: AuthorizationCheck, context: ProbeContext, marker: string): Promise<ProbeEvidence> {
  const evidence: ProbeEvidence = {
    principal: check.principal,
    operation: check.operation,
    resource: describeResource(check.kind, check.name),
    expected: check.expected,
    observed: '',
    outcome: 'skipped',
  };
  const action = clientActionFor(check.kind, check.operation);
  const user = userName(check.principal);
  const password = context.credentials.get(user) ?? context.credentials.get(check.principal);
  if (password === undefined) return { ...evidence, outcome: 'skipped', observed: 'not checked: no credential', detail: `the drill has no password for ${user}; because ${check.because}` };
  if (check.skipped || !action) return { ...evidence, outcome: 'skipped', observed: 'not checked', detail: `${check.skipped ?? 'no client action'}; because ${check.because}` };

  const clients = clientsFor(context, user, password);
  let result: ActionResult;
  try {
    result = await action.run({ kafka: clients.kafka, connection: clients.connection, admin: clients.admin, signal: context.signal, timeoutMs: Math.min(context.timeoutMs, 15_000), marker: `kafka-drill authorization probe ${marker}` }, {
      name: check.name, exists: true, ...(check.companion === undefined ? {} : { companion: check.companion }),
    });
  } catch (error) {
    result = { allowed: false, error };
  } finally {
    await clients.close();
  }
  return judge(evidence, check, action, result);
}

function judge(evidence: ProbeEvidence, check: AuthorizationCheck, action: ClientAction, result: ActionResult): ProbeEvidence {
  const how = `${action.description}${check.companion ? ` (${check.kind === 'topic' ? 'group' : 'with'} ${check.companion})` : ''}; because ${check.because}`;
  if (result.allowed) {
    const ok = check.expected === 'allow';
    return { ...evidence, outcome: ok ? 'passed' : 'failed', observed: 'allowed', detail: `${ok ? '' : `expected ${action.deniedError}, the call went through: `}${how}${result.detail ? `; ${result.detail}` : ''}` };
  }
  const kafkaError = 'error' in result ? failureName(result.error) : result.kafkaError;
  const message = 'error' in result ? errorMessage(result.error) : result.message;
  if (kafkaError !== undefined && action.allowedErrors?.includes(kafkaError)) {
    const ok = check.expected === 'allow';
    return { ...evidence, outcome: ok ? 'passed' : 'failed', observed: `allowed (${kafkaError} after the authorization check)`, kafkaError, detail: `${ok ? '' : `expected ${action.deniedError}: `}${how}` };
  }
  if (kafkaError === action.deniedError) {
    const ok = check.expected === 'deny';
    return { ...evidence, outcome: ok ? 'passed' : 'failed', observed: `denied (${kafkaError})`, kafkaError, detail: `${ok ? '' : 'expected the call to go through: '}${how}` };
  }
  const observed = kafkaError ? `error (${kafkaError}): ${message}` : `error: ${message}`;
  const detail = `expected ${check.expected === 'allow' ? 'the call to go through' : action.deniedError}: ${how}`;
  return { ...evidence, outcome: 'failed', observed, ...(kafkaError ? { kafkaError } : {}), detail };
}

/** The admin super user must be allowed; an unknown user and a wrong password must not authenticate. */
async function controlChecks(context: ProbeContext, marker: string): Promise<ProbeEvidence[]> {
  const admin = context.connection.sasl;
  const evidence: ProbeEvidence[] = [];
  const superUser = createProbeClient(context.connection, { retries: 0, clientId: 'kafka-drill-authorization-control' }).admin({ retry: { retries: 0 } });
  const topic = context.snapshot.topics[0]?.name;
  try {
    await superUser.connect();
    await superUser.describeAcls({ resourceType: AclResourceTypes.ANY, resourcePatternType: ResourcePatternTypes.ANY, operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY });
    if (topic) await superUser.fetchTopicMetadata({ topics: [topic] });
    evidence.push({ outcome: 'passed', principal: `User:${admin?.username ?? 'ANONYMOUS'}`, operation: 'DESCRIBE', resource: topic ? `cluster, topic ${topic}` : 'cluster', expected: 'allow', observed: 'allowed',
      detail: 'positive control: the super user describes ACLs and topic metadata' });
  } catch (error) {
    const kafkaError = failureName(error);
    evidence.push({ outcome: 'failed', principal: `User:${admin?.username ?? 'ANONYMOUS'}`, operation: 'DESCRIBE', resource: 'cluster', expected: 'allow', observed: `error: ${errorMessage(error)}`,
      ...(kafkaError ? { kafkaError } : {}), detail: 'positive control: the super user could not describe ACLs, so no check below can be trusted' });
  } finally {
    await superUser.disconnect().catch(() => {});
  }
  if (!admin) return evidence;

  const knownUser = [...context.credentials.keys()][0];
  const impostors = [
    { username: `kafka-drill-nobody-${marker}`, password: randomBytes(12).toString('hex'), what: 'an unknown user' },
    { username: knownUser ?? admin.username, password: `wrong-${randomBytes(8).toString('hex')}`, what: `${knownUser ?? admin.username} with a wrong password` },
  ];
  for (const impostor of impostors) {
    const client = createProbeClient(asUser(context.connection, { mechanism: knownUser ? mechanismOf(context.snapshot, impostor.username) : admin.mechanism, username: impostor.username, password: impostor.password }), { retries: 0 });
    const admins = client.admin({ retry: { retries: 0 } });
    const base = { principal: `User:${impostor.username}`, operation: 'AUTHENTICATE', resource: 'SASL', expected: 'deny' };
    try {
      await admins.connect();
      await admins.describeCluster();
      evidence.push({ ...base, outcome: 'failed', observed: 'authenticated', detail: `negative control: ${impostor.what} authenticated` });
    } catch (error) {
      const kafkaError = failureName(error);
      const ok = kafkaError === 'SASL_AUTHENTICATION_FAILED';
      evidence.push({ ...base, outcome: ok ? 'passed' : 'failed', observed: ok ? 'denied (SASL_AUTHENTICATION_FAILED)' : `error: ${errorMessage(error)}`, ...(kafkaError ? { kafkaError } : {}),
        detail: `${ok ? '' : 'expected SASL_AUTHENTICATION_FAILED: '}negative control: ${impostor.what}` });
    } finally {
      await admins.disconnect().catch(() => {});
    }
  }
  return evidence;
}
