import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { errorMessage, InfrastructureError } from '../errors.js';
import { createAdmin, describeCluster } from '../kafka/admin.js';
import type { KafkaConnection } from '../kafka/connection.js';
import { ADMIN_USER, securityProfile, type ProviderName } from '../model/enums.js';
import { brokerProperties, DRILL_OFFSETS_TOPIC_PARTITIONS, type BrokerProperties, type NodeListeners } from './broker-config.js';
import { groupCoordinatorProblem } from './coordinator.js';
import { logTail } from './process-exit.js';
import { DEFAULT_HEAP_MB } from './sizing.js';
import { removeTree, trackEnvironment } from './teardown.js';
import { environmentTls, prepareTls, tlsBrokerInput, type PreparedTls } from './tls/tls.js';
import type { ConnectRequest, EnvironmentRequest, ExitedProcess, StartedBroker, StartedConnect, StartedEnvironment } from './types.js';

/**
 * The life of a drill's own cluster, whatever runs its nodes: work dir, watchdog, stop-once,
 * cluster id, admin password, TLS, broker properties, the admin's connection, readiness, Connect,
 * exit watch and stop. A provider (local JVMs, containers) is a ClusterRuntime: what differs.
 */

/** What a cluster runtime is given to launch the nodes it placed. */
export interface ClusterLaunch {
  workDir: string;
  clusterId: string;
  /** scram and sasl_ssl: the admin's SCRAM password, for formatting each node's storage. */
  adminPassword: string | undefined;
  nodes: NodeListeners[];
  tls: PreparedTls | undefined;
  /** Max heap per broker. */
  heapMb: number;
  timeoutMs: number;
  /** One node's server.properties, with its data directory and (TLS modes) the PEM files' paths as the node sees them. */
  properties(node: NodeListeners, dataDir: string, tlsPaths?: { keystorePath: string; truststorePath: string }, zookeeperConnect?: string): BrokerProperties;
}

/** What a cluster runtime is given to start Connect workers beside the ready brokers. */
export interface ConnectLaunch {
  workDir: string;
  admin: KafkaConnection;
  tls: PreparedTls | undefined;
  brokers: number;
  request: ConnectRequest;
  timeoutMs: number;
}

/** One poll of the nodes while the cluster starts. A node that exited throws instead. */
export interface NodeCheck {
  /** Why the cluster is not worth asking yet (a node still starting). */
  waiting?: string;
  /** The start-up timeout counts from now (the nodes' storage has just been formatted). */
  restartClock?: boolean;
}

/** What one provider does its own way; startCluster does the rest. One implementation per provider file. */
export interface ClusterRuntime<P extends ProviderName, Extra extends object> {
  provider: P;
  /** Default start-up timeout for this many brokers. */
  startTimeoutMs(brokers: number): number;
  /** Before anything exists: what the nodes run on (Java and a distribution; an engine and an image). */
  prepare(): Promise<{ kafkaVersion: string }>;
  /** Ends the environment's processes and removes its directory when this process dies without stopping it. */
  startWatchdog(workDir: string, keepDir: boolean): () => void;
  /** Where each node listens; `host` is how the other nodes reach it (and a name in the brokers' certificate). */
  placeNodes(): Promise<NodeListeners[]>;
  /** Writes the nodes' configuration, formats their storage and starts them. */
  launch(cluster: ClusterLaunch): Promise<StartedBroker[]>;
  /** Called on every poll until the cluster is ready. */
  checkNodes(): Promise<NodeCheck>;
  startConnect(connect: ConnectLaunch): Promise<StartedConnect>;
  /** The environment's processes that ended on their own. */
  exitedProcesses(): Promise<ExitedProcess[]>;
  /** What the started environment holds beyond StartedEnvironment (asked once it is ready). */
  extra(): Extra;
  /** Stops and removes every process or container it started (the work dir is startCluster's). */
  remove(): Promise<void>;
}

