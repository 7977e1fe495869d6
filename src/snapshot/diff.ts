/**
 * Differences between two snapshots — the snapshot a drill restored from (expected) and a
 * capture of the restored cluster (actual) — each classified as expected, unrestorable or drift.
 *
 * Normalized so nothing is reported that a correct restore would produce anyway: order
 * (everything is compared by key), capture metadata (time, tool version, cluster id, digest,
 * filters, bootstrap — a restored cluster has a new id), skipped internal topics, and values
 * that are redacted on either side (unrestorable or silent, never drift).
 */
import { compactCanonicalJson, compareText } from './canonical.js';
import { isSensitiveConfig } from './capture-connect.js';
import { aclKey, quotaEntityLabel, type Acl, type Configs, type Connector, type ConnectorConfigValue, type SnapshotContent } from './schema.js';
import { globMatches } from '../glob.js';

export const differenceKinds = [
  'topic',
  'partitions',
  'replication-factor',
  'topic-config',
  'log-end-offset',
  'cluster-config',
  'acl',
  'scram-user',
  'scram-credential',
  'quota',
  'consumer-group',
  'consumer-group-offset',
  'record-fingerprint',
  'connect',
  'connector',
  'connector-config',
  'connector-tasks',
  'connector-state',
  'connector-offset',
] as const;
export type DifferenceKind = (typeof differenceKinds)[number];

export type Classification = 'expected' | 'unrestorable' | 'drift';

export interface Difference {
  kind: DifferenceKind;
  /** Human id, e.g. `topic orders config retention.ms`; declared differences match against it. */
  object: string;
  /** The value in the expected snapshot; null when the object is absent there. */
  expected: unknown;
  /** The value in the actual snapshot; null when the object is absent there. */
  actual: unknown;
  classification: Classification;
  reason: string;
}

/** A difference the drill author knows about, e.g. { kind: 'replication-factor', object: 'topic *', reason: 'one broker' }. */
export interface DeclaredDifference {
  kind: DifferenceKind;
  /** Exact object id, or a glob where `*` matches any text and `?` one character. */
  object: string;
  reason: string;
}

export interface DiffOptions {
  expected?: DeclaredDifference[];
  /**
   * Compare data: log end offsets and record fingerprints (default true). Turn it off when
   * the restore did not copy data (data mode `none` leaves topics empty on purpose).
   */
  compareData?: boolean;
}

const reasons = {
  missing: 'missing from the actual cluster',
  extra: 'not in the expected snapshot',
  differs: 'differs',
};

export function diffSnapshots(expected: SnapshotContent, actual: SnapshotContent, options: DiffOptions = {}): Difference[] {
  return compareSnapshots(expected, actual, options).differences;
}

export interface Comparison {
  differences: Difference[];
  /**
   * Objects present on both sides that came back identical: topics, cluster config scopes
   * (the cluster default and each broker), ACLs, SCRAM users, quota entities, consumer groups
   * and connectors. An exact count, not an estimate.
   */
  matched: number;
}

export function compareSnapshots(expected: SnapshotContent, actual: SnapshotContent, options: DiffOptions = {}): Comparison {
  const found: Difference[] = [];
  let matched = 0;
  const report = (kind: DifferenceKind, object: string, expectedValue: unknown, actualValue: unknown, classification: Classification, reason: string) =>
    found.push({ kind, object, expected: expectedValue ?? null, actual: actualValue ?? null, classification, reason });
  const drift = (kind: DifferenceKind, object: string, expectedValue: unknown, actualValue: unknown) =>
    report(kind, object, expectedValue, actualValue, 'drift', expectedValue === undefined ? reasons.extra : actualValue === undefined ? reasons.missing : reasons.differs);
  const compared: Compared = (compare) => {
    const before = found.length;
    compare();
    if (found.length === before) matched++;
  };

  const compareData = options.compareData ?? true;
  compareTopics(expected, actual, compareData, report, drift, compared);
  compareClusterConfigs(expected, actual, report, compared);
  compareAcls(expected.acls, actual.acls, drift, compared);
  compareScramUsers(expected, actual, drift, compared);
  compareQuotas(expected, actual, drift, compared);
  compareConsumerGroups(expected, actual, compareData, report, drift, compared);
  compareConnect(expected, actual, report, drift, compared);

  const declared = options.expected ?? [];
  const differences = found.map((difference): Difference => {
    const declaration = declared.find((candidate) => candidate.kind === difference.kind && globMatches(candidate.object, difference.object));
    return declaration ? { ...difference, classification: 'expected', reason: declaration.reason } : difference;
  });
  return { differences, matched };
}

