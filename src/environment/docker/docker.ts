import { EXIT_LOG_LINES, logTail } from '../process-exit.js';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { GenericContainer, ImageName, Wait, type ContainerRuntimeClient, type StartedTestContainer } from 'testcontainers';
import { InfrastructureError } from '../../errors.js';
import { propertiesText, type NodeListeners } from '../broker-config.js';
import { startCluster, type ClusterRuntime } from '../cluster.js';
import { DEFAULT_KAFKA_VERSION, checkSupportedVersion } from '../../runtime/distribution.js';
import { DRILL_LABEL, OWNER_HOST_LABEL, OWNER_PID_LABEL, dockerClient } from './engine.js';
import { buildKafkaImage, kafkaImageName } from './image.js';
import { ADMIN_USER } from '../../model/enums.js';
import { startDockerConnect } from './connect-worker.js';
import { startDockerWatchdog } from './watchdog.js';
import { CONTAINER_JMX_AGENT, CONTAINER_METRICS_PORT, containerJmxFiles, installJmxExporter, jmxAgentOption } from '../../runtime/jmx-exporter.js';
import type { EnvironmentRequest, ExitedProcess, StartedEnvironment } from '../types.js';
import { readHostLimits } from '../host-limits.js';

/**
 * The `docker` provider: a KRaft cluster of combined broker+controller containers on a
 * Docker network of the drill's own. Inside the network, nodes reach each other by alias
 * (`broker-N`) on an internal and a controller listener; clients on the host use the client
 * listener through its mapped port. The mapped port is only known once the container runs,
 * so a container starts waiting for its start script, and `containerStarted` writes the
 * script with the advertised listener in it (the trick of testcontainers' KafkaContainer).
 *
 * Connect workers, when asked for, join the same network, or the host's when they must reach
 * this host's loopback (connect-worker.ts).
 *
 * No Ryuk: every container and network carries DRILL_LABEL, `stop()` removes them, a detached
 * watchdog removes them when this process is killed (watchdog.ts), and the next start
 * sweeps whatever that could not reach.
 */

const CLIENT_PORT = 9092;
const CONTROLLER_PORT = 9093;
const INTERNAL_PORT = 9094;
/** Written by kafka-drill, readable by the image's user (root or apache/kafka's appuser). */
const CONFIG_DIR = '/tmp/kafka-drill';
/** Created by the start script, so it belongs to the image's user. */
const DATA_DIR = '/tmp/kafka-drill-data';
const WAITING_LINE = 'kafka-drill: waiting for the start script';
const FORMATTED_LINE = 'kafka-drill: storage formatted';
// The "go" file is copied after the script in the same archive, so the script is complete when it appears.
/**
 * A broker container's open-file limit. A container inherits the daemon's, and cannot be given
 * more than the daemon's hard limit (a daemon without CAP_SYS_RESOURCE: runc then fails with
 * "error setting rlimits"). This host's limit stands in for the daemon's: the containers keep it,
 * and get the snapshot's need only where that is more (the daemon must allow it).
 */
function containerOpenFiles(needed: number): { raise?: number; limit?: number } {
  const soft = readHostLimits().openFiles?.soft;
  if (soft === undefined) return needed > 0 ? { raise: needed, limit: needed } : {};
  return needed > soft ? { raise: needed, limit: needed } : Number.isFinite(soft) ? { limit: soft } : {};
}

const WAIT_COMMAND = `echo '${WAITING_LINE}'; while [ ! -f ${CONFIG_DIR}/go ]; do sleep 0.1; done; exec sh ${CONFIG_DIR}/start.sh`;

export interface DockerOptions {
  /** Image laid out like apache/kafka. Default: kafka-drill/kafka:V when built, else apache/kafka:V. */
  image?: string;
}

/** A docker environment, with what a container joining its network (a Connect worker) needs. */
export interface StartedDockerEnvironment extends StartedEnvironment {
  provider: 'docker';
  image: string;
  /** The drill's Docker network. */
  network: string;
  /**
   * broker-N:9094 for containers on `network`. This listener is PLAINTEXT and authenticates as
   * User:ANONYMOUS (a super user), like broker↔broker traffic; a Connect worker whose ACLs matter
   * needs a SASL listener of its own advertised on the network.
   */
  internalBootstrap: string[];
}

