import type { Acl } from '../../snapshot/schema.js';

/**
 * What Kafka's StandardAuthorizer decides for a snapshot's ACLs, so a derived authorization
 * check knows what to expect:
 * - a binding matches the principal itself or User:*, and the resource by LITERAL name, the
 *   LITERAL wildcard "*", or a PREFIXED prefix;
 * - a binding matches the probes' connections only when its host is * or the address probes
 *   connect from (PROBE_CLIENT_HOST); a binding for another host is reported, never modelled;
 * - any matching DENY (its operation or ALL) wins over every ALLOW;
 * - an ALLOW of READ, WRITE, DELETE or ALTER implies DESCRIBE, ALTER_CONFIGS implies
 *   DESCRIBE_CONFIGS (implication applies to ALLOW only, as in Kafka);
 * - no matching ALLOW means denied (allow.everyone.if.no.acl.found=false).
 *
 * AclIndex answers these questions without scanning every binding: bindings are indexed by
 * principal, resource type and pattern (literal name, wildcard, prefix), so one decision costs
 * a few map lookups per character of the resource name.
 */
export type ResourceKind = 'topic' | 'group' | 'cluster' | 'transactional-id';

export const CLUSTER_NAME = 'kafka-cluster';

/** The address the probes' connections come from, as the broker sees it. */
export const PROBE_CLIENT_HOST = '127.0.0.1';

export const SNAPSHOT_RESOURCE_TYPE: Record<ResourceKind, Acl['resourceType']> = {
  topic: 'TOPIC',
  group: 'GROUP',
  cluster: 'CLUSTER',
  'transactional-id': 'TRANSACTIONAL_ID',
};

const IMPLIED_BY: Partial<Record<Acl['operation'], Acl['operation'][]>> = {
  DESCRIBE: ['READ', 'WRITE', 'DELETE', 'ALTER'],
  DESCRIBE_CONFIGS: ['ALTER_CONFIGS'],
};

export function kindOf(acl: Acl): ResourceKind | undefined {
  return (Object.keys(SNAPSHOT_RESOURCE_TYPE) as ResourceKind[]).find((kind) => SNAPSHOT_RESOURCE_TYPE[kind] === acl.resourceType);
}

export function resourceMatches(acl: Acl, kind: ResourceKind, name: string): boolean {
  if (acl.resourceType !== SNAPSHOT_RESOURCE_TYPE[kind]) return false;
  if (acl.patternType === 'PREFIXED') return name.startsWith(acl.resourceName);
  return acl.resourceName === '*' || acl.resourceName === name;
}

/** True when the binding applies to connections from the probes' address. */
export function appliesToProbeHost(acl: Acl): boolean {
  return acl.host === '*' || acl.host === PROBE_CLIENT_HOST;
}

/** The bindings of one principal (or of User:*) on one resource type. */
class PatternIndex {
  readonly literal = new Map<string, Acl[]>();
  readonly prefixed = new Map<string, Acl[]>();
  readonly wildcard: Acl[] = [];

  add(acl: Acl): void {
    if (acl.patternType === 'PREFIXED') push(this.prefixed, acl.resourceName, acl);
    else if (acl.resourceName === '*') this.wildcard.push(acl);
    else push(this.literal, acl.resourceName, acl);
  }

  /** Every binding whose pattern covers `name`. */
  matching(name: string, into: Acl[]): void {
    // Loops, not push(...list): a spread of more than ~100,000 bindings overflows the stack.
    for (const acl of this.wildcard) into.push(acl);
    for (const acl of this.literal.get(name) ?? []) into.push(acl);
    if (this.prefixed.size === 0) return;
    for (let length = 1; length <= name.length; length++) {
      const found = this.prefixed.get(name.slice(0, length));
      if (found) for (const acl of found) into.push(acl);
    }
  }

  all(): Acl[] {
    return [...this.wildcard, ...[...this.literal.values()].flat(), ...[...this.prefixed.values()].flat()];
  }
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

export class AclIndex {
  private readonly byPrincipal = new Map<string, Map<Acl['resourceType'], PatternIndex>>();
  private readonly initProducerId = new Map<string, boolean>();

  constructor(readonly acls: readonly Acl[]) {
    for (const acl of acls) {
      let byType = this.byPrincipal.get(acl.principal);
      if (!byType) this.byPrincipal.set(acl.principal, (byType = new Map()));
      let patterns = byType.get(acl.resourceType);
      if (!patterns) byType.set(acl.resourceType, (patterns = new PatternIndex()));
      patterns.add(acl);
    }
  }

  /** Principals named in bindings, without User:*. */
  principals(): string[] {
    return [...this.byPrincipal.keys()].filter((principal) => principal !== 'User:*');
  }

  /** Bindings of the principal (and of User:*) whose pattern covers the resource, for any host. */
  matching(principal: string, kind: ResourceKind, name: string): Acl[] {
    const type = SNAPSHOT_RESOURCE_TYPE[kind];
    const found: Acl[] = [];
    this.byPrincipal.get(principal)?.get(type)?.matching(name, found);
    if (principal !== 'User:*') this.byPrincipal.get('User:*')?.get(type)?.matching(name, found);
    return found;
  }

  /** True when a LITERAL "*" binding of the principal or of User:* covers every name of the kind. */
  coversEvery(principal: string, kind: ResourceKind): boolean {
    const type = SNAPSHOT_RESOURCE_TYPE[kind];
    return [principal, 'User:*'].some((owner) => (this.byPrincipal.get(owner)?.get(type)?.wildcard.length ?? 0) > 0);
  }

