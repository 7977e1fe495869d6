import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { GenericContainer, Wait, type ContainerRuntimeClient, type StartedTestContainer } from 'testcontainers';
import { InfrastructureError } from '../../errors.js';
import { connectPluginPath, waitUntilServing, workerProperties } from '../connect/worker.js';
import { freePorts } from '../ports.js';
import { localEngine } from './engine.js';
import { CONTAINER_JMX_AGENT, CONTAINER_METRICS_PORT, jmxAgentOption } from '../../runtime/jmx-exporter.js';
import type { KafkaConnection } from '../../kafka/connection.js';
import type { EnvironmentTls } from '../tls/tls.js';
import type { ConnectRequest, StartedConnect } from '../types.js';

/**
 * Kafka Connect distributed workers as containers on a docker environment's network: they reach
 * the brokers by alias on the internal listener, each other by alias (`connect-N:8083`), and the
 * host reaches their REST API through its mapped port.
 *
 * Files a connector names under `${drill.workDir}` (FileStream stores) must be the same files for
 * the worker and for the drill on the host, so with a local engine the work dir is bind-mounted at
 * its own path and the worker runs as this process's user (it writes files the drill can read and
 * remove). Plugin directories are mounted read-only; a remote engine gets copies instead, and
 * there connectors cannot share files with the host.
 *
 * A request with `hostNetwork` (a mirror's live source on this host's loopback) runs the workers
 * in the host's network instead: they reach the brokers through the mapped client listener with
 * the admin's credentials and TLS files (under the bind-mounted work dir), as the drill does, and
 * their REST listeners take free ports on 127.0.0.1. That needs the engine on this machine.
 */

const REST_PORT = 8083;
const CONFIG_FILE = '/tmp/kafka-drill/worker.properties';
const PLUGINS_DIR = '/opt/kafka-drill/plugins';
const STARTING_LINE = 'kafka-drill: starting the Connect worker';

export interface DockerConnectStart {
  client: ContainerRuntimeClient;
  image: string;
  network: string;
  /** The brokers' internal listener, as containers on `network` reach it. */
  internalBootstrap: string[];
  /** The brokers as the drill reaches them, for workers in the host's network. */
  admin: KafkaConnection;
  tls: Pick<EnvironmentTls, 'truststorePath' | 'adminKeystorePath'> | undefined;
  labels: Record<string, string>;
  /** Name prefix for the containers (the environment id). */
  namePrefix: string;
  workDir: string;
  brokers: number;
  request: ConnectRequest;
  timeoutMs: number;
  /** The JMX exporter's agent and rules to copy into each worker (none: no agent). */
  agentFiles?: { content: Buffer | string; target: string; mode: number }[];
}