type Report = (kind: DifferenceKind, object: string, expected: unknown, actual: unknown, classification: Classification, reason: string) => void;
type Drift = (kind: DifferenceKind, object: string, expected: unknown, actual: unknown) => void;
/** Runs the comparison of one object present on both sides; counts it as matched when it reports nothing. */
type Compared = (compare: () => void) => void;

function compareTopics(expected: SnapshotContent, actual: SnapshotContent, compareData: boolean, report: Report, drift: Drift, compared: Compared): void {
  const actualTopics = new Map(actual.topics.map((topic) => [topic.name, topic]));
  const expectedTopics = new Map(expected.topics.map((topic) => [topic.name, topic]));
  const shape = (topic: { partitions: number; replicationFactor: number }) => ({ partitions: topic.partitions, replicationFactor: topic.replicationFactor });

  for (const name of unionOfKeys(expectedTopics, actualTopics)) {
    const want = expectedTopics.get(name);
    const got = actualTopics.get(name);
    const object = `topic ${name}`;
    if (!want || !got) {
      drift('topic', object, want && shape(want), got && shape(got));
      continue;
    }
    compared(() => {
      if (want.partitions !== got.partitions) drift('partitions', object, want.partitions, got.partitions);
      if (want.replicationFactor !== got.replicationFactor) drift('replication-factor', object, want.replicationFactor, got.replicationFactor);
      // Only the topic's own overrides: values it inherits from broker configs belong to the
      // cluster configs (compared below) or to the environment's static config (not restorable).
      compareConfigValues('topic-config', `${object} config`, configValues(topicOverrides(want.configs)), configValues(topicOverrides(got.configs)), report);

      if (compareData) {
        const actualEnds = new Map(got.partitionOffsets.map((entry) => [entry.partition, entry.logEndOffset]));
        for (const entry of [...want.partitionOffsets].sort((a, b) => a.partition - b.partition)) {
          const actualEnd = actualEnds.get(entry.partition);
          if (actualEnd !== undefined && actualEnd !== entry.logEndOffset) {
            report('log-end-offset', `${object} partition ${entry.partition}`, entry.logEndOffset, actualEnd, 'drift', 'data differs: log end offset');
          }
        }
      }
    });
  }
}

function topicOverrides(configs: Configs): Configs {
  return Object.fromEntries(Object.entries(configs).filter(([, entry]) => entry.source === 'DYNAMIC_TOPIC_CONFIG'));
}

function compareClusterConfigs(expected: SnapshotContent, actual: SnapshotContent, report: Report, compared: Compared): void {
  const { clusterDefault: wantDefault, perBroker: wantPerBroker } = expected.clusterConfigs;
  const { clusterDefault: gotDefault, perBroker: gotPerBroker } = actual.clusterConfigs;
  compared(() => compareConfigValues('cluster-config', 'cluster config', configValues(wantDefault), configValues(gotDefault), report));
  for (const brokerId of unionOfKeys(new Map(Object.entries(wantPerBroker)), new Map(Object.entries(gotPerBroker)))) {
    const compare = () =>
      compareConfigValues('cluster-config', `broker ${brokerId} config`, configValues(wantPerBroker[brokerId] ?? {}), configValues(gotPerBroker[brokerId] ?? {}), report);
    if (wantPerBroker[brokerId] && gotPerBroker[brokerId]) compared(compare);
    else compare();
  }
}

