import { createHash } from 'node:crypto';
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_KAFKA_VERSION } from '../../src/runtime/distribution.js';
import type { StartedEnvironment } from '../../src/environment/types.js';
import {
  connectorStatus,
  createConnector,
  getConnector,
  getConnectorOffsets,
  pauseConnector,
  resetConnectorOffsets,
  resumeConnector,
  stopConnector,
  type ConnectEndpoint,
} from '../../src/kafka/connect-rest.js';
import { createProbeClient } from '../../src/kafka/probe-client.js';
import { ConnectorIdempotencyProbe } from '../../src/probes/connect/connector-idempotency.js';
import { runProbes } from '../../src/probes/run-probes.js';
import { syntheticRecord } from '../../src/restore/data.js';
import { connectorsAsRestored } from '../../src/restore/connectors.js';
import type { PhaseResult } from '../../src/restore/phase.js';
import { restoreSnapshot } from '../../src/restore/restore.js';
import { captureBaseline, verifyRestore } from '../../src/verify/verify.js';
import { captureSnapshot } from '../../src/snapshot/capture.js';
import { captureConnect } from '../../src/snapshot/capture-connect.js';
import { loadSnapshot, writeSnapshot } from '../../src/snapshot/load.js';
import type { Snapshot } from '../../src/snapshot/schema.js';
import { OLD_LINE_VERSION, startForTest, waitFor } from '../support/kafka.js';
import { tempDir } from '../support/temp.js';

const toolVersion = '0.0.0-test';
const PER_PARTITION = 10;
const SOURCE_LINES = 10;
const SECRET = `s3cr3t-${Date.now()}`;
const API_KEY = `ak-${Date.now()}-secret`;
const STRINGS = { 'key.converter': 'org.apache.kafka.connect.storage.StringConverter', 'value.converter': 'org.apache.kafka.connect.storage.StringConverter' };

interface Files {
  sink: string;
  secretSink: string;
  source: string;
}

const lineCount = async (file: string) => (await readFile(file, 'utf8').catch(() => '')).split('\n').filter(Boolean).length;

/**
 * A source cluster with Connect: topic `lines` (2 partitions, the records synthetic data would
 * write, so the restored topic holds the same records), a FileStream sink writing them to a
 * file, a FileStream source reading a file into `source-lines`, and a paused sink with secrets.
 */
async function capturedSource(kafkaVersion: string, dir: string, files: Files): Promise<{ snapshot: Snapshot; text: string }> {
  const source = await startForTest({ kafkaVersion, security: 'scram', connect: { heapMb: 384 } });
  const endpoint: ConnectEndpoint = { url: source.connect!.url };
  const kafka = createProbeClient(source.admin);
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [
      { topic: 'lines', numPartitions: 2 },
      { topic: 'source-lines', numPartitions: 1 },
    ],
    waitForLeaders: true,
  });
  await admin.disconnect();
  const producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: true });
  await producer.connect();
  for (const partition of [0, 1]) {
    await producer.send({
      topic: 'lines',
      acks: -1,
      messages: Array.from({ length: PER_PARTITION }, (_, offset) => ({ ...syntheticRecord('lines', partition, offset), partition })),
    });
  }
  await producer.disconnect();
  await writeFile(files.source, Array.from({ length: SOURCE_LINES }, (_, i) => `source line ${i}\n`).join(''));

  await createConnector(endpoint, 'file-sink', {
    'connector.class': 'org.apache.kafka.connect.file.FileStreamSinkConnector',
    topics: 'lines',
    file: files.sink,
    'tasks.max': '1',
    ...STRINGS,
  });
  await createConnector(endpoint, 'file-source', { 'connector.class': 'FileStreamSource', topic: 'source-lines', file: files.source, 'tasks.max': '1', ...STRINGS });
  await createConnector(endpoint, 'secret-sink', {
    'connector.class': 'org.apache.kafka.connect.file.FileStreamSinkConnector',
    topics: 'lines',
    file: files.secretSink,
    'db.password': SECRET,
    'api.key': API_KEY,
    'ref.password': '${file:/etc/kafka/secrets.properties:db.password}',
    ...STRINGS,
  });
  const committedSinkOffsets = async (name: string) => {
    const offsets = await getConnectorOffsets(endpoint, name);
    return offsets.length === 2 && offsets.every((entry) => entry.offset?.kafka_offset === PER_PARTITION);
  };
  await waitFor(async () => (await lineCount(files.sink)) === 2 * PER_PARTITION && (await committedSinkOffsets('file-sink')), 90_000, 'file-sink to write and commit');
  await waitFor(async () => (await lineCount(files.secretSink)) === 2 * PER_PARTITION && (await committedSinkOffsets('secret-sink')), 90_000, 'secret-sink to write and commit');
  // Connect commits a source's position on its own flush schedule, after the records are in the topic:
  // capture only once the whole file is committed, or the snapshot holds a topic ahead of its connector.
  const sourceBytes = (await readFile(files.source)).length;
  await waitFor(
    async () => (await getConnectorOffsets(endpoint, 'file-source')).some((entry) => Number(entry.offset?.position) === sourceBytes),
    90_000,
    'file-source to commit the end of its file',
  );
  await pauseConnector(endpoint, 'secret-sink');
  await waitFor(async () => (await connectorStatus(endpoint, 'secret-sink')).connector.state === 'PAUSED', 30_000, 'secret-sink to pause');

  const kafkaSide = await captureSnapshot(source.admin, { toolVersion });
  const content = { ...kafkaSide, connect: (await captureConnect(endpoint, kafkaSide)).connect };
  const file = join(dir, `source-${kafkaVersion}.json`);
  await writeSnapshot(file, content);
  // The sinks' files are the real stores the restored sinks write to: the source must be gone.
  await source.stop();
  return { snapshot: await loadSnapshot(file), text: await readFile(file, 'utf8') };
}