export async function startCluster<P extends ProviderName, Extra extends object>(
  request: EnvironmentRequest,
  runtime: ClusterRuntime<P, Extra>,
): Promise<StartedEnvironment & { provider: P } & Extra> {
  const started = performance.now();
  const { kafkaVersion } = await runtime.prepare();
  const workDir = await mkdtemp(join(tmpdir(), 'kafka-drill-env-'));
  // Before the first process or container exists: a kill -9 from here on leaves nothing behind for long.
  const dismissWatchdog = runtime.startWatchdog(workDir, request.keepDirs ?? false);
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      await runtime.remove();
      if (!request.keepDirs) await removeTree(workDir);
      dismissWatchdog();
      untrack();
    })();
    return stopped;
  };
  const untrack = trackEnvironment({ stop });

  const timeoutMs = request.startTimeoutMs ?? runtime.startTimeoutMs(request.brokers);
  const heapMb = request.heapMb ?? DEFAULT_HEAP_MB;
  const profile = securityProfile(request.security);
  try {
    const nodes = await runtime.placeNodes();
    const clusterId = newClusterId();
    const adminPassword = profile.scram ? randomBytes(18).toString('hex') : undefined;
    // Clients on this host reach the brokers at 127.0.0.1; the nodes reach each other by host.
    const tlsHosts = [...new Set(['127.0.0.1', 'localhost', ...nodes.map((node) => node.host)])];
    const tls = profile.tls ? await prepareTls(workDir, request.security, tlsHosts, request.principalMappingRules) : undefined;
    const properties: ClusterLaunch['properties'] = (node, dataDir, tlsPaths, zookeeperConnect) =>
      brokerProperties({
        ...(zookeeperConnect ? { zookeeperConnect } : {}),
        node,
        nodes,
        security: request.security,
        dataDir,
        heapMb,
        ...tlsBrokerInput(tls, tlsPaths),
        ...(request.offsetsTopicPartitions ? { offsetsTopicPartitions: request.offsetsTopicPartitions } : {}),
      });
    const brokers = await runtime.launch({ workDir, clusterId, adminPassword, nodes, tls, heapMb, timeoutMs, properties });
    const admin = adminConnection(brokers, adminPassword, tls);
    await waitUntilReady(runtime, admin, brokers, clusterId, request, timeoutMs);
    let connect: StartedConnect | undefined;
    if (request.connect) {
      request.signal?.throwIfAborted();
      connect = await runtime.startConnect({ workDir, admin, tls, brokers: request.brokers, request: request.connect, timeoutMs });
    }
    return {
      provider: runtime.provider,
      kafkaVersion,
      clusterId,
      security: request.security,
      brokers,
      admin,
      ...(tls ? { tls: environmentTls(tls) } : {}),
      workDir,
      startupMs: Math.round(performance.now() - started),
      ...(connect ? { connect } : {}),
      exitedProcesses: async () => (stopped ? [] : runtime.exitedProcesses()),
      stop,
      ...runtime.extra(),
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** 16 random bytes, base64url without padding, as `kafka-storage random-uuid` makes them (never starting with '-'). */
export function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/** The drill admin's connection: a super user by SCRAM (scram, sasl_ssl) or by its certificate (mtls). */
function adminConnection(brokers: StartedBroker[], adminPassword: string | undefined, tls: PreparedTls | undefined): KafkaConnection {
  return {
    bootstrap: brokers.map((broker) => broker.address),
    clientId: 'kafka-drill',
    ...(adminPassword ? { sasl: { mechanism: 'SCRAM-SHA-512' as const, username: ADMIN_USER, password: adminPassword } } : {}),
    ...(tls ? { tls: tls.adminTls } : {}),
  };
}

/**
 * Ready: a client describes the cluster, it has our cluster id, every broker is registered under
 * its node id, and the group coordinator answers for every `__consumer_offsets` partition (so the
 * first group request of a restore does not wait for that topic, and providers compare alike).
 */
async function waitUntilReady(
  runtime: Pick<ClusterRuntime<ProviderName, object>, 'checkNodes'>,
  connection: KafkaConnection,
  brokers: StartedBroker[],
  clusterId: string,
  request: EnvironmentRequest,
  timeoutMs: number,
): Promise<void> {
  const nodeIds = brokers.map((broker) => broker.nodeId).sort((a, b) => a - b);
  const offsetsTopicPartitions = request.offsetsTopicPartitions ?? DRILL_OFFSETS_TOPIC_PARTITIONS;
  let deadline = Date.now() + timeoutMs;
  let lastProblem = 'no answer yet';
  while (Date.now() < deadline) {
    request.signal?.throwIfAborted();
    const nodes = await runtime.checkNodes();
    if (nodes.restartClock) deadline = Date.now() + timeoutMs;
    if (nodes.waiting !== undefined) {
      lastProblem = nodes.waiting;
      await new Promise((resolve) => setTimeout(resolve, 250));
      continue;
    }
    const admin = createAdmin(connection, { timeoutMs: 2_000 });
    try {
      const cluster = await describeCluster(admin);
      if (cluster.clusterId !== clusterId) lastProblem = `answered with cluster id ${cluster.clusterId}`;
      else if (cluster.brokerIds.join() !== nodeIds.join()) lastProblem = `brokers ${cluster.brokerIds.join(', ') || 'none'} of ${nodeIds.join(', ')} registered`;
      else {
        const problem = await groupCoordinatorProblem(admin, offsetsTopicPartitions);
        if (problem === undefined) return;
        lastProblem = problem;
      }
    } catch (error) {
      lastProblem = errorMessage(error);
    } finally {
      await admin.close().catch(() => {});
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const tails = await Promise.all(brokers.map(async (b) => `--- broker ${b.nodeId} (${b.logFile}) ---\n${await logTail(b.logFile, 20)}`));
  throw new InfrastructureError(`Kafka did not become ready within ${timeoutMs / 1000}s (${lastProblem})`, tails.join('\n'));
}
