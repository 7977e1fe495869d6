/**
 * Capture of Kafka Connect through its REST API: every connector's config (secrets redacted),
 * state, task count and KIP-875 offsets. Read-only: GET requests only — one for every
 * connector's info and status, then one GET offsets per connector (Connect has no batch call).
 */
import { errorMessage, InfrastructureError } from '../errors.js';
import { ConnectRestError, describeConnectors, getConnectorOffsets, serverInfo, type ConnectEndpoint, type ConnectorOffsetEntry } from '../kafka/connect-rest.js';
import { compareText } from './canonical.js';
import type { Connect, Connector, ConnectorConfigValue, ConsumerGroup, SnapshotContent } from './schema.js';

const SECRET_WORDS = new Set(['password', 'passwd', 'pwd', 'secret', 'token', 'credential', 'credentials', 'jaas', 'passphrase']);

/**
 * Whether a connector config name holds a secret: a word such as password, secret, token or
 * credentials in it, or a name ending in `key` (`api.key`, `aws.secret.access.key`,
 * `ssl.key`) — but not `key.converter` or `primary.key.fields`, where the key is a record's.
 */
export function isSecretConfigName(name: string): boolean {
  const words = name
    .toLowerCase()
    .split(/[._\-\s]+/)
    .filter(Boolean);
  if (words.some((word) => SECRET_WORDS.has(word) || /password|secret|token|credential/.test(word))) return true;
  const last = words.at(-1);
  return last === 'key' || last === 'apikey';
}

/** A `${provider:path:key}` config-provider reference: kept as written, it holds no secret itself. */
export function isConfigReference(value: string): boolean {
  return /^\$\{[^}]+\}$/.test(value.trim());
}

/** Values that carry a password inside a URL or a properties-like string. */
function valueLooksSecret(value: string): boolean {
  return /(password|passwd|secret|token)\s*[=:]/i.test(value) || /:\/\/[^/\s:@]+:[^/\s@]+@/.test(value);
}

/**
 * Whether a config value is a secret a snapshot never holds in clear: capture redacts it, a
 * snapshot that holds it is refused, and diff masks it. A `${...}` reference is not one.
 */
export function isSensitiveConfig(name: string, value: string): boolean {
  return value !== '' && !isConfigReference(value) && (isSecretConfigName(name) || valueLooksSecret(value));
}

/** The config as a snapshot stores it: secrets become { redacted: true }, references stay. */
export function redactConnectorConfig(config: Record<string, string>): Record<string, ConnectorConfigValue> {
  const stored: Record<string, ConnectorConfigValue> = {};
  for (const [name, value] of Object.entries(config)) stored[name] = isSensitiveConfig(name, value) ? { redacted: true } : value;
  return stored;
}

/** Sink offsets as Connect reports them, from the group connect-<name>: the same truth, read at the same moment as every other group. */
function sinkOffsetsFromGroup(group: ConsumerGroup): ConnectorOffsetEntry[] {
  return group.offsets.map((committed) => ({
    partition: { kafka_topic: committed.topic, kafka_partition: committed.partition },
    offset: { kafka_offset: committed.offset },
  }));
}

export interface ConnectCapture {
  connect: Connect;
  /** REST requests sent. */
  requests: number;
}

/**
 * The Connect section for a snapshot of the cluster the workers use. `kafka` is the Kafka side
 * already captured: it gives the sink groups (one truth for sink offsets) and the storage topics.
 */
export async function captureConnect(endpoint: ConnectEndpoint, kafka: Pick<SnapshotContent, 'consumerGroups' | 'skippedTopics'>): Promise<ConnectCapture> {
  const info = await step(endpoint, 'reading the worker version', () => serverInfo(endpoint));
  const described = await step(endpoint, 'listing connectors', () => describeConnectors(endpoint));
  const groups = new Map(kafka.consumerGroups.map((group) => [group.groupId, group]));
  const connectors: Connector[] = [];
  let requests = 2;
  for (const [name, { info: connectorInfo, status }] of [...described].sort(([a], [b]) => compareText(a, b))) {
    const type = connectorInfo.type === 'sink' || connectorInfo.type === 'source' ? connectorInfo.type : undefined;
    const group = type === 'sink' ? groups.get(`connect-${name}`) : undefined;
    let offsets: ConnectorOffsetEntry[];
    if (group) {
      offsets = sinkOffsetsFromGroup(group);
    } else {
      requests++;
      offsets = await step(endpoint, `reading the offsets of connector ${name} (GET offsets needs Kafka ≥ 3.5)`, () => getConnectorOffsets(endpoint, name));
    }
    connectors.push({
      name,
      ...(type ? { type } : {}),
      config: redactConnectorConfig(connectorInfo.config),
      tasks: connectorInfo.tasks.length,
      state: status.connector.state,
      offsets: offsets.map((entry) => ({ partition: entry.partition, offset: entry.offset })),
    });
  }
  const internalTopics = kafka.skippedTopics.filter((topic) => topic.reason.startsWith('Kafka Connect')).map((topic) => topic.name);
  return { connect: { connectors, workerVersion: info.version, internalTopics }, requests };
}

async function step<T>(endpoint: ConnectEndpoint, what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    const detail = error instanceof ConnectRestError ? `HTTP ${error.status}: ${error.connectMessage}` : errorMessage(error);
    throw new InfrastructureError(`capture: Connect at ${endpoint.url}: ${what} failed: ${detail}`);
  }
}
