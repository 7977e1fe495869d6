import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { exitOf, hasExited, logTail } from '../process-exit.js';
import { freePorts } from '../ports.js';
import { join, resolve } from 'node:path';
import { errorMessage, InfrastructureError } from '../../errors.js';
import type { KafkaConnection } from '../../kafka/connection.js';
import type { KafkaDistribution } from '../../runtime/distribution.js';
import { connectPluginsDir } from '../../runtime/plugins.js';
import { spawnJvm } from '../jvm.js';
import { jmxAgentOption, type JmxAgent } from '../../runtime/jmx-exporter.js';
import type { EnvironmentTls } from '../tls/tls.js';
import type { ConnectRequest, StartedConnect } from '../types.js';

/**
 * Kafka Connect distributed workers beside the brokers of a `process` environment (the docker
 * provider shares the worker properties and readiness check below): one JVM per
 * worker, each in a process group of its own, recorded for the watchdog and stopped by the
 * environment with its brokers (workers first). The worker's own
 * clients (producer., consumer., admin.) connect and authenticate like the drill's admin (SCRAM,
 * TLS with the drill's CA, its client certificate in mtls); the credentials sit in the worker's
 * properties file (mode 0600), never on a command line.
 */

/** Storage topic names: `…connect…-configs|-offsets|-status`, compacted, so capture leaves them out of the topic list. */
export const CONNECT_STORAGE_TOPICS = {
  config: 'kafka-drill-connect-configs',
  offset: 'kafka-drill-connect-offsets',
  status: 'kafka-drill-connect-status',
} as const;

interface ConnectStart {
  distribution: KafkaDistribution;
  workDir: string;
  admin: KafkaConnection;
  /** TLS modes: the files the worker's clients trust and (mtls) present, as the drill's admin does. */
  tls?: Pick<EnvironmentTls, 'truststorePath' | 'adminKeystorePath'>;
  brokers: number;
  request: ConnectRequest;
  timeoutMs: number;
  /** Where each worker JVM is registered as it starts: the environment stops them (first) on every path out. */
  jvms: ChildProcess[];
  /** The JMX exporter's agent, when the environment runs it. */
  jmxAgent?: JmxAgent;
  /** JVM options every worker gets (the environment's class data sharing). */
  jvmOptions?: string[];
}

export async function startConnectWorkers(start: ConnectStart): Promise<StartedConnect> {
  const started = performance.now();
  const { request, workDir } = start;
  const count = request.workers ?? 1;
  const pluginPath = connectPluginPath(request);
  const drawn = await freePorts(start.jmxAgent ? count * 2 : count);
  const ports = drawn.slice(0, count);
  const metricsPorts = drawn.slice(count);
  const jvms: ChildProcess[] = [];
  const workers = await Promise.all(
    ports.map(async (port, index) => {
      const dir = join(workDir, `connect-${index + 1}`);
      await mkdir(dir, { recursive: true });
      const propertiesFile = join(dir, 'worker.properties');
      const properties = workerProperties({
        bootstrap: start.admin.bootstrap,
        sasl: start.admin.sasl,
        tls: start.tls,
        listener: `http://127.0.0.1:${port}`,
        advertised: { host: '127.0.0.1', port },
        brokers: start.brokers,
        pluginPath,
        workerConfig: request.workerConfig,
      });
      await writeFile(propertiesFile, properties, { mode: 0o600 });
      const logFile = join(dir, 'connect.log');
      const metricsPort = metricsPorts[index];
      const options = [...(start.jvmOptions ?? []), ...(start.jmxAgent && metricsPort ? [jmxAgentOption(start.jmxAgent, metricsPort, '127.0.0.1')] : [])];
      const jvm = spawnJvm(start.distribution, workDir, request.heapMb ?? 512, ['org.apache.kafka.connect.cli.ConnectDistributed', propertiesFile], logFile, options);
      jvms.push(jvm);
      start.jvms.push(jvm);
      return { pid: jvm.pid ?? -1, url: `http://127.0.0.1:${port}`, logFile, ...(metricsPort ? { metricsUrl: `http://127.0.0.1:${metricsPort}/metrics` } : {}) };
    }),
  );
  await Promise.all(
    workers.map((worker, index) =>
      waitUntilServing(worker, async () => (hasExited(jvms[index]!) ? `exited during start-up (${exitOf(jvms[index]!)})` : undefined), start.timeoutMs),
    ),
  );
  return { url: workers[0]!.url, workers, pluginPath, startupMs: Math.round(performance.now() - started) };
}

/** The request's plugin directories (each must exist) and the installed-plugins cache when it exists, absolute and once each. */
export function connectPluginPath(request: ConnectRequest): string[] {
  for (const dir of request.pluginPaths ?? []) {
    if (!existsSync(dir)) throw new InfrastructureError(`Connect plugin directory ${dir} does not exist`);
  }
  return [...(request.pluginPaths ?? []).map((dir) => resolve(dir)), connectPluginsDir()].filter((dir, index, all) => all.indexOf(dir) === index && existsSync(dir));
}

