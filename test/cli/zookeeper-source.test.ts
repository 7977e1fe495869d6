/**
 * ZooKeeper-mode sources, end to end with real ZooKeeper and real brokers: `env up --metadata
 * zookeeper` (Kafka 3.9.2), state put in through the Admin API, `kafka-drill snapshot` of it, and
 * drills/zk-to-kraft.yaml run on that fresh snapshot into KRaft on 3.9.2 and 4.3.1. One ZooKeeper
 * cluster for the file. KAFKA_DRILL_ZK_FIXTURE=fixtures/zookeeper-snapshot-3.9.json writes the capture
 * there: the fixture drills/zk-to-kraft.yaml ships with.
 *
 * The hidden oracle: Kafka's own tools (test/support/kafka-cli-dump.ts) dump the live ZooKeeper
 * source and, from inside each drill run (a manual-step automation, after the restore), the KRaft
 * target; the two dumps must be equal item for item, apart from named normalisations.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { startEnvironment } from '../../src/environment/start.js';
import { ADMIN_USER, type SecurityMode } from '../../src/model/enums.js';
import { captureSnapshot, environmentAdminNames, metadataModeOf } from '../../src/snapshot/capture.js';
import { loadSnapshot, writeSnapshot } from '../../src/snapshot/load.js';
import type { Snapshot } from '../../src/snapshot/schema.js';
import { seedCluster, type ClusterDefinition } from '../../fixtures/seed.js';
import type { Result } from '../../src/model/result.js';
import { markedJvms, readEvidence } from '../drills/cli.js';
import { compareItems, compileToolBatch, dumpItems, dumpWithKafkaTools, type DumpItems, type Normalisation, type ToolDump } from '../support/kafka-cli-dump.js';
import { alive, waitFor } from '../support/kafka.js';
import { repoRoot } from '../support/require.js';
import { tempDir } from '../support/temp.js';

const cli = [process.execPath, path.join(repoRoot, 'dist/cli/main.js')] as const;
const run = (args: string[]) => execa(cli[0], [cli[1], ...args], { cwd: repoRoot, reject: false });

interface EnvDescription {
  bootstrap: string;
  brokers: { nodeId: number; pid: number }[];
  metadata: string;
  zookeeper: string;
  sasl: { mechanism: 'SCRAM-SHA-512'; username: string; password: string };
  commandConfig: string;
  workDir: string;
}

function firstJsonLine(child: ChildProcess): Promise<EnvDescription> {
  return new Promise((resolve, reject) => {
    let stderr = '';
    child.stderr!.on('data', (chunk) => (stderr += chunk));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.startsWith('{')) resolve(JSON.parse(line) as EnvDescription);
    });
    child.on('exit', (code) => reject(new Error(`env up exited with ${code} before it was ready: ${stderr}`)));
  });
}

/** What the ZooKeeper-mode source holds: every kind of state a snapshot captures. */
export const ZOOKEEPER_SOURCE: ClusterDefinition = {
  brokerConfigs: { clusterDefault: { 'log.retention.ms': '604800000' }, perBroker: { '1': { 'log.cleaner.threads': '2' } } },
  topicGroups: [
    { description: 'orders', topics: ['orders'], partitions: 2, replicationFactor: 1, records: 10, configs: { 'retention.ms': '86400000' } },
    // A topic config Kafka 4.0 removed: known to 3.9 (ZooKeeper and KRaft), unknown to 4.x.
    { description: 'legacy', topics: ['legacy-events'], partitions: 1, replicationFactor: 1, records: 5, configs: { 'message.format.version': '3.0' } },
  ],
  scramUsers: [
    { name: 'app-writer', credentials: [{ mechanism: 'SCRAM-SHA-512', iterations: 8192 }] },
    { name: 'app-reader', credentials: [{ mechanism: 'SCRAM-SHA-256', iterations: 4096 }] },
  ],
  acls: [
    { principal: 'User:app-writer', resourceType: 'TOPIC', patternType: 'LITERAL', resourceName: 'orders', operations: ['WRITE', 'DESCRIBE'], permission: 'ALLOW', host: '*' },
    { principal: 'User:app-reader', resourceType: 'TOPIC', patternType: 'PREFIXED', resourceName: 'ord', operations: ['READ', 'DESCRIBE'], permission: 'ALLOW', host: '*' },
    { principal: 'User:app-reader', resourceType: 'GROUP', patternType: 'LITERAL', resourceName: 'orders-app', operations: ['READ'], permission: 'ALLOW', host: '*' },
  ],
  quotas: [
    { entity: [{ type: 'user', name: 'app-writer' }], values: { producer_byte_rate: 1048576 } },
    { entity: [{ type: 'user', name: null }], values: { producer_byte_rate: 2097152 } },
    {
      entity: [
        { type: 'user', name: 'app-reader' },
        { type: 'client-id', name: 'reporting' },
      ],
      values: { consumer_byte_rate: 524288 },
    },
    { entity: [{ type: 'ip', name: null }], values: { connection_creation_rate: 50 } },
    { entity: [{ type: 'ip', name: '10.1.2.3' }], values: { connection_creation_rate: 5 } },
  ],
  consumerGroups: [{ groupId: 'orders-app', topics: ['orders'], lag: 3 }],
};

