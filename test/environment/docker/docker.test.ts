import { execa } from 'execa';
import { spawn } from 'node:child_process';
import { beforeAll, describe, expect } from 'vitest';
import { GenericContainer } from 'testcontainers';
import { DEFAULT_KAFKA_VERSION } from '../../../src/runtime/distribution.js';
import { ensureDockerImage, startDockerEnvironment, sweepAbandoned } from '../../../src/environment/docker/docker.js';
import { dockerClient, DRILL_LABEL, OWNER_HOST_LABEL, OWNER_PID_LABEL } from '../../../src/environment/docker/engine.js';
import { buildKafkaImage, kafkaImageName } from '../../../src/environment/docker/image.js';
import { createAdmin, describeCluster, withAdmin } from '../../../src/kafka/admin.js';
import { kafkaErrorName } from '../../../src/kafka/errors.js';
import { dockerEngine, labelledResources } from '../../support/docker.js';
import { fileExists, itWith, repoRoot } from '../../support/require.js';
import { connectPluginsDir } from '../../../src/runtime/plugins.js';
import { join } from 'node:path';
import { hostname } from 'node:os';
import { startRun } from '../../drills/cli.js';
import { tempDir } from '../../support/temp.js';
import { waitFor } from '../../support/kafka.js';
import { CLI } from '../../cli/run-cli.js';

const itDocker = itWith(dockerEngine());
const image = kafkaImageName(DEFAULT_KAFKA_VERSION);
/** Installed by `kafka-drill connect install` (the JDBC sink tests do it); the worker must see it. */
const JDBC_PLUGIN = join(connectPluginsDir(), 'debezium-connector-jdbc-3.6.0.Final');

