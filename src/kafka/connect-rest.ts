/**
 * A thin wrapper over the Kafka Connect REST API: one function per call, typed answers, and
 * an error that carries the HTTP status and Connect's own message. No restore logic here.
 *
 * Versions: GET offsets and PUT stop since 3.5; PATCH/DELETE offsets since 3.6 (connector
 * STOPPED, else 400); POST /connectors with initial_state since 3.7 (KIP-980).
 */

export interface ConnectEndpoint {
  /** e.g. http://127.0.0.1:8083 (no trailing slash needed). */
  url: string;
  /** Extra request headers, e.g. Authorization. */
  headers?: Record<string, string>;
}

export type ConnectorState = 'RUNNING' | 'PAUSED' | 'STOPPED' | 'FAILED' | 'UNASSIGNED' | 'RESTARTING';

export interface ConnectorInfo {
  name: string;
  config: Record<string, string>;
  tasks: { connector: string; task: number }[];
  type: 'source' | 'sink' | 'unknown';
}

export interface ConnectorStatus {
  name: string;
  connector: { state: ConnectorState; worker_id: string; trace?: string };
  tasks: { id: number; state: ConnectorState; worker_id: string; trace?: string }[];
  type: 'source' | 'sink' | 'unknown';
}

export interface ConnectorOffsetEntry {
  partition: Record<string, unknown>;
  offset: Record<string, unknown> | null;
}

export interface ConnectorPlugin {
  class: string;
  type: string;
  version?: string;
}

export interface ConnectServerInfo {
  version: string;
  commit: string;
  kafka_cluster_id: string;
}

export class ConnectRestError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly connectMessage: string,
  ) {
    super(`Connect ${method} ${path} answered ${status}: ${connectMessage}`);
  }
}

const REQUEST_TIMEOUT_MS = 60_000;
/** 409: the worker group is rebalancing (or a write is being forwarded); Connect asks to try again. */
const REBALANCE_RETRY_MS = 60_000;

async function call<T>(endpoint: ConnectEndpoint, method: string, path: string, body?: unknown): Promise<T> {
  const deadline = Date.now() + REBALANCE_RETRY_MS;
  for (;;) {
    const response = await fetch(`${endpoint.url.replace(/\/+$/, '')}${path}`, {
      method,
      headers: { accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...endpoint.headers },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await response.text();
    if (response.ok) return (text ? JSON.parse(text) : undefined) as T;
    let message = text;
    try {
      message = (JSON.parse(text) as { message?: string }).message ?? text;
    } catch {
      // not JSON: keep the text
    }
    if (response.status === 409 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      continue;
    }
    throw new ConnectRestError(method, path, response.status, message.slice(0, 2000));
  }
}

const at = (name: string) => `/connectors/${encodeURIComponent(name)}`;

export function serverInfo(endpoint: ConnectEndpoint): Promise<ConnectServerInfo> {
  return call(endpoint, 'GET', '/');
}

export function listConnectors(endpoint: ConnectEndpoint): Promise<string[]> {
  return call(endpoint, 'GET', '/connectors');
}

/** Every connector's info and status in one request. */
export async function describeConnectors(endpoint: ConnectEndpoint): Promise<Map<string, { info: ConnectorInfo; status: ConnectorStatus }>> {
  const answer = await call<Record<string, { info: ConnectorInfo; status: ConnectorStatus }>>(endpoint, 'GET', '/connectors?expand=info&expand=status');
  return new Map(Object.entries(answer));
}

export function getConnector(endpoint: ConnectEndpoint, name: string): Promise<ConnectorInfo> {
  return call(endpoint, 'GET', at(name));
}

export function connectorStatus(endpoint: ConnectEndpoint, name: string): Promise<ConnectorStatus> {
  return call(endpoint, 'GET', `${at(name)}/status`);
}

/** POST /connectors; `initialState` needs Kafka ≥ 3.7. */
export function createConnector(endpoint: ConnectEndpoint, name: string, config: Record<string, string>, initialState?: 'RUNNING' | 'PAUSED' | 'STOPPED'): Promise<ConnectorInfo> {
  return call(endpoint, 'POST', '/connectors', { name, config, ...(initialState ? { initial_state: initialState } : {}) });
}

export function putConnectorConfig(endpoint: ConnectEndpoint, name: string, config: Record<string, string>): Promise<ConnectorInfo> {
  return call(endpoint, 'PUT', `${at(name)}/config`, config);
}

export function deleteConnector(endpoint: ConnectEndpoint, name: string): Promise<void> {
  return call(endpoint, 'DELETE', at(name));
}

export function stopConnector(endpoint: ConnectEndpoint, name: string): Promise<void> {
  return call(endpoint, 'PUT', `${at(name)}/stop`);
}

export function pauseConnector(endpoint: ConnectEndpoint, name: string): Promise<void> {
  return call(endpoint, 'PUT', `${at(name)}/pause`);
}

export function resumeConnector(endpoint: ConnectEndpoint, name: string): Promise<void> {
  return call(endpoint, 'PUT', `${at(name)}/resume`);
}

export async function getConnectorOffsets(endpoint: ConnectEndpoint, name: string): Promise<ConnectorOffsetEntry[]> {
  return (await call<{ offsets: ConnectorOffsetEntry[] }>(endpoint, 'GET', `${at(name)}/offsets`)).offsets;
}

/** PATCH offsets (connector STOPPED); an entry with offset null removes that partition's offset. */
export function alterConnectorOffsets(endpoint: ConnectEndpoint, name: string, offsets: ConnectorOffsetEntry[]): Promise<{ message: string }> {
  return call(endpoint, 'PATCH', `${at(name)}/offsets`, { offsets });
}

/** DELETE offsets (connector STOPPED): the connector starts over. */
export function resetConnectorOffsets(endpoint: ConnectEndpoint, name: string): Promise<{ message: string }> {
  return call(endpoint, 'DELETE', `${at(name)}/offsets`);
}

export function connectorPlugins(endpoint: ConnectEndpoint): Promise<ConnectorPlugin[]> {
  return call(endpoint, 'GET', '/connector-plugins?connectorsOnly=true');
}

/** "3.9.2" → [3, 9]: enough to decide which calls a worker has. */
export function connectVersionAtLeast(version: string, major: number, minor: number): boolean {
  const [x = 0, y = 0] = version.split('.').map((part) => Number.parseInt(part, 10));
  return x > major || (x === major && y >= minor);
}
