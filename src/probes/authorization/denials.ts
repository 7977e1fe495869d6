import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { StartedBroker } from '../../environment/types.js';
import type { AuthorizerLog, BrokerDenial, Finding, ProbeRecord } from '../../model/result.js';
import { describeResource, type ResourceKind } from './acl-model.js';
import { StringPool } from '../../string-pool.js';

/**
 * Authorization failures from the brokers themselves: the DENIED decisions Kafka's authorizer
 * logs (logger `kafka.authorizer.logger`, at INFO; allowed ones are DEBUG), read from each broker's
 * own log after the probes, and reconciled with the authorization probe. A denial one of the
 * probe's checks asked for is accounted for; any other is a finding (`unexpected-denial`): a
 * restored service, or a principal nobody probed, was refused something.
 *
 * The line is the same on 3.9.x and 4.x (StandardAuthorizer), whatever the logging binding puts
 * before it:
 *   Principal = User:bob is Denied operation = WRITE from host = 127.0.0.1 on resource =
 *   Topic:LITERAL:orders for request = Produce with resourceRefCount = 1 based on rule DefaultDeny
 */

export type ParsedDenial = Omit<BrokerDenial, 'count' | 'brokers' | 'accountedBy'>;

const DENIED_LINE =
  /Principal = (?<principal>.+?) is Denied [Oo]peration = (?<operation>\w+) from host = (?<host>\S*) on resource = (?<type>[A-Za-z]+):(?<pattern>[A-Z_]+):(?<name>.*?) for request = (?<request>\w+) with resourceRefCount = \d+(?: based on rule (?<rule>.*))?$/;

/** The denial in one log line, or undefined for any other line (an allowed decision included). */
export function parseDeniedLine(line: string): ParsedDenial | undefined {
  // log4j's layout in Kafka's own distribution ends the line with the logger's name.
  const groups = DENIED_LINE.exec(line.trimEnd().replace(/ \(kafka\.authorizer\.logger\)$/, ''))?.groups;
  if (!groups) return undefined;
  return {
    principal: groups.principal!,
    operation: groups.operation!,
    resourceType: groups.type!,
    patternType: groups.pattern!,
    resourceName: groups.name!,
    host: groups.host!,
    request: groups.request!,
    rule: groups.rule ?? '',
  };
}

/** Kafka's resource type names → the probe's resource kinds. */
const KINDS: Record<string, ResourceKind> = { Topic: 'topic', Group: 'group', Cluster: 'cluster', TransactionalId: 'transactional-id' };

/** "topic orders", "cluster": the probe evidence's way of naming the resource. */
export function denialResource(denial: Pick<ParsedDenial, 'resourceType' | 'resourceName'>): string {
  const kind = KINDS[denial.resourceType];
  return kind ? describeResource(kind, denial.resourceName) : `${denial.resourceType.toLowerCase()} ${denial.resourceName}`;
}

/** Every broker's denials, identical decisions (same principal, operation, resource, host, request, rule) counted once. */
export async function readBrokerDenials(brokers: Pick<StartedBroker, 'nodeId' | 'logFile'>[]): Promise<Omit<BrokerDenial, 'accountedBy'>[]> {
  const byKey = new Map<string, Omit<BrokerDenial, 'accountedBy'>>();
  const values = new StringPool();
  for (const broker of brokers) {
    for await (const line of logLines(broker.logFile)) {
      if (!line.includes('is Denied')) continue;
      const denial = parseDeniedLine(line);
      if (!denial) continue;
      const key = JSON.stringify(denial);
      const seen = byKey.get(key);
      if (seen) {
        seen.count++;
        if (!seen.brokers.includes(broker.nodeId)) seen.brokers.push(broker.nodeId);
      } else byKey.set(key, Object.assign(keptDenial(key, values), { count: 1, brokers: [broker.nodeId] }));
    }
  }
  return [...byKey.values()];
}

/**
 * The denial to keep, from its key (the parsed denial as JSON). A large drill keeps tens of
 * thousands: parsed from the line, each field of 13 characters or more is a slice that holds the
 * whole log line in memory, and the same few hundred principals, operations and rules are copied
 * into every one. Parsed back from the key they are copies of their own, and `values` keeps one
 * copy per value.
 */
