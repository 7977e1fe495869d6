import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { runDrill } from '../../src/drill/runner.js';
import type { Result, Run } from '../../src/model/result.js';
import { DEFAULT_KAFKA_VERSION, resolveDistribution } from '../../src/runtime/distribution.js';
import { javaBinary } from '../../src/runtime/java.js';
import { freePorts } from '../../src/environment/ports.js';
import { createConnector, getConnectorOffsets, type ConnectEndpoint } from '../../src/kafka/connect-rest.js';
import { createProbeClient } from '../../src/kafka/probe-client.js';
import { syntheticRecord } from '../../src/restore/data.js';
import { loadSnapshot } from '../../src/snapshot/load.js';
import { loadSpec } from '../../src/drill-spec/load.js';
import type { DrillSpecInput } from '../../src/drill-spec/schema.js';
import { startForTest, waitFor } from '../support/kafka.js';
import { repoRoot } from '../support/require.js';
import { tempDir } from '../support/temp.js';
import { CLI } from '../cli/run-cli.js';

/**
 * The bug as a user met it: a Connect worker kafka-drill did not start (Kafka's own
 * ConnectDistributed, its own worker properties) runs a FileStream sink writing a file and a
 * FileStream source reading one — "production". `kafka-drill snapshot --connect-url` captures
 * them, and the snapshot is drilled twice: with the spec replacing `file` by the run's own
 * directory (the connectors run, the probes pass), and without (the connectors are restored
 * STOPPED, with a manual step and a finding naming `file`; the probes are skipped at once), and
 * once more with allowExternal (they run against production's files, a danger finding says so,
 * the probes feed them nothing). Every time production's files are byte for byte what they were.
 */
const PER_PARTITION = 10;
const SOURCE_LINES = 12;
const STRINGS = { 'key.converter': 'org.apache.kafka.connect.storage.StringConverter', 'value.converter': 'org.apache.kafka.connect.storage.StringConverter' };

const dir = tempDir('foreign-connect');
const production = { sink: path.join(dir, 'production', 'orders-sink.txt'), source: path.join(dir, 'production', 'lines.txt') };
const lineCount = async (file: string) => (await readFile(file, 'utf8').catch(() => '')).split('\n').filter(Boolean).length;
const sha256 = async (file: string) =>
  createHash('sha256')
    .update(await readFile(file))
    .digest('hex');

/** Kafka's own Connect worker against `bootstrap`, with a properties file written here, not by kafka-drill. */
async function startForeignWorker(bootstrap: string): Promise<{ endpoint: ConnectEndpoint; stop: () => Promise<void> }> {
  const distribution = await resolveDistribution(DEFAULT_KAFKA_VERSION);
  const [port] = await freePorts(1);
  const properties = path.join(dir, 'worker.properties');
  await writeFile(
    properties,
    [
      `bootstrap.servers=${bootstrap}`,
      'group.id=production-connect',
      `listeners=http://127.0.0.1:${port}`,
      'key.converter=org.apache.kafka.connect.json.JsonConverter',
      'value.converter=org.apache.kafka.connect.json.JsonConverter',
      'config.storage.topic=production-connect-configs',
      'offset.storage.topic=production-connect-offsets',
      'status.storage.topic=production-connect-status',
      'config.storage.replication.factor=1',
      'offset.storage.replication.factor=1',
      'status.storage.replication.factor=1',
      'offset.flush.interval.ms=1000',
      'plugin.discovery=service_load',
      '',
    ].join('\n'),
  );
  const log = path.join(dir, 'worker.log');
  const worker = execa(javaBinary(), ['-Xmx384m', '-cp', path.join(distribution.libsDir, '*'), 'org.apache.kafka.connect.cli.ConnectDistributed', properties], {
    stdout: { file: log },
    stderr: { file: log, append: true },
    reject: false,
  });
  const stop = async () => {
    worker.kill('SIGTERM');
    const ended = await Promise.race([worker.then(() => true), new Promise((resolve) => setTimeout(() => resolve(false), 30_000))]);
    if (!ended) worker.kill('SIGKILL');
    await worker;
  };
  afterAll(stop);
  const endpoint = { url: `http://127.0.0.1:${port}` };
  await waitFor(async () => (await fetch(`${endpoint.url}/connectors`).catch(() => undefined))?.ok === true, 120_000, 'the foreign Connect worker to serve REST');
  return { endpoint, stop };
}

async function produceProduction(bootstrapConnection: Parameters<typeof createProbeClient>[0]): Promise<void> {
  const kafka = createProbeClient(bootstrapConnection);
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [
      { topic: 'orders', numPartitions: 2 },
      { topic: 'lines', numPartitions: 1 },
    ],
    waitForLeaders: true,
  });
  await admin.disconnect();
  const producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: true });
  await producer.connect();
  for (const partition of [0, 1]) {
    await producer.send({
      topic: 'orders',
      acks: -1,
      messages: Array.from({ length: PER_PARTITION }, (_, offset) => ({ ...syntheticRecord('orders', partition, offset), partition })),
    });
  }
  await producer.disconnect();
}

