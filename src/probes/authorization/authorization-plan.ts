import type { Acl } from '../../snapshot/schema.js';
import type { AuthorizationProbeSpec } from '../../drill-spec/schema.js';
import { AclIndex, appliesToProbeHost, CLUSTER_NAME, describeAcl, kindOf, PROBE_CLIENT_HOST, type ResourceKind } from './acl-model.js';
import { clientActionFor, OPERATIONS_OF_ALL, unprobedReason, type ActionOperation, type ClientAction } from './authorization-actions.js';

/**
 * The authorization matrix, planned from the spec's `expect` list and (with `derive: true`) the
 * snapshot's ACLs, in time near-linear in ACLs × the principals a User:* binding stands for:
 * - every binding is exercised by its principal (a User:* binding by every principal with a
 *   password), each operation ALL covers on its own;
 * - every principal gets denial controls: the basic operations it was not granted on each topic
 *   and group it was checked on, DESCRIBE on a topic no binding of its covers, and WRITE on a
 *   fresh transactional id when it was checked on one;
 * - prefixed and wildcard bindings are probed on a name they cover: a snapshot topic when
 *   harmless, else a synthesized `<prefix>kafka-drill-probe-<run>`;
 * - a check that cannot be exercised carries the reason (`skipped`); from an explicit
 *   expectation it fails the probe, a derived one is counted as skipped.
 */
export interface AuthorizationCheck {
  principal: string;
  operation: ActionOperation;
  /** `other`: a resource type no client request probes (USER, DELEGATION_TOKEN); `name` then says what. */
  kind: ResourceKind | 'other';
  /** The concrete resource name exercised. */
  name: string;
  expected: 'allow' | 'deny';
  /** Where the expectation comes from: an ACL, the spec, or the absence of a grant. */
  because: string;
  /** From the spec's `expect` list: if it cannot be exercised, the probe fails. */
  explicit: boolean;
  /** Why the check cannot be exercised. */
  skipped?: string;
  /** Joins a restored consumer group: run only once the offsets probes are done with it. */
  joinsRestoredGroup?: boolean;
}

export interface PlanInput {
  acls: readonly Acl[];
  topics: readonly string[];
  restoredGroups: readonly string[];
  /** Users (without "User:") the drill has a password for. */
  usersWithCredentials: Iterable<string>;
  /** Unique to this run: synthesized names end with it. */
  marker: string;
}

type Expectation = AuthorizationProbeSpec['expect'][number];

export function planChecks(input: PlanInput, spec: { derive: boolean; expect: readonly Expectation[] }): AuthorizationCheck[] {
  const planner = new CheckPlanner(input);
  const checks = spec.expect.flatMap((expectation, index) => planner.fromExpectation(expectation, index));
  // Not push(...derived): 10,000 topics derive ~100,000 checks, more arguments than the stack holds.
  if (spec.derive) for (const check of planner.derived()) checks.push(check);
  return dedupe(checks);
}

/**
 * The first check of each principal, operation and resource wins: explicit ones come first.
 * Each is copied with Object.assign: built by spreads, every check would carry a V8 hidden class
 * of its own (~300 bytes; see plainEvidence), and a 5,000-topic plan holds ~46,000 of them.
 */
function dedupe(checks: AuthorizationCheck[]): AuthorizationCheck[] {
  const seen = new Set<string>();
  const kept: AuthorizationCheck[] = [];
  for (const check of checks) {
    const key = [check.principal, check.operation, check.kind, check.name].join('\u0000');
    if (seen.has(key)) continue;
    seen.add(key);
    kept.push(Object.assign({}, check));
  }
  return kept;
}

/** The first of sorted names that starts with prefix, by binary search. */
export function firstWithPrefix(sorted: readonly string[], prefix: string): string | undefined {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (sorted[middle]! < prefix) low = middle + 1;
    else high = middle;
  }
  const found = sorted[low];
  return found !== undefined && found.startsWith(prefix) ? found : undefined;
}

