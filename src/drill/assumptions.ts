import type { X509Certificate } from 'node:crypto';
import { resolve } from 'node:path';
import { inputLimits, readInputFileSync } from '../input-file.js';
import type { DescribedConfigs } from '../kafka/configs.js';
import { chainTrust, pemCertificates } from '../snapshot/tls-chain.js';
import type { PhaseResult } from '../restore/phase.js';
import { quotaEntityLabel, type Snapshot, type SnapshotContent } from '../snapshot/schema.js';
import type { AssumptionSpec } from '../drill-spec/schema.js';
import type { Assumption, FindingCode } from '../model/result.js';

/** What assumptions are checked against: the restored cluster as verify captured it, plus its effective configs. */
export interface RestoredState {
  capture: SnapshotContent;
  /** The target's effective configs; absent when they could not be read (`configsUnread` says why): config assumptions are then skipped. */
  configs?: DescribedConfigs;
  configsUnread?: string;
  /** The source's TLS chain as the snapshot recorded it (TLS assumptions), and where the spec is (its truststore paths). */
  sourceTls?: Snapshot['tls'];
  specDir?: string;
  /** When the drill runs: expiry is counted from here. */
  now?: Date;
  /** The restore's phases: the configs-accepted assumptions are checked from their findings. */
  phases?: PhaseResult[];
}

const NO_CONFIGS: DescribedConfigs = { topics: new Map(), clusterDefault: [], brokers: new Map() };

const RESOURCE_TYPES = { topic: 'TOPIC', group: 'GROUP', cluster: 'CLUSTER', 'transactional-id': 'TRANSACTIONAL_ID' } as const;

function configValue(configs: DescribedConfigs['clusterDefault'] | undefined, name: string): string | undefined {
  return configs?.find((config) => config.name === name)?.value ?? undefined;
}

function describe(spec: AssumptionSpec): string {
  if (spec.description) return spec.description;
  switch (spec.type) {
    case 'topic-config':
      return `topic ${spec.topic} keeps ${spec.config}`;
    case 'group-offset':
      return `group ${spec.group}${spec.topic ? ` on ${spec.topic}${spec.partition !== undefined ? `-${spec.partition}` : ''}` : ''} ${spec.exists ? 'has committed offsets' : 'has no committed offsets'}`;
    case 'acl':
      return `${spec.principal} ${spec.present ? 'has' : 'lacks'} ${spec.permission.toUpperCase()} ${spec.operation} on ${spec.resource.type} ${spec.resource.name}`;
    case 'user-exists':
      return `SCRAM user ${spec.user} exists${spec.mechanism ? ` with ${spec.mechanism}` : ''}`;
    case 'quota':
      return `quota ${spec.key} of ${Object.entries(spec.entity)
        .map(([k, v]) => `${k}=${v}`)
        .join(',')}`;
    case 'broker-config':
      return `${spec.broker === undefined ? 'cluster default' : `broker ${spec.broker}`} ${spec.config}`;
    case 'tls-trusted':
      return `the source's TLS certificate chain is trusted by ${spec.truststore}`;
    case 'tls-expiry':
      return `no certificate of the source's TLS chain expires within ${spec.minDaysLeft} days`;
    case 'topic-configs-accepted':
    case 'broker-configs-accepted':
      return CONFIGS_ACCEPTED[spec.type].description;
  }
}

/**
 * What the configs-accepted beliefs count as a problem. Implicit, a config the target refused;
 * declared (strict), also one it does not know and the restore left out (config-not-applied),
 * which otherwise is an expected difference.
 */
const CONFIGS_ACCEPTED = {
  'topic-configs-accepted': {
    phase: 'topics',
    description: 'every topic and topic config was accepted by the target Kafka version',
    refusals: ['topic-refused', 'topic-config-refused', 'topic-config-alter-refused', 'partitions-add-failed'],
  },
  'broker-configs-accepted': {
    phase: 'cluster-configs',
    description: 'every dynamic broker config was accepted by the target',
    // A source broker the target has no broker for (broker-absent) is the drill's choice, not a refusal: verify counts it as expected.
    refusals: ['broker-config-refused'],
  },
} as const satisfies Record<string, { phase: string; description: string; refusals: readonly FindingCode[] }>;