/** A config value as compared: its text, or { redacted: true }. Connector configs already have this shape. */
type ConfigValue = ConnectorConfigValue;

function isRedacted(value: ConfigValue | undefined): boolean {
  return typeof value === 'object';
}

function configValues(configs: Configs): Record<string, ConfigValue> {
  return Object.fromEntries(Object.entries(configs).map(([name, entry]) => [name, entry.redacted ? { redacted: true as const } : (entry.value ?? '')]));
}

const SECRET_SHOWN_AS = '(secret, not shown)';

/** Config maps, where a redacted value on either side can be unrestorable or unknowable but never drift. */
function compareConfigValues(kind: DifferenceKind, prefix: string, want: Record<string, ConfigValue>, got: Record<string, ConfigValue>, report: Report): void {
  for (const name of unionOfKeys(new Map(Object.entries(want)), new Map(Object.entries(got)))) {
    const wantValue = want[name];
    const gotValue = got[name];
    const object = `${prefix} ${name}`;
    // A secret a snapshot should never have held is compared but never shown (load refuses such a snapshot; a live capture redacts it).
    const show = (value: ConfigValue | undefined) => (typeof value === 'string' && isSensitiveConfig(name, value) ? SECRET_SHOWN_AS : value);
    if (isRedacted(wantValue) && isRedacted(gotValue)) continue;
    if (isRedacted(wantValue)) {
      const reason =
        gotValue === undefined
          ? 'sensitive value not in the snapshot; it must come from a credential source or a manual step'
          : 'redacted in the expected snapshot, so the actual value cannot be checked';
      report(kind, object, wantValue, show(gotValue), 'unrestorable', reason);
    } else if (isRedacted(gotValue)) {
      const reason = wantValue === undefined ? 'only in the actual cluster, and redacted there' : 'redacted in the actual snapshot, so it cannot be checked';
      report(kind, object, show(wantValue), gotValue, 'unrestorable', reason);
    } else if (wantValue !== gotValue) {
      report(kind, object, show(wantValue), show(gotValue), 'drift', wantValue === undefined ? reasons.extra : gotValue === undefined ? reasons.missing : reasons.differs);
    }
  }
}

export function aclLabel(acl: Acl): string {
  return `acl ${acl.permissionType} ${acl.principal} ${acl.operation} on ${acl.resourceType} ${acl.resourceName} (${acl.patternType}) from ${acl.host}`;
}

function compareAcls(expected: Acl[], actual: Acl[], drift: Drift, compared: Compared): void {
  const want = new Map(expected.map((acl) => [aclKey(acl), acl]));
  const got = new Map(actual.map((acl) => [aclKey(acl), acl]));
  for (const key of unionOfKeys(want, got)) {
    const wantAcl = want.get(key);
    const gotAcl = got.get(key);
    if (!wantAcl || !gotAcl) drift('acl', aclLabel((wantAcl ?? gotAcl)!), wantAcl, gotAcl);
    else compared(() => {});
  }
}

function compareScramUsers(expected: SnapshotContent, actual: SnapshotContent, drift: Drift, compared: Compared): void {
  const want = new Map(expected.scramUsers.map((user) => [user.name, user]));
  const got = new Map(actual.scramUsers.map((user) => [user.name, user]));
  for (const name of unionOfKeys(want, got)) {
    const wantUser = want.get(name);
    const gotUser = got.get(name);
    const object = `scram-user ${name}`;
    if (!wantUser || !gotUser) {
      drift('scram-user', object, wantUser?.credentials, gotUser?.credentials);
      continue;
    }
    const wantIterations = new Map(wantUser.credentials.map((credential) => [credential.mechanism, credential.iterations]));
    const gotIterations = new Map(gotUser.credentials.map((credential) => [credential.mechanism, credential.iterations]));
    compared(() => {
      for (const mechanism of unionOfKeys(wantIterations, gotIterations)) {
        const wantValue = wantIterations.get(mechanism);
        const gotValue = gotIterations.get(mechanism);
        if (wantValue !== gotValue) drift('scram-credential', `${object} ${mechanism}`, wantValue && { iterations: wantValue }, gotValue && { iterations: gotValue });
      }
    });
  }
}

