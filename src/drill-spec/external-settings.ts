import type { ConnectorConfigValue } from '../snapshot/schema.js';
import { addressPlaceholders } from './placeholders.js';

/**
 * Connector settings that name a system outside the drill: the production store a captured
 * connector writes to or reads from. A restored connector must never reach one (DESIGN.md,
 * "Safety stance"): each such setting is replaced by the drill spec
 * (`restore.connectors.<name>.config`) with a store the drill owns, or the connector is restored
 * STOPPED. Matched on the key alone, conservatively: a setting listed here that names nothing
 * external costs a replacement; one missing here could write to production.
 *
 * To extend: add a rule. `kind` says what a replacement must be to count as drill-owned:
 * - `path`: a file or directory under `${drill.workDir}` (this run's own directory);
 * - `address`: exactly an address placeholder of a service the drill starts (`addressPlaceholders`:
 *   `${drill.postgres.jdbcUrl}`), optionally followed by a `?query`; a literal URL or host is
 *   never taken as drill-owned, because nothing shows it is not production, and neither is text
 *   around another placeholder. Allowing one is `allowExternal`.
 */
export const externalSettingRules = [
  { pattern: 'file', kind: 'path', names: 'a file (FileStream connectors)' },
  { pattern: '*.dir', kind: 'path', names: 'a directory' },
  { pattern: '*.path', kind: 'path', names: 'a file or directory' },
  { pattern: '*.directory', kind: 'path', names: 'a directory' },
  { pattern: 'connection.url', kind: 'address', names: 'a database or service (JDBC connectors)' },
  { pattern: '*.url', kind: 'address', names: 'a service URL' },
  { pattern: '*.uri', kind: 'address', names: 'a service URI' },
  { pattern: '*.urls', kind: 'address', names: 'service URLs' },
  { pattern: '*.hosts', kind: 'address', names: 'hosts' },
  { pattern: '*.endpoint', kind: 'address', names: 'a service endpoint' },
  { pattern: '*.host', kind: 'address', names: 'a host' },
  { pattern: '*.hostname', kind: 'address', names: 'a database host (Debezium sources)' },
  { pattern: '*.connection.string', kind: 'address', names: 'a database (Debezium MongoDB)' },
  { pattern: 'bootstrap.servers', kind: 'address', names: 'another Kafka cluster' },
  { pattern: '*.bootstrap.servers', kind: 'address', names: 'another Kafka cluster (MirrorMaker 2, a connector talking to another Kafka)' },
  { pattern: '*.bucket', kind: 'address', names: 'an object store bucket' },
  { pattern: '*bucket.name', kind: 'address', names: 'an object store bucket' },
] as const satisfies readonly { pattern: string; kind: 'path' | 'address'; names: string }[];

export type ExternalSettingRule = (typeof externalSettingRules)[number];

/**
 * Connector classes whose stores the drill knows: every setting of theirs that names an external
 * system falls under the rules above. The rules match names, and other connectors name their
 * stores otherwise (Snowflake `snowflake.url.name`, BigQuery `project`, Cassandra
 * `contactPoints`, …): a class not listed here is held back unless the spec vouches for it
 * (`restore.connectors.<name>.externalSettingsReviewed`). A prefix ending in "." covers a package.
 */
export const knownConnectorClasses = [
  'org.apache.kafka.connect.file.', // FileStream source and sink: `file`
  'org.apache.kafka.connect.mirror.', // MirrorMaker 2: `*.bootstrap.servers`
  'io.debezium.connector.jdbc.JdbcSinkConnector', // Debezium JDBC sink: `connection.url`
] as const;

/** Whether the drill knows which settings of this (fully qualified) connector class name external systems. */
export function isKnownConnectorClass(className: string): boolean {
  return knownConnectorClasses.some((known) => (known.endsWith('.') ? className.startsWith(known) && !className.slice(known.length).includes('.') : className === known));
}

/** A connector setting that names an external system, and the rule that says so. */
export interface ExternalSetting {
  key: string;
  rule: ExternalSettingRule;
}

/** `*.url` matches `url` and any key ending in `.url`; `*bucket.name` any key ending in `bucket.name`; no `*`: the key itself. */
function matches(pattern: string, key: string): boolean {
  if (!pattern.startsWith('*')) return key === pattern;
  const suffix = pattern.slice(1);
  return key.endsWith(suffix) || (suffix.startsWith('.') && key === suffix.slice(1));
}

/** The rule a setting falls under, if it names an external system. */
export function externalSettingRule(key: string): ExternalSettingRule | undefined {
  return externalSettingRules.find((rule) => matches(rule.pattern, key));
}

/** The settings of a connector config that name an external system, in key order. An empty value names nothing. */
export function externalSettings(config: Readonly<Record<string, ConnectorConfigValue | string>>): ExternalSetting[] {
  return Object.keys(config)
    .sort()
    .filter((key) => config[key] !== '')
    .flatMap((key) => {
      const rule = externalSettingRule(key);
      return rule ? [{ key, rule }] : [];
    });
}

/**
 * Why the spec's replacement `written` (as written, placeholders unresolved) of an external
 * setting does not make it drill-owned; undefined when it does.
 */
export function replacementProblem(key: string, written: string): string | undefined {
  const rule = externalSettingRule(key);
  if (!rule) return undefined;
  if (rule.kind === 'path') {
    const inside = /^\$\{drill\.workDir\}(\/.*)?$/.exec(written);
    if (!inside) return `names ${rule.names}: the replacement must be a path under \${drill.workDir} (this run's own directory), not ${JSON.stringify(written)}`;
    if ((inside[1] ?? '').split('/').includes('..')) return `names ${rule.names}: the replacement must stay under \${drill.workDir} (no ".." segments)`;
    return undefined;
  }
  // Exactly the drill's address: text before or after it could name any host ("${drill.postgres.user},prod-kafka:9092").
  const address = /^\$\{(drill\.[^}:]*)\}(\?.*)?$/s.exec(written);
  if (address && (addressPlaceholders as readonly string[]).includes(address[1]!)) return undefined;
  const provided = addressPlaceholders.map((name) => `\${${name}}`).join(', ');
  return `names ${rule.names}: the replacement must be exactly an address the drill provides (${provided}, optionally followed by ?query), not ${JSON.stringify(written)}; the drill has none for other systems (another Kafka included): list the key in allowExternal to let the drill reach what it names`;
}
