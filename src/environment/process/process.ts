import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { errorMessage, InfrastructureError } from '../../errors.js';
import { propertiesText, type NodeListeners } from '../broker-config.js';
import { startCluster, type ClusterRuntime } from '../cluster.js';
import { resolveDistribution, type KafkaDistribution } from '../../runtime/distribution.js';
import { classDataSharing, type ClassDataSharing } from '../../runtime/class-data-sharing.js';
import { javaBinary, requireJava } from '../../runtime/java.js';
import { jvmArgs, spawnJvm, stopJvm } from '../jvm.js';
import { brokerOpenFilesLimit, readHostLimits } from '../host-limits.js';
import { openFilesForPartitions } from '../sizing.js';
import { freePorts } from '../ports.js';
import { EXIT_LOG_LINES, exitOf, firstErrors, hasExited, logTail } from '../process-exit.js';
import { recordOwnedDirectory, recordProcessGroup, removeTree, startWatchdog } from '../teardown.js';
import { memoryStorageRoot } from '../broker-storage.js';
import type { EnvironmentRequest, StartedBroker, StartedConnect, StartedEnvironment } from '../types.js';
import { startConnectWorkers } from '../connect/worker.js';
import { startPostgres, type RunningPostgres } from '../connect/postgres.js';
import { ADMIN_USER } from '../../model/enums.js';
import { installJmxExporter, jmxAgentOption, localJmxAgent, type JmxAgent } from '../../runtime/jmx-exporter.js';
import { startZooKeeper, type RunningZooKeeper } from './zookeeper.js';
import { withAdmin } from '../../kafka/admin.js';
import { upsertScramCredentials } from '../../kafka/scram.js';

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
      return await startCluster(request, processRuntime(request));
    } catch (error) {
      // Ports are checked free, then bound by the JVMs seconds later: a drill starting beside this
      // one may take one first. Everything of the failed start is gone (stop() ran); start again.
      const portTaken = error instanceof InfrastructureError && /Address already in use/.test(error.message);
      if (!portTaken || attempt >= PORT_ATTEMPTS || request.signal?.aborted) throw error;
    }
  }
}