function compareQuotas(expected: SnapshotContent, actual: SnapshotContent, drift: Drift, compared: Compared): void {
  const want = new Map(expected.quotas.map((quota) => [quotaEntityLabel(quota.entity), quota.values]));
  const got = new Map(actual.quotas.map((quota) => [quotaEntityLabel(quota.entity), quota.values]));
  for (const entity of unionOfKeys(want, got)) {
    const wantValues = want.get(entity) ?? {};
    const gotValues = got.get(entity) ?? {};
    const compare = () => {
      for (const key of unionOfKeys(new Map(Object.entries(wantValues)), new Map(Object.entries(gotValues)))) {
        if (wantValues[key] !== gotValues[key]) drift('quota', `quota ${entity} ${key}`, wantValues[key], gotValues[key]);
      }
    };
    if (want.has(entity) && got.has(entity)) compared(compare);
    else compare();
  }
}

function compareConsumerGroups(expected: SnapshotContent, actual: SnapshotContent, compareData: boolean, report: Report, drift: Drift, compared: Compared): void {
  const want = new Map(expected.consumerGroups.map((group) => [group.groupId, group]));
  const got = new Map(actual.consumerGroups.map((group) => [group.groupId, group]));
  const partitionKey = (committed: { topic: string; partition: number }) => `${committed.topic}-${committed.partition}`;
  // Leader epochs are not compared: a new cluster counts its own epochs. Kafka stores a commit
  // without metadata as "" and reports it so, while a snapshot may say null: both mean none.
  const position = (committed: { offset: number; metadata: string | null }) => ({ offset: committed.offset, metadata: committed.metadata ?? '' });

  for (const groupId of unionOfKeys(want, got)) {
    const wantGroup = want.get(groupId);
    const gotGroup = got.get(groupId);
    const object = `group ${groupId}`;
    if (!wantGroup || !gotGroup) {
      drift('consumer-group', object, wantGroup && { offsets: wantGroup.offsets.length }, gotGroup && { offsets: gotGroup.offsets.length });
      continue;
    }
    const wantOffsets = new Map(wantGroup.offsets.map((committed) => [partitionKey(committed), committed]));
    const gotOffsets = new Map(gotGroup.offsets.map((committed) => [partitionKey(committed), committed]));
    compared(() => {
      for (const key of unionOfKeys(wantOffsets, gotOffsets)) {
        const wantOffset = wantOffsets.get(key);
        const gotOffset = gotOffsets.get(key);
        const offsetObject = `${object} offset ${key}`;
        if (!wantOffset || !gotOffset || wantOffset.offset !== gotOffset.offset || (wantOffset.metadata ?? '') !== (gotOffset.metadata ?? '')) {
          drift('consumer-group-offset', offsetObject, wantOffset && position(wantOffset), gotOffset && position(gotOffset));
          continue;
        }
        // Fingerprints are data; compared only when both captures took them.
        const wantFingerprint = wantOffset.fingerprint;
        const gotFingerprint = gotOffset.fingerprint;
        if (compareData && wantFingerprint && gotFingerprint && wantFingerprint.sha256 !== gotFingerprint.sha256) {
          report('record-fingerprint', offsetObject, wantFingerprint, gotFingerprint, 'drift', 'data differs: the record at the committed offset');
        }
      }
    });
  }
}