/** Production: broker, foreign worker, the two connectors run until their offsets are committed; captured with the CLI; then gone. */
async function captureProduction(): Promise<string> {
  const broker = await startForTest({});
  await produceProduction(broker.admin);
  await mkdir(path.dirname(production.source), { recursive: true });
  await writeFile(production.source, Array.from({ length: SOURCE_LINES }, (_, i) => `line ${i}\n`).join(''));
  const worker = await startForeignWorker(broker.admin.bootstrap.join(','));
  await createConnector(worker.endpoint, 'orders-sink', {
    'connector.class': 'org.apache.kafka.connect.file.FileStreamSinkConnector',
    topics: 'orders',
    file: production.sink,
    'tasks.max': '1',
    ...STRINGS,
  });
  await createConnector(worker.endpoint, 'lines-source', {
    'connector.class': 'org.apache.kafka.connect.file.FileStreamSourceConnector',
    topic: 'lines',
    file: production.source,
    'tasks.max': '1',
    ...STRINGS,
  });
  await waitFor(
    async () =>
      (await lineCount(production.sink)) === 2 * PER_PARTITION &&
      (await getConnectorOffsets(worker.endpoint, 'orders-sink')).filter((entry) => entry.offset?.kafka_offset === PER_PARTITION).length === 2,
    120_000,
    'the production sink to write and commit',
  );
  const sourceEnd = Buffer.byteLength(await readFile(production.source, 'utf8'));
  await waitFor(
    async () => (await getConnectorOffsets(worker.endpoint, 'lines-source')).some((entry) => Number(entry.offset?.position) === sourceEnd),
    120_000,
    'the production source to commit its position',
  );
  const snapshotFile = path.join(dir, 'production-snapshot.json');
  const cli = await execa(CLI[0], [CLI[1], 'snapshot', '--bootstrap-server', broker.admin.bootstrap.join(','), '--connect-url', worker.endpoint.url, '--out', snapshotFile], {
    cwd: repoRoot,
    reject: false,
  });
  expect(cli.exitCode, cli.stderr).toBe(0);
  // Production stops writing before the drills: its files must stay as they are now.
  await worker.stop();
  await broker.stop();
  return snapshotFile;
}

async function drill(name: string, snapshotFile: string, restore: DrillSpecInput['restore'], manualSteps: DrillSpecInput['manualSteps'] = []): Promise<Run> {
  const specFile = path.join(dir, `${name}.json`);
  const spec: DrillSpecInput = {
    name,
    snapshot: snapshotFile,
    target: { brokers: 1, connect: { workers: 1 } },
    restore: { data: 'synthetic', ...restore },
    probes: [
      { type: 'connector-idempotency', id: 'orders-sink-once', connector: 'orders-sink', newRecords: 5 },
      { type: 'connector-idempotency', id: 'lines-source-once', connector: 'lines-source', newRecords: 5 },
    ],
    manualSteps,
  };
  await writeFile(specFile, JSON.stringify(spec, null, 2));
  const result: Result = await runDrill(
    { spec: await loadSpec(specFile), snapshot: await loadSnapshot(snapshotFile), snapshotFile, snapshotSha256: await sha256(snapshotFile) },
    { kafkaVersions: [DEFAULT_KAFKA_VERSION], provider: 'process', toolVersion: '0.0.0-test', signal: new AbortController().signal, progress: () => {} },
  );
  return result.runs[0]!;
}

