import { describe, expect, it } from 'vitest';
import { placeholderValues } from '../../../src/drill/runner.js';
import { drillPlaceholders, resolvePlaceholders } from '../../../src/drill-spec/placeholders.js';
import type { DrillPostgres } from '../../../src/environment/connect/postgres.js';
import { jdbcRecord, jdbcRecordShape, jdbcTableName, type JdbcRecordShape } from '../../../src/probes/connect/connector-idempotency.js';
import type { Connector, Snapshot } from '../../../src/snapshot/schema.js';

/** What the idempotency probe writes for a Debezium JDBC sink, from the connector's settings alone. */
const sink = (config: Record<string, string>): Connector => ({
  name: 'orders-jdbc',
  type: 'sink',
  config: { 'connector.class': 'io.debezium.connector.jdbc.JdbcSinkConnector', topics: 'shop.orders', ...config },
  tasks: 1,
  state: 'RUNNING',
  offsets: [],
});

describe('jdbcRecordShape and jdbcRecord', () => {
  it('record_key: a key struct of primary.key.fields, the same fields in the value, plus the marker column', () => {
    const connector = sink({ 'primary.key.mode': 'record_key', 'primary.key.fields': 'order_id, Region', 'insert.mode': 'upsert' });
    const shape = jdbcRecordShape(connector) as JdbcRecordShape;
    expect([shape.fields, shape.idColumns, shape.keyStruct]).toEqual([['order_id', 'Region'], ['order_id', 'region'], true]);
    const record = jdbcRecord(connector, shape, 'm:000001', 'm');
    expect(JSON.parse(record.key)).toEqual({
      schema: {
        type: 'struct',
        optional: false,
        fields: [
          { field: 'order_id', type: 'string', optional: false },
          { field: 'Region', type: 'string', optional: false },
        ],
      },
      payload: { order_id: 'm:000001', Region: 'm:000001' },
    });
    expect(JSON.parse(record.value).payload).toEqual({ order_id: 'm:000001', Region: 'm:000001', kafka_drill_probe: 'm' });
    // The sink creates the table itself only with schema.evolution=basic; else the probe's DDL mirrors its primary key.
    expect(shape.createTable!('shop_orders')).toBe(
      'CREATE TABLE IF NOT EXISTS "shop_orders" ("order_id" text NOT NULL, "region" text NOT NULL, "kafka_drill_probe" text, PRIMARY KEY ("order_id", "region"))',
    );
  });

  it('none and kafka modes: an id field in the value; the key in the key converter’s own form', () => {
    const plain = sink({ 'key.converter': 'org.apache.kafka.connect.storage.StringConverter', 'schema.evolution': 'basic' });
    const shape = jdbcRecordShape(plain) as JdbcRecordShape;
    expect([shape.fields, shape.keyStruct, shape.createTable]).toEqual([['id'], false, undefined]);
    expect(jdbcRecord(plain, shape, 'm:000002', 'm').key).toBe('m:000002');
    const kafka = sink({ 'primary.key.mode': 'kafka', 'key.converter.schemas.enable': 'false' });
    const kafkaShape = jdbcRecordShape(kafka) as JdbcRecordShape;
    expect(jdbcRecord(kafka, kafkaShape, 'm:000003', 'm').key).toBe('"m:000003"');
    expect(kafkaShape.createTable!('t')).toContain('PRIMARY KEY ("__connect_topic", "__connect_partition", "__connect_offset")');
  });

  it('no new input where the records would carry no schema, or the key comes from headers', () => {
    expect(jdbcRecordShape(sink({ 'value.converter.schemas.enable': 'false' }))).toEqual({ reason: expect.stringContaining('schemas.enable=false') });
    expect(jdbcRecordShape(sink({ 'value.converter': 'io.confluent.connect.avro.AvroConverter' }))).toEqual({ reason: expect.stringContaining('AvroConverter') });
    expect(jdbcRecordShape(sink({ 'primary.key.mode': 'record_header' }))).toEqual({ reason: expect.stringContaining('record_header') });
    expect(jdbcRecordShape(sink({ 'primary.key.mode': 'record_key', 'key.converter': 'org.apache.kafka.connect.storage.StringConverter' }))).toEqual({
      reason: expect.stringContaining('key.converter'),
    });
  });

  it("the table is Debezium's: ${topic} with dots made underscores, folded to lower case unless identifiers are quoted", () => {
    expect(jdbcTableName(sink({}), 'Shop.Orders')).toBe('shop_orders');
    expect(jdbcTableName(sink({ 'collection.name.format': 'sink_${topic}' }), 'shop.orders')).toBe('sink_shop_orders');
    expect(jdbcTableName(sink({ 'table.name.format': 'Archive', 'quote.identifiers': 'true' }), 'x')).toBe('Archive');
  });
});

describe('drill placeholders', () => {
  it('${drill.postgres.*} and ${drill.workDir} resolve in connector settings; Connect references stay', () => {
    const postgres = { jdbcUrl: 'jdbc:postgresql://127.0.0.1:15432/kafka_drill', user: 'kafka_drill', password: 'p4ss' } as DrillPostgres;
    const values = placeholderValues({ workDir: '/tmp/run-1', postgres });
    expect(values).toEqual({
      'drill.workDir': '/tmp/run-1',
      'drill.postgres.jdbcUrl': 'jdbc:postgresql://127.0.0.1:15432/kafka_drill',
      'drill.postgres.user': 'kafka_drill',
      'drill.postgres.password': 'p4ss',
    });
    const snapshot = {
      connect: {
        connectors: [
          sink({
            'connection.url': '${drill.postgres.jdbcUrl}',
            'connection.username': '${drill.postgres.user}',
            'connection.password': '${drill.postgres.password}',
            'errors.deadletterqueue.context.headers.enable': '${file:/etc/secrets.properties:x}',
          }),
        ],
      },
    } as unknown as Snapshot;
    expect(resolvePlaceholders(snapshot, values).connect!.connectors[0]!.config).toMatchObject({
      'connection.url': 'jdbc:postgresql://127.0.0.1:15432/kafka_drill',
      'connection.username': 'kafka_drill',
      'connection.password': 'p4ss',
      'errors.deadletterqueue.context.headers.enable': '${file:/etc/secrets.properties:x}',
    });
    expect(placeholderValues({ workDir: '/tmp/run-2' })).toEqual({ 'drill.workDir': '/tmp/run-2' });
    // Every value the runner gives is a name validate knows.
    expect(Object.keys(values).every((name) => Object.hasOwn(drillPlaceholders, name))).toBe(true);
  });
});
