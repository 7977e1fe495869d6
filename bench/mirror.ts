/**
 * The mirror's speed (not a test): MB/s of kafka-drill's mirror phase against Kafka's own
 * `connect-mirror-maker` driver on the same data (same engine: the ratio should be near 1.0), and
 * against the target broker's own produce throughput with the same record size (the physical
 * limit here).
 *
 *   npm run bench:mirror                       256 MiB of 1 KiB records
 *   npm run bench:mirror -- --mib 1024         1 GiB
 *
 * Each side gets a fresh 1-broker target; the source is one 1-broker cluster filled once by Kafka's
 * ProducerPerformance. Writes bench/results/mirror-<stamp>.json and .md.
 */
import { execa } from 'execa';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runDrill } from '../src/drill/runner.js';
import { clientProperties } from '../src/environment/client-properties.js';
import { startEnvironment } from '../src/environment/start.js';
import type { StartedEnvironment } from '../src/environment/types.js';
import { withAdmin } from '../src/kafka/admin.js';
import { listLogOffsets } from '../src/kafka/log-offsets.js';
import { DEFAULT_KAFKA_VERSION, installKafka } from '../src/runtime/distribution.js';
import { javaBinary, requireJava } from '../src/runtime/java.js';
import { captureSnapshot } from '../src/snapshot/capture.js';
import { loadSpec } from '../src/drill-spec/load.js';
import { loadSnapshot, writeSnapshot } from '../src/snapshot/load.js';

const { values } = parseArgs({ options: { mib: { type: 'string', default: '256' }, 'kafka-version': { type: 'string', default: DEFAULT_KAFKA_VERSION } } });
const mib = Number(values.mib);
const kafkaVersion = values['kafka-version'];
const RECORD_BYTES = 1024;
const records = Math.round((mib * 1024 * 1024) / RECORD_BYTES);
const TOPIC = 'bench.mirror';
const PARTITIONS = 6;

await requireJava();
const { distribution } = await installKafka(kafkaVersion);
const classpath = join(distribution.libsDir, '*');
const work = mkdtempSync(join(tmpdir(), 'kafka-drill-bench-mirror-'));
const environments: StartedEnvironment[] = [];
const start = async (connect: boolean) => {
  const environment = await startEnvironment('process', { kafkaVersion, brokers: 1, security: 'plaintext', heapMb: 1024, ...(connect ? { connect: { workers: 1 } } : {}) });
  environments.push(environment);
  return environment;
};

/** Kafka's ProducerPerformance: `count` records of RECORD_BYTES into `topic`, acks=1; its MB/s. */
async function produce(environment: StartedEnvironment, topic: string, count: number): Promise<number> {
  const properties = join(work, `producer-${environment.clusterId}.properties`);
  writeFileSync(properties, clientProperties(environment.admin));
  const run = await execa(
    javaBinary(),
    [
      '-Xmx512m',
      '-cp',
      classpath,
      'org.apache.kafka.tools.ProducerPerformance',
      '--topic',
      topic,
      '--num-records',
      String(count),
      '--record-size',
      String(RECORD_BYTES),
      '--throughput',
      '-1',
      '--producer.config',
      properties,
      '--producer-props',
      'acks=1',
      'linger.ms=20',
      'batch.size=262144',
    ],
    { all: true },
  );
  const last = (run.all ?? '').trim().split('\n').pop() ?? '';
  const match = /\(([\d.]+) MB\/sec\)/.exec(last);
  if (!match) throw new Error(`ProducerPerformance said: ${last}`);
  return Number(match[1]);
}

async function createTopic(environment: StartedEnvironment): Promise<void> {
  await withAdmin(environment.admin, (admin) => admin.createTopics({ topics: [TOPIC], partitions: PARTITIONS, replicas: 1 }));
}

async function logEnd(environment: StartedEnvironment): Promise<number> {
  const ends = await withAdmin(environment.admin, (admin) =>
    listLogOffsets(
      admin,
      Array.from({ length: PARTITIONS }, (_, partition) => ({ topic: TOPIC, partition })),
      'latest',
    ),
  );
  return [...ends.values()].reduce((sum, end) => sum + Number(end), 0);
}

/** Peak RSS of this process while `work` runs. */
async function peakRss<T>(task: () => Promise<T>): Promise<{ value: T; peakRssMb: number }> {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 100);
  try {
    return { value: await task(), peakRssMb: Math.round(peak / 1048576) };
  } finally {
    clearInterval(timer);
  }
}