describe('docker provider', { timeout: 240_000 }, () => {
  beforeAll(async () => {
    // Idempotent: seconds when CI (.ci/run) or an earlier run built it.
    if (dockerEngine().available) await buildKafkaImage(DEFAULT_KAFKA_VERSION);
  }, 600_000);

  itDocker('one plaintext broker, its data on a tmpfs: clients on the host reach it through the mapped port; stop removes every labelled container and network', async () => {
    const environment = await startDockerEnvironment({ kafkaVersion: DEFAULT_KAFKA_VERSION, brokers: 1, security: 'plaintext', heapMb: 384, brokerStorage: 'memory' }, { image });
    try {
      expect(environment.image).toBe(image);
      expect(environment.admin.bootstrap).toEqual([expect.stringMatching(/^localhost:\d+$/)]);
      const cluster = await withAdmin(environment.admin, describeCluster);
      expect([cluster.clusterId, cluster.brokerIds]).toEqual([environment.clusterId, [1]]);
      const resources = await labelledResources(environment.network);
      expect(resources.containers).toEqual([`/${environment.network}-broker-1`]);
      expect(resources.networks).toEqual([environment.network]);
      expect(environment.internalBootstrap).toEqual(['broker-1:9094']);
      expect(environment.brokers[0]!.storage).toEqual({ kind: 'memory' });
      const { stdout } = await execa('docker', ['exec', `${environment.network}-broker-1`, 'sh', '-c', 'grep " /tmp/kafka-drill-data " /proc/mounts; ls /tmp/kafka-drill-data']);
      expect(stdout).toMatch(/^tmpfs \/tmp\/kafka-drill-data tmpfs rw/);
      expect(stdout.split('\n')).toEqual(expect.arrayContaining(['meta.properties', '__cluster_metadata-0']));
    } finally {
      await environment.stop();
      await environment.stop();
    }
    expect(await labelledResources(environment.network)).toEqual({ containers: [], networks: [] });
  });

  itDocker('three SCRAM brokers on their own network: all registered, a replication-3 topic in sync, a wrong password refused', async () => {
    const environment = await startDockerEnvironment({ kafkaVersion: DEFAULT_KAFKA_VERSION, brokers: 3, security: 'scram', heapMb: 384 }, { image });
    try {
      await withAdmin(environment.admin, async (admin) => {
        expect((await describeCluster(admin)).brokerIds).toEqual([1, 2, 3]);
        await admin.createTopics({ topics: ['replicated'], partitions: 3, replicas: 3 });
        let isr: number[][] = [];
        for (let attempt = 0; attempt < 100 && !(isr.length === 3 && isr.every((set) => set.length === 3)); attempt++) {
          const metadata = await admin.metadata({ topics: ['replicated'], forceUpdate: true }).catch(() => undefined);
          isr = (metadata?.topics.get('replicated')?.partitions ?? []).map((partition) => [...partition.isr].sort());
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
        expect(isr).toEqual([
          [1, 2, 3],
          [1, 2, 3],
          [1, 2, 3],
        ]);
      });
      const wrong = createAdmin({ ...environment.admin, sasl: { ...environment.admin.sasl!, password: 'wrong' } });
      try {
        expect(
          kafkaErrorName(
            await describeCluster(wrong).then(
              () => undefined,
              (error: unknown) => error,
            ),
          ),
        ).toBe('SASL_AUTHENTICATION_FAILED');
      } finally {
        await wrong.close().catch(() => {});
      }
    } finally {
      await environment.stop();
    }
    expect(await labelledResources(environment.network)).toEqual({ containers: [], networks: [] });
  });

  itDocker('run and env up find the built image without pulling or building anything', async () => {
    const log: string[] = [];
    expect(await ensureDockerImage(DEFAULT_KAFKA_VERSION, undefined, (line) => log.push(line))).toBe(image);
    expect(await ensureDockerImage(DEFAULT_KAFKA_VERSION, image, (line) => log.push(line))).toBe(image);
    expect(log).toEqual([]);
  });

  itWith(dockerEngine(), fileExists(JDBC_PLUGIN))(
    'a Connect worker container: REST on a mapped port, the installed plugins on its plugin path, removed with the brokers',
    async () => {
      const environment = await startDockerEnvironment({ kafkaVersion: DEFAULT_KAFKA_VERSION, brokers: 1, security: 'scram', heapMb: 384, connect: { heapMb: 384 } }, { image });
      try {
        expect(environment.connect!.url).toMatch(/^http:\/\/localhost:\d+$/);
        expect(environment.connect!.pluginPath).toContain(connectPluginsDir());
        const plugins = (await (await fetch(`${environment.connect!.url}/connector-plugins`)).json()) as { class: string }[];
        expect(plugins.map((plugin) => plugin.class)).toEqual(
          expect.arrayContaining([
            'io.debezium.connector.jdbc.JdbcSinkConnector',
            'org.apache.kafka.connect.file.FileStreamSinkConnector',
            'org.apache.kafka.connect.file.FileStreamSourceConnector',
          ]),
        );
        expect((await labelledResources(environment.network)).containers.sort()).toEqual([`/${environment.network}-broker-1`, `/${environment.network}-connect-1`]);
        // A worker that dies is told as such: the drill turns it into an infrastructure error naming it.
        expect(await environment.exitedProcesses()).toEqual([]);
        const client = await dockerClient();
        await client.container.dockerode.getContainer(`${environment.network}-connect-1`).kill();
        await waitFor(async () => (await environment.exitedProcesses()).length > 0, 30_000, 'the killed worker to be reported');
        const [exited, ...others] = await environment.exitedProcesses();
        expect(others).toEqual([]);
        expect([exited!.name, exited!.exit]).toEqual([`Kafka Connect worker (container ${environment.network}-connect-1)`, 'code 137']);
        expect(exited!.logFile).toBe(join(environment.workDir, 'connect-1.log'));
        expect(exited!.logTail).toMatch(/Kafka Connect|connect/i);
      } finally {
        await environment.stop();
      }
      expect(await labelledResources(environment.network)).toEqual({ containers: [], networks: [] });
    },
  );

  itDocker('sweeps what a killed run left behind (its owner pid is gone), and nothing of a live owner', async () => {
    const client = await dockerClient();
    const deadPid = await new Promise<number>((resolve) => {
      const child = spawn('true');
      child.on('exit', () => resolve(child.pid!));
    });
    const labels = (id: string, pid: number) => ({ [DRILL_LABEL]: id, [OWNER_PID_LABEL]: String(pid), [OWNER_HOST_LABEL]: hostname() });
    const abandoned = `kafka-drill-test-abandoned-${deadPid}`;
    const live = `kafka-drill-test-live-${process.pid}`;
    await client.network.create({ Name: abandoned, Driver: 'bridge', Labels: labels(abandoned, deadPid) });
    const started = await Promise.all(
      [
        [abandoned, deadPid],
        [live, process.pid],
      ].map(([id, pid]) =>
        new GenericContainer(image)
          .withLabels(labels(String(id), Number(pid)))
          .withEntrypoint(['sleep'])
          .withCommand(['300'])
          .start(),
      ),
    );
    try {
      expect(await sweepAbandoned(client)).toContain(abandoned);
      expect(await labelledResources(abandoned)).toEqual({ containers: [], networks: [] });
      expect((await labelledResources(live)).containers).toHaveLength(1);
    } finally {
      await started[1]!.stop({ timeout: 0 });
    }
  });
});

describe('docker provider: a killed kafka-drill', { timeout: 240_000 }, () => {
  itDocker("SIGKILL mid-drill: the watchdog removes the run's labelled containers and network within seconds", async () => {
    const run = startRun('test/drills/fixtures/passing.yaml', tempDir('killed'), { ...process.env }, ['--provider', 'docker']);
    try {
      await run.stdoutMatches(/environment\s+passed/);
      const client = await dockerClient();
      const owned = await client.container.dockerode.listContainers({ all: true, filters: { label: [`${OWNER_PID_LABEL}=${run.child.pid}`] } });
      expect(owned).toHaveLength(1);
      const environmentId = owned[0]!.Labels[DRILL_LABEL]!;
      expect((await labelledResources(environmentId)).networks).toEqual([environmentId]);

      run.child.kill('SIGKILL');
      const killedAt = performance.now();
      let left = await labelledResources(environmentId);
      while (left.containers.length + left.networks.length > 0 && performance.now() - killedAt < 20_000) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        left = await labelledResources(environmentId);
      }
      expect(left).toEqual({ containers: [], networks: [] });
      console.log(`watchdog: nothing of ${environmentId} left ${((performance.now() - killedAt) / 1000).toFixed(1)}s after SIGKILL`);
    } finally {
      run.child.kill('SIGKILL');
      await run.exited;
    }
  });
});

describe('docker provider without Docker', () => {
  itWith()('exits 3 naming what to do when no engine answers', async () => {
    const child = spawn(CLI[0], [CLI[1], 'env', 'up', '--provider', 'docker'], {
      cwd: repoRoot,
      env: { ...process.env, DOCKER_HOST: 'unix:///nonexistent/docker.sock' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    // Were an engine found after all, env up would wait for a signal: never leave it running.
    const guard = setTimeout(() => child.kill('SIGTERM'), 90_000);
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    clearTimeout(guard);
    expect(code).toBe(3);
    expect(stderr).toContain('Docker is not available (DOCKER_HOST=unix:///nonexistent/docker.sock)');
    expect(stderr).toMatch(/install Docker .* and start it/);
  });
});