/**
 * The ACLs' decision on an operation as Kafka's request handler for the probe's request applies
 * it (KafkaApis, ControllerApis): CREATE and DELETE on the cluster stand for them on every topic;
 * InitProducerId without a transactional id takes IDEMPOTENT_WRITE on the cluster or WRITE on
 * some topic; a cluster CREATE is probed with CreateTopics of the run's fresh name.
 */
export function operationDecision(index: AclIndex, principal: string, operation: ActionOperation, kind: ResourceKind, name: string, marker: string): boolean {
  if (kind === 'cluster' && operation === 'IDEMPOTENT_WRITE') return index.mayInitProducerId(principal);
  if (kind === 'cluster' && operation === 'CREATE')
    return index.isAuthorized(principal, 'CREATE', 'cluster', CLUSTER_NAME) || index.isAuthorized(principal, 'CREATE', 'topic', `kafka-drill-probe-${marker}`);
  if (kind === 'topic' && (operation === 'CREATE' || operation === 'DELETE')) {
    return index.isAuthorized(principal, operation, 'cluster', CLUSTER_NAME) || index.isAuthorized(principal, operation, 'topic', name);
  }
  return index.isAuthorized(principal, operation, kind, name);
}

/**
 * What the probe's request is answered with: 'allow' when it gets past authorization. The same
 * as operationDecision except where Kafka hides whether a resource exists: DeleteTopics of an
 * absent topic answers whether the principal may DESCRIBE it (AclIndex.mayDescribeForDelete).
 */
export function requestAnswer(index: AclIndex, principal: string, operation: ActionOperation, kind: ResourceKind, name: string, marker: string): 'allow' | 'deny' {
  if (kind === 'topic' && operation === 'DELETE') return index.mayDescribeForDelete(principal, name) ? 'allow' : 'deny';
  return operationDecision(index, principal, operation, kind, name, marker) ? 'allow' : 'deny';
}

class CheckPlanner {
  private readonly index: AclIndex;
  private readonly topics: string[];
  private readonly topicSet: Set<string>;
  private readonly restoredGroups: Set<string>;
  private readonly users: Set<string>;

  constructor(private readonly input: PlanInput) {
    this.index = new AclIndex(input.acls);
    this.topics = [...input.topics].sort();
    this.topicSet = new Set(this.topics);
    this.restoredGroups = new Set(input.restoredGroups);
    this.users = new Set(input.usersWithCredentials);
  }

  fromExpectation(expectation: Expectation, index: number): AuthorizationCheck[] {
    const { principal, resource } = expectation;
    const pattern = resource.patternType === 'prefixed' ? 'PREFIXED' : 'LITERAL';
    const because = `expect[${index}]`;
    if (expectation.operation !== 'ALL') return [this.concrete(principal, expectation.operation, resource.type, resource.name, pattern, expectation.result, because, 'explicit')];
    // ALL: every operation it covers, each its own check; one no client can send is counted as not exercised.
    return OPERATIONS_OF_ALL[resource.type].map((operation) => {
      const check = this.concrete(principal, operation, resource.type, resource.name, pattern, expectation.result, `${because} (ALL)`, 'explicit');
      return clientActionFor(resource.type, operation) ? check : { ...check, explicit: false };
    });
  }