export async function startDockerEnvironment(request: EnvironmentRequest, options: DockerOptions = {}): Promise<StartedDockerEnvironment> {
  return startCluster(request, dockerRuntime(request, options));
}

type DockerExtra = Pick<StartedDockerEnvironment, 'image' | 'network' | 'internalBootstrap'>;

/** Containers on a network of the environment's own, every one carrying its label. */
function dockerRuntime(request: EnvironmentRequest, options: DockerOptions): ClusterRuntime<'docker', DockerExtra> {
  const environmentId = `kafka-drill-${randomBytes(6).toString('hex')}`;
  const labels = { [DRILL_LABEL]: environmentId, [OWNER_PID_LABEL]: String(process.pid), [OWNER_HOST_LABEL]: hostname() };
  let client!: ContainerRuntimeClient;
  let image!: string;
  let nodes: NodeListeners[] = [];
  let containers: BrokerContainerHandle[] = [];
  let formatted = false;
  let workDir = '';
  let agentFiles: Awaited<ReturnType<typeof containerJmxFiles>> = [];
  return {
    provider: 'docker',
    startTimeoutMs: () => 120_000,
    prepare: async () => {
      checkSupportedVersion(request.kafkaVersion);
      client = await dockerClient();
      await sweepAbandoned(client);
      image = options.image ?? (await defaultImage(client, request.kafkaVersion));
      await requireImage(client, image, request.kafkaVersion, options.image !== undefined);
      if (request.jmxExporter) agentFiles = await containerJmxFiles(await installJmxExporter());
      return { kafkaVersion: request.kafkaVersion };
    },
    startWatchdog: (dir, keepDir) => startDockerWatchdog(client, `${DRILL_LABEL}=${environmentId}`, keepDir ? undefined : dir),
    placeNodes: async () => {
      await client.network.create({ Name: environmentId, Driver: 'bridge', CheckDuplicate: true, Labels: labels });
      nodes = Array.from({ length: request.brokers }, (_, index) => ({
        nodeId: request.nodeIds?.[index] ?? index + 1,
        host: `broker-${index + 1}`,
        bindHost: '0.0.0.0',
        clientPort: CLIENT_PORT,
        internalPort: INTERNAL_PORT,
        controllerPort: CONTROLLER_PORT,
      }));
      return nodes;
    },
    launch: async (cluster) => {
      const { clusterId, adminPassword, tls, heapMb, timeoutMs, properties } = cluster;
      const openFiles = containerOpenFiles(request.openFiles ?? 0);
      workDir = cluster.workDir;
      const tlsFiles = tls ? { keystorePath: `${CONFIG_DIR}/tls/broker.pem`, truststorePath: `${CONFIG_DIR}/tls/ca.pem` } : undefined;
      const tlsContents = tls
        ? [
            { content: await readFile(tls.brokerKeystorePath, 'utf8'), target: tlsFiles!.keystorePath, mode: 0o644 },
            { content: await readFile(tls.truststorePath, 'utf8'), target: tlsFiles!.truststorePath, mode: 0o644 },
          ]
        : [];
      // Settled, not Promise.all: a failed node must not leave another still being created while stop() sweeps.
      const starts = await Promise.allSettled(
        nodes.map((node) => {
          const logFile = join(workDir, `${node.host}.log`);
          const startFiles = (advertisedClient: string) => [
            { content: propertiesText(properties({ ...node, advertisedClient }, DATA_DIR, tlsFiles)), target: `${CONFIG_DIR}/server.properties` },
            ...tlsContents,
            { content: startScript(clusterId, adminPassword), target: `${CONFIG_DIR}/start.sh` },
            { content: '', target: `${CONFIG_DIR}/go` },
          ];
          const container = new BrokerContainer(image, startFiles);
          if (openFiles.raise !== undefined) container.withUlimits({ nofile: { soft: openFiles.raise, hard: openFiles.raise } });
          // Gone with the container; its size bounded only by the engine host's memory, as /dev/shm is for the process provider.
          if (request.brokerStorage === 'memory') container.withTmpFs({ [DATA_DIR]: 'rw,mode=1777' });
          return container
            .withName(`${environmentId}-${node.host}`)
            .withNetworkMode(environmentId)
            .withNetworkAliases(node.host)
            .withExposedPorts(CLIENT_PORT, ...(agentFiles.length ? [CONTAINER_METRICS_PORT] : []))
            .withCopyContentToContainer(agentFiles)
            .withLabels(labels)
            .withEnvironment({ KAFKA_HEAP_OPTS: `-Xmx${heapMb}m -Xms64m -XX:+ExitOnOutOfMemoryError`, KAFKA_OPTS: brokerOptions(agentFiles.length > 0, request.quickJit === true) })
            .withEntrypoint(['sh', '-c'])
            .withCommand([WAIT_COMMAND])
            .withWaitStrategy(Wait.forLogMessage(WAITING_LINE))
            .withStartupTimeout(timeoutMs)
            .withLogConsumer((stream) => stream.pipe(createWriteStream(logFile)))
            .start()
            .then((container) => ({ container, logFile, nodeId: node.nodeId }));
        }),
      );
      const failedStart = starts.find((start) => start.status === 'rejected');
      if (failedStart) throw dockerFailure('starting a broker container failed', failedStart.reason);
      containers = starts.map((start) => (start as PromiseFulfilledResult<BrokerContainerHandle>).value);
      return containers.map(({ container, logFile, nodeId }) => ({
        nodeId,
        pid: -1,
        address: `${container.getHost()}:${container.getMappedPort(CLIENT_PORT)}`,
        logFile,
        storage: { kind: request.brokerStorage ?? 'disk' },
        ...(openFiles.limit !== undefined ? { openFilesLimit: openFiles.limit } : {}),
        ...(agentFiles.length ? { metricsUrl: `http://${container.getHost()}:${container.getMappedPort(CONTAINER_METRICS_PORT)}/metrics` } : {}),
      }));
    },
    checkNodes: async () => {
      // Formatting is a JVM per node before the broker's: like the process provider, the start-up
      // timeout counts from formatted storage (formatting gets a timeout of its own).
      let restartClock = false;
      if (!formatted) {
        const logs = await Promise.all(containers.map(({ logFile }) => readFile(logFile, 'utf8').catch(() => '')));
        formatted = restartClock = logs.every((log) => log.includes(FORMATTED_LINE));
      }
      for (const { container, logFile, nodeId } of containers) {
        const state = (await client.container.inspect(client.container.getById(container.getId()))).State;
        if (!state.Running) {
          throw new InfrastructureError(
            `Kafka broker ${nodeId} (container ${container.getName()}) exited during start-up (code ${state.ExitCode}); log: ${logFile}`,
            await logTail(logFile),
          );
        }
      }
      if (!formatted) return { waiting: 'storage not formatted yet' };
      // The userland proxy accepts a connection on a mapped port before the broker listens and then
      // drops it, which the admin library reports as an unhandled error: ask only once every node is up.
      const notStarted = [];
      for (const { logFile, nodeId } of containers) if (!BROKER_STARTED.test(await readFile(logFile, 'utf8').catch(() => ''))) notStarted.push(nodeId);
      return { restartClock, ...(notStarted.length > 0 ? { waiting: `broker ${notStarted.join(', ')} not started yet` } : {}) };
    },
    startConnect: ({ admin, tls, brokers, request: connect, timeoutMs }) =>
      startDockerConnect({
        client: client,
        image,
        network: environmentId,
        internalBootstrap: internalBootstrap(nodes),
        admin,
        tls,
        labels,
        namePrefix: environmentId,
        workDir,
        brokers,
        request: connect,
        timeoutMs,
        agentFiles,
      }),
    exitedProcesses: () => exitedContainers(client, environmentId, workDir, containers),
    extra: () => ({ image, network: environmentId, internalBootstrap: internalBootstrap(nodes) }),
    remove: () => removeLabelled(client, `${DRILL_LABEL}=${environmentId}`),
  };
}

