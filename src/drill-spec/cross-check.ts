import { ADMIN_USER, securityProfile } from '../model/enums.js';
import { mappingRulesProblem, MappingRulesTimeout, parseMappingRules, subjectsForPrincipals } from '../kafka/principal-mapping.js';
import { quotaEntityLabel, snapshotMappingRules, type Snapshot } from '../snapshot/schema.js';
import { externalSettingRule } from './external-settings.js';
import { formatSpecProblem, type LoadedSpec, type SpecPath } from './load.js';
import { formatPath } from '../errors.js';

/** Topics listed by name in a message before the rest are counted. */
const maxTopicsNamed = 5;

/**
 * Cheap checks of a spec against the snapshot it names: names the spec relies on that the
 * snapshot lacks (connectors and their allowed external settings too), topics the target has too few brokers for, and snapshot entries that would
 * take the place of the drill's own admin user. Each is found before anything starts.
 * Returns formatted messages (`<file>:<line>: <path>: <message>`), empty when consistent.
 */
export function crossCheckSpec(loaded: LoadedSpec, snapshot: Snapshot): string[] {
  const topics = new Set(snapshot.topics.map((topic) => topic.name));
  const groups = new Set(snapshot.consumerGroups.map((group) => group.groupId));
  const users = new Set(snapshot.scramUsers.map((user) => user.name));
  const connectors = new Map((snapshot.connect?.connectors ?? []).map((connector) => [connector.name, connector]));
  const problems: { path: SpecPath; message: string }[] = [];
  const unknown = (path: SpecPath, noun: string, value: string) => problems.push({ path, message: `${noun} "${value}" is not in the snapshot` });

  for (const user of Object.keys(loaded.spec.restore.credentials)) {
    if (user === '*') continue;
    const name = user.replace(/^User:/, '');
    if (!users.has(name)) unknown(['restore', 'credentials', user], 'SCRAM user', name);
  }

  for (const [name, { allowExternal }] of Object.entries(loaded.spec.restore.connectors)) {
    const connector = connectors.get(name);
    if (!connector) {
      unknown(['restore', 'connectors', name], 'connector', name);
      continue;
    }
    allowExternal.forEach((key, at) => {
      const path = ['restore', 'connectors', name, 'allowExternal', at];
      if (!(key in connector.config)) problems.push({ path, message: `connector ${name} has no setting "${key}" in the snapshot` });
      else if (!externalSettingRule(key))
        problems.push({ path, message: `"${key}" does not name an external system (see README, "Connectors that name external systems"): nothing to allow` });
    });
  }
  for (const connector of Object.keys(loaded.spec.restore.connectorSecrets)) {
    if (!connectors.has(connector)) unknown(['restore', 'connectorSecrets', connector], 'connector', connector);
  }

  loaded.spec.probes.forEach((probe, index) => {
    if (probe.type === 'offsets' && probe.groups !== 'all') {
      probe.groups.forEach((group, at) => {
        if (!groups.has(group)) unknown(['probes', index, 'groups', at], 'consumer group', group);
      });
    }
    if (probe.type === 'offsets' && probe.groups === 'all' && groups.size === 0) {
      problems.push({ path: ['probes', index, 'groups'], message: 'the snapshot has no consumer groups' });
    }
    if (probe.type === 'produce-consume') {
      probe.topics.forEach((topic, at) => {
        if (!topics.has(topic)) unknown(['probes', index, 'topics', at], 'topic', topic);
      });
    }
    if (probe.type === 'quota') {
      const entities = new Set(snapshot.quotas.map((quota) => quotaEntityLabel(quota.entity)));
      if (entities.size === 0) problems.push({ path: ['probes', index, 'type'], message: 'the snapshot has no quotas' });
      probe.entities?.forEach((entity, at) => {
        if (!entities.has(entity)) unknown(['probes', index, 'entities', at], 'quota entity', entity);
      });
    }
    // A success criterion's consumption needs topics: the group's committed ones in the snapshot, or the probe's own.
    if (probe.type === 'records-consumed') {
      if (probe.topics) probe.topics.forEach((topic, at) => !topics.has(topic) && unknown(['probes', index, 'topics', at], 'topic', topic));
      else if (!groups.has(probe.group))
        problems.push({ path: ['probes', index, 'group'], message: `consumer group "${probe.group}" is not in the snapshot: name the topics it consumes (topics: [...])` });
    }
    if (probe.type === 'connector-idempotency' && !connectors.has(probe.connector)) unknown(['probes', index, 'connector'], 'connector', probe.connector);
    if (probe.type === 'authorization' && probe.derive && snapshot.acls.length === 0) {
      problems.push({ path: ['probes', index, 'derive'], message: 'the snapshot has no ACLs to derive from' });
    }
  });

  loaded.spec.assumptions.forEach((assumption, index) => {
    if (assumption.type === 'topic-config' && !topics.has(assumption.topic)) {
      unknown(['assumptions', index, 'topic'], 'topic', assumption.topic);
    }
    if (assumption.type === 'group-offset' && assumption.exists) {
      if (!groups.has(assumption.group)) unknown(['assumptions', index, 'group'], 'consumer group', assumption.group);
      else if (assumption.topic !== undefined && !topics.has(assumption.topic)) unknown(['assumptions', index, 'topic'], 'topic', assumption.topic);
    }
    if (assumption.type === 'user-exists' && !users.has(assumption.user)) {
      unknown(['assumptions', index, 'user'], 'SCRAM user', assumption.user);
    }
  });

  const { target, restore } = loaded.spec;
  // An external cluster's broker count is not known before it is reached.
  if (target.provider !== 'external' && !restore.clampReplication) {
    const tooWide = snapshot.topics.filter((topic) => topic.replicationFactor > target.brokers);
    if (tooWide.length > 0) {
      const named = tooWide.slice(0, maxTopicsNamed).map((topic) => `${topic.name} (${topic.replicationFactor})`);
      if (tooWide.length > maxTopicsNamed) named.push(`and ${tooWide.length - maxTopicsNamed} more`);
      problems.push({
        path: ['target', 'brokers'],
        message:
          `${tooWide.length} topic${tooWide.length === 1 ? ' has a replication factor' : 's have replication factors'} above the target's ${target.brokers} broker${target.brokers === 1 ? '' : 's'}: ` +
          `${named.join(', ')}; Kafka refuses to create ${tooWide.length === 1 ? 'it' : 'them'}. Set restore.clampReplication: true, or more brokers`,
      });
    }
  }

  // mtls gives each principal a certificate through the source's mapping rules: rules the drill cannot use are bad input.
  // Whatever the mode, the rules must finish on every principal the drill may give a certificate: a snapshot's pattern runs only with a bound.
  const rules = snapshotMappingRules(snapshot);
  if (rules) {
    let rulesProblem: string | undefined;
    try {
      rulesProblem = securityProfile(target.security).clientCertificates ? mappingRulesProblem(rules.rules) : undefined;
      const parsed = parseMappingRules(rules.rules);
      if (parsed) subjectsForPrincipals(parsed, [ADMIN_USER, ...principalNames(loaded, snapshot)]);
    } catch (error) {
      if (!(error instanceof MappingRulesTimeout)) throw error;
      rulesProblem = error.message;
    }
    if (rulesProblem) problems.push({ path: ['target', 'security'], message: `${loaded.snapshotFile ?? 'the capture'}: ${formatPath(rules.path)}: ${rulesProblem}` });
  }

  return problems
    .map((problem) => ({ ...problem, line: loaded.lineOf(problem.path) }))
    .sort((a, b) => (a.line ?? 0) - (b.line ?? 0))
    .map((problem) => formatSpecProblem(loaded.file, problem.line, problem.path, problem.message));
}

/** The user names an mtls drill may issue certificates for: every principal of the snapshot's ACLs and of the spec's authorization probes. */
function principalNames(loaded: LoadedSpec, snapshot: Snapshot): string[] {
  const fromProbes = loaded.spec.probes.flatMap((probe) => (probe.type === 'authorization' ? probe.expect.map((expectation) => expectation.principal) : []));
  const principals = [...snapshot.acls.map((acl) => acl.principal), ...fromProbes].filter((principal) => principal.startsWith('User:') && principal !== 'User:*');
  return [...new Set(principals)].map((principal) => principal.slice('User:'.length));
}