type ConfigsAccepted = keyof typeof CONFIGS_ACCEPTED;

/** The problems a configs-accepted belief sees in its phase's findings; undefined when that phase did not run. */
function configsProblems(phases: PhaseResult[], type: ConfigsAccepted, strict: boolean): string[] | undefined {
  const { phase, refusals } = CONFIGS_ACCEPTED[type];
  const findings = phases.find((p) => p.phase === phase && p.status !== 'skipped')?.findings;
  if (!findings) return undefined;
  const counted: readonly FindingCode[] = strict ? [...refusals, 'config-not-applied'] : refusals;
  return findings.filter((f) => counted.includes(f.code)).map((f) => `${f.object}: ${f.code === 'config-not-applied' ? f.message : (f.kafkaError ?? f.message)}`);
}

/** "none refused", or the first five problems and how many more. */
function problemsText(problems: string[]): string {
  return problems.length === 0 ? 'none refused' : problems.slice(0, 5).join('; ') + (problems.length > 5 ? `; … ${problems.length - 5} more` : '');
}

const DAY_MS = 86_400_000;

/** TLS assumptions look at the chain the snapshot recorded; without one they cannot be checked (skipped). */
function checkTls(
  spec: Extract<AssumptionSpec, { type: 'tls-trusted' | 'tls-expiry' }>,
  state: RestoredState,
): { expected: string; observed: string; status: Assumption['status'] } {
  const chain = state.sourceTls?.chain;
  if (spec.type === 'tls-trusted') {
    const expected = `a chain leading to a CA of ${spec.truststore}`;
    if (!chain) return { expected, observed: 'the snapshot recorded no TLS chain (captured without security.protocol SSL or SASL_SSL)', status: 'skipped' };
    const file = resolve(state.specDir ?? '.', spec.truststore);
    let anchors: X509Certificate[];
    try {
      anchors = pemCertificates(readInputFileSync(file, 'truststore', inputLimits.keyBytes).text);
    } catch (error) {
      return { expected, observed: `the truststore cannot be read: ${(error as Error).message}`, status: 'failed' };
    }
    if (anchors.length === 0) return { expected, observed: `${file} holds no PEM certificate`, status: 'failed' };
    const trust = chainTrust(chain, anchors);
    return trust.trusted ? { expected, observed: `trusted through ${trust.anchor}`, status: 'held' } : { expected, observed: `untrusted: ${trust.why}`, status: 'failed' };
  }
  const expected = `every certificate valid for ${spec.minDaysLeft} more days`;
  if (!chain) return { expected, observed: 'the snapshot recorded no TLS chain (captured without security.protocol SSL or SASL_SSL)', status: 'skipped' };
  const now = state.now ?? new Date();
  const limit = now.getTime() + spec.minDaysLeft * DAY_MS;
  const expiring = chain.filter((record) => Date.parse(record.notAfter) < limit || Date.parse(record.notBefore) > now.getTime());
  if (expiring.length === 0) return { expected, observed: `${chain.length} certificate(s), the first to expire on ${chain.map((r) => r.notAfter).sort()[0]}`, status: 'held' };
  const named = expiring.map((record) => {
    const end = Date.parse(record.notAfter);
    const when =
      Date.parse(record.notBefore) > now.getTime() ? `not valid before ${record.notBefore}` : end < now.getTime() ? `expired ${record.notAfter}` : `expires ${record.notAfter}`;
    return `${record.subject} (${when}, sha256 ${record.sha256Fingerprint.slice(0, 23)}…)`;
  });
  return { expected, observed: named.join('; '), status: 'failed' };
}