try {
  const source = await start(false);
  await createTopic(source);
  console.error(`filling the source with ${mib} MiB (${records} records of ${RECORD_BYTES} B)`);
  const sourceMbPerSec = await produce(source, TOPIC, records);
  const captured = await captureSnapshot(source.admin, { toolVersion: 'bench' });
  console.error(`source filled at ${sourceMbPerSec} MB/s; ${captured.topics.length} topic(s)`);

  // 1. kafka-drill's mirror phase, through a real drill run (topics + data: mirror).
  const specFile = join(work, 'mirror-bench.yaml');
  writeFileSync(
    specFile,
    `name: mirror-bench\nsource:\n  bootstrap: ${source.admin.bootstrap.join(',')}\ntarget: { provider: process, kafkaVersion: ${kafkaVersion}, heapMb: 1024 }\nrestore:\n  phases: [topics, data]\n  data: mirror\n  mirror: { cutover: { catchUpTimeoutSeconds: 3600 } }\n`,
  );
  const snapshotFile = join(work, 'capture.json');
  await writeSnapshot(snapshotFile, captured);
  const snapshot = await loadSnapshot(snapshotFile);
  const spec = await loadSpec(specFile);
  const drill = await peakRss(() =>
    runDrill(
      { spec, snapshot, snapshotFile, snapshotSha256: 'bench' },
      { kafkaVersions: [kafkaVersion], provider: 'process', toolVersion: 'bench', signal: new AbortController().signal, progress: (line) => console.error(line) },
    ),
  );
  const mirror = drill.value.runs[0]?.mirror;
  if (!mirror) throw new Error(`the drill did not mirror: ${drill.value.runs[0]?.reason}`);
  const drillMbPerSec = (mirror.records * RECORD_BYTES) / 1e6 / (mirror.copyMs / 1000);

  // 2. Kafka's own MirrorMaker driver (dedicated mode) into a fresh target, same record set.
  const target = await start(false);
  const mm2Properties = join(work, 'mm2.properties');
  writeFileSync(
    mm2Properties,
    [
      'clusters = source, target',
      `source.bootstrap.servers = ${source.admin.bootstrap.join(',')}`,
      `target.bootstrap.servers = ${target.admin.bootstrap.join(',')}`,
      'source->target.enabled = true',
      'target->source.enabled = false',
      `source->target.topics = ${TOPIC.replace('.', '\\\\.')}`,
      'replication.policy.class = org.apache.kafka.connect.mirror.IdentityReplicationPolicy',
      'sync.topic.acls.enabled = false',
      'sync.topic.configs.enabled = false',
      'emit.heartbeats.enabled = false',
      'offset-syncs.topic.location = target',
      'replication.factor = 1',
      'checkpoints.topic.replication.factor = 1',
      'heartbeats.topic.replication.factor = 1',
      'offset-syncs.topic.replication.factor = 1',
      'offset.storage.replication.factor = 1',
      'status.storage.replication.factor = 1',
      'config.storage.replication.factor = 1',
      '',
    ].join('\n'),
  );
  const started = performance.now();
  const driver = execa(javaBinary(), ['-Xmx1024m', '-cp', classpath, 'org.apache.kafka.connect.mirror.MirrorMaker', mm2Properties], { reject: false, all: true });
  let copied = 0;
  while (copied < records) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    copied = await logEnd(target).catch(() => 0);
    if (driver.exitCode !== null) throw new Error(`connect-mirror-maker exited with code ${driver.exitCode}`);
  }
  const driverMs = performance.now() - started;
  driver.kill('SIGTERM');
  await driver;
  const driverMbPerSec = (records * RECORD_BYTES) / 1e6 / (driverMs / 1000);

  // 3. The physical limit: the target broker's own produce throughput with the same records.
  const limitTarget = await start(false);
  await createTopic(limitTarget);
  const limitMbPerSec = await produce(limitTarget, TOPIC, records);

  const result = {
    startedAt: new Date().toISOString(),
    kafkaVersion,
    mib,
    records,
    recordBytes: RECORD_BYTES,
    partitions: PARTITIONS,
    load: loadavg()[0] ?? 0,
    kafkaDrill: { mbPerSec: Number(drillMbPerSec.toFixed(1)), copyMs: mirror.copyMs, caughtUp: mirror.caughtUp, peakRssMb: drill.peakRssMb },
    connectMirrorMaker: { mbPerSec: Number(driverMbPerSec.toFixed(1)), ms: Math.round(driverMs) },
    targetProduce: { mbPerSec: limitMbPerSec },
    ratioToDriver: Number((drillMbPerSec / driverMbPerSec).toFixed(2)),
    ratioToLimit: Number((drillMbPerSec / limitMbPerSec).toFixed(2)),
  };
  const dir = join(import.meta.dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const stamp = result.startedAt.replace(/[:.]/g, '-');
  writeFileSync(join(dir, `mirror-${stamp}.json`), JSON.stringify(result, null, 2) + '\n');
  const table = [
    `Mirror of ${mib} MiB (${records} records of ${RECORD_BYTES} B, ${PARTITIONS} partitions), Kafka ${kafkaVersion}, 1 broker each side, load ${result.load.toFixed(1)}`,
    '',
    '| | MB/s | time |',
    '|---|---|---|',
    `| kafka-drill mirror phase (connectors created to caught up) | ${result.kafkaDrill.mbPerSec} | ${(mirror.copyMs / 1000).toFixed(1)} s |`,
    `| Kafka's connect-mirror-maker (process start to last record) | ${result.connectMirrorMaker.mbPerSec} | ${(driverMs / 1000).toFixed(1)} s |`,
    `| target broker produce (ProducerPerformance, acks=1) | ${limitMbPerSec} | |`,
    '',
    `kafka-drill / connect-mirror-maker: ${result.ratioToDriver}; kafka-drill / produce limit: ${result.ratioToLimit}; harness peak RSS ${drill.peakRssMb} MiB`,
    '',
  ].join('\n');
  writeFileSync(join(dir, `mirror-${stamp}.md`), table);
  console.log(table);
} finally {
  await Promise.all(environments.map((environment) => environment.stop()));
  rmSync(work, { recursive: true, force: true });
}
