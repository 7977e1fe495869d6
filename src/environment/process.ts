import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { InfrastructureError } from '../errors.js';
import { createAdmin, describeCluster } from '../kafka/admin.js';
import type { KafkaConnection } from '../kafka/connection.js';
import { resolveDistribution, type KafkaDistribution } from './distribution.js';
import { javaBinary, requireJava } from './java.js';
import { environmentMarker, startWatchdog, trackEnvironment } from './teardown.js';
import type { EnvironmentRequest, StartedBroker, StartedEnvironment } from './types.js';

/**
 * The `process` provider: a KRaft cluster of 1 or 3 combined broker+controller JVMs on
 * 127.0.0.1, each with its own directory under one temporary work dir.
 */

// Not "admin": a snapshot often has its own admin user, and restoring it must not lock the drill out.
export const ADMIN_USER = 'kafka-drill-admin';

interface NodePorts {
  nodeId: number;
  client: number;
  internal: number;
  controller: number;
}

export async function startProcessEnvironment(request: EnvironmentRequest): Promise<StartedEnvironment> {
  const started = performance.now();
  await requireJava();
  const distribution = await resolveDistribution(request.kafkaVersion);
  const workDir = await mkdtemp(join(tmpdir(), 'kafka-drill-env-'));
  const dismissWatchdog = startWatchdog(workDir, request.keepDirs ?? false);
  const jvms: ChildProcess[] = [];
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      await Promise.all(jvms.map(stopJvm));
      if (!request.keepDirs) await rm(workDir, { recursive: true, force: true });
      dismissWatchdog();
      untrack();
    })();
    return stopped;
  };
  const untrack = trackEnvironment({ stop });

  try {
    const clusterId = newClusterId();
    const adminPassword = request.security === 'scram' ? randomBytes(18).toString('hex') : undefined;
    const nodes = await allocatePorts(request.brokers);
    const nodeDirs = nodes.map((node) => join(workDir, `node-${node.nodeId}`));
    await Promise.all(
      nodes.map(async (node, index) => {
        const dir = nodeDirs[index]!;
        await mkdir(join(dir, 'data'), { recursive: true });
        await writeFile(join(dir, 'server.properties'), serverProperties(node, nodes, dir, request));
      }),
    );
    // Formatting is one JVM per node (each node's meta.properties holds its id); run them side by side.
    await Promise.all(nodeDirs.map((dir) => formatStorage(distribution, workDir, dir, clusterId, adminPassword)));
    request.signal?.throwIfAborted();

    const brokers: StartedBroker[] = nodes.map((node, index) => {
      const logFile = join(nodeDirs[index]!, 'broker.log');
      const jvm = spawnBroker(distribution, workDir, nodeDirs[index]!, logFile, request.heapMb ?? 512);
      jvms.push(jvm);
      return { nodeId: node.nodeId, pid: jvm.pid ?? -1, address: `127.0.0.1:${node.client}`, logFile };
    });

    const admin: KafkaConnection = {
      bootstrap: brokers.map((broker) => broker.address),
      clientId: 'kafka-drill',
      ...(adminPassword ? { sasl: { mechanism: 'SCRAM-SHA-512' as const, username: ADMIN_USER, password: adminPassword } } : {}),
    };
    await waitUntilReady(admin, brokers, jvms, clusterId, request.startTimeoutMs ?? 120_000, request.signal);

    return {
      provider: 'process',
      kafkaVersion: distribution.version,
      clusterId,
      security: request.security,
      brokers,
      admin,
      workDir,
      startupMs: Math.round(performance.now() - started),
      stop,
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

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function allocatePorts(count: number): Promise<NodePorts[]> {
  const ports = new Set<number>();
  while (ports.size < count * 3) ports.add(await freePort());
  const list = [...ports];
  return Array.from({ length: count }, (_, index) => ({
    nodeId: index + 1,
    client: list[index * 3]!,
    internal: list[index * 3 + 1]!,
    controller: list[index * 3 + 2]!,
  }));
}

function serverProperties(node: NodePorts, nodes: NodePorts[], dir: string, request: EnvironmentRequest): string {
  const replication = Math.min(3, nodes.length);
  const clientListener = request.security === 'scram' ? 'SASL_PLAINTEXT' : 'CLIENT';
  const properties: Record<string, string | number | boolean> = {
    'process.roles': 'broker,controller',
    'node.id': node.nodeId,
    'controller.quorum.voters': nodes.map((n) => `${n.nodeId}@127.0.0.1:${n.controller}`).join(','),
    'controller.listener.names': 'CONTROLLER',
    // Broker↔controller and inter-broker traffic stay PLAINTEXT on loopback: SCRAM credentials live in
    // the metadata log, so controllers cannot use them. They authenticate as User:ANONYMOUS (a super user).
    listeners: `${clientListener}://127.0.0.1:${node.client},INTERNAL://127.0.0.1:${node.internal},CONTROLLER://127.0.0.1:${node.controller}`,
    'advertised.listeners': `${clientListener}://127.0.0.1:${node.client},INTERNAL://127.0.0.1:${node.internal}`,
    'inter.broker.listener.name': 'INTERNAL',
    'listener.security.protocol.map': `${clientListener}:${request.security === 'scram' ? 'SASL_PLAINTEXT' : 'PLAINTEXT'},INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT`,
    'log.dirs': join(dir, 'data'),
    'auto.create.topics.enable': false,
    'num.partitions': 1,
    'offsets.topic.replication.factor': replication,
    'offsets.topic.num.partitions': 10,
    'transaction.state.log.replication.factor': replication,
    'transaction.state.log.min.isr': Math.min(2, replication),
    'transaction.state.log.num.partitions': 5,
    'share.coordinator.state.topic.replication.factor': replication,
    'share.coordinator.state.topic.min.isr': Math.min(2, replication),
    'group.initial.rebalance.delay.ms': 0,
  };
  if (request.security === 'scram') {
    Object.assign(properties, {
      'sasl.enabled.mechanisms': 'SCRAM-SHA-256,SCRAM-SHA-512',
      'listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config': 'org.apache.kafka.common.security.scram.ScramLoginModule required;',
      'listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config': 'org.apache.kafka.common.security.scram.ScramLoginModule required;',
      'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
      'super.users': `User:${ADMIN_USER};User:ANONYMOUS`,
      'allow.everyone.if.no.acl.found': false,
    });
  }
  return Object.entries(properties).map(([key, value]) => `${key}=${value}`).join('\n') + '\n';
}

function jvmArgs(distribution: KafkaDistribution, workDir: string, heapMb: number): string[] {
  return [
    `-Xmx${heapMb}m`,
    '-Xms64m',
    '-XX:+ExitOnOutOfMemoryError',
    '-Djava.awt.headless=true',
    '-Dorg.slf4j.simpleLogger.showDateTime=true',
    environmentMarker(workDir),
    '-cp',
    join(distribution.libsDir, '*'),
  ];
}

async function formatStorage(distribution: KafkaDistribution, workDir: string, dir: string, clusterId: string, adminPassword: string | undefined) {
  const scram = adminPassword
    ? ['SCRAM-SHA-256', 'SCRAM-SHA-512'].flatMap((mechanism) => ['--add-scram', `${mechanism}=[name=${ADMIN_USER},password=${adminPassword}]`])
    : [];
  const result = await execa(
    javaBinary(),
    [...jvmArgs(distribution, workDir, 256), 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', join(dir, 'server.properties'), ...scram],
    { reject: false, all: true },
  );
  if (result.exitCode !== 0) {
    // The command line carries the admin password: report only the tool's output, with the password masked.
    const output = (result.all ?? '').replaceAll(adminPassword ?? '\u0000', '***');
    throw new InfrastructureError(`formatting Kafka storage failed (exit ${result.exitCode})`, output.slice(-4000));
  }
}

function spawnBroker(distribution: KafkaDistribution, workDir: string, dir: string, logFile: string, heapMb: number): ChildProcess {
  const log = openSync(logFile, 'a');
  try {
    const jvm = spawn(javaBinary(), [...jvmArgs(distribution, workDir, heapMb), 'kafka.Kafka', join(dir, 'server.properties')], {
      stdio: ['ignore', log, log],
    });
    jvm.on('error', () => {});
    return jvm;
  } finally {
    closeSync(log);
  }
}

function exited(jvm: ChildProcess): boolean {
  return jvm.exitCode !== null || jvm.signalCode !== null;
}

async function stopJvm(jvm: ChildProcess): Promise<void> {
  if (exited(jvm)) return;
  const gone = new Promise<void>((resolve) => jvm.once('exit', () => resolve()));
  // The environment is disposable: a second for a clean exit, then kill. A 3-broker controlled
  // shutdown would otherwise cost ~5 s per drill for nothing.
  jvm.kill('SIGTERM');
  const timer = setTimeout(() => jvm.kill('SIGKILL'), 1_000);
  await gone;
  clearTimeout(timer);
}

async function logTail(file: string, lines = 40): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.split('\n').slice(-lines).join('\n');
}

/** Ready: a client describes the cluster, it has our cluster id, and every broker is registered. */
async function waitUntilReady(connection: KafkaConnection, brokers: StartedBroker[], jvms: ChildProcess[], clusterId: string, timeoutMs: number, signal?: AbortSignal) {
  const deadline = Date.now() + timeoutMs;
  let lastProblem = 'no answer yet';
  while (Date.now() < deadline) {
    signal?.throwIfAborted();
    const dead = jvms.findIndex(exited);
    if (dead >= 0) {
      const broker = brokers[dead]!;
      throw new InfrastructureError(
        `Kafka broker ${broker.nodeId} exited during start-up (code ${jvms[dead]!.exitCode}); log: ${broker.logFile}`,
        await logTail(broker.logFile),
      );
    }
    const admin = createAdmin(connection, { timeoutMs: 2_000 });
    try {
      const cluster = await describeCluster(admin);
      if (cluster.clusterId !== clusterId) lastProblem = `answered with cluster id ${cluster.clusterId}`;
      else if (cluster.brokerIds.length === brokers.length) return;
      else lastProblem = `${cluster.brokerIds.length} of ${brokers.length} brokers registered`;
    } catch (error) {
      lastProblem = (error as Error).message;
    } finally {
      await admin.close().catch(() => {});
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const tails = await Promise.all(brokers.map(async (b) => `--- broker ${b.nodeId} (${b.logFile}) ---\n${await logTail(b.logFile, 20)}`));
  throw new InfrastructureError(`Kafka did not become ready within ${timeoutMs / 1000}s (${lastProblem})`, tails.join('\n'));
}
