import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect } from 'vitest';
import { connectPluginsDir } from '../../src/environment/connect.js';
import { createConnector, type ConnectEndpoint } from '../../src/kafka/connect.js';
import { createProbeClient } from '../../src/kafka/probe-client.js';
import type { KafkaConnection } from '../../src/kafka/connection.js';
import { ConnectorIdempotencyProbe } from '../../src/probes/connector-idempotency.js';
import { runProbes } from '../../src/probes/probe.js';
import { restoreSnapshot } from '../../src/restore/restore.js';
import { captureSnapshot } from '../../src/snapshot/capture.js';
import { captureConnect } from '../../src/snapshot/capture-connect.js';
import { serializeSnapshot } from '../../src/snapshot/canonical.js';
import { loadSnapshot, writeSnapshot } from '../../src/snapshot/load.js';
import { startForTest, waitFor } from '../support/kafka.js';
import { postgresInstalled, psqlLines, startPostgres } from '../support/postgres.js';
import { fileExists, itWith } from '../support/require.js';
import { tempDir } from '../support/temp.js';

/**
 * Debezium's JDBC sink writing to a real PostgreSQL, restored from a snapshot taken after the
 * sinks wrote every row but before they committed their offsets (Connect commits every
 * offset.flush.interval.ms; the source workers here never get there). The restored sinks replay
 * the topic: insert.mode=insert duplicates every row, upsert with a primary key absorbs it.
 */
const JDBC_PLUGIN = join(connectPluginsDir(), 'debezium-connector-jdbc-3.6.0.Final');
const it = itWith(postgresInstalled, fileExists(JDBC_PLUGIN));
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

async function produceOrders(connection: KafkaConnection): Promise<void> {
  const producer = createProbeClient(connection).producer({ allowAutoTopicCreation: false, idempotent: true });
  await producer.connect();
  await producer.send({
    topic: 'orders',
    acks: -1,
    messages: Array.from({ length: ROWS }, (_, id) => ({
      key: JSON.stringify({ schema: keySchema, payload: { id } }),
      value: JSON.stringify({ schema: valueSchema, payload: { id, note: `order ${id}` } }),
    })),
  });
  await producer.disconnect();
}

async function createOrdersTopic(connection: KafkaConnection): Promise<void> {
  const admin = createProbeClient(connection).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 1 }], waitForLeaders: true });
  await admin.disconnect();
}

function jdbcSink(jdbcUrl: string, table: string, mode: 'insert' | 'upsert'): Record<string, string> {
  return {
    'connector.class': 'io.debezium.connector.jdbc.JdbcSinkConnector',
    topics: 'orders',
    'tasks.max': '1',
    'connection.url': jdbcUrl,
    'connection.username': 'postgres',
    'connection.password': PASSWORD,
    'insert.mode': mode,
    ...(mode === 'upsert' ? { 'primary.key.mode': 'record_key', 'primary.key.fields': 'id' } : { 'primary.key.mode': 'none' }),
    'schema.evolution': 'basic',
    'collection.name.format': table,
  };
}

describe('Debezium JDBC sink to PostgreSQL: replay after restore', async () => {
  if (!postgresInstalled.available || !existsSync(JDBC_PLUGIN)) {
    it('replays into PostgreSQL', () => {});
    return;
  }
  const postgres = await startPostgres();
  afterAll(() => postgres.stop());
  const dir = tempDir('connect-jdbc');

  const source = await startForTest({ security: 'scram', connect: { heapMb: 384, workerConfig: { 'offset.flush.interval.ms': '600000' } } });
  const sourceConnect: ConnectEndpoint = { url: source.connect!.url };
  await createOrdersTopic(source.admin);
  await produceOrders(source.admin);
  await createConnector(sourceConnect, 'jdbc-insert', jdbcSink(postgres.jdbcUrl, 'orders_insert', 'insert'));
  await createConnector(sourceConnect, 'jdbc-upsert', jdbcSink(postgres.jdbcUrl, 'orders_upsert', 'upsert'));
  const rows = async (table: string) => Number((await psqlLines(postgres.url, `SELECT count(*) FROM ${table}`).catch(() => ['0']))[0]);
  await waitFor(async () => (await rows('orders_insert')) === ROWS && (await rows('orders_upsert')) === ROWS, 120_000, 'both sinks to write every row');
  const kafkaSide = await captureSnapshot(source.admin, { toolVersion: '0.0.0-test' });
  const file = join(dir, 'jdbc.json');
  await writeSnapshot(file, { ...kafkaSide, connect: (await captureConnect(sourceConnect, kafkaSide)).connect });
  await source.stop();
  const snapshot = await loadSnapshot(file);

  const target = await startForTest({ security: 'scram', connect: { heapMb: 384 } });
  const targetConnect: ConnectEndpoint = { url: target.connect!.url };
  process.env.KAFKA_DRILL_TEST_PG_PASSWORD = PASSWORD;
  const secrets = Object.fromEntries(['jdbc-insert', 'jdbc-upsert'].map((name) => [name, { 'connection.password': { env: 'KAFKA_DRILL_TEST_PG_PASSWORD' } }]));
  const kafkaPhases = await restoreSnapshot(target.admin, snapshot, { phases: ['topics', 'offsets'] });
  // The records themselves come back as replication would bring them (synthetic data has no schema).
  await produceOrders(target.admin);
  // connection.url names a database: the restored sinks run only against one the spec replaces it with (here the test's own stands for the drill's).
  const connectorOverrides = Object.fromEntries(['jdbc-insert', 'jdbc-upsert'].map((name) => [name, { config: { 'connection.url': '${drill.postgres.jdbcUrl}' } }]));
  const restored = await restoreSnapshot(target.admin, snapshot, {
    phases: ['connectors'],
    connect: targetConnect,
    connectorSecrets: secrets,
    connectorOverrides,
    placeholders: { 'drill.postgres.jdbcUrl': postgres.jdbcUrl },
  });
  const probeContext = {
    connection: target.admin,
    snapshot,
    credentials: new Map<string, string>(),
    environment: { bootstrap: target.admin.bootstrap, security: target.security, kafkaVersion: target.kafkaVersion },
    specDir: dir,
    signal: new AbortController().signal,
    timeoutMs: 120_000,
  };
  const probe = (connector: string, table: string) =>
    new ConnectorIdempotencyProbe(connector, connector, {
      connector,
      newRecords: 0,
      allowedDuplicates: 0,
      store: { postgres: { url: postgres.url, table, key: ['id'] } },
      timeoutMs: 120_000,
    });
  const [insert, upsert] = await runProbes([probe('jdbc-insert', 'orders_insert'), probe('jdbc-upsert', 'orders_upsert')], probeContext);

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
    expect(insert!.status).toBe('failed');
    expect(insert!.evidence.filter((e) => e.outcome === 'failed')).toEqual([
      expect.objectContaining({ resource: 'connector jdbc-insert table orders_insert', expected: '≤ 0 records delivered again', observed: `${ROWS} records delivered again` }),
    ]);
    expect(insert!.evidence[0]!.detail).toMatch(/^20 replayed \(20 distinct\); first: \d+/);
    expect(JSON.stringify(insert)).not.toContain(PASSWORD);
  });

  it('insert.mode=upsert with a primary key absorbs the same replay', () => {
    expect(upsert!.status).toBe('passed');
    expect(upsert!.evidence[0]).toMatchObject({ outcome: 'passed', observed: '0 records delivered again' });
    expect(upsert!.evidence[1]).toMatchObject({ outcome: 'skipped' });
  });
});