/**
 * What legitimately differs between Kafka's own dump of the ZooKeeper source and of a KRaft target,
 * each with its reason and the verify difference the drill reports for it as expected: the oracle
 * leaves out nothing the drill did not itself declare.
 */
interface OracleNormalisation extends Normalisation {
  /** The Kafka versions of the target it applies to. */
  versions: string[];
  drillReports: { object: string; reason: string };
}
const ORACLE_NORMALISATIONS: OracleNormalisation[] = [
  {
    versions: ['3.9.2', '4.3.1'],
    matches: (key) => key.includes(` ${ADMIN_USER} `) || key.includes(`user=${ADMIN_USER} `),
    reason: `the drill's own admin ${ADMIN_USER}: each environment creates its own (ZooKeeper mode with 8192 iterations, KRaft at format with 4096) and a snapshot leaves it out`,
    drillReports: { object: `scram-user ${ADMIN_USER}`, reason: 'the fresh target had it before the restore' },
  },
  {
    versions: ['4.3.1'],
    matches: (key) => /^topic legacy-events (config|dynamic-config) message\.format\.version$/.test(key),
    reason: 'message.format.version was removed in Kafka 4.0: not applied on 4.x',
    drillReports: { object: 'topic legacy-events config message.format.version', reason: 'not applied: removed in Kafka 4.0' },
  },
  {
    versions: ['4.3.1'],
    // The cluster-wide default, and each topic inheriting it in TopicCommand's view; topic overrides are still compared (dynamic-config).
    matches: (key) => key === 'broker <default> dynamic-config min.insync.replicas' || /^topic \S+ config min\.insync\.replicas$/.test(key),
    reason: 'a fresh Kafka 4.x KRaft cluster writes min.insync.replicas=1 as a cluster-wide default at format (eligible leader replicas)',
    drillReports: { object: 'cluster config min.insync.replicas', reason: 'the fresh target had it before the restore' },
  },
];

/** YAML for a drill's manual steps: dump the restored target with Kafka's own tools into `dumpDir`, while the drill runs. */
function oracleStep(dumpDir: string, toolBatchClasses: string): string {
  mkdirSync(dumpDir, { recursive: true });
  const tsx = pathToFileURL(path.join(repoRoot, 'node_modules/tsx/dist/loader.mjs')).href;
  const command = [process.execPath, '--import', tsx, path.join(repoRoot, 'test/support/kafka-cli-dump.ts'), dumpDir, toolBatchClasses];
  const step = {
    id: 'oracle-dump',
    title: "Dump the restored cluster with Kafka's own tools",
    owner: 'test',
    phase: 'verify',
    estimateMinutes: 0,
    automate: { command, timeoutMs: 240_000 },
  };
  return `\nmanualSteps:\n  - ${JSON.stringify(step)}\n`;
}

