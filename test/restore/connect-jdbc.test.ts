import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { startDrill } from '../../src/drill/runner.js';
import type { ProbeRecord, Result } from '../../src/model/result.js';
import { connectPluginsDir } from '../../src/runtime/plugins.js';
import { startEnvironment } from '../../src/environment/start.js';
import type { StartedEnvironment } from '../../src/environment/types.js';
import { createConnector, type ConnectEndpoint } from '../../src/kafka/connect-rest.js';
import { createProbeClient } from '../../src/kafka/probe-client.js';
import type { KafkaConnection } from '../../src/kafka/connection.js';
import { ConnectorIdempotencyProbe } from '../../src/probes/connect/connector-idempotency.js';
import { restoreSnapshot } from '../../src/restore/restore.js';
import { captureSnapshot } from '../../src/snapshot/capture.js';
import { captureConnect } from '../../src/snapshot/capture-connect.js';
import { serializeSnapshot } from '../../src/snapshot/canonical.js';
import { loadSnapshot, writeSnapshot } from '../../src/snapshot/load.js';
import type { Snapshot } from '../../src/snapshot/schema.js';
import { loadSpec } from '../../src/drill-spec/load.js';
import { alive, startForTest, waitFor } from '../support/kafka.js';
import { postgresInstalled, processesOn, psqlLines, startPostgres, type StartedPostgres } from '../support/postgres.js';
import { allAvailable, fileExists, itWith } from '../support/require.js';
import { tempDir } from '../support/temp.js';
import { runProbes } from '../../src/probes/run-probes.js';

/**
 * Debezium's JDBC sink and PostgreSQL, for real.
 *
 * 1. Replay: a snapshot taken after the sinks wrote every row but before they committed their
 *    offsets (Connect commits every offset.flush.interval.ms; these workers never get there). The
 *    restored sinks replay the topic: insert.mode=insert duplicates every row, upsert with a
 *    primary key absorbs it.
 * 2. A drill of a snapshot whose sink writes to a "production" PostgreSQL (started here): the
 *    drill's own PostgreSQL (target.postgres) takes the sink's writes, the probe's new records
 *    arrive there once each, production is untouched, and the drill's PostgreSQL is gone after.
 */
const JDBC_PLUGIN = join(connectPluginsDir(), 'debezium-connector-jdbc-3.6.0.Final');
const prerequisites = [postgresInstalled, fileExists(JDBC_PLUGIN)];
const it = itWith(...prerequisites);
const ROWS = 20;
const PASSWORD = `pg-${Date.now()}-secret`;

const keySchema = { type: 'struct', optional: false, fields: [{ field: 'id', type: 'int32', optional: false }] };
const valueSchema = {
  type: 'struct',
  optional: false,
  fields: [
    { field: 'id', type: 'int32', optional: false },
    { field: 'note', type: 'string', optional: true },
  ],
};

async function produceOrders(connection: KafkaConnection, topic: string): Promise<void> {
  const producer = createProbeClient(connection).producer({ allowAutoTopicCreation: false, idempotent: true });
  await producer.connect();
  await producer.send({
    topic,
    acks: -1,
    messages: Array.from({ length: ROWS }, (_, id) => ({
      key: JSON.stringify({ schema: keySchema, payload: { id } }),
      value: JSON.stringify({ schema: valueSchema, payload: { id, note: `order ${id}` } }),
    })),
  });
  await producer.disconnect();
}

async function createTopic(connection: KafkaConnection, topic: string, partitions = 1): Promise<void> {
  const admin = createProbeClient(connection).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
  await admin.disconnect();
}