function internalBootstrap(nodes: NodeListeners[]): string[] {
  return nodes.map((node) => `${node.host}:${INTERNAL_PORT}`);
}

/** Every container of the environment (brokers and Connect workers carry its label) that is not running. */
async function exitedContainers(client: ContainerRuntimeClient, environmentId: string, workDir: string, containers: BrokerContainerHandle[]): Promise<ExitedProcess[]> {
  const dockerode = client.container.dockerode;
  const listed = await dockerode.listContainers({ all: true, filters: { label: [`${DRILL_LABEL}=${environmentId}`] } }).catch(() => []);
  return Promise.all(
    listed
      .filter((container) => container.State !== 'running')
      .map(async (container) => {
        const name = container.Names[0]?.replace(/^\//, '') ?? container.Id;
        // "<environment id>-broker-3" or "-connect-1": the alias, which also names its log file.
        const alias = name.slice(environmentId.length + 1);
        const broker = containers.find((started) => started.container.getName().replace(/^\//, '') === name);
        const state = (
          await dockerode
            .getContainer(container.Id)
            .inspect()
            .catch(() => undefined)
        )?.State;
        const logFile = join(workDir, `${alias}.log`);
        return {
          name: broker ? `Kafka broker ${broker.nodeId} (container ${name})` : `Kafka Connect worker (container ${name})`,
          exit: state?.OOMKilled ? 'killed for memory' : `code ${state?.ExitCode ?? 'unknown'}`,
          logFile,
          logTail: await logTail(logFile, EXIT_LOG_LINES),
        };
      }),
  );
}

class BrokerContainer extends GenericContainer {
  constructor(
    image: string,
    private readonly startFiles: (advertisedClient: string) => { content: string; target: string; mode?: number }[],
  ) {
    super(image);
  }

  protected override async containerStarted(container: StartedTestContainer): Promise<void> {
    await container.copyContentToContainer(this.startFiles(`${container.getHost()}:${container.getMappedPort(CLIENT_PORT)}`));
  }
}

/**
 * The broker JVM's options (KAFKA_OPTS): the authorizer's DENIED decisions at INFO (kafka-drill's
 * images log through slf4j-simple to the container's output, the broker log the drill reads), C1
 * only for a small cluster (sizing.ts, QUICK_JIT_MAX_REPLICAS), and the JMX exporter's agent when
 * asked for.
 */
function brokerOptions(jmxExporter: boolean, quickJit: boolean): string {
  return [
    '-Dorg.slf4j.simpleLogger.log.kafka.authorizer.logger=info',
    ...(quickJit ? ['-XX:TieredStopAtLevel=1'] : []),
    ...(jmxExporter ? [jmxAgentOption(CONTAINER_JMX_AGENT, CONTAINER_METRICS_PORT)] : []),
  ].join(' ');
}

/** Formats the node's storage (with the admin's SCRAM credentials) and execs the broker, as the image's user. */
function startScript(clusterId: string, adminPassword: string | undefined): string {
  const scram = adminPassword ? ['SCRAM-SHA-256', 'SCRAM-SHA-512'].map((mechanism) => ` --add-scram '${mechanism}=[name=${ADMIN_USER},password=${adminPassword}]'`).join('') : '';
  return `set -e
mkdir -p ${DATA_DIR}
KAFKA_OPTS= KAFKA_HEAP_OPTS=-Xmx256m /opt/kafka/bin/kafka-storage.sh format -t ${clusterId} -c ${CONFIG_DIR}/server.properties${scram} > ${DATA_DIR}/format.log 2>&1 || { cat ${DATA_DIR}/format.log; exit 1; }
echo '${FORMATTED_LINE}'
exec /opt/kafka/bin/kafka-server-start.sh ${CONFIG_DIR}/server.properties
`;
}

/** kafka-drill/kafka:V when it was built here (air-gapped machines), else the official image. */
async function defaultImage(client: ContainerRuntimeClient, kafkaVersion: string): Promise<string> {
  const built = kafkaImageName(kafkaVersion);
  return (await client.image.exists(ImageName.fromString(built))) ? built : `apache/kafka:${kafkaVersion}`;
}

/**
 * What `run` and `env up` do before a docker drill, as they install Kafka for the process
 * provider: a named image is pulled if missing; without one, the default is used when present
 * (kafka-drill/kafka:V, then apache/kafka:V), else apache/kafka:V is pulled, and where no
 * registry answers kafka-drill/kafka:V is built (root and debootstrap, once per machine).
 */
export async function ensureDockerImage(kafkaVersion: string, image: string | undefined, log: (line: string) => void): Promise<string> {
  checkSupportedVersion(kafkaVersion);
  const client = await dockerClient();
  if (image !== undefined) {
    await requireImage(client, image, kafkaVersion, true);
    return image;
  }
  const official = `apache/kafka:${kafkaVersion}`;
  for (const candidate of [kafkaImageName(kafkaVersion), official]) if (await client.image.exists(ImageName.fromString(candidate))) return candidate;
  try {
    await client.image.pull(ImageName.fromString(official));
    return official;
  } catch (error) {
    log(`${official} could not be pulled (${(error as Error).message.split('\n')[0]}): building ${kafkaImageName(kafkaVersion)} without a registry`);
    const report = await buildKafkaImage(kafkaVersion, { log });
    log(`built ${report.image} in ${report.seconds.toFixed(0)}s`);
    return report.image;
  }
}

/** Pulls an image that is not there (the default pull policy); a failed pull says how to build one instead. */
async function requireImage(client: ContainerRuntimeClient, image: string, kafkaVersion: string, named: boolean): Promise<void> {
  const name = ImageName.fromString(image);
  if (await client.image.exists(name)) return;
  try {
    await client.image.pull(name);
  } catch (error) {
    throw new InfrastructureError(
      `Docker image ${image} is not present and could not be pulled` +
        (named ? '' : `: without a registry, build one with "kafka-drill image build --kafka-version ${kafkaVersion || DEFAULT_KAFKA_VERSION}"`),
      (error as Error).message,
    );
  }
}

/** Removes every container, then every network, matching a label filter ("key=value" or "key"). */
export async function removeLabelled(client: ContainerRuntimeClient, labelFilter: string): Promise<void> {
  const dockerode = client.container.dockerode;
  const containers = await dockerode.listContainers({ all: true, filters: { label: [labelFilter] } });
  await Promise.all(
    containers.map((container) =>
      dockerode
        .getContainer(container.Id)
        .remove({ force: true, v: true })
        .catch((error: { statusCode?: number }) => {
          if (error.statusCode !== 404 && error.statusCode !== 409) throw error;
        }),
    ),
  );
  const networks = await dockerode.listNetworks({ filters: { label: [labelFilter] } });
  await Promise.all(
    networks.map((network) =>
      dockerode
        .getNetwork(network.Id)
        .remove()
        .catch(() => {}),
    ),
  );
}

/** Environments whose kafka-drill process on this host is gone (killed, crashed): removed before starting a new one. */
export async function sweepAbandoned(client: ContainerRuntimeClient): Promise<string[]> {
  const dockerode = client.container.dockerode;
  const labelled = [
    ...(await dockerode.listContainers({ all: true, filters: { label: [DRILL_LABEL] } })).map((container) => container.Labels),
    ...(await dockerode.listNetworks({ filters: { label: [DRILL_LABEL] } })).map((network) => network.Labels ?? {}),
  ];
  const abandoned = new Set<string>();
  for (const labels of labelled) {
    const owner = Number(labels[OWNER_PID_LABEL]);
    if (labels[OWNER_HOST_LABEL] === hostname() && !processAlive(owner)) abandoned.add(labels[DRILL_LABEL]!);
  }
  for (const environmentId of abandoned) await removeLabelled(client, `${DRILL_LABEL}=${environmentId}`);
  return [...abandoned];
}

function dockerFailure(what: string, error: unknown): Error {
  if (error instanceof InfrastructureError) return error;
  return new InfrastructureError(`${what}: ${(error as Error).message}`);
}

function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Logged by kafka.Kafka once its listeners accept requests, in 3.9 and 4.x alike. */
const BROKER_STARTED = /\] Kafka Server started/;

type BrokerContainerHandle = { container: StartedTestContainer; logFile: string; nodeId: number };
