import { DEFAULT_HEAP_MB } from '../sizing.js';
import { EXIT_LOG_LINES, exitOf, firstErrors, hasExited, logTail } from '../process-exit.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { errorMessage, InfrastructureError } from '../../errors.js';
import { createAdmin, describeCluster } from '../../kafka/admin.js';
import type { KafkaConnection } from '../../kafka/connection.js';
import { brokerProperties, DRILL_OFFSETS_TOPIC_PARTITIONS, propertiesText, type NodeListeners } from '../broker-config.js';
import { groupCoordinatorProblem } from '../coordinator.js';
import { resolveDistribution, type KafkaDistribution } from '../../runtime/distribution.js';
import { javaBinary, requireJava } from '../../runtime/java.js';
import { freePorts } from '../ports.js';
import { environmentMarker, recordProcessGroup, startWatchdog, trackEnvironment } from '../teardown.js';
import type { EnvironmentRequest, StartedBroker, StartedConnect, StartedEnvironment } from '../types.js';
import { startConnectWorkers } from '../connect/worker.js';
import { startPostgres, type RunningPostgres } from '../connect/postgres.js';
import { environmentTls, prepareTls, tlsBrokerInput } from '../tls/tls.js';
import { ADMIN_USER, securityProfile } from '../../model/enums.js';

/**
 * The `process` provider: a KRaft cluster of 1 to 5 combined broker+controller JVMs on
 * 127.0.0.1, each with its own directory under one temporary work dir and in its own process
 * group (a Ctrl-C in the terminal reaches the drill, which tears down; never the brokers directly).
 */

/** Starts with fresh ports when a JVM found one of its ports taken: at most this many times. */
const PORT_ATTEMPTS = 3;

export async function startProcessEnvironment(request: EnvironmentRequest): Promise<StartedEnvironment> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(request);
    } catch (error) {
      // Ports are checked free, then bound by the JVMs seconds later: a drill starting beside this
      // one may take one first. Everything of the failed start is gone (stop() ran); start again.
      const portTaken = error instanceof InfrastructureError && /Address already in use/.test(error.message);
      if (!portTaken || attempt >= PORT_ATTEMPTS || request.signal?.aborted) throw error;
    }
  }
}

