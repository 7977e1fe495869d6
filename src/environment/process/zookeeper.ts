import type { ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { execa } from 'execa';
import { InfrastructureError } from '../../errors.js';
import type { KafkaDistribution } from '../../runtime/distribution.js';
import { javaBinary } from '../../runtime/java.js';
import { jvmArgs, spawnJvm } from '../jvm.js';
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
  const deadline = Date.now() + timeoutMs;
  while (!(await accepts(port))) {
    if (hasExited(jvm)) throw new InfrastructureError(`ZooKeeper exited during start-up (${exitOf(jvm)}); log: ${logFile}`, await logTail(logFile));
    if (Date.now() > deadline) throw new InfrastructureError(`ZooKeeper did not listen on ${zookeeper.address} within ${timeoutMs / 1000}s`, await logTail(logFile));
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  await writeClusterId(distribution, workDir, zookeeper.address, clusterId);
  return zookeeper;
}

/** /cluster/id as a ZooKeeper-mode broker reads it (it creates a random one when the node is missing). */
async function writeClusterId(distribution: KafkaDistribution, workDir: string, address: string, clusterId: string): Promise<void> {
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
  if (!(result.all ?? '').includes(`"id":"${clusterId}"`)) {
    throw new InfrastructureError(`could not write the cluster id into ZooKeeper at ${address} (exit ${result.exitCode})`, (result.all ?? '').slice(-4000));
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