function check(
  spec: Exclude<AssumptionSpec, { type: 'tls-trusted' | 'tls-expiry' | ConfigsAccepted }>,
  state: RestoredState,
): { expected: string; observed: string; held: boolean } {
  const { capture } = state;
  const configs = state.configs ?? NO_CONFIGS;
  switch (spec.type) {
    case 'topic-config': {
      const topicConfigs = configs.topics.get(spec.topic);
      const observed = topicConfigs ? configValue(topicConfigs, spec.config) : undefined;
      const shown = topicConfigs === undefined ? 'topic missing' : (observed ?? 'not set');
      if (spec.equals !== undefined) return { expected: `= ${spec.equals}`, observed: shown, held: observed === spec.equals };
      if (spec.oneOf !== undefined) return { expected: `one of ${spec.oneOf.join(', ')}`, observed: shown, held: observed !== undefined && spec.oneOf.includes(observed) };
      const number = Number(observed);
      const bounds = [spec.min !== undefined ? `≥ ${spec.min}` : '', spec.max !== undefined ? `≤ ${spec.max}` : ''].filter(Boolean).join(' and ');
      const held = observed !== undefined && Number.isFinite(number) && (spec.min === undefined || number >= spec.min) && (spec.max === undefined || number <= spec.max);
      return { expected: bounds, observed: shown, held };
    }
    case 'group-offset': {
      const group = capture.consumerGroups.find((g) => g.groupId === spec.group);
      const offsets = (group?.offsets ?? []).filter(
        (o) => (spec.topic === undefined || o.topic === spec.topic) && (spec.partition === undefined || o.partition === spec.partition),
      );
      const observed = offsets.length === 0 ? 'no committed offsets' : offsets.map((o) => `${o.topic}-${o.partition}@${o.offset}`).join(', ');
      if (!spec.exists) return { expected: 'no committed offsets', observed, held: offsets.length === 0 };
      const held = offsets.length > 0 && (spec.min === undefined || offsets.every((o) => o.offset >= spec.min!));
      return { expected: spec.min === undefined ? 'committed offsets' : `committed offsets ≥ ${spec.min}`, observed, held };
    }
    case 'acl': {
      const found = capture.acls.some(
        (acl) =>
          acl.principal === spec.principal &&
          acl.operation === spec.operation &&
          acl.permissionType === spec.permission.toUpperCase() &&
          acl.resourceType === RESOURCE_TYPES[spec.resource.type] &&
          acl.resourceName === spec.resource.name &&
          acl.patternType === (spec.resource.patternType ?? 'literal').toUpperCase(),
      );
      return { expected: spec.present ? 'present' : 'absent', observed: found ? 'present' : 'absent', held: found === spec.present };
    }
    case 'user-exists': {
      const user = capture.scramUsers.find((u) => u.name === spec.user);
      const mechanisms = user?.credentials.map((c) => c.mechanism) ?? [];
      const held = user !== undefined && (spec.mechanism === undefined || mechanisms.includes(spec.mechanism));
      return { expected: spec.mechanism ?? 'any mechanism', observed: user ? mechanisms.join(', ') || 'no credentials' : 'no such user', held };
    }
    case 'quota': {
      const wanted = quotaEntityLabel(
        Object.entries(spec.entity)
          .filter(([, name]) => name !== undefined)
          .map(([type, name]) => ({ type: type as 'user' | 'client-id' | 'ip', name: name === '<default>' ? null : name! })),
      );
      const quota = capture.quotas.find((q) => quotaEntityLabel(q.entity) === wanted);
      const observed = quota?.values[spec.key];
      return { expected: String(spec.equals), observed: observed === undefined ? 'not set' : String(observed), held: observed === spec.equals };
    }
    case 'broker-config': {
      const source = spec.broker === undefined ? configs.clusterDefault : configs.brokers.get(spec.broker);
      const observed = configValue(source, spec.config);
      const shown = source === undefined ? `no broker ${spec.broker}` : (observed ?? 'not set');
      return { expected: String(spec.equals), observed: shown, held: observed === spec.equals };
    }
  }
}