  derived(): AuthorizationCheck[] {
    const principals = this.index.principals();
    for (const user of this.users) if (!principals.includes(`User:${user}`)) principals.push(`User:${user}`);
    const withCredentials = principals.filter((principal) => this.users.has(principal.replace(/^User:/, '')));
    const checks: AuthorizationCheck[] = [];
    const checkedTopics = new Map<string, Set<string>>();
    const checkedGroups = new Map<string, Set<string>>();
    const checkedTransactional = new Set<string>();
    const remember = (map: Map<string, Set<string>>, principal: string, name: string) => {
      let names = map.get(principal);
      if (!names) map.set(principal, (names = new Set()));
      names.add(name);
    };

    for (const acl of this.input.acls) {
      const kind = kindOf(acl);
      const because = describeAcl(acl);
      const expected = acl.permissionType === 'ALLOW' ? 'allow' : 'deny';
      if (kind === undefined) {
        const operation = acl.operation === 'ALL' ? 'DESCRIBE' : acl.operation;
        checks.push({
          principal: acl.principal,
          operation,
          kind: 'other',
          name: `${acl.resourceType.toLowerCase().replace('_', '-')} ${acl.resourceName}`,
          expected,
          because,
          explicit: false,
          skipped: `${acl.resourceType} resources are not probed`,
        });
        continue;
      }
      const operations = acl.operation === 'ALL' ? OPERATIONS_OF_ALL[kind] : [acl.operation];
      const principalsOfAcl = acl.principal === 'User:*' ? withCredentials : [acl.principal];
      for (const principal of principalsOfAcl) {
        for (const operation of operations) {
          if (!appliesToProbeHost(acl)) {
            checks.push({
              principal,
              operation,
              kind,
              name: acl.resourceName,
              expected,
              because,
              explicit: false,
              skipped: `host-restricted: the binding applies only to connections from ${acl.host}; probes connect from ${PROBE_CLIENT_HOST}, so it is not exercised`,
            });
            continue;
          }
          const check = this.concrete(principal, operation, kind, acl.resourceName, acl.patternType, expected, because, 'modelled');
          checks.push(check);
          if (check.skipped) continue;
          if (kind === 'topic' && this.topicSet.has(check.name)) remember(checkedTopics, principal, check.name);
          if (kind === 'group') remember(checkedGroups, principal, check.name);
          if (kind === 'transactional-id') checkedTransactional.add(principal);
        }
      }
    }

    // Denial controls: the basic operations a principal lacks on what it was checked on, and a topic it has nothing on.
    for (const principal of principals) {
      for (const topic of checkedTopics.get(principal) ?? []) {
        for (const operation of ['WRITE', 'READ', 'DESCRIBE'] as const) checks.push(this.control(principal, operation, 'topic', topic));
      }
      for (const group of checkedGroups.get(principal) ?? []) checks.push(this.control(principal, 'READ', 'group', group));
      // A transactional id outside its grants: the transactional producer's denial control.
      if (checkedTransactional.has(principal)) checks.push(this.control(principal, 'WRITE', 'transactional-id', `kafka-drill-probe-${this.input.marker}`));
      // A wildcard binding covers every topic: no search (it would cost topics × principals lookups).
      const untouched = this.index.coversEvery(principal, 'topic') ? undefined : this.topics.find((topic) => this.index.matching(principal, 'topic', topic).length === 0);
      if (untouched !== undefined) checks.push(this.control(principal, 'DESCRIBE', 'topic', untouched));
    }
    return checks;
  }

  /** A control: its expectation is what the ACLs decide for this exact name. */
  private control(principal: string, operation: ActionOperation, kind: ResourceKind, name: string): AuthorizationCheck {
    return this.concrete(principal, operation, kind, name, 'LITERAL', 'deny', 'no ACL grants it', 'modelled');
  }