export async function startDockerConnect(start: DockerConnectStart): Promise<StartedConnect> {
  const started = performance.now();
  const { request } = start;
  const hostPluginPath = connectPluginPath(request);
  const pluginPath = hostPluginPath.map((_, index) => `${PLUGINS_DIR}/${index + 1}`);
  const local = localEngine();
  const count = request.workers ?? 1;
  if (request.hostNetwork && !local) {
    throw new InfrastructureError(
      `Connect workers that must reach this host's loopback run in the host's network, which needs a Docker engine on this machine (DOCKER_HOST=${process.env.DOCKER_HOST})`,
    );
  }
  const agentFiles = start.agentFiles ?? [];
  // In the host's network: the REST and (with the agent) metrics ports are drawn together, on 127.0.0.1.
  const drawn = request.hostNetwork ? await freePorts(agentFiles.length ? count * 2 : count) : undefined;
  const hostPorts = drawn?.slice(0, count);
  const hostMetricsPorts = drawn?.slice(count);
  const starts = await Promise.allSettled(
    Array.from({ length: count }, async (_, index) => {
      const alias = `connect-${index + 1}`;
      const logFile = join(start.workDir, `${alias}.log`);
      const hostPort = hostPorts?.[index];
      const reach =
        hostPort === undefined
          ? { bootstrap: start.internalBootstrap, listener: `http://0.0.0.0:${REST_PORT}`, advertised: { host: alias, port: REST_PORT } }
          : {
              bootstrap: start.admin.bootstrap,
              ...(start.admin.sasl ? { sasl: start.admin.sasl } : {}),
              tls: start.tls,
              listener: `http://127.0.0.1:${hostPort}`,
              advertised: { host: '127.0.0.1', port: hostPort },
            };
      const properties = workerProperties({
        ...reach,
        brokers: start.brokers,
        pluginPath,
        workerConfig: request.workerConfig,
      });
      const hostMetricsPort = hostMetricsPorts?.[index];
      const agentOption: Record<string, string> = agentFiles.length
        ? { KAFKA_OPTS: jmxAgentOption(CONTAINER_JMX_AGENT, hostMetricsPort ?? CONTAINER_METRICS_PORT, hostMetricsPort === undefined ? undefined : '127.0.0.1') }
        : {};
      let container = new GenericContainer(start.image)
        .withName(`${start.namePrefix}-${alias}`)
        .withLabels(start.labels)
        .withEnvironment({ KAFKA_HEAP_OPTS: `-Xmx${request.heapMb ?? 512}m -Xms64m`, LOG_DIR: '/tmp/kafka-drill-logs', ...agentOption })
        .withCopyContentToContainer([{ content: properties, target: CONFIG_FILE, mode: 0o644 }, ...agentFiles])
        .withEntrypoint(['sh', '-c'])
        .withCommand([`echo '${STARTING_LINE}'; exec /opt/kafka/bin/connect-distributed.sh ${CONFIG_FILE}`])
        .withWaitStrategy(Wait.forLogMessage(STARTING_LINE))
        .withStartupTimeout(start.timeoutMs)
        .withLogConsumer((stream) => stream.pipe(createWriteStream(logFile)));
      container =
        hostPort === undefined
          ? container
              .withNetworkMode(start.network)
              .withNetworkAliases(alias)
              .withExposedPorts(REST_PORT, ...(agentFiles.length ? [CONTAINER_METRICS_PORT] : []))
          : container.withNetworkMode('host');
      if (local) {
        container = container
          .withBindMounts([
            { source: start.workDir, target: start.workDir, mode: 'rw' },
            ...hostPluginPath.map((source, plugin) => ({ source, target: pluginPath[plugin]!, mode: 'ro' as const })),
          ])
          .withUser(`${process.getuid?.() ?? 1000}:${process.getgid?.() ?? 1000}`);
      } else {
        container = container.withCopyDirectoriesToContainer(hostPluginPath.map((source, plugin) => ({ source, target: pluginPath[plugin]! })));
      }
      const running = await container.start();
      const url = hostPort === undefined ? `http://${running.getHost()}:${running.getMappedPort(REST_PORT)}` : `http://127.0.0.1:${hostPort}`;
      const metricsUrl = !agentFiles.length
        ? undefined
        : hostMetricsPort === undefined
          ? `http://${running.getHost()}:${running.getMappedPort(CONTAINER_METRICS_PORT)}/metrics`
          : `http://127.0.0.1:${hostMetricsPort}/metrics`;
      return { container: running, logFile, url, ...(metricsUrl ? { metricsUrl } : {}) };
    }),
  );
  const failed = starts.find((result) => result.status === 'rejected');
  if (failed) throw new InfrastructureError(`starting a Kafka Connect container failed: ${(failed.reason as Error).message}`);
  const workers = starts.map((result) => (result as PromiseFulfilledResult<{ container: StartedTestContainer; logFile: string; url: string; metricsUrl?: string }>).value);
  await Promise.all(workers.map((worker) => waitUntilServing(worker, () => containerExit(start.client, worker.container), start.timeoutMs)));
  return {
    url: workers[0]!.url,
    workers: workers.map(({ url, logFile, metricsUrl }) => ({ pid: -1, url, logFile, ...(metricsUrl ? { metricsUrl } : {}) })),
    pluginPath: hostPluginPath,
    startupMs: Math.round(performance.now() - started),
  };
}

async function containerExit(client: ContainerRuntimeClient, container: StartedTestContainer): Promise<string | undefined> {
  const state = (await client.container.inspect(client.container.getById(container.getId()))).State;
  return state.Running ? undefined : `(container ${container.getName()}) exited during start-up (code ${state.ExitCode})`;
}