export function evaluateDeclared(specs: AssumptionSpec[], state: RestoredState): Assumption[] {
  return specs.map((spec, index) => {
    if (spec.type === 'topic-configs-accepted' || spec.type === 'broker-configs-accepted') {
      // Declared, it stands in for the implicit one of the same name, strict: see CONFIGS_ACCEPTED.
      const identity = { id: spec.id ?? spec.type, description: describe(spec), source: 'declared' as const };
      const problems = configsProblems(state.phases ?? [], spec.type, true);
      const expected = 'every config applied';
      if (problems === undefined) return { ...identity, status: 'skipped', expected, observed: `the ${CONFIGS_ACCEPTED[spec.type].phase} phase did not run` };
      return { ...identity, status: problems.length === 0 ? 'held' : 'failed', expected, observed: problems.length === 0 ? 'every config applied' : problemsText(problems) };
    }
    const identity = { id: spec.id ?? `${spec.type}-${index + 1}`, description: describe(spec), source: 'declared' as const };
    if (spec.type === 'tls-trusted' || spec.type === 'tls-expiry') return { ...identity, ...checkTls(spec, state) };
    if ((spec.type === 'topic-config' || spec.type === 'broker-config') && !state.configs) {
      const { expected } = check(spec, state);
      return { ...identity, status: 'skipped', expected, observed: `not checked: the target's configs could not be read (${state.configsUnread ?? 'not asked for'})` };
    }
    const { expected, observed, held } = check(spec, state);
    return { ...identity, status: held ? 'held' : 'failed', expected, observed };
  });
}

/**
 * Beliefs every restore rests on, checked from its findings: the ones teams assume without writing
 * down. A configs-accepted belief the spec declares is left to evaluateDeclared.
 */
export function evaluateImplicit(phases: PhaseResult[], declared: AssumptionSpec[] = []): Assumption[] {
  const findings = (phase: string) => phases.find((p) => p.phase === phase && p.status !== 'skipped')?.findings;
  const implicit: Assumption[] = [];
  const add = (id: string, description: string, ran: boolean, problems: string[]) => {
    if (!ran) return;
    implicit.push({
      id,
      description,
      source: 'implicit',
      status: problems.length === 0 ? 'held' : 'failed',
      expected: 'none refused',
      observed: problemsText(problems),
    });
  };
  const addConfigsAccepted = (type: ConfigsAccepted) => {
    if (declared.some((spec) => spec.type === type)) return;
    const problems = configsProblems(phases, type, false);
    add(type, CONFIGS_ACCEPTED[type].description, problems !== undefined, problems ?? []);
  };
  const topics = findings('topics');
  addConfigsAccepted('topic-configs-accepted');
  add(
    'replication-preserved',
    'every topic keeps its replication factor',
    topics !== undefined,
    (topics ?? []).filter((f) => f.code === 'replication-clamped' || f.code === 'replication-differs').map((f) => f.object),
  );
  addConfigsAccepted('broker-configs-accepted');
  const security = findings('security');
  add(
    'acls-accepted',
    'every ACL, SCRAM credential and quota was accepted by the target',
    security !== undefined,
    (security ?? []).filter((f) => f.code === 'acl-refused' || f.code === 'scram-refused' || f.code === 'quota-refused').map((f) => `${f.object}: ${f.kafkaError ?? f.message}`),
  );
  const offsets = findings('offsets');
  add(
    'offsets-within-log',
    'every committed group offset lies within the restored log',
    offsets !== undefined,
    (offsets ?? [])
      .filter((f) => f.code === 'offset-beyond-log-end' || f.code === 'offset-before-log-start' || f.code === 'offset-topic-missing')
      .map((f) => `${f.object}: ${f.message}`),
  );
  return implicit;
}
