import type { Acl } from '../snapshot/schema.js';

/**
 * What Kafka's StandardAuthorizer decides for a snapshot's ACLs, so a derived authorization
 * check knows what to expect:
 * - a binding matches the principal itself or User:*, host * (probes connect from 127.0.0.1),
 *   and the resource by LITERAL name, the LITERAL wildcard "*", or a PREFIXED prefix;
 * - any matching DENY (its operation or ALL) wins over every ALLOW;
 * - an ALLOW of READ, WRITE, DELETE or ALTER implies DESCRIBE, ALTER_CONFIGS implies
 *   DESCRIBE_CONFIGS (implication applies to ALLOW only, as in Kafka);
 * - no matching ALLOW means denied (allow.everyone.if.no.acl.found=false).
 */
export type ResourceKind = 'topic' | 'group' | 'cluster' | 'transactional-id';

export const CLUSTER_NAME = 'kafka-cluster';

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

export function resourceMatches(acl: Acl, kind: ResourceKind, name: string): boolean {
  if (acl.resourceType !== SNAPSHOT_RESOURCE_TYPE[kind]) return false;
  if (acl.patternType === 'PREFIXED') return name.startsWith(acl.resourceName);
  return acl.resourceName === '*' || acl.resourceName === name;
}

function appliesTo(acl: Acl, principal: string): boolean {
  return (acl.principal === principal || acl.principal === 'User:*') && (acl.host === '*' || acl.host === '127.0.0.1');
}

export function isAuthorized(acls: readonly Acl[], principal: string, operation: Acl['operation'], kind: ResourceKind, name: string): boolean {
  const matching = acls.filter((acl) => appliesTo(acl, principal) && resourceMatches(acl, kind, name));
  if (matching.some((acl) => acl.permissionType === 'DENY' && (acl.operation === operation || acl.operation === 'ALL'))) return false;
  const granting = [operation, 'ALL', ...(IMPLIED_BY[operation] ?? [])];
  return matching.some((acl) => acl.permissionType === 'ALLOW' && granting.includes(acl.operation));
}

/**
 * InitProducerId for an idempotent producer: IDEMPOTENT_WRITE on the cluster, or (KIP-679,
 * Kafka 3.0+) WRITE on any topic — Kafka checks the latter by resource type, approximated
 * here as any topic WRITE ALLOW not cancelled by a wildcard DENY.
 */
export function mayInitProducerId(acls: readonly Acl[], principal: string): boolean {
  if (isAuthorized(acls, principal, 'IDEMPOTENT_WRITE', 'cluster', CLUSTER_NAME)) return true;
  const deniedEverywhere = acls.some(
    (acl) => appliesTo(acl, principal) && acl.resourceType === 'TOPIC' && acl.permissionType === 'DENY' &&
      (acl.operation === 'WRITE' || acl.operation === 'ALL') && acl.patternType === 'LITERAL' && acl.resourceName === '*',
  );
  return !deniedEverywhere && acls.some(
    (acl) => appliesTo(acl, principal) && acl.resourceType === 'TOPIC' && acl.permissionType === 'ALLOW' && (acl.operation === 'WRITE' || acl.operation === 'ALL'),
  );
}

/** "topic orders.eu", "cluster", "group billing". */
export function describeResource(kind: ResourceKind, name: string): string {
  return kind === 'cluster' ? 'cluster' : `${kind} ${name}`;
}

/** "ALLOW READ on PREFIXED topic orders." */
export function describeAcl(acl: Acl): string {
  const resource = acl.resourceType === 'CLUSTER' ? 'cluster' : `${acl.patternType} ${acl.resourceType.toLowerCase().replace('_', '-')} ${acl.resourceName}`;
  return `${acl.permissionType} ${acl.operation} on ${resource} for ${acl.principal}`;
}