/** Local JVMs: one directory and one process group per node, Connect workers and PostgreSQL beside them. */
function processRuntime(request: EnvironmentRequest): ClusterRuntime<'process', Pick<StartedEnvironment, 'postgres' | 'zookeeper'>> {
  let distribution: KafkaDistribution;
  const jvms: ChildProcess[] = [];
  const connectJvms: ChildProcess[] = [];
  let brokers: StartedBroker[] = [];
  let connect: StartedConnect | undefined;
  let postgres: RunningPostgres | undefined;
  let agentJar: string | undefined;
  let agent: JmxAgent | undefined;
  let openFiles: number | undefined;
  let zookeeper: RunningZooKeeper | undefined;
  let sharing: ClassDataSharing | undefined;
  /** Every JVM's options: the shared class archive, and C1 only for a small cluster. */
  let jvmOptions: string[] = [];
  /** ZooKeeper mode with SCRAM: the admin's password, until its credentials are created. */
  let pendingAdminPassword: string | undefined;
  let internalAddress = '';
  /** The brokers' data on a memory filesystem, outside the work dir (which stays where TMPDIR says). */
  let memoryDir: string | undefined;
  let storage: NonNullable<StartedBroker['storage']> = { kind: 'disk' };
  return {
    provider: 'process',
    // Each broker is a JVM to start on the same cores: the deadline grows with the work (1 broker: 120 s).
    startTimeoutMs: (count) => 90_000 + 30_000 * count,
    prepare: async () => {
      // Before anything starts: a broker short of descriptors fails minutes in ("all log dirs have failed").
      openFiles = brokerOpenFilesLimit(request.openFiles ?? openFilesForPartitions(0), readHostLimits());
      await requireJava();
      distribution = await resolveDistribution(request.kafkaVersion);
      sharing = await classDataSharing(distribution, request.signal);
      jvmOptions = [...sharing.options, ...(request.quickJit ? ['-XX:TieredStopAtLevel=1'] : [])];
      if (request.jmxExporter) agentJar = await installJmxExporter();
      return { kafkaVersion: distribution.version };
    },
    startWatchdog,
    placeNodes: () => allocatePorts(request.nodeIds ?? Array.from({ length: request.brokers }, (_, index) => index + 1)),
    launch: async (cluster) => {
      const { workDir } = cluster;
      const nodeDirs = cluster.nodes.map((node) => join(workDir, `node-${node.nodeId}`));
      // Drawn beside the listeners' ports (checked free, not yet bound): enough to leave those out.
      const listenerPorts = new Set(cluster.nodes.flatMap((node) => [node.clientPort, node.internalPort, node.controllerPort]));
      if (request.metadata === 'zookeeper') {
        const port = (await freePorts(listenerPorts.size + 1)).find((candidate) => !listenerPorts.has(candidate))!;
        listenerPorts.add(port);
        zookeeper = await startZooKeeper(distribution, workDir, port, cluster.clusterId, cluster.timeoutMs);
        pendingAdminPassword = cluster.adminPassword;
        internalAddress = `127.0.0.1:${cluster.nodes[0]!.internalPort}`;
      }
      if (request.brokerStorage === 'memory') {
        const memory = memoryStorageRoot(request.brokerDataBytes);
        if ('root' in memory) {
          // Recorded before it exists: a kill -9 right after mkdir leaves the watchdog its name.
          const dir = join(memory.root, `kafka-drill-data-${randomBytes(6).toString('hex')}`);
          recordOwnedDirectory(workDir, dir);
          await mkdir(dir, { mode: 0o700 });
          memoryDir = dir;
          storage = { kind: 'memory' };
        } else storage = { kind: 'disk', fallback: memory.unavailable };
      }
      const dataDirs = cluster.nodes.map((node, index) => (memoryDir ? join(memoryDir, `node-${node.nodeId}`) : join(nodeDirs[index]!, 'data')));
      await Promise.all(
        cluster.nodes.map(async (node, index) => {
          const dir = nodeDirs[index]!;
          await mkdir(dir, { recursive: true });
          await mkdir(dataDirs[index]!, { recursive: true });
          await writeFile(join(dir, 'server.properties'), propertiesText(cluster.properties(node, dataDirs[index]!, undefined, zookeeper?.address)));
        }),
      );
      if (request.postgres) postgres = await startPostgres(workDir, { timeoutMs: cluster.timeoutMs, ...(request.signal ? { signal: request.signal } : {}) });
      // Formatting is one JVM per node (each node's meta.properties holds its id); run them side by side.
      // A ZooKeeper-mode broker has no storage to format: it registers in ZooKeeper.
      if (!zookeeper) await Promise.all(nodeDirs.map((dir) => formatStorage(distribution, workDir, dir, cluster.clusterId, cluster.adminPassword, jvmOptions, request.signal)));
      request.signal?.throwIfAborted();
      if (agentJar) agent = await localJmxAgent(agentJar, workDir);
      const metricsPorts = agent ? (await freePorts(cluster.nodes.length + listenerPorts.size)).filter((port) => !listenerPorts.has(port)) : [];
      brokers = cluster.nodes.map((node, index) => {
        const logFile = join(nodeDirs[index]!, 'broker.log');
        const metricsPort = metricsPorts[index];
        const options = [...jvmOptions, ...(index === 0 ? sharing!.recordOptions : []), ...(agent && metricsPort ? [jmxAgentOption(agent, metricsPort, '127.0.0.1')] : [])];
        const jvm = spawnJvm(distribution, workDir, cluster.heapMb, ['kafka.Kafka', join(nodeDirs[index]!, 'server.properties')], logFile, options, openFiles);
        jvms.push(jvm);
        return {
          nodeId: node.nodeId,
          pid: jvm.pid ?? -1,
          address: `127.0.0.1:${node.clientPort}`,
          logFile,
          storage,
          ...(openFiles !== undefined ? { openFilesLimit: openFiles } : {}),
          ...(metricsPort ? { metricsUrl: `http://127.0.0.1:${metricsPort}/metrics` } : {}),
        };
      });
      return brokers;
    },
    checkNodes: async () => {
      if (zookeeper && hasExited(zookeeper.jvm)) {
        throw new InfrastructureError(`ZooKeeper exited during start-up (${exitOf(zookeeper.jvm)}); log: ${zookeeper.logFile}`, await logTail(zookeeper.logFile));
      }
      const dead = jvms.findIndex(hasExited);
      if (dead >= 0) {
        const broker = brokers[dead]!;
        const why = await firstErrors(broker.logFile);
        throw new InfrastructureError(
          `Kafka broker ${broker.nodeId} exited during start-up (${exitOf(jvms[dead]!)})${why.length ? `: ${why.join(' | ')}` : ''}; log: ${broker.logFile}`,
          await logTail(broker.logFile),
        );
      }
      if (pendingAdminPassword !== undefined) {
        // ZooKeeper mode has no storage format to seed the admin's SCRAM credentials: a client on the
        // PLAINTEXT internal listener (User:ANONYMOUS, a super user) creates them once a broker answers.
        const problem = await createAdminCredentials(internalAddress, pendingAdminPassword);
        if (problem !== undefined) return { waiting: problem };
        pendingAdminPassword = undefined;
      }
      return {};
    },
    startConnect: async (start) => {
      connect = await startConnectWorkers({
        distribution,
        workDir: start.workDir,
        admin: start.admin,
        ...(start.tls ? { tls: start.tls } : {}),
        brokers: start.brokers,
        request: start.request,
        timeoutMs: start.timeoutMs,
        jvms: connectJvms,
        ...(agent ? { jmxAgent: agent } : {}),
        jvmOptions,
      });
      return connect;
    },
    exitedProcesses: async () => {
      const processes = [
        ...brokers.map((broker, index) => ({ name: `Kafka broker ${broker.nodeId}`, jvm: jvms[index]!, logFile: broker.logFile })),
        ...(connect?.workers ?? []).map((worker) => ({
          name: `Kafka Connect worker ${worker.url}`,
          jvm: connectJvms.find((jvm) => jvm.pid === worker.pid),
          logFile: worker.logFile,
        })),
        ...(postgres ? [{ name: `the drill's PostgreSQL (pid ${postgres.facts.pid})`, jvm: postgres.process, logFile: postgres.facts.logFile }] : []),
        ...(zookeeper ? [{ name: `ZooKeeper ${zookeeper.address}`, jvm: zookeeper.jvm, logFile: zookeeper.logFile }] : []),
      ];
      const ended = processes.filter((entry): entry is typeof entry & { jvm: ChildProcess } => entry.jvm !== undefined && hasExited(entry.jvm));
      return Promise.all(ended.map(async ({ name, jvm, logFile }) => ({ name, exit: exitOf(jvm), logFile, logTail: await logTail(logFile, EXIT_LOG_LINES) })));
    },
    extra: () => ({
      ...(postgres ? { postgres: postgres.facts } : {}),
      ...(zookeeper ? { zookeeper: { address: zookeeper.address, pid: zookeeper.jvm.pid ?? -1, logFile: zookeeper.logFile } } : {}),
    }),
    remove: async () => {
      // Workers first: a worker outliving its brokers spends its grace period retrying them.
      await Promise.all(connectJvms.map(stopJvm));
      await Promise.all(jvms.map(stopJvm));
      await sharing?.keepRecording().catch(() => {});
      // After the brokers: a broker that loses ZooKeeper first spends its shutdown reconnecting.
      if (zookeeper) await stopJvm(zookeeper.jvm);
      await postgres?.stop();
      if (memoryDir && !request.keepDirs) await removeTree(memoryDir);
    },
  };
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

/**
 * Formats one node's storage. The admin password rides in a java @argfile (mode 0600, removed
 * right after), never on the command line, where any local user could read it.
 */
async function formatStorage(
  distribution: KafkaDistribution,
  workDir: string,
  dir: string,
  clusterId: string,
  adminPassword: string | undefined,
  jvmOptions: string[],
  signal?: AbortSignal,
) {
  const scram = adminPassword ? ['SCRAM-SHA-256', 'SCRAM-SHA-512'].flatMap((mechanism) => ['--add-scram', `${mechanism}=[name=${ADMIN_USER},password=${adminPassword}]`]) : [];
  const argFile = join(dir, 'format.args');
  await writeFile(argFile, javaArgFile(['kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', join(dir, 'server.properties'), ...scram]), { mode: 0o600 });
  try {
    const format = execa(javaBinary(), [...jvmArgs(distribution, workDir, 256), ...jvmOptions, `@${argFile}`], {
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

/** The admin's SCRAM credentials, both mechanisms, through a broker's internal listener; why not yet, or undefined once done. */
async function createAdminCredentials(internalAddress: string, password: string): Promise<string | undefined> {
  try {
    const errors = await withAdmin(
      { bootstrap: [internalAddress], clientId: 'kafka-drill' },
      (admin) =>
        upsertScramCredentials(
          admin,
          (['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const).map((mechanism) => ({ user: ADMIN_USER, mechanism, iterations: 8192, password })),
        ),
      { timeoutMs: 5_000 },
    );
    return errors.length ? `creating the admin's SCRAM credentials: ${errors.map((error) => `${error.error}: ${error.message}`).join('; ')}` : undefined;
  } catch (error) {
    return `creating the admin's SCRAM credentials: ${errorMessage(error)}`;
  }
}