  /** Bindings of the principal itself and of User:* on a resource type, any pattern. */
  ofType(principal: string, kind: ResourceKind): Acl[] {
    const type = SNAPSHOT_RESOURCE_TYPE[kind];
    return [...(this.byPrincipal.get(principal)?.get(type)?.all() ?? []), ...(principal === 'User:*' ? [] : (this.byPrincipal.get('User:*')?.get(type)?.all() ?? []))];
  }

  /** What the authorizer decides for a connection from PROBE_CLIENT_HOST. */
  isAuthorized(principal: string, operation: Acl['operation'], kind: ResourceKind, name: string): boolean {
    const matching = this.matching(principal, kind, name).filter(appliesToProbeHost);
    if (matching.some((acl) => acl.permissionType === 'DENY' && (acl.operation === operation || acl.operation === 'ALL'))) return false;
    const granting = [operation, 'ALL', ...(IMPLIED_BY[operation] ?? [])];
    return matching.some((acl) => acl.permissionType === 'ALLOW' && granting.includes(acl.operation));
  }

  /** A binding for another host that covers this resource: the decision from PROBE_CLIENT_HOST would not show it. */
  hostRestricted(principal: string, kind: ResourceKind, name: string): Acl | undefined {
    return this.matching(principal, kind, name).find((acl) => !appliesToProbeHost(acl));
  }

  /**
   * Kafka's Authorizer.authorizeByResourceType (the default StandardAuthorizer uses): may the
   * principal `operation` at least one resource of the kind? Only bindings of that operation or
   * ALL count (no implication). A LITERAL "*" DENY denies; any LITERAL "*" ALLOW allows; else an
   * ALLOW pattern allows unless a DENY of the same LITERAL name, or a PREFIXED DENY on a prefix
   * of its name, dominates it. Before that, Kafka asks authorize() for the name "hardcode".
   */
  authorizeByResourceType(principal: string, operation: Acl['operation'], kind: ResourceKind): boolean {
    if (this.isAuthorized(principal, operation, kind, 'hardcode')) return true;
    const relevant = this.ofType(principal, kind).filter((acl) => appliesToProbeHost(acl) && (acl.operation === operation || acl.operation === 'ALL'));
    const denied = { LITERAL: new Set<string>(), PREFIXED: new Set<string>() };
    let wildcardAllow = false;
    for (const acl of relevant) {
      if (acl.permissionType !== 'DENY') {
        if (acl.patternType === 'LITERAL' && acl.resourceName === '*') wildcardAllow = true;
        continue;
      }
      if (acl.patternType === 'LITERAL' && acl.resourceName === '*') return false;
      denied[acl.patternType].add(acl.resourceName);
    }
    if (wildcardAllow) return true;
    return relevant.some((acl) => {
      if (acl.permissionType !== 'ALLOW') return false;
      if (acl.patternType === 'LITERAL' && denied.LITERAL.has(acl.resourceName)) return false;
      for (let length = 1; length <= acl.resourceName.length; length++) if (denied.PREFIXED.has(acl.resourceName.slice(0, length))) return false;
      return true;
    });
  }

  /** InitProducerId without a transactional id: IDEMPOTENT_WRITE on the cluster, or (KIP-679, Kafka 3.0+) WRITE on some topic by resource type. */
  mayInitProducerId(principal: string): boolean {
    const known = this.initProducerId.get(principal);
    if (known !== undefined) return known;
    const allowed = this.isAuthorized(principal, 'IDEMPOTENT_WRITE', 'cluster', CLUSTER_NAME) || this.authorizeByResourceType(principal, 'WRITE', 'topic');
    this.initProducerId.set(principal, allowed);
    return allowed;
  }

  /**
   * DeleteTopics of a topic that does not exist (KRaft's ControllerApis.deleteTopics): with
   * DELETE on the cluster every topic is visible; else a topic the principal may not DESCRIBE is
   * refused (TOPIC_AUTHORIZATION_FAILED) before Kafka looks whether it exists or may be deleted,
   * and one it may DESCRIBE is answered UNKNOWN_TOPIC_OR_PARTITION whatever DELETE says. An
   * ALLOW DELETE implies DESCRIBE, but a DENY DESCRIBE (or DENY ALL) overrides it.
   */
  mayDescribeForDelete(principal: string, name: string): boolean {
    return this.isAuthorized(principal, 'DELETE', 'cluster', CLUSTER_NAME) || this.isAuthorized(principal, 'DESCRIBE', 'topic', name);
  }
}

/** "topic orders.eu", "cluster", "group billing". */
export function describeResource(kind: ResourceKind, name: string): string {
  return kind === 'cluster' ? 'cluster' : `${kind} ${name}`;
}

/** "ALLOW READ on PREFIXED topic orders. for User:alice" (with "from <host>" when the binding is host-restricted). */
export function describeAcl(acl: Acl): string {
  const resource = acl.resourceType === 'CLUSTER' ? 'cluster' : `${acl.patternType} ${acl.resourceType.toLowerCase().replace('_', '-')} ${acl.resourceName}`;
  return `${acl.permissionType} ${acl.operation} on ${resource} for ${acl.principal}${acl.host === '*' ? '' : ` from ${acl.host}`}`;
}