function jdbcSink(jdbcUrl: string, topic: string, table: string | undefined, mode: 'insert' | 'upsert'): Record<string, string> {
  return {
    'connector.class': 'io.debezium.connector.jdbc.JdbcSinkConnector',
    topics: topic,
    'tasks.max': '1',
    'connection.url': jdbcUrl,
    'connection.username': 'postgres',
    'connection.password': PASSWORD,
    'insert.mode': mode,
    ...(mode === 'upsert' ? { 'primary.key.mode': 'record_key', 'primary.key.fields': 'id' } : { 'primary.key.mode': 'none' }),
    'schema.evolution': 'basic',
    ...(table ? { 'collection.name.format': table } : {}),
  };
}

async function captureWithConnect(source: StartedEnvironment, file: string): Promise<Snapshot> {
  const connect: ConnectEndpoint = { url: source.connect!.url };
  const kafkaSide = await captureSnapshot(source.admin, { toolVersion: '0.0.0-test' });
  await writeSnapshot(file, { ...kafkaSide, connect: (await captureConnect(connect, kafkaSide)).connect });
  return loadSnapshot(file);
}

/** Every table of a database with its columns, row count and a digest of every row version (xmin changes on any write). */
async function databaseState(url: string): Promise<string[]> {
  const tables = await psqlLines(url, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1");
  const states = [];
  for (const table of tables) {
    const [columns] = await psqlLines(
      url,
      `SELECT string_agg(column_name || ' ' || data_type, ', ' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_name = '${table}'`,
    );
    const [rows] = await psqlLines(url, `SELECT count(*) || ' rows, ' || md5(coalesce(string_agg(t.xmin::text || ':' || t::text, ',' ORDER BY t::text), '')) FROM "${table}" t`);
    states.push(`${table} (${columns}): ${rows}`);
  }
  return states;
}

type RestoreResult = Awaited<ReturnType<typeof restoreSnapshot>>;

let production: StartedPostgres;
beforeAll(async () => {
  if (allAvailable(...prerequisites)) production = await startPostgres();
});
afterAll(() => production?.stop());

describe('Debezium JDBC sink to PostgreSQL: replay after restore', () => {
  let snapshot: Snapshot;
  let kafkaPhases: RestoreResult;
  let restored: RestoreResult;
  let insert: ProbeRecord;
  let upsert: ProbeRecord;
  let psqlArgv: string[];
  let brokenOutcome: ProbeRecord;
  let brokenMs: number;

  beforeAll(async () => {
    if (!allAvailable(...prerequisites)) return;
    const dir = tempDir('connect-jdbc');
    const source = await startForTest({ security: 'scram', connect: { heapMb: 384, workerConfig: { 'offset.flush.interval.ms': '600000' } } });
    const sourceConnect: ConnectEndpoint = { url: source.connect!.url };
    await createTopic(source.admin, 'orders');
    await produceOrders(source.admin, 'orders');
    await createConnector(sourceConnect, 'jdbc-insert', jdbcSink(production.jdbcUrl, 'orders', 'orders_insert', 'insert'));
    await createConnector(sourceConnect, 'jdbc-upsert', jdbcSink(production.jdbcUrl, 'orders', 'orders_upsert', 'upsert'));
    const rows = async (table: string) => Number((await psqlLines(production.url, `SELECT count(*) FROM ${table}`).catch(() => ['0']))[0]);
    await waitFor(async () => (await rows('orders_insert')) === ROWS && (await rows('orders_upsert')) === ROWS, 120_000, 'both sinks to write every row');
    snapshot = await captureWithConnect(source, join(dir, 'jdbc.json'));
    await source.stop();

    const target = await startForTest({ security: 'scram', connect: { heapMb: 384 } });
    const targetConnect: ConnectEndpoint = { url: target.connect!.url };
    process.env.KAFKA_DRILL_TEST_PG_PASSWORD = PASSWORD;
    const secrets = Object.fromEntries(['jdbc-insert', 'jdbc-upsert'].map((name) => [name, { 'connection.password': { env: 'KAFKA_DRILL_TEST_PG_PASSWORD' } }]));
    kafkaPhases = await restoreSnapshot(target.admin, snapshot, { phases: ['topics', 'offsets'] });
    // The records themselves come back as replication would bring them (synthetic data has no schema).
    await produceOrders(target.admin, 'orders');
    // connection.url names a database: the restored sinks run only against one the spec replaces it with (here the test's own stands for the drill's).
    const connectorOverrides = Object.fromEntries(['jdbc-insert', 'jdbc-upsert'].map((name) => [name, { config: { 'connection.url': '${drill.postgres.jdbcUrl}' } }]));
    restored = await restoreSnapshot(target.admin, snapshot, {
      phases: ['connectors'],
      connect: targetConnect,
      connectorSecrets: secrets,
      connectorOverrides,
      placeholders: { 'drill.postgres.jdbcUrl': production.jdbcUrl },
    });
    const probeContext = {
      connection: target.admin,
      snapshot,
      credentials: new Map<string, string>(),
      environment: { bootstrap: target.admin.bootstrap, security: target.security, kafkaVersion: target.kafkaVersion },
      connect: targetConnect,
      workDir: dir,
      specDir: dir,
      signal: new AbortController().signal,
      timeoutMs: 120_000,
    };
    // The store's URL carries a password: psql must get it from a passfile, never in its arguments.
    // A psql first on PATH records the arguments of every psql the probes start, then runs the real one.
    const [user, rest] = production.url.replace('postgresql://', '').split('@');
    const urlWithPassword = `postgresql://${user}:${encodeURIComponent(PASSWORD)}@${rest}`;
    const bin = tempDir('psql-spy');
    const argvLog = join(bin, 'argv.log');
    writeFileSync(join(bin, 'psql'), `#!/bin/sh\nprintf '%s\\n' "$*" >> '${argvLog}'\nexec /usr/bin/psql "$@"\n`);
    chmodSync(join(bin, 'psql'), 0o755);
    const probe = (connector: string, table: string) =>
      new ConnectorIdempotencyProbe(connector, connector, {
        connector,
        newRecords: 0,
        allowedDuplicates: 0,
        store: { postgres: { url: urlWithPassword, table, key: ['id'] } },
        timeoutMs: 120_000,
      });
    const path = process.env.PATH;
    process.env.PATH = `${bin}:${path}`;
    try {
      [insert, upsert] = (await runProbes([probe('jdbc-insert', 'orders_insert'), probe('jdbc-upsert', 'orders_upsert')], probeContext)) as [ProbeRecord, ProbeRecord];
    } finally {
      process.env.PATH = path;
    }
    psqlArgv = existsSync(argvLog) ? readFileSync(argvLog, 'utf8').split('\n').filter(Boolean) : [];

    // A sink whose database cannot be reached: its task fails, and the probe must say so at once.
    const broken = {
      name: 'jdbc-broken',
      type: 'sink' as const,
      config: jdbcSink('jdbc:postgresql://127.0.0.1:1/none', 'orders', 'orders_broken', 'upsert'),
      tasks: 1,
      state: 'RUNNING' as const,
      offsets: [],
    };
    await createConnector(targetConnect, broken.name, broken.config);
    const started = Date.now();
    [brokenOutcome] = (await runProbes(
      [
        new ConnectorIdempotencyProbe(broken.name, broken.name, {
          connector: broken.name,
          newRecords: 3,
          allowedDuplicates: 0,
          store: { postgres: { url: production.url, table: 'orders_broken', key: ['id'] } },
          timeoutMs: 120_000,
        }),
      ],
      { ...probeContext, snapshot: { ...snapshot, connect: { ...snapshot.connect!, connectors: [...snapshot.connect!.connectors, broken] } } },
    )) as [ProbeRecord];
    brokenMs = Date.now() - started;
  }, 600_000);

  it('captured the sinks without committed offsets and without the password', () => {
    expect(snapshot.connect!.connectors.map((c) => [c.name, c.offsets.length, c.config['connection.password']])).toEqual([
      ['jdbc-insert', 0, { redacted: true }],
      ['jdbc-upsert', 0, { redacted: true }],
    ]);
    expect(serializeSnapshot(snapshot)).not.toContain(PASSWORD);
  });

  it('restores both sinks running', () => {
    expect(kafkaPhases.phases.filter((p) => p.status === 'failed')).toEqual([]);
    const connectors = restored.phases.find((p) => p.phase === 'connectors')!;
    expect(connectors.findings.filter((f) => f.severity !== 'info')).toEqual([]);
    expect(connectors).toMatchObject({ status: 'passed', counts: { created: 2, failed: 0 } });
  });

  it('insert.mode=insert: the replay duplicates every row, and the probe fails for exactly that', () => {
    expect(insert.status).toBe('failed');
    expect(insert.evidence.filter((e) => e.outcome === 'failed')).toEqual([
      expect.objectContaining({ resource: 'connector jdbc-insert table orders_insert', expected: '≤ 0 records delivered again', observed: `${ROWS} records delivered again` }),
    ]);
    expect(insert.evidence[0]!.detail).toMatch(/^20 replayed \(20 distinct\); first: \d+/);
    expect(JSON.stringify(insert)).not.toContain(PASSWORD);
  });

  it('insert.mode=upsert with a primary key absorbs the same replay', () => {
    expect(upsert.status).toBe('passed');
    expect(upsert.evidence[0]).toMatchObject({ outcome: 'passed', observed: '0 records delivered again' });
    expect(upsert.evidence[1]).toMatchObject({ outcome: 'skipped' });
  });

  it('psql read the tables with the password from a passfile: no psql argument held it', () => {
    expect(psqlArgv.length).toBeGreaterThanOrEqual(2);
    expect(psqlArgv.every((argv) => argv.includes(' -d postgresql://postgres@127.0.0.1:'))).toBe(true);
    expect(psqlArgv.filter((argv) => argv.includes(PASSWORD) || argv.includes(encodeURIComponent(PASSWORD)))).toEqual([]);
  });

  it("a sink whose task FAILED fails the probe at once, with Connect's trace", () => {
    expect(brokenOutcome.status).toBe('failed');
    expect(brokenOutcome.evidence).toEqual([
      expect.objectContaining({
        outcome: 'failed',
        expected: 'connector jdbc-broken and its tasks running',
        observed: 'task 0 FAILED',
        detail: expect.stringMatching(/^task 0: \S+(Exception|Error)/),
      }),
    ]);
    expect(brokenMs).toBeLessThan(60_000);
  });
});

describe('a drill of a JDBC sink: the drill owns the PostgreSQL it writes to', () => {
  const TOPIC = 'shop.orders';
  const NEW_RECORDS = 12;
  let before: string[];
  let after: string[];
  let result: Result;
  let drillEnvironment: StartedEnvironment | undefined;

  beforeAll(async () => {
    if (!allAvailable(...prerequisites)) return;
    const dir = tempDir('jdbc-drill');
    // "Production": a sink that wrote every row to the production database and committed its offsets.
    await psqlLines(production.url, 'CREATE DATABASE shop');
    const shop = { url: production.url.replace(/\/postgres$/, '/shop'), jdbcUrl: production.jdbcUrl.replace(/\/postgres$/, '/shop') };
    const source = await startForTest({ security: 'scram', connect: { heapMb: 384, workerConfig: { 'offset.flush.interval.ms': '1000' } } });
    await createTopic(source.admin, TOPIC, 2);
    await produceOrders(source.admin, TOPIC);
    await createConnector({ url: source.connect!.url }, 'orders-jdbc', jdbcSink(shop.jdbcUrl, TOPIC, undefined, 'upsert'));
    const committed = async () => {
      const admin = createProbeClient(source.admin).admin();
      await admin.connect();
      try {
        const [offsets] = await admin.fetchOffsets({ groupId: 'connect-orders-jdbc', topics: [TOPIC] });
        return offsets!.partitions.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
      } finally {
        await admin.disconnect();
      }
    };
    const rows = async () => Number((await psqlLines(shop.url, 'SELECT count(*) FROM shop_orders').catch(() => ['0']))[0]);
    await waitFor(async () => (await rows()) === ROWS && (await committed()) === ROWS, 120_000, 'the sink to write every row and commit its offsets');
    const snapshot = await captureWithConnect(source, join(dir, 'captured.json'));
    await source.stop();
    before = await databaseState(shop.url);

    const placeholders = { 'connection.url': '${drill.postgres.jdbcUrl}', 'connection.username': '${drill.postgres.user}', 'connection.password': '${drill.postgres.password}' };
    await writeSnapshot(join(dir, 'snapshot.json'), snapshot);
    writeFileSync(
      join(dir, 'jdbc.json'),
      JSON.stringify({
        name: 'jdbc',
        snapshot: './snapshot.json',
        target: { brokers: 1, security: 'scram', postgres: true, connect: { workers: 1 } },
        restore: {
          data: 'synthetic',
          credentials: { '*': { generate: true } },
          connectors: { 'orders-jdbc': { config: placeholders } },
        },
        probes: [{ type: 'connector-idempotency', id: 'orders-jdbc-once', connector: 'orders-jdbc', newRecords: NEW_RECORDS, timeoutMs: 150_000 }],
      }),
    );
    const snapshotFile = join(dir, 'snapshot.json');
    const drill = startDrill(
      { spec: await loadSpec(join(dir, 'jdbc.json')), snapshot: await loadSnapshot(snapshotFile), snapshotFile, snapshotSha256: '0'.repeat(64) },
      {
        kafkaVersions: ['4.3.1'],
        provider: 'process',
        toolVersion: '0.0.0-test',
        signal: new AbortController().signal,
        progress: () => {},
        startEnvironment: async (request) => (drillEnvironment = await startEnvironment('process', request)),
      },
    );
    result = await drill.done;
    after = await databaseState(shop.url);
  }, 900_000);

  it('passes: the restored sink resumed at its offsets and wrote each of the probe’s new records once, into the drill’s PostgreSQL', () => {
    const run = result.runs[0]!;
    expect([result.verdict, run.phases.filter((phase) => phase.status === 'failed').map((phase) => phase.name)]).toEqual(['passed', []]);
    const probe = run.probes.find((candidate) => candidate.id === 'orders-jdbc-once')!;
    expect(probe.status).toBe('passed');
    expect(probe.evidence.map((e) => [e.resource, e.outcome, e.observed])).toEqual([
      ['connector orders-jdbc table shop_orders', 'passed', '0 records delivered again'],
      ['connector orders-jdbc table shop_orders', 'passed', `${NEW_RECORDS} delivered once each`],
    ]);
    expect(probe.evidence[0]!.detail).toMatch(/the drill's table started empty: 0 row\(s\) besides the probe's/);
  });

  it('production database: the same tables, columns, row counts and row versions afterwards', () => {
    expect(before).toEqual([expect.stringMatching(/^shop_orders \(id integer, note [a-z ]+\): 20 rows, [0-9a-f]{32}$/)]);
    expect(after).toEqual(before);
  });

  it("the drill's PostgreSQL is gone: no process on its data directory, the directory removed; its password in no evidence", () => {
    const postgres = drillEnvironment!.postgres!;
    expect(alive(postgres.pid)).toBe(false);
    expect(processesOn(postgres.dataDir)).toEqual([]);
    expect(existsSync(postgres.dataDir)).toBe(false);
    expect(existsSync(drillEnvironment!.workDir)).toBe(false);
    expect(JSON.stringify(result)).not.toContain(postgres.password);
  });
});
