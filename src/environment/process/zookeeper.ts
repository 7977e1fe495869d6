import type { ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { execa } from 'execa';
import { InfrastructureError } from '../../errors.js';
import type { KafkaDistribution } from '../../runtime/distribution.js';
import { javaBinary } from '../../runtime/java.js';
import { jvmArgs, spawnJvm, stopJvm } from '../jvm.js';
import { exitOf, hasExited, logTail } from '../process-exit.js';
import { recordProcessGroup } from '../teardown.js';

/**
 * A standalone ZooKeeper for a ZooKeeper-mode environment (Kafka 3.x). Its jars are those the
 * Kafka install already holds: Maven resolved org.apache.zookeeper:zookeeper as kafka_2.13's own
 * dependency (3.8.4 for Kafka 3.9.2), so ZooKeeper runs on exactly the version Kafka was built against.
 */
export interface RunningZooKeeper {
  jvm: ChildProcess;
  address: string;
  logFile: string;
}

const ZOOKEEPER_HEAP_MB = 128;

/** Starts ZooKeeper on 127.0.0.1:port and writes the cluster id the brokers will adopt, so the cluster id stays the drill's. */
export async function startZooKeeper(distribution: KafkaDistribution, workDir: string, port: number, clusterId: string, timeoutMs: number): Promise<RunningZooKeeper> {
  const dir = join(workDir, 'zookeeper');
  await mkdir(join(dir, 'data'), { recursive: true });
  const config = join(dir, 'zoo.cfg');
  // No AdminServer: it would bind 8080 on every interface.
  await writeFile(
    config,
    [`dataDir=${join(dir, 'data')}`, `clientPort=${port}`, 'clientPortAddress=127.0.0.1', 'admin.enableServer=false', 'tickTime=2000', 'maxClientCnxns=0'].join('\n') + '\n',
  );
  const logFile = join(dir, 'zookeeper.log');
  const jvm = spawnJvm(distribution, workDir, ZOOKEEPER_HEAP_MB, ['org.apache.zookeeper.server.ZooKeeperServerMain', config], logFile);
  const zookeeper = { jvm, address: `127.0.0.1:${port}`, logFile };
  try {
    await untilReady(distribution, workDir, zookeeper, port, clusterId, timeoutMs);
    return zookeeper;
  } catch (error) {
    // Not yet the environment's: the caller has nothing to stop, so a failed start stops it here.
    await stopJvm(jvm);
    throw error;
  }
}

async function untilReady(distribution: KafkaDistribution, workDir: string, zookeeper: RunningZooKeeper, port: number, clusterId: string, timeoutMs: number): Promise<void> {
  const { jvm, logFile } = zookeeper;
  const deadline = Date.now() + timeoutMs;
  while (!(await serving(port))) {
    if (hasExited(jvm)) throw new InfrastructureError(`ZooKeeper exited during start-up (${exitOf(jvm)}); log: ${logFile}`, await logTail(logFile));
    if (Date.now() > deadline) throw new InfrastructureError(`ZooKeeper did not serve on ${zookeeper.address} within ${timeoutMs / 1000}s`, await logTail(logFile));
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  // Serving, yet a first session can still be refused under load: try again until the deadline.
  for (;;) {
    const output = await writeClusterId(distribution, workDir, zookeeper.address, clusterId);
    if (output === undefined) return;
    if (hasExited(jvm) || Date.now() > deadline) {
      throw new InfrastructureError(`could not write the cluster id into ZooKeeper at ${zookeeper.address}`, output.slice(-4000));
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/**
 * /cluster/id as a ZooKeeper-mode broker reads it (it creates a random one when the node is
 * missing), through ZooKeeper's own shell; undefined once ZooKeeper holds it, else the shell's output.
 */
async function writeClusterId(distribution: KafkaDistribution, workDir: string, address: string, clusterId: string): Promise<string | undefined> {
  const script = `create /cluster\ncreate /cluster/id {"version":"1","id":"${clusterId}"}\nget /cluster/id\nquit\n`;
  const shell = execa(javaBinary(), [...jvmArgs(distribution, workDir, 64), 'org.apache.zookeeper.ZooKeeperMain', '-server', address], {
    input: script,
    reject: false,
    all: true,
    detached: true,
    timeout: 60_000,
  });
  recordProcessGroup(workDir, shell.pid);
  const result = await shell;
  const output = result.all ?? '';
  return output.includes(`"id":"${clusterId}"`) ? undefined : `exit ${result.exitCode}: ${output}`;
}

/** ZooKeeper's `srvr` four-letter command (allowed by default) answers with its mode once it serves requests. */
function serving(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    let answer = '';
    const socket = connect(port, '127.0.0.1', () => socket.end('srvr'));
    socket.setTimeout(5_000, () => socket.destroy());
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    socket.once('close', () => resolve(/^Mode: standalone/m.test(answer)));
    socket.once('error', () => {});
  });
}