function compareConnect(expected: SnapshotContent, actual: SnapshotContent, report: Report, drift: Drift, compared: Compared): void {
  const wantConnectors = expected.connect?.connectors ?? [];
  const gotConnectors = actual.connect?.connectors ?? [];
  // One side did not look at Connect at all: say that once instead of listing every connector.
  if (!expected.connect !== !actual.connect) {
    const capturedSide = expected.connect ? 'expected' : 'actual';
    const counted = wantConnectors.length + gotConnectors.length;
    if (counted > 0) {
      report(
        'connect',
        'connect',
        expected.connect && { connectors: wantConnectors.length },
        actual.connect && { connectors: gotConnectors.length },
        'drift',
        `Connect was captured only in the ${capturedSide} snapshot`,
      );
    }
    return;
  }
  const want = new Map(wantConnectors.map((connector) => [connector.name, connector]));
  const got = new Map(gotConnectors.map((connector) => [connector.name, connector]));
  for (const name of unionOfKeys(want, got)) {
    const wantConnector = want.get(name);
    const gotConnector = got.get(name);
    if (!wantConnector || !gotConnector) {
      drift('connector', `connector ${name}`, wantConnector && connectorSummary(wantConnector), gotConnector && connectorSummary(gotConnector));
      continue;
    }
    compared(() => compareConnector(wantConnector, gotConnector, report, drift));
  }
}

function connectorSummary(connector: Connector) {
  return { state: connector.state, tasks: connector.tasks };
}

function compareConnector(want: Connector, got: Connector, report: Report, drift: Drift): void {
  const object = `connector ${want.name}`;
  compareConfigValues('connector-config', `${object} config`, want.config, got.config, report);
  if (want.tasks !== got.tasks) drift('connector-tasks', object, want.tasks, got.tasks);
  if (want.state !== got.state) drift('connector-state', object, want.state, got.state);
  const wantOffsets = new Map(want.offsets.map((entry) => [compactCanonicalJson(entry.partition), entry.offset]));
  const gotOffsets = new Map(got.offsets.map((entry) => [compactCanonicalJson(entry.partition), entry.offset]));
  for (const partition of unionOfKeys(wantOffsets, gotOffsets)) {
    const wantOffset = wantOffsets.get(partition);
    const gotOffset = gotOffsets.get(partition);
    const same = wantOffsets.has(partition) && gotOffsets.has(partition) && compactCanonicalJson(wantOffset) === compactCanonicalJson(gotOffset);
    if (!same) drift('connector-offset', `${object} offset ${partition}`, wantOffset, gotOffset);
  }
}

function unionOfKeys<K extends string>(a: Map<K, unknown>, b: Map<K, unknown>): K[] {
  return [...new Set([...a.keys(), ...b.keys()])].sort(compareText);
}

export interface DiffSummary {
  total: number;
  expected: number;
  unrestorable: number;
  drift: number;
}

export function summarizeDiff(differences: Difference[]): DiffSummary {
  const count = (classification: Classification) => differences.filter((difference) => difference.classification === classification).length;
  return { total: differences.length, expected: count('expected'), unrestorable: count('unrestorable'), drift: count('drift') };
}

function renderValue(value: unknown): string {
  if (value === null) return 'absent';
  if (typeof value === 'object' && (value as { redacted?: unknown }).redacted === true && Object.keys(value).length === 1) return '(redacted)';
  return compactCanonicalJson(value);
}

/** Plain text for the terminal: drift first, then unrestorable, then expected, and a summary line. */
export function renderDiffText(differences: Difference[]): string {
  if (differences.length === 0) return 'no differences\n';
  const lines: string[] = [];
  for (const classification of ['drift', 'unrestorable', 'expected'] as const) {
    const group = differences.filter((difference) => difference.classification === classification);
    if (group.length === 0) continue;
    lines.push(`${classification} (${group.length}):`);
    for (const difference of group) {
      lines.push(`  [${difference.kind}] ${difference.object}: expected ${renderValue(difference.expected)}, actual ${renderValue(difference.actual)} — ${difference.reason}`);
    }
  }
  const summary = summarizeDiff(differences);
  lines.push(`${summary.drift} drift, ${summary.unrestorable} unrestorable, ${summary.expected} expected`);
  return `${lines.join('\n')}\n`;
}