describe('a snapshot of a Connect worker kafka-drill did not start, drilled', { timeout: 900_000 }, async () => {
  const snapshotFile = await captureProduction();
  const snapshot = await loadSnapshot(snapshotFile);
  const before = { sink: await sha256(production.sink), source: await sha256(production.source) };

  const replaced = await drill(
    'replaced',
    snapshotFile,
    {
      connectors: {
        'orders-sink': { config: { file: '${drill.workDir}/orders-sink.txt' } },
        'lines-source': { config: { file: '${drill.workDir}/lines.txt' } },
      },
    },
    [
      {
        id: 'seed-file-stores',
        title: "Put back the connectors' files as they were at snapshot time",
        owner: 'platform-team',
        phase: 'connectors',
        estimateMinutes: 5,
        automate: {
          command: [process.execPath, path.join(repoRoot, 'drills/scripts/seed-file-stores.mjs'), snapshotFile, 'lines-source=lines.txt', 'orders-sink=orders-sink.txt'],
        },
      },
    ],
  );
  const afterReplaced = { sink: await sha256(production.sink), source: await sha256(production.source) };
  const isolated = await drill('isolated', snapshotFile, {});
  const afterIsolated = { sink: await sha256(production.sink), source: await sha256(production.source) };
  const allowed = await drill('allowed', snapshotFile, { connectors: { 'orders-sink': { allowExternal: ['file'] }, 'lines-source': { allowExternal: ['file'] } } });
  const afterAllowed = { sink: await sha256(production.sink), source: await sha256(production.source) };
  const took = (run: Run) => run.phases.map((phase) => `${phase.name} ${phase.durationMs} ms`).join(', ');
  console.log(`replaced: ${took(replaced)}\nisolated: ${took(isolated)}; probes ${isolated.probes.map((p) => `${p.id} ${p.durationMs} ms`).join(', ')}\nallowed: ${took(allowed)}`);

  it('captured both connectors with the production paths they name', () => {
    expect(snapshot.connect!.connectors.map((c) => [c.name, c.config.file, c.state])).toEqual([
      ['lines-source', production.source, 'RUNNING'],
      ['orders-sink', production.sink, 'RUNNING'],
    ]);
  });

  it('with file replaced by ${drill.workDir}/…: the connectors run in the drill and the probes pass', () => {
    expect([replaced.verdict, replaced.reason]).toEqual(['passed', 'restored, verified and probed: every check held']);
    const connectors = replaced.phases.find((phase) => phase.name === 'connectors')!;
    expect(connectors).toMatchObject({ status: 'passed', counts: { created: 2, updated: 0, unchanged: 0, failed: 0 } });
    expect(connectors.findings.filter((finding) => finding.severity !== 'info')).toEqual([]);
    expect(replaced.verify!.counts.drift).toBe(0);
    expect(replaced.probes.map((probe) => [probe.id, probe.status, probe.evidence.map((e) => e.observed)])).toEqual([
      ['orders-sink-once', 'passed', ['0 records delivered again', '5 delivered once each']],
      ['lines-source-once', 'passed', ['0 records emitted again', '5 emitted once each']],
    ]);
  });

  it('without a replacement: restored STOPPED with a finding and a manual step naming file; the probes are skipped at once', () => {
    const connectors = isolated.phases.find((phase) => phase.name === 'connectors')!;
    expect(connectors).toMatchObject({ status: 'passed', counts: { created: 2, failed: 0 } });
    expect(connectors.findings.filter((finding) => finding.code === 'connector-isolated')).toEqual([
      expect.objectContaining({ object: 'connector lines-source', severity: 'warning', message: expect.stringMatching(/^restored STOPPED, never started: file names a file/) }),
      expect.objectContaining({ object: 'connector orders-sink', severity: 'warning', message: expect.stringMatching(/^restored STOPPED, never started: file names a file/) }),
    ]);
    expect(isolated.manualSteps.map((step) => [step.id, step.status, step.title])).toEqual([
      ['connector-isolated-lines-source', 'pending', expect.stringContaining('Point file of connector lines-source at the recovered store')],
      ['connector-isolated-orders-sink', 'pending', expect.stringContaining('Point file of connector orders-sink at the recovered store')],
    ]);
    // STOPPED with no tasks is what the restore chose: expected, not drift.
    expect(isolated.verify!.counts.drift).toBe(0);
    for (const probe of isolated.probes) {
      expect(probe.status).toBe('skipped');
      expect(probe.evidence).toEqual([
        expect.objectContaining({
          outcome: 'skipped',
          observed: 'held back',
          detail: expect.stringMatching(/^restored STOPPED: file names an external system the drill spec does not replace/),
        }),
      ]);
      expect(probe.durationMs).toBeLessThan(3_000);
    }
    expect(isolated.verdict).toBe('passed');
    expect(isolated.reason).toContain('every check of orders-sink-once, lines-source-once was skipped');
  });

  it('with allowExternal: the connectors run against the captured files, a danger finding says so, the probes feed them nothing', () => {
    const connectors = allowed.phases.find((phase) => phase.name === 'connectors')!;
    expect(connectors.findings.filter((finding) => finding.code === 'connector-writes-external')).toEqual([
      expect.objectContaining({ object: 'connector lines-source', message: expect.stringContaining(`allowExternal allows: file = ${production.source}`) }),
      expect.objectContaining({ object: 'connector orders-sink', message: expect.stringContaining(`allowExternal allows: file = ${production.sink}`) }),
    ]);
    const [sink, source] = allowed.probes;
    expect(sink!.evidence.map((e) => [e.outcome, e.detail])).toEqual([
      ['passed', '20 records looked at, none repeated'],
      ['skipped', 'the sink runs against the external system its file names (allowExternal): the probe writes it nothing'],
    ]);
    expect(source!.evidence).toEqual([expect.objectContaining({ outcome: 'skipped', observed: 'not appended' })]);
  });

  it("production's files are byte for byte what they were, after every drill", () => {
    expect(afterReplaced).toEqual(before);
    expect(afterIsolated).toEqual(before);
    expect(afterAllowed).toEqual(before);
  });
});