async function startOnce(request: EnvironmentRequest): Promise<StartedEnvironment> {
  const started = performance.now();
  await requireJava();
  const distribution = await resolveDistribution(request.kafkaVersion);
  const workDir = await mkdtemp(join(tmpdir(), 'kafka-drill-env-'));
  const dismissWatchdog = startWatchdog(workDir, request.keepDirs ?? false);
  const jvms: ChildProcess[] = [];
  const connectJvms: ChildProcess[] = [];
  let connect: StartedConnect | undefined;
  let postgres: RunningPostgres | undefined;
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      // Workers first: a worker outliving its brokers spends its grace period retrying them.
      await Promise.all(connectJvms.map(stopJvm));
      await Promise.all(jvms.map(stopJvm));
      await postgres?.stop();
      if (!request.keepDirs) await rm(workDir, { recursive: true, force: true });
      dismissWatchdog();
      untrack();
    })();
    return stopped;
  };
  const untrack = trackEnvironment({ stop });

  // Each broker is a JVM to start on the same cores: the deadline grows with the work (1 broker: 120 s).
  const startTimeoutMs = request.startTimeoutMs ?? 90_000 + 30_000 * request.brokers;
  const heapMb = request.heapMb ?? DEFAULT_HEAP_MB;
  try {
    const clusterId = newClusterId();
    const adminPassword = securityProfile(request.security).scram ? randomBytes(18).toString('hex') : undefined;
    const tls = securityProfile(request.security).tls ? await prepareTls(workDir, request.security, ['127.0.0.1', 'localhost'], request.principalMappingRules) : undefined;
    const nodes = await allocatePorts(request.nodeIds ?? Array.from({ length: request.brokers }, (_, index) => index + 1));
    const nodeDirs = nodes.map((node) => join(workDir, `node-${node.nodeId}`));
    await Promise.all(
      nodes.map(async (node, index) => {
        const dir = nodeDirs[index]!;
        await mkdir(join(dir, 'data'), { recursive: true });
        const properties = brokerProperties({
          node,
          nodes,
          security: request.security,
          dataDir: join(dir, 'data'),
          heapMb,
          ...tlsBrokerInput(tls),
          ...(request.offsetsTopicPartitions ? { offsetsTopicPartitions: request.offsetsTopicPartitions } : {}),
        });
        await writeFile(join(dir, 'server.properties'), propertiesText(properties));
      }),
    );
    if (request.postgres) postgres = await startPostgres(workDir, { timeoutMs: startTimeoutMs, ...(request.signal ? { signal: request.signal } : {}) });
    // Formatting is one JVM per node (each node's meta.properties holds its id); run them side by side.
    await Promise.all(nodeDirs.map((dir) => formatStorage(distribution, workDir, dir, clusterId, adminPassword, request.signal)));
    request.signal?.throwIfAborted();

    const brokers: StartedBroker[] = nodes.map((node, index) => {
      const logFile = join(nodeDirs[index]!, 'broker.log');
      const jvm = spawnBroker(distribution, workDir, nodeDirs[index]!, logFile, heapMb);
      jvms.push(jvm);
      return { nodeId: node.nodeId, pid: jvm.pid ?? -1, address: `127.0.0.1:${node.clientPort}`, logFile };
    });

    const admin: KafkaConnection = {
      bootstrap: brokers.map((broker) => broker.address),
      clientId: 'kafka-drill',
      ...(adminPassword ? { sasl: { mechanism: 'SCRAM-SHA-512' as const, username: ADMIN_USER, password: adminPassword } } : {}),
      ...(tls ? { tls: tls.adminTls } : {}),
    };
    await waitUntilReady(admin, brokers, jvms, clusterId, request.offsetsTopicPartitions ?? DRILL_OFFSETS_TOPIC_PARTITIONS, startTimeoutMs, request.signal);
    if (request.connect) {
      request.signal?.throwIfAborted();
      connect = await startConnectWorkers({
        distribution,
        workDir,
        admin,
        ...(tls ? { tls } : {}),
        brokers: request.brokers,
        request: request.connect,
        timeoutMs: startTimeoutMs,
        jvms: connectJvms,
      });
    }

    return {
      provider: 'process',
      kafkaVersion: distribution.version,
      clusterId,
      security: request.security,
      brokers,
      admin,
      ...(tls ? { tls: environmentTls(tls) } : {}),
      workDir,
      startupMs: Math.round(performance.now() - started),
      ...(connect ? { connect } : {}),
      ...(postgres ? { postgres: postgres.facts } : {}),
      exitedProcesses: async () => {
        if (stopped) return [];
        const processes = [
          ...brokers.map((broker, index) => ({ name: `Kafka broker ${broker.nodeId}`, jvm: jvms[index]!, logFile: broker.logFile })),
          ...(connect?.workers ?? []).map((worker) => ({
            name: `Kafka Connect worker ${worker.url}`,
            jvm: connectJvms.find((jvm) => jvm.pid === worker.pid),
            logFile: worker.logFile,
          })),
          ...(postgres ? [{ name: `the drill's PostgreSQL (pid ${postgres.facts.pid})`, jvm: postgres.process, logFile: postgres.facts.logFile }] : []),
        ];
        const ended = processes.filter((entry): entry is typeof entry & { jvm: ChildProcess } => entry.jvm !== undefined && hasExited(entry.jvm));
        return Promise.all(ended.map(async ({ name, jvm, logFile }) => ({ name, exit: exitOf(jvm), logFile, logTail: await logTail(logFile, EXIT_LOG_LINES) })));
      },
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

async function allocatePorts(nodeIds: number[]): Promise<NodeListeners[]> {
  const list = await freePorts(nodeIds.length * 3);
  return nodeIds.map((nodeId, index) => ({
    nodeId,
    host: '127.0.0.1',
    clientPort: list[index * 3]!,
    internalPort: list[index * 3 + 1]!,
    controllerPort: list[index * 3 + 2]!,
  }));
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

/**
 * Formats one node's storage. The admin password rides in a java @argfile (mode 0600, removed
 * right after), never on the command line, where any local user could read it.
 */
async function formatStorage(distribution: KafkaDistribution, workDir: string, dir: string, clusterId: string, adminPassword: string | undefined, signal?: AbortSignal) {
  const scram = adminPassword ? ['SCRAM-SHA-256', 'SCRAM-SHA-512'].flatMap((mechanism) => ['--add-scram', `${mechanism}=[name=${ADMIN_USER},password=${adminPassword}]`]) : [];
  const argFile = join(dir, 'format.args');
  await writeFile(argFile, javaArgFile(['kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', join(dir, 'server.properties'), ...scram]), { mode: 0o600 });
  try {
    const format = execa(javaBinary(), [...jvmArgs(distribution, workDir, 256), `@${argFile}`], {
      reject: false,
      all: true,
      detached: true,
      ...(signal ? { cancelSignal: signal } : {}),
    });
    recordProcessGroup(workDir, format.pid);
    const result = await format;
    if (result.exitCode !== 0) {
      const output = (result.all ?? '').replaceAll(adminPassword ?? '\u0000', '***');
      throw new InfrastructureError(`formatting Kafka storage failed (exit ${result.exitCode})`, output.slice(-4000));
    }
  } finally {
    await rm(argFile, { force: true });
  }
}

/** A java launcher @argfile: one argument a line, quoted, with backslashes and quotes escaped. */
export function javaArgFile(args: string[]): string {
  return args.map((arg) => `"${arg.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`).join('\n') + '\n';
}

function spawnBroker(distribution: KafkaDistribution, workDir: string, dir: string, logFile: string, heapMb: number): ChildProcess {
  const log = openSync(logFile, 'a');
  try {
    // detached: its own process group, out of reach of the terminal's Ctrl-C; stop() and the watchdog end it.
    const jvm = spawn(javaBinary(), [...jvmArgs(distribution, workDir, heapMb), 'kafka.Kafka', join(dir, 'server.properties')], {
      stdio: ['ignore', log, log],
      detached: true,
    });
    recordProcessGroup(workDir, jvm.pid);
    jvm.on('error', () => {});
    return jvm;
  } finally {
    closeSync(log);
  }
}

/** Signals the JVM's whole process group (its pid is the group id). */
function signalGroup(jvm: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (jvm.pid !== undefined) process.kill(-jvm.pid, signal);
  } catch {
    // the group is gone already
  }
}

async function stopJvm(jvm: ChildProcess): Promise<void> {
  if (hasExited(jvm)) return;
  const gone = new Promise<void>((resolve) => jvm.once('exit', () => resolve()));
  // The environment is disposable: a second for a clean exit, then kill. A 3-broker controlled
  // shutdown would otherwise cost ~5 s per drill for nothing.
  signalGroup(jvm, 'SIGTERM');
  const timer = setTimeout(() => signalGroup(jvm, 'SIGKILL'), 1_000);
  await gone;
  clearTimeout(timer);
}

/**
 * Ready: a client describes the cluster, it has our cluster id, every broker is registered under
 * its node id, and the group coordinator answers for every `__consumer_offsets` partition.
 */
async function waitUntilReady(
  connection: KafkaConnection,
  brokers: StartedBroker[],
  jvms: ChildProcess[],
  clusterId: string,
  offsetsTopicPartitions: number,
  timeoutMs: number,
  signal?: AbortSignal,
) {
  const nodeIds = brokers.map((broker) => broker.nodeId).sort((a, b) => a - b);
  const deadline = Date.now() + timeoutMs;
  let lastProblem = 'no answer yet';
  while (Date.now() < deadline) {
    signal?.throwIfAborted();
    const dead = jvms.findIndex(hasExited);
    if (dead >= 0) {
      const broker = brokers[dead]!;
      const why = await firstErrors(broker.logFile);
      throw new InfrastructureError(
        `Kafka broker ${broker.nodeId} exited during start-up (${exitOf(jvms[dead]!)})${why.length ? `: ${why.join(' | ')}` : ''}; log: ${broker.logFile}`,
        await logTail(broker.logFile),
      );
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