describe('ZooKeeper-mode sources', () => {
  const dir = tempDir('zookeeper-source');
  let envUp: ChildProcess | undefined;
  let env: EnvDescription | undefined;
  let snapshot: Snapshot | undefined;
  const snapshotFile = path.join(dir, 'zookeeper.json');
  let drillResult: Result | undefined;
  // Compiled once for the file; the source is dumped once, while it still runs, for every comparison.
  let toolBatch: Promise<string> | undefined;
  const toolBatchClasses = () => (toolBatch ??= compileToolBatch(path.join(dir, 'tool-batch')));
  let sourceDump: Promise<{ dump: ToolDump; items: DumpItems }> | undefined;
  const sourceItems = () =>
    (sourceDump ??= (async () => {
      const dump = await dumpWithKafkaTools({ kafkaVersion: '3.9.2', bootstrap: env!.bootstrap, commandConfig: env!.commandConfig }, await toolBatchClasses());
      return { dump, items: dumpItems(dump) };
    })());
  const targetItems = (dumpDir: string, version: string) => dumpItems(JSON.parse(readFileSync(path.join(dumpDir, `${version}.json`), 'utf8')) as ToolDump);
  afterAll(async () => {
    if (envUp && envUp.exitCode === null) {
      const exited = new Promise((resolve) => envUp!.once('exit', resolve));
      envUp.kill('SIGINT');
      await exited;
    }
  });

  it('env up refuses --metadata zookeeper on Kafka 4.x with exit 2', async () => {
    const refused = await run(['env', 'up', '--metadata', 'zookeeper', '--kafka-version', '4.3.1']);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain('Kafka 4.3.1 has no ZooKeeper mode');
  });

  it('the shipped drills/zk-to-kraft.yaml validates with its fixture, a capture of this test that says zookeeper', async () => {
    const validated = await run(['validate', 'drills/zk-to-kraft.yaml']);
    expect(validated.exitCode, `${validated.stdout}\n${validated.stderr}`).toBe(0);
    expect((await loadSnapshot(path.join(repoRoot, 'fixtures/zookeeper-snapshot-3.9.json'))).source.metadata).toBe('zookeeper');
  });

  it('env up starts a ZooKeeper-mode scram cluster; its snapshot holds users, quotas, configs, ACLs and groups and says zookeeper', async () => {
    envUp = spawn(cli[0], [cli[1], 'env', 'up', '--metadata', 'zookeeper', '--kafka-version', '3.9.2', '--security', 'scram', '--json', '--show-password'], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    env = await firstJsonLine(envUp);
    expect(env.metadata).toBe('zookeeper');
    expect(env.zookeeper).toMatch(/^127\.0\.0\.1:\d+$/);
    const serverProperties = readFileSync(path.join(env.workDir, 'node-1', 'server.properties'), 'utf8');
    expect(serverProperties).toContain(`zookeeper.connect=${env.zookeeper}`);
    expect(serverProperties).toContain('authorizer.class.name=kafka.security.authorizer.AclAuthorizer');
    expect(serverProperties).not.toContain('process.roles');

    const seeded = await seedCluster({ bootstrap: env.bootstrap.split(','), sasl: env.sasl }, ZOOKEEPER_SOURCE);
    expect(seeded).toMatchObject({ topics: 2, scramCredentials: 2, aclBindings: 5, quotas: 5, consumerGroups: 1, skipped: [] });

    const captured = await run(['snapshot', '--bootstrap-server', env.bootstrap, '--command-config', env.commandConfig, '--out', snapshotFile]);
    expect(captured.exitCode, captured.stderr).toBe(0);
    expect(readFileSync(snapshotFile, 'utf8')).not.toContain(env.sasl.password);
    snapshot = await loadSnapshot(snapshotFile);
    expect(snapshot.source.metadata).toBe('zookeeper');
    expect(snapshot.source.kafkaVersion).toMatch(/^3\.9/);
    expect(snapshot.scramUsers).toEqual([
      { name: 'app-reader', credentials: [{ mechanism: 'SCRAM-SHA-256', iterations: 4096 }] },
      { name: 'app-writer', credentials: [{ mechanism: 'SCRAM-SHA-512', iterations: 8192 }] },
    ]);
    expect(snapshot.scramUsers.map((user) => user.name)).not.toContain(ADMIN_USER);
    const quotaKeys = snapshot.quotas.map((quota) => [quota.entity.map((part) => `${part.type}=${part.name ?? '<default>'}`).join(','), quota.values]);
    expect(quotaKeys).toEqual(
      expect.arrayContaining([
        ['user=app-writer', { producer_byte_rate: 1048576 }],
        ['user=<default>', { producer_byte_rate: 2097152 }],
        ['user=app-reader,client-id=reporting', { consumer_byte_rate: 524288 }],
        ['ip=<default>', { connection_creation_rate: 50 }],
        ['ip=10.1.2.3', { connection_creation_rate: 5 }],
      ]),
    );
    expect(snapshot.quotas).toHaveLength(5);
    expect(snapshot.clusterConfigs.clusterDefault['log.retention.ms']).toMatchObject({ value: '604800000' });
    expect(snapshot.clusterConfigs.perBroker['1']?.['log.cleaner.threads']).toMatchObject({ value: '2' });
    expect(snapshot.acls).toHaveLength(5);
    expect(
      snapshot.acls
        .filter((acl) => acl.principal === 'User:app-reader')
        .map((acl) => `${acl.resourceType}:${acl.patternType}:${acl.resourceName}:${acl.operation}`)
        .sort(),
    ).toEqual(['GROUP:LITERAL:orders-app:READ', 'TOPIC:PREFIXED:ord:DESCRIBE', 'TOPIC:PREFIXED:ord:READ']);
    expect(snapshot.topics.find((topic) => topic.name === 'legacy-events')?.configs['message.format.version']).toMatchObject({ value: '3.0' });
    const group = snapshot.consumerGroups.find((g) => g.groupId === 'orders-app');
    // 10 records and a lag of 3 on each of the 2 partitions.
    expect(group?.offsets.map((offset) => offset.offset)).toEqual([7, 7]);
    // Regenerates the shipped drill's fixture from this real ZooKeeper-mode capture.
    if (process.env.KAFKA_DRILL_ZK_FIXTURE) copyFileSync(snapshotFile, path.resolve(repoRoot, process.env.KAFKA_DRILL_ZK_FIXTURE));
  }, 300_000);

  it('drills/zk-to-kraft.yaml restores that snapshot into KRaft on 3.9.2 and 4.3.1 and passes; 4.3.1 reports the removed config as expected', async () => {
    expect(snapshot).toBeDefined();
    const spec = path.join(dir, 'zk-to-kraft.yaml');
    writeFileSync(
      spec,
      readFileSync(path.join(repoRoot, 'drills/zk-to-kraft.yaml'), 'utf8').replace('snapshot: ../fixtures/zookeeper-snapshot-3.9.json', `snapshot: ${snapshotFile}`) +
        oracleStep(path.join(dir, 'oracle'), await toolBatchClasses()),
    );
    const out = path.join(dir, 'out');
    const drilled = await run(['run', spec, '--out', out]);
    expect(drilled.exitCode, `${drilled.stdout}\n${drilled.stderr}`).toBe(0);
    const result = readEvidence(out);
    drillResult = result;
    expect(result.verdict).toBe('passed');
    expect(result.runs.map((r) => r.kafkaVersion).sort()).toEqual(['3.9.2', '4.3.1']);
    for (const runResult of result.runs) {
      expect(runResult.verify!.counts.drift, runResult.kafkaVersion).toBe(0);
      expect(runResult.probes.map((probe) => [probe.id, probe.status])).toEqual([
        ['acls-from-zookeeper', 'passed'],
        ['consumers-resume', 'passed'],
      ]);
      expect(
        runResult.manualSteps.map((step) => [step.id, step.status, step.output]),
        runResult.kafkaVersion,
      ).toEqual([['oracle-dump', 'automated', expect.stringContaining(`dumped Kafka ${runResult.kafkaVersion}`)]]);
    }
    const onFour = result.runs.find((r) => r.kafkaVersion === '4.3.1')!;
    expect(onFour.verify!.differences.filter((d) => d.object.includes('legacy-events') && d.classification === 'expected').map((d) => d.reason)).toContain(
      'not applied: removed in Kafka 4.0',
    );
  }, 600_000);

  it("hidden oracle: Kafka's own tools print the ZooKeeper source and each KRaft target alike, item for item", async () => {
    expect(drillResult).toBeDefined();
    const source = await sourceItems();
    // Not a vacuous dump: every kind of state the source holds is among the items compared.
    const keys = [...source.items.keys()];
    for (const kind of [
      /^topic orders$/,
      /^topic orders partition 1$/,
      /^topic orders dynamic-config retention\.ms$/,
      /^broker 1 dynamic-config log\.cleaner\.threads$/,
      /^broker <default> dynamic-config log\.retention\.ms$/,
      /^acl TOPIC:PREFIXED:ord User:app-reader@\* READ ALLOW$/,
      /^scram app-writer SCRAM-SHA-512$/,
      /^quota user=<default> producer_byte_rate$/,
      /^quota user=app-reader,client-id=reporting consumer_byte_rate$/,
      /^quota ip=<default> connection_creation_rate$/,
      /^quota ip=10\.1\.2\.3 connection_creation_rate$/,
      /^group orders-app offset orders-0$/,
    ]) {
      expect(
        keys.filter((key) => kind.test(key)),
        String(kind),
      ).toHaveLength(1);
    }
    expect(source.items.get('group orders-app offset orders-0')).toBe('current=7 logEnd=10 lag=3');
    expect(source.items.get('scram app-writer SCRAM-SHA-512')).toBe('iterations=8192');

    for (const run of drillResult!.runs) {
      const normalisations = ORACLE_NORMALISATIONS.filter((n) => n.versions.includes(run.kafkaVersion));
      const target = targetItems(path.join(dir, 'oracle'), run.kafkaVersion);
      expect(compareItems(source.items, target, normalisations), `Kafka ${run.kafkaVersion} target`).toEqual([]);
      for (const normalisation of normalisations) {
        // Each normalisation is needed (it leaves out an item of this pair) and is the drill's own declared expected difference.
        expect([...source.items.keys(), ...target.keys()].some(normalisation.matches), `${run.kafkaVersion}: ${normalisation.reason}`).toBe(true);
        expect(run.verify!.differences, `${run.kafkaVersion}: ${normalisation.reason}`).toContainEqual(
          expect.objectContaining({ ...normalisation.drillReports, classification: 'expected' }),
        );
      }
    }
  }, 120_000);

  it('must fail for one reason: a ZooKeeper snapshot missing the reader ACL leaves app-reader denied in KRaft', async () => {
    expect(snapshot).toBeDefined();
    const dropped = structuredClone(snapshot!);
    dropped.acls = dropped.acls.filter((acl) => !(acl.principal === 'User:app-reader' && acl.resourceType === 'TOPIC' && acl.operation === 'READ'));
    expect(dropped.acls).toHaveLength(snapshot!.acls.length - 1);
    const droppedFile = path.join(dir, 'zookeeper-dropped-acl.json');
    await writeSnapshot(droppedFile, dropped);
    const spec = path.join(dir, 'zk-to-kraft-dropped-acl.yaml');
    writeFileSync(
      spec,
      readFileSync(path.join(repoRoot, 'drills/zk-to-kraft.yaml'), 'utf8')
        .replace('snapshot: ../fixtures/zookeeper-snapshot-3.9.json', `snapshot: ${droppedFile}`)
        .replace('kafkaVersion: ["3.9.2", "4.3.1"]', 'kafkaVersion: "4.3.1"') + oracleStep(path.join(dir, 'oracle-dropped-acl'), await toolBatchClasses()),
    );
    const out = path.join(dir, 'out-dropped-acl');
    const drilled = await run(['run', spec, '--out', out]);
    expect(drilled.exitCode, `${drilled.stdout}\n${drilled.stderr}`).toBe(1);
    const runResult = readEvidence(out).runs[0]!;
    expect(runResult.verify!.counts.drift).toBe(0);
    expect(runResult.probes.map((probe) => [probe.id, probe.status])).toEqual([
      ['acls-from-zookeeper', 'failed'],
      ['consumers-resume', 'passed'],
    ]);
    const failed = runResult.probes[0]!.evidence.filter((evidence) => evidence.outcome === 'failed');
    expect(failed.map((evidence) => [evidence.principal, evidence.operation, evidence.resource, evidence.expected, evidence.kafkaError])).toEqual([
      ['User:app-reader', 'READ', 'topic orders', 'allow', 'TOPIC_AUTHORIZATION_FAILED'],
    ]);
    // The oracle fails too, naming the one item: the restored target lacks the binding.
    const target = targetItems(path.join(dir, 'oracle-dropped-acl'), '4.3.1');
    const normalisations = ORACLE_NORMALISATIONS.filter((n) => n.versions.includes('4.3.1'));
    expect(compareItems((await sourceItems()).items, target, normalisations)).toEqual(['missing in target: acl TOPIC:PREFIXED:ord User:app-reader@* READ ALLOW = present']);
  }, 600_000);

  it('every TLS security mode KRaft has starts in ZooKeeper mode too, and its capture says zookeeper', async () => {
    for (const security of ['ssl', 'mtls', 'sasl_ssl'] satisfies SecurityMode[]) {
      const environment = await startEnvironment('process', { kafkaVersion: '3.9.2', brokers: 1, security, metadata: 'zookeeper', heapMb: 384 });
      try {
        expect(environment.zookeeper?.address, security).toMatch(/^127\.0\.0\.1:\d+$/);
        const captured = await captureSnapshot(environment.admin, { toolVersion: 'test', leaveOutDrillAdmin: true });
        expect([security, captured.source.metadata]).toEqual([security, 'zookeeper']);
        // The environment exempts its admin from quotas under the name its certificate maps to (mtls): the environment's, not the cluster's.
        expect([security, captured.quotas]).toEqual([security, []]);
        if (security === 'mtls') expect(captured.source.notes).toEqual([expect.stringMatching(/^quota user=CN=kafka-drill-admin,OU=kafka-drill left out: /)]);
      } finally {
        await environment.stop();
      }
      expect(alive(environment.zookeeper!.pid), `${security}: ZooKeeper stopped`).toBe(false);
      expect(markedJvms({ workDir: environment.workDir })).toEqual([]);
    }
  }, 300_000);

  it('env down (SIGINT) stops the brokers and ZooKeeper and leaves no JVM or directory', async () => {
    expect(env).toBeDefined();
    const exited = new Promise<number | null>((resolve) => envUp!.once('exit', (code) => resolve(code)));
    envUp!.kill('SIGINT');
    expect(await exited).toBe(0);
    await waitFor(() => env!.brokers.every((broker) => !alive(broker.pid)), 10_000, 'the brokers to exit');
    expect(markedJvms({ workDir: env!.workDir })).toEqual([]);
    expect(existsSync(env!.workDir)).toBe(false);
  }, 60_000);
});

describe('environmentAdminNames', () => {
  const config = (name: string, value: string) => ({ name, value, source: 'STATIC_BROKER_CONFIG', sensitive: false });
  const rules = config('ssl.principal.mapping.rules', 'RULE:^CN=([^,-]+).*$/$1/L,DEFAULT');
  it("leaves out a name the cluster's rules make of the admin's certificate only where super.users holds it, as an environment's brokers do", () => {
    const own = ['kafka-drill-admin', 'CN=kafka-drill-admin,OU=kafka-drill', 'CN=kafka-drill-admin'];
    // A production cluster whose rules map CN=kafka-drill-admin to its real inter-broker user "kafka": kept.
    expect(environmentAdminNames(new Map([[1, [rules, config('super.users', 'User:admin')]]]))).toEqual(own);
    expect(environmentAdminNames(new Map([[1, [rules, config('super.users', 'User:kafka;User:admin')]]]))).toEqual([...own, 'kafka']);
  });
});

describe('metadataModeOf', () => {
  const config = (name: string, value: string | null) => ({ name, value, source: 'STATIC_BROKER_CONFIG', sensitive: false });
  it('kraft where a broker has process.roles, zookeeper where it has only zookeeper.connect, nothing where both are hidden', () => {
    expect(metadataModeOf(new Map([[1, [config('process.roles', 'broker,controller'), config('zookeeper.connect', null)]]]))).toEqual({ metadata: 'kraft' });
    expect(metadataModeOf(new Map([[1, [config('process.roles', ''), config('zookeeper.connect', 'zk:2181/kafka')]]]))).toEqual({ metadata: 'zookeeper' });
    expect(metadataModeOf(new Map([[1, [config('log.retention.ms', '1')]]]))).toEqual({});
  });
});