export interface WorkerSettings {
  /** Broker addresses as the worker reaches them. */
  bootstrap: string[];
  /** The worker's own clients authenticate like this (omitted: PLAINTEXT). */
  sasl?: KafkaConnection['sasl'];
  /** TLS modes: the PEM files (as the worker sees them) its clients trust and, in mtls, present. */
  tls?: Pick<EnvironmentTls, 'truststorePath' | 'adminKeystorePath'> | undefined;
  /** The REST listener, e.g. http://0.0.0.0:8083. */
  listener: string;
  /** Where the other workers reach this one's REST API. */
  advertised: { host: string; port: number };
  /** Broker count, for the storage topics' replication factor. */
  brokers: number;
  /** Plugin directories as the worker sees them. */
  pluginPath: string[];
  workerConfig?: Record<string, string> | undefined;
}

/** A distributed worker's properties file. */
export function workerProperties(settings: WorkerSettings): string {
  const replication = Math.min(3, settings.brokers);
  const properties: Record<string, string | number | boolean> = {
    'bootstrap.servers': settings.bootstrap.join(','),
    'group.id': 'kafka-drill-connect',
    listeners: settings.listener,
    'rest.advertised.host.name': settings.advertised.host,
    'rest.advertised.port': settings.advertised.port,
    'key.converter': 'org.apache.kafka.connect.json.JsonConverter',
    'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
    'config.storage.topic': CONNECT_STORAGE_TOPICS.config,
    'offset.storage.topic': CONNECT_STORAGE_TOPICS.offset,
    'status.storage.topic': CONNECT_STORAGE_TOPICS.status,
    'config.storage.replication.factor': replication,
    'offset.storage.replication.factor': replication,
    'status.storage.replication.factor': replication,
    'offset.storage.partitions': 5,
    'status.storage.partitions': 1,
    // Offsets reach Kafka within a second: a snapshot taken right after a write sees them.
    'offset.flush.interval.ms': 1_000,
    'scheduled.rebalance.max.delay.ms': 0,
    // Scanning every jar (the default, hybrid_warn) took 20 s of a loaded worker's start-up;
    // Kafka's own connectors and current third-party plugins (Debezium) ship ServiceLoader manifests.
    'plugin.discovery': 'service_load',
  };
  // 4.x refuses an empty plugin.path; Kafka's own connectors (connect-file) are on the classpath anyway.
  if (settings.pluginPath.length > 0) properties['plugin.path'] = settings.pluginPath.join(',');
  const sasl = settings.sasl;
  const tls = settings.tls;
  for (const prefix of ['', 'producer.', 'consumer.', 'admin.']) {
    if (sasl) {
      properties[`${prefix}security.protocol`] = tls ? 'SASL_SSL' : 'SASL_PLAINTEXT';
      properties[`${prefix}sasl.mechanism`] = sasl.mechanism;
      properties[`${prefix}sasl.jaas.config`] = `org.apache.kafka.common.security.scram.ScramLoginModule required username="${sasl.username}" password="${sasl.password}";`;
    } else if (tls) properties[`${prefix}security.protocol`] = 'SSL';
    if (tls) {
      properties[`${prefix}ssl.truststore.type`] = 'PEM';
      properties[`${prefix}ssl.truststore.location`] = tls.truststorePath;
      if (tls.adminKeystorePath) {
        properties[`${prefix}ssl.keystore.type`] = 'PEM';
        properties[`${prefix}ssl.keystore.location`] = tls.adminKeystorePath;
      }
    }
  }
  Object.assign(properties, settings.workerConfig ?? {});
  return (
    Object.entries(properties)
      .map(([key, value]) => `${key}=${String(value).replaceAll('\\', '\\\\')}`)
      .join('\n') + '\n'
  );
}

/**
 * Ready: GET /connectors answers 200 (the worker has joined its group and read the config topic).
 * `gone` says why the worker can no longer start (its JVM or container exited), or undefined.
 */
export async function waitUntilServing(worker: { url: string; logFile: string }, gone: () => Promise<string | undefined>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastProblem = 'no answer yet';
  while (Date.now() < deadline) {
    const exit = await gone();
    if (exit !== undefined) {
      throw new InfrastructureError(`Kafka Connect worker ${worker.url} ${exit}; log: ${worker.logFile}`, await logTail(worker.logFile));
    }
    try {
      const response = await fetch(`${worker.url}/connectors`, { signal: AbortSignal.timeout(2_000) });
      if (response.status === 200) return;
      lastProblem = `GET /connectors answered ${response.status}`;
    } catch (error) {
      lastProblem = errorMessage(error);
    }
    await new Promise((resolveWait) => setTimeout(resolveWait, 500));
  }
  throw new InfrastructureError(
    `Kafka Connect worker ${worker.url} did not become ready within ${timeoutMs / 1000}s (${lastProblem}); log: ${worker.logFile}`,
    await logTail(worker.logFile),
  );
}