const secretSources = { 'secret-sink': { 'db.password': { env: 'KAFKA_DRILL_TEST_DB_PASSWORD' }, 'api.key': { env: 'KAFKA_DRILL_TEST_API_KEY' } } };

function phase(phases: PhaseResult[], name: string): PhaseResult {
  return phases.find((p) => p.phase === name)!;
}

describe.each([
  { from: DEFAULT_KAFKA_VERSION, full: true },
  { from: OLD_LINE_VERSION, full: false },
])(`Connect: capture on $from → restore into ${DEFAULT_KAFKA_VERSION} → capture`, async ({ from, full }) => {
  process.env.KAFKA_DRILL_TEST_DB_PASSWORD = SECRET;
  process.env.KAFKA_DRILL_TEST_API_KEY = API_KEY;
  const dir = tempDir('connect');
  const files: Files = { sink: join(dir, 'sink.txt'), secretSink: join(dir, 'secret-sink.txt'), source: join(dir, 'source.txt') };
  const { snapshot, text } = await capturedSource(from, dir, files);

  // The restored connectors use the drill's copies of their files (a real recovery's stores outlive Kafka), never the source's.
  const drillDir = tempDir('connect-drill');
  const drillFiles: Files = { sink: join(drillDir, 'sink.txt'), secretSink: join(drillDir, 'secret-sink.txt'), source: join(drillDir, 'source.txt') };
  for (const key of ['sink', 'secretSink', 'source'] as const) await copyFile(files[key], drillFiles[key]);
  const sourceDigests = await digests(files);
  const placeholders = { 'drill.workDir': drillDir };
  const connectorOverrides = {
    'file-sink': { config: { file: '${drill.workDir}/sink.txt' } },
    'secret-sink': { config: { file: '${drill.workDir}/secret-sink.txt' } },
    'file-source': { config: { file: '${drill.workDir}/source.txt' } },
  };
  const asRestored = connectorsAsRestored(snapshot, connectorOverrides, placeholders);
  const restoreOptions = { connect: { url: '' }, connectorSecrets: secretSources, connectorOverrides, placeholders };

  const target: StartedEnvironment = await startForTest({ security: 'scram', connect: { heapMb: 384 } });
  const endpoint: ConnectEndpoint = { url: target.connect!.url };
  restoreOptions.connect = endpoint;
  const baseline = await captureBaseline(target.admin, snapshot, toolVersion);
  const restored = await restoreSnapshot(target.admin, snapshot, { ...restoreOptions, data: 'synthetic' });
  const verified = await verifyRestore(target.admin, asRestored, { baseline, phases: restored.phases, compareData: true, toolVersion, connect: endpoint });
  const connectorsPhase = phase(restored.phases, 'connectors');
  console.log(`Connect ${from} → ${DEFAULT_KAFKA_VERSION}: worker start-up ${target.connect!.startupMs} ms; connectors phase ${connectorsPhase.durationMs} ms for 3 connectors`);

  it('captured every connector with config, state, tasks and offsets, secrets redacted and references kept', () => {
    const byName = new Map(snapshot.connect!.connectors.map((c) => [c.name, c]));
    expect([...byName.keys()]).toEqual(['file-sink', 'file-source', 'secret-sink']);
    expect(byName.get('file-sink')).toMatchObject({ type: 'sink', state: 'RUNNING', tasks: 1 });
    expect(byName.get('file-sink')!.offsets).toEqual([0, 1].map((p) => ({ partition: { kafka_topic: 'lines', kafka_partition: p }, offset: { kafka_offset: PER_PARTITION } })));
    expect(byName.get('file-source')).toMatchObject({ type: 'source', state: 'RUNNING', tasks: 1 });
    expect(byName.get('file-source')!.offsets[0]!.offset).toMatchObject({ position: expect.any(Number) });
    expect(byName.get('secret-sink')).toMatchObject({ state: 'PAUSED', tasks: 1 });
    expect(byName.get('secret-sink')!.config).toMatchObject({
      'db.password': { redacted: true },
      'api.key': { redacted: true },
      'ref.password': '${file:/etc/kafka/secrets.properties:db.password}',
      'key.converter': STRINGS['key.converter'],
    });
    expect(snapshot.connect!.internalTopics).toEqual(['kafka-drill-connect-configs', 'kafka-drill-connect-offsets', 'kafka-drill-connect-status']);
    expect(snapshot.topics.map((t) => t.name)).toEqual(['lines', 'source-lines']);
  });

  it('restores each connector in its state with its offsets, and shows no drift', async () => {
    expect(connectorsPhase).toMatchObject({ status: 'passed', counts: { created: 3, updated: 0, unchanged: 0, failed: 0 } });
    expect(verified.differences.filter((d) => d.classification === 'drift')).toEqual([]);
    expect(verified.capture.connect!.connectors.map((c) => [c.name, c.state, c.tasks])).toEqual([
      ['file-sink', 'RUNNING', 1],
      ['file-source', 'RUNNING', 1],
      ['secret-sink', 'PAUSED', 0],
    ]);
    // Connect creates a connector's tasks when it runs; one restored paused has none until resumed.
    expect(verified.differences).toContainEqual(expect.objectContaining({ kind: 'connector-tasks', object: 'connector secret-sink', classification: 'expected' }));
    // The redacted secret came from the drill's credential source.
    expect((await getConnector(endpoint, 'secret-sink')).config['db.password']).toBe(SECRET);
  });

  it('never writes a secret into the snapshot or the restore results', () => {
    for (const secret of [SECRET, API_KEY]) {
      expect(text).not.toContain(secret);
      expect(JSON.stringify(restored.phases)).not.toContain(secret);
      expect(JSON.stringify(verified.differences)).not.toContain(secret);
    }
  });

  if (!full) return;

  it('is idempotent: a second run changes nothing', async () => {
    const again = await restoreSnapshot(target.admin, snapshot, { ...restoreOptions, phases: ['connectors'] });
    expect(phase(again.phases, 'connectors')).toMatchObject({ status: 'passed', counts: { created: 0, updated: 0, unchanged: 3, failed: 0 } });
  });

  it('idempotency probe passes on the restored sink and source: nothing replayed, new input once', async () => {
    const sinkLinesBefore = await lineCount(drillFiles.sink);
    expect(sinkLinesBefore).toBe(2 * PER_PARTITION);
    const probes = [
      new ConnectorIdempotencyProbe('sink', 'sink', { connector: 'file-sink', newRecords: 5, allowedDuplicates: 0, timeoutMs: 90_000 }),
      new ConnectorIdempotencyProbe('source', 'source', { connector: 'file-source', newRecords: 5, allowedDuplicates: 0, timeoutMs: 90_000 }),
    ];
    const outcomes = await runProbes(probes, probeContext(target, asRestored, drillDir));
    expect(outcomes.map((o) => [o.id, o.status])).toEqual([
      ['sink', 'passed'],
      ['source', 'passed'],
    ]);
    expect(outcomes[0]!.evidence.map((e) => e.observed)).toEqual(['0 records delivered again', '5 delivered once each']);
    expect(outcomes[1]!.evidence.map((e) => e.observed)).toEqual(['0 records emitted again', '5 emitted once each']);
  });

  it('a sink whose restored offsets are deleted replays, and the probe says how many', async () => {
    await stopConnector(endpoint, 'file-sink');
    await waitFor(async () => (await connectorStatus(endpoint, 'file-sink')).connector.state === 'STOPPED', 30_000, 'file-sink to stop');
    await resetConnectorOffsets(endpoint, 'file-sink');
    await resumeConnector(endpoint, 'file-sink');
    const [outcome] = await runProbes(
      [new ConnectorIdempotencyProbe('replay', 'replay', { connector: 'file-sink', newRecords: 3, allowedDuplicates: 0, timeoutMs: 90_000 })],
      probeContext(target, asRestored, drillDir),
    );
    // Everything in the topic again: the 20 restored records and the 5 the previous probe wrote.
    expect(outcome!.status).toBe('failed');
    expect(outcome!.evidence[0]).toMatchObject({ expected: '≤ 0 records delivered again', observed: `${2 * PER_PARTITION + 5} records delivered again` });
    expect(outcome!.evidence[0]).toMatchObject({ outcome: 'failed', detail: expect.stringMatching(/^25 replayed \(25 distinct\); first: /) });
    expect(outcome!.evidence[1]).toMatchObject({ outcome: 'passed', observed: '3 delivered once each' });
  });

  it('a plugin the workers lack is a finding naming the class; a secret without a source is a manual step', async () => {
    const secretSink = snapshot.connect!.connectors.find((c) => c.name === 'secret-sink')!;
    const ghost = { ...secretSink, name: 'ghost', config: { ...secretSink.config, 'connector.class': 'com.example.NoSuchSinkConnector', name: 'ghost' } };
    const unsourced = { ...secretSink, name: 'unsourced', config: { ...secretSink.config, name: 'unsourced' } };
    const altered: Snapshot = { ...snapshot, connect: { ...snapshot.connect!, connectors: [ghost, unsourced] } };
    const outcome = await restoreSnapshot(target.admin, altered, { ...restoreOptions, phases: ['connectors'] });
    const result = phase(outcome.phases, 'connectors');
    expect(result.status).toBe('failed');
    expect(result.counts).toMatchObject({ created: 0, failed: 1 });
    expect(result.findings).toContainEqual(
      expect.objectContaining({
        code: 'connector-plugin-missing',
        severity: 'error',
        object: 'connector ghost',
        message: expect.stringContaining('com.example.NoSuchSinkConnector'),
      }),
    );
    expect(result.findings).toContainEqual(expect.objectContaining({ code: 'connector-secret-missing', severity: 'warning', object: 'connector unsourced' }));
    expect(result.manualSteps.map((step) => step.id)).toEqual(['connector-secret-unsourced-api.key', 'connector-secret-unsourced-db.password']);
  });

  it("never wrote to the source's files: the restored connectors and probes used the drill's copies", async () => {
    expect(await digests(files)).toEqual(sourceDigests);
  });
});

async function digests(files: Files): Promise<Record<string, string>> {
  const entries = await Promise.all(
    Object.entries(files).map(
      async ([key, file]) =>
        [
          key,
          createHash('sha256')
            .update(await readFile(file))
            .digest('hex'),
        ] as const,
    ),
  );
  return Object.fromEntries(entries);
}

function probeContext(target: StartedEnvironment, snapshot: Snapshot, workDir: string) {
  return {
    workDir,
    connection: target.admin,
    snapshot,
    credentials: new Map<string, string>(),
    environment: { bootstrap: target.admin.bootstrap, security: target.security, kafkaVersion: target.kafkaVersion },
    specDir: workDir,
    signal: new AbortController().signal,
    timeoutMs: 90_000,
  };
}