function keptDenial(key: string, values: StringPool): ParsedDenial {
  const denial = JSON.parse(key) as ParsedDenial;
  for (const field of ['principal', 'operation', 'resourceType', 'patternType', 'host', 'request', 'rule'] as const) denial[field] = values.keep(denial[field]);
  return denial;
}

/** A broker's log line by line, never whole (tens of MB once a large drill's probes ran); none when the log is gone. */
async function* logLines(file: string): AsyncGenerator<string> {
  const input = createReadStream(file, 'utf8');
  const lines = createInterface({ input, crlfDelay: Infinity });
  try {
    yield* lines;
  } catch {
    // No log (or it went away while read): what was read counts, as a missing log read as empty did.
  } finally {
    lines.close();
    input.destroy();
  }
}

/** A check the authorization probe made and Kafka refused with an authorization error. */
function refusedChecks(probes: ProbeRecord[]) {
  return probes
    .filter((probe) => probe.type === 'authorization')
    .flatMap((probe) => probe.evidence)
    .filter((evidence) => evidence.principal && evidence.resource && evidence.kafkaError?.endsWith('_AUTHORIZATION_FAILED'));
}

/**
 * Accounted for: the authorization probe's check of the same principal on the same resource was
 * refused (its request may need a second operation first, a DESCRIBE, which Kafka logs too).
 * Cluster CREATE is Kafka's check before CreateTopics, which it never logs: the topic CREATE that
 * follows is what the log shows.
 */
export function reconcileDenials(
  denials: Omit<BrokerDenial, 'accountedBy'>[],
  probes: ProbeRecord[],
  files: string[],
): { log: AuthorizerLog; findings: Finding[]; refusalsNotLogged: number } {
  const refused = refusedChecks(probes);
  // Indexed by principal and resource: a large drill holds tens of thousands of both.
  const refusedResources = new Set(refused.map((check) => `${check.principal}\u0000${check.resource}`));
  const refusedClusterCreate = new Set(refused.filter((check) => check.resource === 'cluster' && check.operation === 'CREATE').map((check) => check.principal!));
  const asked = (denial: Omit<BrokerDenial, 'accountedBy'>, resource: string) =>
    refusedResources.has(`${denial.principal}\u0000${resource}`) ||
    (denial.resourceType === 'Topic' && denial.operation === 'CREATE' && refusedClusterCreate.has(denial.principal));
  const deniedResources = new Set<string>();
  const deniedPrincipals = new Set<string>();
  const reconciled: BrokerDenial[] = denials.map((denial) => {
    const resource = denialResource(denial);
    deniedResources.add(`${denial.principal}\u0000${resource}`);
    deniedPrincipals.add(denial.principal);
    // Not a spread: V8 would give each of tens of thousands of denials a hidden class of its own (see plainEvidence).
    return Object.assign({}, denial, { accountedBy: asked(denial, resource) ? ('authorization-probe' as const) : ('unexpected' as const) });
  });
  const logged = (check: (typeof refused)[number]) =>
    deniedResources.has(`${check.principal}\u0000${check.resource}`) || (check.resource === 'cluster' && deniedPrincipals.has(check.principal!));
  const expected = refused.filter((check) => check.expected === 'deny');
  const notLogged = expected.filter((check) => !logged(check));
  const findings: Finding[] = reconciled
    .filter((denial) => denial.accountedBy === 'unexpected')
    .map((denial) => ({
      code: 'unexpected-denial',
      severity: 'error',
      object: `${denial.principal} ${denial.operation} ${denialResource(denial)}`,
      message: `the broker denied ${denial.principal} ${denial.operation} on ${denialResource(denial)} (${denial.request}, from ${denial.host || 'unknown host'}, ${denial.count}×, ${denial.rule || 'no rule logged'}) and no probe expected it`,
      denial,
    }));
  return {
    log: {
      files,
      denials: reconciled,
      expectedDenials: {
        total: expected.length,
        logged: expected.length - notLogged.length,
        notLogged: notLogged.map((check) => `${check.principal} ${check.operation} ${check.resource}`),
      },
    },
    findings,
    // Every refusal the probe met, an expected allow refused (a missing ACL) included: the log should show each.
    refusalsNotLogged: refused.filter((check) => !logged(check)).length,
  };
}