  /**
   * A concrete check of one operation on a name the binding covers. `modelled`: the expectation
   * is recomputed for that concrete name (another binding may grant or deny it); `explicit`: the
   * spec's expectation stands.
   */
  private concrete(
    principal: string,
    operation: ActionOperation,
    kind: ResourceKind,
    aclName: string,
    pattern: Acl['patternType'],
    expected: 'allow' | 'deny',
    because: string,
    source: 'explicit' | 'modelled',
  ): AuthorizationCheck {
    const base = { principal, operation, kind, because, expected, explicit: source === 'explicit' };
    const action = clientActionFor(kind, operation);
    if (!action) return { ...base, name: aclName, skipped: unprobedReason(kind, operation) };
    const named = this.nameFor(action, aclName, pattern);
    if ('skipped' in named) return { ...base, name: aclName, skipped: named.skipped };
    // A restored topic under a prefix may carry its own DENY: then the binding is shown on a fresh name it covers.
    const name =
      source === 'modelled' ? (named.names.find((candidate) => this.decide(principal, operation, kind, candidate) === expected) ?? named.names.at(-1)!) : named.names[0]!;
    const check: AuthorizationCheck = { ...base, name };
    if (source === 'modelled') {
      const restricted = this.index.hostRestricted(principal, kind, name);
      if (restricted) {
        return { ...check, skipped: `decided in part by a host-restricted binding (${describeAcl(restricted)}); probes connect from ${PROBE_CLIENT_HOST}, so it is not exercised` };
      }
      const decided = this.decide(principal, operation, kind, name);
      if (decided !== expected) {
        check.expected = decided;
        check.because = decided === 'allow' ? `${because}; another ACL grants ${name}` : `${because}; a DENY or missing grant covers ${name}`;
      }
      if (because === 'no ACL grants it' && decided === 'allow') check.because = 'granted by the ACLs';
    }
    if (kind === 'group' && operation === 'READ' && this.restoredGroups.has(check.name)) check.joinsRestoredGroup = true;
    if (kind === 'topic' && operation === 'DELETE') return this.deleteOfAbsentTopic(check, source);
    return check;
  }

  /**
   * DeleteTopics of an absent topic shows whether the principal may DESCRIBE it, not DELETE it
   * (AclIndex.mayDescribeForDelete): where the two differ the answer is modelled or the check skipped.
   */
  private deleteOfAbsentTopic(check: AuthorizationCheck, source: 'explicit' | 'modelled'): AuthorizationCheck {
    const answered = requestAnswer(this.index, check.principal, 'DELETE', 'topic', check.name, this.input.marker);
    if (answered === check.expected) return check;
    if (check.expected === 'deny') {
      return {
        ...check,
        skipped: `${check.principal} may DESCRIBE ${check.name}, so Kafka answers UNKNOWN_TOPIC_OR_PARTITION before checking DELETE; probing it would need deleting a restored topic`,
      };
    }
    const hidden = `DESCRIBE of ${check.name} is denied (a DENY DESCRIBE overrides the DESCRIBE that DELETE implies), so Kafka refuses DeleteTopics with TOPIC_AUTHORIZATION_FAILED before it checks DELETE`;
    if (source === 'explicit') return { ...check, skipped: `${hidden}; a granted DELETE is not observable on this topic` };
    return { ...check, expected: 'deny', because: `${check.because}; but ${hidden}` };
  }

  private decide(principal: string, operation: ActionOperation, kind: ResourceKind, name: string): 'allow' | 'deny' {
    return operationDecision(this.index, principal, operation, kind, name, this.input.marker) ? 'allow' : 'deny';
  }

  /** Concrete names covered by the binding, best first: a restored topic when harmless, then a synthesized name. */
  private nameFor(action: ClientAction, aclName: string, pattern: Acl['patternType']): { names: string[] } | { skipped: string } {
    if (action.kind === 'cluster') return { names: [CLUSTER_NAME] };
    const wildcard = pattern === 'LITERAL' && aclName === '*';
    if (pattern === 'LITERAL' && !wildcard) {
      const exists = action.kind === 'topic' ? this.topicSet.has(aclName) : action.kind === 'group' && this.restoredGroups.has(aclName);
      if (action.needsAbsent && exists) return { skipped: `${action.operation} on an existing ${action.kind} would destroy restored state` };
      return { names: [aclName] };
    }
    // A restored topic the binding covers is the realistic target; a synthesized name where none is or the request must miss.
    const synthesized = `${wildcard ? '' : aclName}kafka-drill-probe-${this.input.marker}`;
    if (action.kind === 'topic' && !action.needsAbsent) {
      const covered = wildcard ? this.topics[0] : firstWithPrefix(this.topics, aclName);
      if (covered !== undefined) return { names: [covered, synthesized] };
    }
    return { names: [synthesized] };
  }
}
